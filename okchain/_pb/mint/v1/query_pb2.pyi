from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ParamsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ParamsResponse(_message.Message):
    __slots__ = ("initial_per_block", "blocks_per_year", "halving_years")
    INITIAL_PER_BLOCK_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_PER_YEAR_FIELD_NUMBER: _ClassVar[int]
    HALVING_YEARS_FIELD_NUMBER: _ClassVar[int]
    initial_per_block: str
    blocks_per_year: int
    halving_years: int
    def __init__(self, initial_per_block: _Optional[str] = ..., blocks_per_year: _Optional[int] = ..., halving_years: _Optional[int] = ...) -> None: ...

class RewardRequest(_message.Message):
    __slots__ = ("height",)
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    height: int
    def __init__(self, height: _Optional[int] = ...) -> None: ...

class RewardResponse(_message.Message):
    __slots__ = ("amount", "height")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    amount: str
    height: int
    def __init__(self, amount: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...
