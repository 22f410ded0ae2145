from okchain._pb.bank.v1 import bank_pb2 as _bank_pb2
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
BROADCAST_MODE_SYNC: BroadcastMode
BROADCAST_MODE_COMMIT: BroadcastMode

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
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _types_pb2.TxResult
    def __init__(self, result: _Optional[_Union[_types_pb2.TxResult, _Mapping]] = ...) -> None: ...

class GetTxRequest(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    def __init__(self, hash: _Optional[bytes] = ...) -> None: ...

class GetTxResponse(_message.Message):
    __slots__ = ("tx", "tx_hash", "height", "index", "result", "time_ns")
    TX_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    tx: bytes
    tx_hash: bytes
    height: int
    index: int
    result: _types_pb2.TxResult
    time_ns: int
    def __init__(self, tx: _Optional[bytes] = ..., tx_hash: _Optional[bytes] = ..., height: _Optional[int] = ..., index: _Optional[int] = ..., result: _Optional[_Union[_types_pb2.TxResult, _Mapping]] = ..., time_ns: _Optional[int] = ...) -> None: ...

class AccountRequest(_message.Message):
    __slots__ = ("address", "height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    height: int
    def __init__(self, address: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class AccountResponse(_message.Message):
    __slots__ = ("address", "bech32", "nonce", "height", "pending_nonce")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BECH32_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PENDING_NONCE_FIELD_NUMBER: _ClassVar[int]
    address: str
    bech32: str
    nonce: int
    height: int
    pending_nonce: int
    def __init__(self, address: _Optional[str] = ..., bech32: _Optional[str] = ..., nonce: _Optional[int] = ..., height: _Optional[int] = ..., pending_nonce: _Optional[int] = ...) -> None: ...

class BalanceRequest(_message.Message):
    __slots__ = ("address", "denom", "height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DENOM_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    denom: str
    height: int
    def __init__(self, address: _Optional[str] = ..., denom: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class BalanceResponse(_message.Message):
    __slots__ = ("balance", "height")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    balance: _bank_pb2.Coin
    height: int
    def __init__(self, balance: _Optional[_Union[_bank_pb2.Coin, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

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
    __slots__ = ("block_hash", "block", "results")
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    block_hash: bytes
    block: _types_pb2.Block
    results: _types_pb2.BlockResults
    def __init__(self, block_hash: _Optional[bytes] = ..., block: _Optional[_Union[_types_pb2.Block, _Mapping]] = ..., results: _Optional[_Union[_types_pb2.BlockResults, _Mapping]] = ...) -> None: ...
