from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NewRoundStep(_message.Message):
    __slots__ = ("height", "round", "step", "proposal_block")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_BLOCK_FIELD_NUMBER: _ClassVar[int]
    height: int
    round: int
    step: int
    proposal_block: bytes
    def __init__(self, height: _Optional[int] = ..., round: _Optional[int] = ..., step: _Optional[int] = ..., proposal_block: _Optional[bytes] = ...) -> None: ...

class CommitCatchUp(_message.Message):
    __slots__ = ("block", "commit")
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    block: bytes
    commit: bytes
    def __init__(self, block: _Optional[bytes] = ..., commit: _Optional[bytes] = ...) -> None: ...

class ConsensusMessage(_message.Message):
    __slots__ = ("new_round_step", "proposal", "vote", "block", "commit")
    NEW_ROUND_STEP_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    VOTE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    new_round_step: NewRoundStep
    proposal: bytes
    vote: bytes
    block: bytes
    commit: CommitCatchUp
    def __init__(self, new_round_step: _Optional[_Union[NewRoundStep, _Mapping]] = ..., proposal: _Optional[bytes] = ..., vote: _Optional[bytes] = ..., block: _Optional[bytes] = ..., commit: _Optional[_Union[CommitCatchUp, _Mapping]] = ...) -> None: ...

class Txs(_message.Message):
    __slots__ = ("txs",)
    TXS_FIELD_NUMBER: _ClassVar[int]
    txs: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, txs: _Optional[_Iterable[bytes]] = ...) -> None: ...

class EvidenceList(_message.Message):
    __slots__ = ("evidence",)
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    evidence: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, evidence: _Optional[_Iterable[bytes]] = ...) -> None: ...
