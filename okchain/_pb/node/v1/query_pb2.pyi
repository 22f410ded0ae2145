from okchain._pb.bank.v1 import bank_pb2 as _bank_pb2
from okchain._pb.tx.v1 import tx_pb2 as _tx_pb2
from okchain._pb.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BroadcastMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_MODE_SYNC: _ClassVar[BroadcastMode]
    BROADCAST_MODE_COMMIT: _ClassVar[BroadcastMode]

class AddressRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADDRESS_ROLE_ANY: _ClassVar[AddressRole]
    ADDRESS_ROLE_SENDER: _ClassVar[AddressRole]
    ADDRESS_ROLE_RECIPIENT: _ClassVar[AddressRole]
BROADCAST_MODE_SYNC: BroadcastMode
BROADCAST_MODE_COMMIT: BroadcastMode
ADDRESS_ROLE_ANY: AddressRole
ADDRESS_ROLE_SENDER: AddressRole
ADDRESS_ROLE_RECIPIENT: AddressRole

class BroadcastTxRequest(_message.Message):
    __slots__ = ("tx", "mode", "timeout_ms")
    TX_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    tx: bytes
    mode: BroadcastMode
    timeout_ms: int
    def __init__(self, tx: _Optional[bytes] = ..., mode: _Optional[_Union[BroadcastMode, str]] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class BroadcastTxResponse(_message.Message):
    __slots__ = ("tx_hash", "committed", "height", "result")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    committed: bool
    height: int
    result: _types_pb2.TxResult
    def __init__(self, tx_hash: _Optional[bytes] = ..., committed: _Optional[bool] = ..., height: _Optional[int] = ..., result: _Optional[_Union[_types_pb2.TxResult, _Mapping]] = ...) -> None: ...

class BroadcastTxsRequest(_message.Message):
    __slots__ = ("txs",)
    TXS_FIELD_NUMBER: _ClassVar[int]
    txs: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, txs: _Optional[_Iterable[bytes]] = ...) -> None: ...

class BroadcastTxsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CheckedTx]
    def __init__(self, results: _Optional[_Iterable[_Union[CheckedTx, _Mapping]]] = ...) -> None: ...

class CheckedTx(_message.Message):
    __slots__ = ("tx_hash", "code", "log")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    code: int
    log: str
    def __init__(self, tx_hash: _Optional[bytes] = ..., code: _Optional[int] = ..., log: _Optional[str] = ...) -> None: ...

class SimulateRequest(_message.Message):
    __slots__ = ("tx",)
    TX_FIELD_NUMBER: _ClassVar[int]
    tx: bytes
    def __init__(self, tx: _Optional[bytes] = ...) -> None: ...

class SimulateResponse(_message.Message):
    __slots__ = ("result", "gas_estimate")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    GAS_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.TxResult
    gas_estimate: int
    def __init__(self, result: _Optional[_Union[_types_pb2.TxResult, _Mapping]] = ..., gas_estimate: _Optional[int] = ...) -> None: ...

class GetTxRequest(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    def __init__(self, hash: _Optional[bytes] = ...) -> None: ...

class GetTxResponse(_message.Message):
    __slots__ = ("tx", "tx_hash", "height", "index", "result", "time_ns", "info")
    TX_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    tx: bytes
    tx_hash: bytes
    height: int
    index: int
    result: _types_pb2.TxResult
    time_ns: int
    info: TxInfo
    def __init__(self, tx: _Optional[bytes] = ..., tx_hash: _Optional[bytes] = ..., height: _Optional[int] = ..., index: _Optional[int] = ..., result: _Optional[_Union[_types_pb2.TxResult, _Mapping]] = ..., time_ns: _Optional[int] = ..., info: _Optional[_Union[TxInfo, _Mapping]] = ...) -> None: ...

class AccountRequest(_message.Message):
    __slots__ = ("address", "height", "prove")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROVE_FIELD_NUMBER: _ClassVar[int]
    address: str
    height: int
    prove: bool
    def __init__(self, address: _Optional[str] = ..., height: _Optional[int] = ..., prove: _Optional[bool] = ...) -> None: ...

class AccountResponse(_message.Message):
    __slots__ = ("address", "bech32", "nonce", "height", "pending_nonce", "proof")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BECH32_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PENDING_NONCE_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    address: str
    bech32: str
    nonce: int
    height: int
    pending_nonce: int
    proof: _types_pb2.ReadProof
    def __init__(self, address: _Optional[str] = ..., bech32: _Optional[str] = ..., nonce: _Optional[int] = ..., height: _Optional[int] = ..., pending_nonce: _Optional[int] = ..., proof: _Optional[_Union[_types_pb2.ReadProof, _Mapping]] = ...) -> None: ...

class BalanceRequest(_message.Message):
    __slots__ = ("address", "denom", "height", "prove")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DENOM_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROVE_FIELD_NUMBER: _ClassVar[int]
    address: str
    denom: str
    height: int
    prove: bool
    def __init__(self, address: _Optional[str] = ..., denom: _Optional[str] = ..., height: _Optional[int] = ..., prove: _Optional[bool] = ...) -> None: ...

class BalanceResponse(_message.Message):
    __slots__ = ("balance", "height", "proof")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    balance: _bank_pb2.Coin
    height: int
    proof: _types_pb2.ReadProof
    def __init__(self, balance: _Optional[_Union[_bank_pb2.Coin, _Mapping]] = ..., height: _Optional[int] = ..., proof: _Optional[_Union[_types_pb2.ReadProof, _Mapping]] = ...) -> None: ...

class AllBalancesRequest(_message.Message):
    __slots__ = ("address", "page_token", "page_size", "height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    page_token: str
    page_size: int
    height: int
    def __init__(self, address: _Optional[str] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class AllBalancesResponse(_message.Message):
    __slots__ = ("balances", "next_page_token", "height")
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_bank_pb2.Coin]
    next_page_token: str
    height: int
    def __init__(self, balances: _Optional[_Iterable[_Union[_bank_pb2.Coin, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class SupplyRequest(_message.Message):
    __slots__ = ("denom", "height")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    denom: str
    height: int
    def __init__(self, denom: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class SupplyResponse(_message.Message):
    __slots__ = ("supply", "height")
    SUPPLY_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    supply: _bank_pb2.Coin
    height: int
    def __init__(self, supply: _Optional[_Union[_bank_pb2.Coin, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

class StateProofRequest(_message.Message):
    __slots__ = ("key", "height")
    KEY_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    height: int
    def __init__(self, key: _Optional[bytes] = ..., height: _Optional[int] = ...) -> None: ...

class StateProofResponse(_message.Message):
    __slots__ = ("value", "present", "proof", "root", "height")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PRESENT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    value: bytes
    present: bool
    proof: bytes
    root: bytes
    height: int
    def __init__(self, value: _Optional[bytes] = ..., present: _Optional[bool] = ..., proof: _Optional[bytes] = ..., root: _Optional[bytes] = ..., height: _Optional[int] = ...) -> None: ...

class NodeInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class NodeInfoResponse(_message.Message):
    __slots__ = ("chain_id", "version", "latest_height", "latest_block_hash", "app_hash", "validator_address", "min_gas_price", "genesis_accounts", "moniker", "earliest_height", "peers", "catching_up", "node_id", "p2p_port", "is_validator", "consensus_height", "consensus_round")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    LATEST_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    APP_HASH_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MIN_GAS_PRICE_FIELD_NUMBER: _ClassVar[int]
    GENESIS_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    MONIKER_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    CATCHING_UP_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    P2P_PORT_FIELD_NUMBER: _ClassVar[int]
    IS_VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_ROUND_FIELD_NUMBER: _ClassVar[int]
    chain_id: str
    version: str
    latest_height: int
    latest_block_hash: bytes
    app_hash: bytes
    validator_address: bytes
    min_gas_price: str
    genesis_accounts: int
    moniker: str
    earliest_height: int
    peers: int
    catching_up: bool
    node_id: str
    p2p_port: int
    is_validator: bool
    consensus_height: int
    consensus_round: int
    def __init__(self, chain_id: _Optional[str] = ..., version: _Optional[str] = ..., latest_height: _Optional[int] = ..., latest_block_hash: _Optional[bytes] = ..., app_hash: _Optional[bytes] = ..., validator_address: _Optional[bytes] = ..., min_gas_price: _Optional[str] = ..., genesis_accounts: _Optional[int] = ..., moniker: _Optional[str] = ..., earliest_height: _Optional[int] = ..., peers: _Optional[int] = ..., catching_up: _Optional[bool] = ..., node_id: _Optional[str] = ..., p2p_port: _Optional[int] = ..., is_validator: _Optional[bool] = ..., consensus_height: _Optional[int] = ..., consensus_round: _Optional[int] = ...) -> None: ...

class LatestBlockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BlockByHeightRequest(_message.Message):
    __slots__ = ("height",)
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    height: int
    def __init__(self, height: _Optional[int] = ...) -> None: ...

class BlockByHashRequest(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    def __init__(self, hash: _Optional[bytes] = ...) -> None: ...

class BlockResponse(_message.Message):
    __slots__ = ("block_hash", "block", "results", "txs_omitted", "total_txs")
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TXS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TXS_FIELD_NUMBER: _ClassVar[int]
    block_hash: bytes
    block: _types_pb2.Block
    results: _types_pb2.BlockResults
    txs_omitted: bool
    total_txs: int
    def __init__(self, block_hash: _Optional[bytes] = ..., block: _Optional[_Union[_types_pb2.Block, _Mapping]] = ..., results: _Optional[_Union[_types_pb2.BlockResults, _Mapping]] = ..., txs_omitted: _Optional[bool] = ..., total_txs: _Optional[int] = ...) -> None: ...

class BlockResultsRequest(_message.Message):
    __slots__ = ("height", "page_token", "page_size")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    height: int
    page_token: str
    page_size: int
    def __init__(self, height: _Optional[int] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class BlockResultsResponse(_message.Message):
    __slots__ = ("height", "app_hash", "first_index", "tx_results", "total_txs", "next_page_token")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    APP_HASH_FIELD_NUMBER: _ClassVar[int]
    FIRST_INDEX_FIELD_NUMBER: _ClassVar[int]
    TX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TXS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    height: int
    app_hash: bytes
    first_index: int
    tx_results: _containers.RepeatedCompositeFieldContainer[_types_pb2.TxResult]
    total_txs: int
    next_page_token: str
    def __init__(self, height: _Optional[int] = ..., app_hash: _Optional[bytes] = ..., first_index: _Optional[int] = ..., tx_results: _Optional[_Iterable[_Union[_types_pb2.TxResult, _Mapping]]] = ..., total_txs: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TxInfo(_message.Message):
    __slots__ = ("tx_hash", "height", "index", "time_ns", "tx", "result", "signer", "nonce", "gas_limit", "fee", "memo", "messages", "recipients")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    TX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    GAS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    height: int
    index: int
    time_ns: int
    tx: bytes
    result: _types_pb2.TxResult
    signer: str
    nonce: int
    gas_limit: int
    fee: str
    memo: str
    messages: _containers.RepeatedCompositeFieldContainer[_tx_pb2.Msg]
    recipients: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tx_hash: _Optional[bytes] = ..., height: _Optional[int] = ..., index: _Optional[int] = ..., time_ns: _Optional[int] = ..., tx: _Optional[bytes] = ..., result: _Optional[_Union[_types_pb2.TxResult, _Mapping]] = ..., signer: _Optional[str] = ..., nonce: _Optional[int] = ..., gas_limit: _Optional[int] = ..., fee: _Optional[str] = ..., memo: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[_tx_pb2.Msg, _Mapping]]] = ..., recipients: _Optional[_Iterable[str]] = ...) -> None: ...

class BlockWithTxsRequest(_message.Message):
    __slots__ = ("height", "page_token", "page_size")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    height: int
    page_token: str
    page_size: int
    def __init__(self, height: _Optional[int] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class BlockWithTxsResponse(_message.Message):
    __slots__ = ("block_hash", "header", "last_commit", "total_txs", "txs", "next_page_token", "app_hash")
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    LAST_COMMIT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TXS_FIELD_NUMBER: _ClassVar[int]
    TXS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    APP_HASH_FIELD_NUMBER: _ClassVar[int]
    block_hash: bytes
    header: _types_pb2.Header
    last_commit: _types_pb2.Commit
    total_txs: int
    txs: _containers.RepeatedCompositeFieldContainer[TxInfo]
    next_page_token: str
    app_hash: bytes
    def __init__(self, block_hash: _Optional[bytes] = ..., header: _Optional[_Union[_types_pb2.Header, _Mapping]] = ..., last_commit: _Optional[_Union[_types_pb2.Commit, _Mapping]] = ..., total_txs: _Optional[int] = ..., txs: _Optional[_Iterable[_Union[TxInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., app_hash: _Optional[bytes] = ...) -> None: ...

class HeadersRequest(_message.Message):
    __slots__ = ("from_height", "to_height", "page_token", "page_size")
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TO_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    to_height: int
    page_token: str
    page_size: int
    def __init__(self, from_height: _Optional[int] = ..., to_height: _Optional[int] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class SignedHeader(_message.Message):
    __slots__ = ("block_hash", "header", "commit")
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    block_hash: bytes
    header: _types_pb2.Header
    commit: _types_pb2.Commit
    def __init__(self, block_hash: _Optional[bytes] = ..., header: _Optional[_Union[_types_pb2.Header, _Mapping]] = ..., commit: _Optional[_Union[_types_pb2.Commit, _Mapping]] = ...) -> None: ...

class HeadersResponse(_message.Message):
    __slots__ = ("headers", "next_page_token")
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    headers: _containers.RepeatedCompositeFieldContainer[SignedHeader]
    next_page_token: str
    def __init__(self, headers: _Optional[_Iterable[_Union[SignedHeader, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TxsByBlockRequest(_message.Message):
    __slots__ = ("height", "page_token", "page_size")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    height: int
    page_token: str
    page_size: int
    def __init__(self, height: _Optional[int] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class TxsByAddressRequest(_message.Message):
    __slots__ = ("address", "role", "page_token", "page_size", "height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    role: AddressRole
    page_token: str
    page_size: int
    height: int
    def __init__(self, address: _Optional[str] = ..., role: _Optional[_Union[AddressRole, str]] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class TxsResponse(_message.Message):
    __slots__ = ("txs", "next_page_token")
    TXS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    txs: _containers.RepeatedCompositeFieldContainer[TxInfo]
    next_page_token: str
    def __init__(self, txs: _Optional[_Iterable[_Union[TxInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
