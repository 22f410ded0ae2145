from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SigningInfoRequest(_message.Message):
    __slots__ = ("operator", "consensus_pubkey", "height")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_PUBKEY_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    operator: str
    consensus_pubkey: bytes
    height: int
    def __init__(self, operator: _Optional[str] = ..., consensus_pubkey: _Optional[bytes] = ..., height: _Optional[int] = ...) -> None: ...

class SigningInfo(_message.Message):
    __slots__ = ("consensus_pubkey", "operator", "start_height", "window_index", "missed_blocks", "jailed", "jailed_until_ns", "tombstoned")
    CONSENSUS_PUBKEY_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    START_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_INDEX_FIELD_NUMBER: _ClassVar[int]
    MISSED_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    JAILED_FIELD_NUMBER: _ClassVar[int]
    JAILED_UNTIL_NS_FIELD_NUMBER: _ClassVar[int]
    TOMBSTONED_FIELD_NUMBER: _ClassVar[int]
    consensus_pubkey: bytes
    operator: str
    start_height: int
    window_index: int
    missed_blocks: int
    jailed: bool
    jailed_until_ns: int
    tombstoned: bool
    def __init__(self, consensus_pubkey: _Optional[bytes] = ..., operator: _Optional[str] = ..., start_height: _Optional[int] = ..., window_index: _Optional[int] = ..., missed_blocks: _Optional[int] = ..., jailed: _Optional[bool] = ..., jailed_until_ns: _Optional[int] = ..., tombstoned: _Optional[bool] = ...) -> None: ...

class SigningInfoResponse(_message.Message):
    __slots__ = ("info", "height")
    INFO_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    info: SigningInfo
    height: int
    def __init__(self, info: _Optional[_Union[SigningInfo, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

class ParamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ParamsResponse(_message.Message):
    __slots__ = ("window_blocks", "min_signed_rate", "downtime_jail_seconds", "double_sign_rate", "max_block_evidence", "evidence_max_age_blocks", "max_missed_blocks")
    WINDOW_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    MIN_SIGNED_RATE_FIELD_NUMBER: _ClassVar[int]
    DOWNTIME_JAIL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_SIGN_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_BLOCK_EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_MAX_AGE_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    MAX_MISSED_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    window_blocks: int
    min_signed_rate: str
    downtime_jail_seconds: int
    double_sign_rate: str
    max_block_evidence: int
    evidence_max_age_blocks: int
    max_missed_blocks: int
    def __init__(self, window_blocks: _Optional[int] = ..., min_signed_rate: _Optional[str] = ..., downtime_jail_seconds: _Optional[int] = ..., double_sign_rate: _Optional[str] = ..., max_block_evidence: _Optional[int] = ..., evidence_max_age_blocks: _Optional[int] = ..., max_missed_blocks: _Optional[int] = ...) -> None: ...
