from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VoteType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VOTE_TYPE_UNSPECIFIED: _ClassVar[VoteType]
    VOTE_TYPE_PREVOTE: _ClassVar[VoteType]
    VOTE_TYPE_PRECOMMIT: _ClassVar[VoteType]

class Step(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STEP_UNSPECIFIED: _ClassVar[Step]
    STEP_PROPOSE: _ClassVar[Step]
    STEP_PREVOTE: _ClassVar[Step]
    STEP_PRECOMMIT: _ClassVar[Step]
VOTE_TYPE_UNSPECIFIED: VoteType
VOTE_TYPE_PREVOTE: VoteType
VOTE_TYPE_PRECOMMIT: VoteType
STEP_UNSPECIFIED: Step
STEP_PROPOSE: Step
STEP_PREVOTE: Step
STEP_PRECOMMIT: Step

class Vote(_message.Message):
    __slots__ = ("type", "height", "round", "block_hash", "time_ns", "validator_address", "signature")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    type: VoteType
    height: int
    round: int
    block_hash: bytes
    time_ns: int
    validator_address: bytes
    signature: bytes
    def __init__(self, type: _Optional[_Union[VoteType, str]] = ..., height: _Optional[int] = ..., round: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., time_ns: _Optional[int] = ..., validator_address: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class Proposal(_message.Message):
    __slots__ = ("height", "round", "pol_round", "block_hash", "time_ns", "proposer_address", "signature")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    POL_ROUND_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    height: int
    round: int
    pol_round: int
    block_hash: bytes
    time_ns: int
    proposer_address: bytes
    signature: bytes
    def __init__(self, height: _Optional[int] = ..., round: _Optional[int] = ..., pol_round: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., time_ns: _Optional[int] = ..., proposer_address: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class TimeoutInfo(_message.Message):
    __slots__ = ("height", "round", "step", "duration_ns")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    height: int
    round: int
    step: Step
    duration_ns: int
    def __init__(self, height: _Optional[int] = ..., round: _Optional[int] = ..., step: _Optional[_Union[Step, str]] = ..., duration_ns: _Optional[int] = ...) -> None: ...

class DuplicateVoteEvidence(_message.Message):
    __slots__ = ("vote_a", "vote_b", "validator_power", "total_power")
    VOTE_A_FIELD_NUMBER: _ClassVar[int]
    VOTE_B_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_POWER_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POWER_FIELD_NUMBER: _ClassVar[int]
    vote_a: Vote
    vote_b: Vote
    validator_power: int
    total_power: int
    def __init__(self, vote_a: _Optional[_Union[Vote, _Mapping]] = ..., vote_b: _Optional[_Union[Vote, _Mapping]] = ..., validator_power: _Optional[int] = ..., total_power: _Optional[int] = ...) -> None: ...

class Validator(_message.Message):
    __slots__ = ("address", "pub_key", "power", "priority")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PUB_KEY_FIELD_NUMBER: _ClassVar[int]
    POWER_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    pub_key: bytes
    power: int
    priority: int
    def __init__(self, address: _Optional[bytes] = ..., pub_key: _Optional[bytes] = ..., power: _Optional[int] = ..., priority: _Optional[int] = ...) -> None: ...

class ValidatorSet(_message.Message):
    __slots__ = ("validators", "proposer_address")
    VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    validators: _containers.RepeatedCompositeFieldContainer[Validator]
    proposer_address: bytes
    def __init__(self, validators: _Optional[_Iterable[_Union[Validator, _Mapping]]] = ..., proposer_address: _Optional[bytes] = ...) -> None: ...
