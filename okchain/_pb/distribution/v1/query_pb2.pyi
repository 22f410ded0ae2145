from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ValidatorReward(_message.Message):
    __slots__ = ("validator", "amount")
    VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    validator: str
    amount: str
    def __init__(self, validator: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class RewardsRequest(_message.Message):
    __slots__ = ("address", "height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    height: int
    def __init__(self, address: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class RewardsResponse(_message.Message):
    __slots__ = ("rewards", "total", "commission", "height")
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    rewards: _containers.RepeatedCompositeFieldContainer[ValidatorReward]
    total: str
    commission: str
    height: int
    def __init__(self, rewards: _Optional[_Iterable[_Union[ValidatorReward, _Mapping]]] = ..., total: _Optional[str] = ..., commission: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class ValidatorRewardsRequest(_message.Message):
    __slots__ = ("operator", "height")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    operator: str
    height: int
    def __init__(self, operator: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class ValidatorRewardsResponse(_message.Message):
    __slots__ = ("outstanding", "commission", "height")
    OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    outstanding: str
    commission: str
    height: int
    def __init__(self, outstanding: _Optional[str] = ..., commission: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class CommunityPoolRequest(_message.Message):
    __slots__ = ("height",)
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    height: int
    def __init__(self, height: _Optional[int] = ...) -> None: ...

class CommunityPoolResponse(_message.Message):
    __slots__ = ("amount", "height")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    amount: str
    height: int
    def __init__(self, amount: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class ParamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ParamsResponse(_message.Message):
    __slots__ = ("community_tax", "signer_share", "withdraw_gas")
    COMMUNITY_TAX_FIELD_NUMBER: _ClassVar[int]
    SIGNER_SHARE_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_GAS_FIELD_NUMBER: _ClassVar[int]
    community_tax: str
    signer_share: str
    withdraw_gas: str
    def __init__(self, community_tax: _Optional[str] = ..., signer_share: _Optional[str] = ..., withdraw_gas: _Optional[str] = ...) -> None: ...
