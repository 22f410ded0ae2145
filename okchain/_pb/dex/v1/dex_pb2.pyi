from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    BUY: _ClassVar[Side]
    SELL: _ClassVar[Side]
SIDE_UNSPECIFIED: Side
BUY: Side
SELL: Side

class MsgListPair(_message.Message):
    __slots__ = ("base", "quote", "price_decimals", "quantity_decimals", "min_quantity")
    BASE_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    PRICE_DECIMALS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_DECIMALS_FIELD_NUMBER: _ClassVar[int]
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    base: str
    quote: str
    price_decimals: int
    quantity_decimals: int
    min_quantity: str
    def __init__(self, base: _Optional[str] = ..., quote: _Optional[str] = ..., price_decimals: _Optional[int] = ..., quantity_decimals: _Optional[int] = ..., min_quantity: _Optional[str] = ...) -> None: ...

class MsgDelistPair(_message.Message):
    __slots__ = ("pair",)
    PAIR_FIELD_NUMBER: _ClassVar[int]
    pair: str
    def __init__(self, pair: _Optional[str] = ...) -> None: ...

class OrderSpec(_message.Message):
    __slots__ = ("pair", "side", "price", "quantity")
    PAIR_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    pair: str
    side: Side
    price: str
    quantity: str
    def __init__(self, pair: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class MsgPlaceOrders(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[OrderSpec]
    def __init__(self, orders: _Optional[_Iterable[_Union[OrderSpec, _Mapping]]] = ...) -> None: ...

class MsgCancelOrders(_message.Message):
    __slots__ = ("order_ids",)
    ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    order_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, order_ids: _Optional[_Iterable[str]] = ...) -> None: ...
