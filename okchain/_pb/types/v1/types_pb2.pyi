from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Header(_message.Message):
    __slots__ = ("chain_id", "height", "time_ns", "last_block_hash", "txs_hash", "app_hash", "last_results_hash", "validators_hash", "proposer_address", "last_commit_hash", "next_validators_hash", "evidence_hash")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    LAST_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TXS_HASH_FIELD_NUMBER: _ClassVar[int]
    APP_HASH_FIELD_NUMBER: _ClassVar[int]
    LAST_RESULTS_HASH_FIELD_NUMBER: _ClassVar[int]
    VALIDATORS_HASH_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LAST_COMMIT_HASH_FIELD_NUMBER: _ClassVar[int]
    NEXT_VALIDATORS_HASH_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_HASH_FIELD_NUMBER: _ClassVar[int]
    chain_id: str
    height: int
    time_ns: int
    last_block_hash: bytes
    txs_hash: bytes
    app_hash: bytes
    last_results_hash: bytes
    validators_hash: bytes
    proposer_address: bytes
    last_commit_hash: bytes
    next_validators_hash: bytes
    evidence_hash: bytes
    def __init__(self, chain_id: _Optional[str] = ..., height: _Optional[int] = ..., time_ns: _Optional[int] = ..., last_block_hash: _Optional[bytes] = ..., txs_hash: _Optional[bytes] = ..., app_hash: _Optional[bytes] = ..., last_results_hash: _Optional[bytes] = ..., validators_hash: _Optional[bytes] = ..., proposer_address: _Optional[bytes] = ..., last_commit_hash: _Optional[bytes] = ..., next_validators_hash: _Optional[bytes] = ..., evidence_hash: _Optional[bytes] = ...) -> None: ...

class CommitSig(_message.Message):
    __slots__ = ("validator_address", "time_ns", "signature")
    VALIDATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    validator_address: bytes
    time_ns: int
    signature: bytes
    def __init__(self, validator_address: _Optional[bytes] = ..., time_ns: _Optional[int] = ..., signature: _Optional[bytes] = ...) -> None: ...

class Commit(_message.Message):
    __slots__ = ("height", "round", "block_hash", "signatures")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    height: int
    round: int
    block_hash: bytes
    signatures: _containers.RepeatedCompositeFieldContainer[CommitSig]
    def __init__(self, height: _Optional[int] = ..., round: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., signatures: _Optional[_Iterable[_Union[CommitSig, _Mapping]]] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("header", "txs", "last_commit", "evidence")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    TXS_FIELD_NUMBER: _ClassVar[int]
    LAST_COMMIT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    header: Header
    txs: _containers.RepeatedScalarFieldContainer[bytes]
    last_commit: Commit
    evidence: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, header: _Optional[_Union[Header, _Mapping]] = ..., txs: _Optional[_Iterable[bytes]] = ..., last_commit: _Optional[_Union[Commit, _Mapping]] = ..., evidence: _Optional[_Iterable[bytes]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("type", "attributes")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    type: str
    attributes: _containers.RepeatedCompositeFieldContainer[Attribute]
    def __init__(self, type: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[Attribute, _Mapping]]] = ...) -> None: ...

class Attribute(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class TxResult(_message.Message):
    __slots__ = ("code", "log", "gas_wanted", "gas_used", "events", "signer", "nonce", "fee")
    CODE_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    GAS_WANTED_FIELD_NUMBER: _ClassVar[int]
    GAS_USED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    code: int
    log: str
    gas_wanted: int
    gas_used: int
    events: _containers.RepeatedCompositeFieldContainer[Event]
    signer: bytes
    nonce: int
    fee: str
    def __init__(self, code: _Optional[int] = ..., log: _Optional[str] = ..., gas_wanted: _Optional[int] = ..., gas_used: _Optional[int] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., signer: _Optional[bytes] = ..., nonce: _Optional[int] = ..., fee: _Optional[str] = ...) -> None: ...

class ReadProof(_message.Message):
    __slots__ = ("height", "root", "values")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    height: int
    root: bytes
    values: _containers.RepeatedCompositeFieldContainer[ProvenValue]
    def __init__(self, height: _Optional[int] = ..., root: _Optional[bytes] = ..., values: _Optional[_Iterable[_Union[ProvenValue, _Mapping]]] = ...) -> None: ...

class ProvenValue(_message.Message):
    __slots__ = ("key", "value", "present", "proof")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PRESENT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    value: bytes
    present: bool
    proof: bytes
    def __init__(self, key: _Optional[bytes] = ..., value: _Optional[bytes] = ..., present: _Optional[bool] = ..., proof: _Optional[bytes] = ...) -> None: ...

class BlockResults(_message.Message):
    __slots__ = ("height", "tx_results", "app_hash")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TX_RESULTS_FIELD_NUMBER: _ClassVar[int]
    APP_HASH_FIELD_NUMBER: _ClassVar[int]
    height: int
    tx_results: _containers.RepeatedCompositeFieldContainer[TxResult]
    app_hash: bytes
    def __init__(self, height: _Optional[int] = ..., tx_results: _Optional[_Iterable[_Union[TxResult, _Mapping]]] = ..., app_hash: _Optional[bytes] = ...) -> None: ...
