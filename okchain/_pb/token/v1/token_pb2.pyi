from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class MsgIssueToken(_message.Message):
    __slots__ = ("symbol", "name", "total_supply", "mintable")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SUPPLY_FIELD_NUMBER: _ClassVar[int]
    MINTABLE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    name: str
    total_supply: str
    mintable: bool
    def __init__(self, symbol: _Optional[str] = ..., name: _Optional[str] = ..., total_supply: _Optional[str] = ..., mintable: _Optional[bool] = ...) -> None: ...

class MsgMintToken(_message.Message):
    __slots__ = ("denom", "amount")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    denom: str
    amount: str
    def __init__(self, denom: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class MsgBurnToken(_message.Message):
    __slots__ = ("denom", "amount")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    denom: str
    amount: str
    def __init__(self, denom: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class MsgTransferOwnership(_message.Message):
    __slots__ = ("denom", "new_owner")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    NEW_OWNER_FIELD_NUMBER: _ClassVar[int]
    denom: str
    new_owner: bytes
    def __init__(self, denom: _Optional[str] = ..., new_owner: _Optional[bytes] = ...) -> None: ...

class Token(_message.Message):
    __slots__ = ("denom", "symbol", "name", "owner", "mintable", "original_supply", "supply")
    DENOM_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    MINTABLE_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_SUPPLY_FIELD_NUMBER: _ClassVar[int]
    SUPPLY_FIELD_NUMBER: _ClassVar[int]
    denom: str
    symbol: str
    name: str
    owner: str
    mintable: bool
    original_supply: str
    supply: str
    def __init__(self, denom: _Optional[str] = ..., symbol: _Optional[str] = ..., name: _Optional[str] = ..., owner: _Optional[str] = ..., mintable: _Optional[bool] = ..., original_supply: _Optional[str] = ..., supply: _Optional[str] = ...) -> None: ...
