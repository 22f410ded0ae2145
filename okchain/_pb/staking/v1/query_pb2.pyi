from okchain._pb.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ValidatorInfo(_message.Message):
    __slots__ = ("operator", "consensus_pubkey", "moniker", "identity", "website", "details", "commission_rate", "max_rate", "max_change_rate", "commission_time_ns", "self_deposit", "shares", "vote_shares", "voters", "destroyed", "status")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_PUBKEY_FIELD_NUMBER: _ClassVar[int]
    MONIKER_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_CHANGE_RATE_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    SELF_DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    VOTE_SHARES_FIELD_NUMBER: _ClassVar[int]
    VOTERS_FIELD_NUMBER: _ClassVar[int]
    DESTROYED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    operator: str
    consensus_pubkey: bytes
    moniker: str
    identity: str
    website: str
    details: str
    commission_rate: str
    max_rate: str
    max_change_rate: str
    commission_time_ns: int
    self_deposit: str
    shares: str
    vote_shares: str
    voters: int
    destroyed: bool
    status: str
    def __init__(self, operator: _Optional[str] = ..., consensus_pubkey: _Optional[bytes] = ..., moniker: _Optional[str] = ..., identity: _Optional[str] = ..., website: _Optional[str] = ..., details: _Optional[str] = ..., commission_rate: _Optional[str] = ..., max_rate: _Optional[str] = ..., max_change_rate: _Optional[str] = ..., commission_time_ns: _Optional[int] = ..., self_deposit: _Optional[str] = ..., shares: _Optional[str] = ..., vote_shares: _Optional[str] = ..., voters: _Optional[int] = ..., destroyed: _Optional[bool] = ..., status: _Optional[str] = ...) -> None: ...

class ValidatorsRequest(_message.Message):
    __slots__ = ("page_token", "page_size", "status", "height")
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    page_token: str
    page_size: int
    status: str
    height: int
    def __init__(self, page_token: _Optional[str] = ..., page_size: _Optional[int] = ..., status: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class ValidatorsResponse(_message.Message):
    __slots__ = ("validators", "next_page_token", "height")
    VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    validators: _containers.RepeatedCompositeFieldContainer[ValidatorInfo]
    next_page_token: str
    height: int
    def __init__(self, validators: _Optional[_Iterable[_Union[ValidatorInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class ValidatorRequest(_message.Message):
    __slots__ = ("operator", "height", "prove")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROVE_FIELD_NUMBER: _ClassVar[int]
    operator: str
    height: int
    prove: bool
    def __init__(self, operator: _Optional[str] = ..., height: _Optional[int] = ..., prove: _Optional[bool] = ...) -> None: ...

class ValidatorResponse(_message.Message):
    __slots__ = ("validator", "height", "proof")
    VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    validator: ValidatorInfo
    height: int
    proof: _types_pb2.ReadProof
    def __init__(self, validator: _Optional[_Union[ValidatorInfo, _Mapping]] = ..., height: _Optional[int] = ..., proof: _Optional[_Union[_types_pb2.ReadProof, _Mapping]] = ...) -> None: ...

class UnbondingInfo(_message.Message):
    __slots__ = ("completion_ns", "amount")
    COMPLETION_NS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    completion_ns: int
    amount: str
    def __init__(self, completion_ns: _Optional[int] = ..., amount: _Optional[str] = ...) -> None: ...

class VoterRequest(_message.Message):
    __slots__ = ("address", "height", "prove")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROVE_FIELD_NUMBER: _ClassVar[int]
    address: str
    height: int
    prove: bool
    def __init__(self, address: _Optional[str] = ..., height: _Optional[int] = ..., prove: _Optional[bool] = ...) -> None: ...

class VoterResponse(_message.Message):
    __slots__ = ("deposit", "shares", "validators", "is_proxy", "proxy", "bound", "unbondings", "height", "proof")
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    IS_PROXY_FIELD_NUMBER: _ClassVar[int]
    PROXY_FIELD_NUMBER: _ClassVar[int]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    UNBONDINGS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    deposit: str
    shares: str
    validators: _containers.RepeatedScalarFieldContainer[str]
    is_proxy: bool
    proxy: str
    bound: str
    unbondings: _containers.RepeatedCompositeFieldContainer[UnbondingInfo]
    height: int
    proof: _types_pb2.ReadProof
    def __init__(self, deposit: _Optional[str] = ..., shares: _Optional[str] = ..., validators: _Optional[_Iterable[str]] = ..., is_proxy: _Optional[bool] = ..., proxy: _Optional[str] = ..., bound: _Optional[str] = ..., unbondings: _Optional[_Iterable[_Union[UnbondingInfo, _Mapping]]] = ..., height: _Optional[int] = ..., proof: _Optional[_Union[_types_pb2.ReadProof, _Mapping]] = ...) -> None: ...

class ConsensusValidator(_message.Message):
    __slots__ = ("address", "pub_key", "power", "proposer_priority")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PUB_KEY_FIELD_NUMBER: _ClassVar[int]
    POWER_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    address: bytes
    pub_key: bytes
    power: int
    proposer_priority: int
    def __init__(self, address: _Optional[bytes] = ..., pub_key: _Optional[bytes] = ..., power: _Optional[int] = ..., proposer_priority: _Optional[int] = ...) -> None: ...

class ValidatorSetRequest(_message.Message):
    __slots__ = ("height", "page_token", "page_size")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    height: int
    page_token: str
    page_size: int
    def __init__(self, height: _Optional[int] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class ValidatorSetResponse(_message.Message):
    __slots__ = ("validators", "next_page_token", "height", "total_power", "proposer_address", "validators_hash")
    VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POWER_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    VALIDATORS_HASH_FIELD_NUMBER: _ClassVar[int]
    validators: _containers.RepeatedCompositeFieldContainer[ConsensusValidator]
    next_page_token: str
    height: int
    total_power: int
    proposer_address: bytes
    validators_hash: bytes
    def __init__(self, validators: _Optional[_Iterable[_Union[ConsensusValidator, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., height: _Optional[int] = ..., total_power: _Optional[int] = ..., proposer_address: _Optional[bytes] = ..., validators_hash: _Optional[bytes] = ...) -> None: ...

class ParamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ParamsResponse(_message.Message):
    __slots__ = ("min_self_deposit", "min_deposit", "unbonding_seconds", "commission_interval_seconds", "max_votes", "constant_weight", "epoch_blocks", "max_validators", "power_unit")
    MIN_SELF_DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    MIN_DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    UNBONDING_SECONDS_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_VOTES_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    EPOCH_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    MAX_VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    POWER_UNIT_FIELD_NUMBER: _ClassVar[int]
    min_self_deposit: str
    min_deposit: str
    unbonding_seconds: int
    commission_interval_seconds: int
    max_votes: int
    constant_weight: bool
    epoch_blocks: int
    max_validators: int
    power_unit: str
    def __init__(self, min_self_deposit: _Optional[str] = ..., min_deposit: _Optional[str] = ..., unbonding_seconds: _Optional[int] = ..., commission_interval_seconds: _Optional[int] = ..., max_votes: _Optional[int] = ..., constant_weight: _Optional[bool] = ..., epoch_blocks: _Optional[int] = ..., max_validators: _Optional[int] = ..., power_unit: _Optional[str] = ...) -> None: ...

class PoolRequest(_message.Message):
    __slots__ = ("height",)
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    height: int
    def __init__(self, height: _Optional[int] = ...) -> None: ...

class PoolResponse(_message.Message):
    __slots__ = ("bonded", "unbonding", "not_bonded", "height")
    BONDED_FIELD_NUMBER: _ClassVar[int]
    UNBONDING_FIELD_NUMBER: _ClassVar[int]
    NOT_BONDED_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    bonded: str
    unbonding: str
    not_bonded: str
    height: int
    def __init__(self, bonded: _Optional[str] = ..., unbonding: _Optional[str] = ..., not_bonded: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...
