from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Description(_message.Message):
    __slots__ = ("moniker", "identity", "website", "details")
    MONIKER_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    moniker: str
    identity: str
    website: str
    details: str
    def __init__(self, moniker: _Optional[str] = ..., identity: _Optional[str] = ..., website: _Optional[str] = ..., details: _Optional[str] = ...) -> None: ...

class MsgCreateValidator(_message.Message):
    __slots__ = ("description", "pubkey", "commission_rate", "max_rate", "max_change_rate")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PUBKEY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_RATE_FIELD_NUMBER: _ClassVar[int]
    MAX_CHANGE_RATE_FIELD_NUMBER: _ClassVar[int]
    description: Description
    pubkey: bytes
    commission_rate: str
    max_rate: str
    max_change_rate: str
    def __init__(self, description: _Optional[_Union[Description, _Mapping]] = ..., pubkey: _Optional[bytes] = ..., commission_rate: _Optional[str] = ..., max_rate: _Optional[str] = ..., max_change_rate: _Optional[str] = ...) -> None: ...

class MsgEditValidator(_message.Message):
    __slots__ = ("description", "commission_rate")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_RATE_FIELD_NUMBER: _ClassVar[int]
    description: Description
    commission_rate: str
    def __init__(self, description: _Optional[_Union[Description, _Mapping]] = ..., commission_rate: _Optional[str] = ...) -> None: ...

class MsgDeposit(_message.Message):
    __slots__ = ("amount",)
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    amount: str
    def __init__(self, amount: _Optional[str] = ...) -> None: ...

class MsgWithdraw(_message.Message):
    __slots__ = ("amount",)
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    amount: str
    def __init__(self, amount: _Optional[str] = ...) -> None: ...

class MsgVote(_message.Message):
    __slots__ = ("validators",)
    VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    validators: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, validators: _Optional[_Iterable[bytes]] = ...) -> None: ...

class MsgRegisterProxy(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgUnregisterProxy(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgBindProxy(_message.Message):
    __slots__ = ("proxy",)
    PROXY_FIELD_NUMBER: _ClassVar[int]
    proxy: bytes
    def __init__(self, proxy: _Optional[bytes] = ...) -> None: ...

class MsgUnbindProxy(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class MsgDestroyValidator(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
