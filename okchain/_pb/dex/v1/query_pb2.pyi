from okchain._pb.dex.v1 import dex_pb2 as _dex_pb2
from okchain._pb.types.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Order(_message.Message):
    __slots__ = ("id", "owner", "pair", "side", "price", "quantity", "filled", "status", "height", "closed_height")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PAIR_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FILLED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner: str
    pair: str
    side: _dex_pb2.Side
    price: str
    quantity: str
    filled: str
    status: str
    height: int
    closed_height: int
    def __init__(self, id: _Optional[str] = ..., owner: _Optional[str] = ..., pair: _Optional[str] = ..., side: _Optional[_Union[_dex_pb2.Side, str]] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ..., filled: _Optional[str] = ..., status: _Optional[str] = ..., height: _Optional[int] = ..., closed_height: _Optional[int] = ...) -> None: ...

class Pair(_message.Message):
    __slots__ = ("name", "base", "quote", "price_decimals", "quantity_decimals", "min_quantity", "owner", "listed", "last_price", "listed_height")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    PRICE_DECIMALS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_DECIMALS_FIELD_NUMBER: _ClassVar[int]
    MIN_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LISTED_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    LISTED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    name: str
    base: str
    quote: str
    price_decimals: int
    quantity_decimals: int
    min_quantity: str
    owner: str
    listed: bool
    last_price: str
    listed_height: int
    def __init__(self, name: _Optional[str] = ..., base: _Optional[str] = ..., quote: _Optional[str] = ..., price_decimals: _Optional[int] = ..., quantity_decimals: _Optional[int] = ..., min_quantity: _Optional[str] = ..., owner: _Optional[str] = ..., listed: _Optional[bool] = ..., last_price: _Optional[str] = ..., listed_height: _Optional[int] = ...) -> None: ...

class Level(_message.Message):
    __slots__ = ("price", "quantity", "orders")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    price: str
    quantity: str
    orders: int
    def __init__(self, price: _Optional[str] = ..., quantity: _Optional[str] = ..., orders: _Optional[int] = ...) -> None: ...

class Deal(_message.Message):
    __slots__ = ("height", "time_unix_ns", "order_id", "side", "price", "quantity")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NS_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    height: int
    time_unix_ns: int
    order_id: str
    side: _dex_pb2.Side
    price: str
    quantity: str
    def __init__(self, height: _Optional[int] = ..., time_unix_ns: _Optional[int] = ..., order_id: _Optional[str] = ..., side: _Optional[_Union[_dex_pb2.Side, str]] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class Candle(_message.Message):
    __slots__ = ("open_time_unix_s", "open", "high", "low", "close", "volume")
    OPEN_TIME_UNIX_S_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    open_time_unix_s: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    def __init__(self, open_time_unix_s: _Optional[int] = ..., open: _Optional[str] = ..., high: _Optional[str] = ..., low: _Optional[str] = ..., close: _Optional[str] = ..., volume: _Optional[str] = ...) -> None: ...

class OrderRequest(_message.Message):
    __slots__ = ("id", "height", "prove")
    ID_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROVE_FIELD_NUMBER: _ClassVar[int]
    id: str
    height: int
    prove: bool
    def __init__(self, id: _Optional[str] = ..., height: _Optional[int] = ..., prove: _Optional[bool] = ...) -> None: ...

class OrderResponse(_message.Message):
    __slots__ = ("order", "height", "proof")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    order: Order
    height: int
    proof: _types_pb2.ReadProof
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ..., height: _Optional[int] = ..., proof: _Optional[_Union[_types_pb2.ReadProof, _Mapping]] = ...) -> None: ...

class OrdersRequest(_message.Message):
    __slots__ = ("address", "state", "page_token", "page_size", "height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    state: str
    page_token: str
    page_size: int
    height: int
    def __init__(self, address: _Optional[str] = ..., state: _Optional[str] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class OrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token", "height")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    height: int
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class PairsRequest(_message.Message):
    __slots__ = ("height", "page_token", "page_size")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    height: int
    page_token: str
    page_size: int
    def __init__(self, height: _Optional[int] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class PairsResponse(_message.Message):
    __slots__ = ("pairs", "height", "next_page_token")
    PAIRS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pairs: _containers.RepeatedCompositeFieldContainer[Pair]
    height: int
    next_page_token: str
    def __init__(self, pairs: _Optional[_Iterable[_Union[Pair, _Mapping]]] = ..., height: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DepthRequest(_message.Message):
    __slots__ = ("pair", "levels", "height")
    PAIR_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    pair: str
    levels: int
    height: int
    def __init__(self, pair: _Optional[str] = ..., levels: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class DepthResponse(_message.Message):
    __slots__ = ("bids", "asks", "height")
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    bids: _containers.RepeatedCompositeFieldContainer[Level]
    asks: _containers.RepeatedCompositeFieldContainer[Level]
    height: int
    def __init__(self, bids: _Optional[_Iterable[_Union[Level, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[Level, _Mapping]]] = ..., height: _Optional[int] = ...) -> None: ...

class DealsRequest(_message.Message):
    __slots__ = ("pair", "limit", "height")
    PAIR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    pair: str
    limit: int
    height: int
    def __init__(self, pair: _Optional[str] = ..., limit: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class DealsResponse(_message.Message):
    __slots__ = ("deals", "height")
    DEALS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    deals: _containers.RepeatedCompositeFieldContainer[Deal]
    height: int
    def __init__(self, deals: _Optional[_Iterable[_Union[Deal, _Mapping]]] = ..., height: _Optional[int] = ...) -> None: ...

class TickerRequest(_message.Message):
    __slots__ = ("pair", "height")
    PAIR_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    pair: str
    height: int
    def __init__(self, pair: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class TickerResponse(_message.Message):
    __slots__ = ("pair", "last", "high_24h", "low_24h", "volume_24h", "height", "time_unix_ns")
    PAIR_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    HIGH_24H_FIELD_NUMBER: _ClassVar[int]
    LOW_24H_FIELD_NUMBER: _ClassVar[int]
    VOLUME_24H_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIME_UNIX_NS_FIELD_NUMBER: _ClassVar[int]
    pair: str
    last: str
    high_24h: str
    low_24h: str
    volume_24h: str
    height: int
    time_unix_ns: int
    def __init__(self, pair: _Optional[str] = ..., last: _Optional[str] = ..., high_24h: _Optional[str] = ..., low_24h: _Optional[str] = ..., volume_24h: _Optional[str] = ..., height: _Optional[int] = ..., time_unix_ns: _Optional[int] = ...) -> None: ...

class CandlesRequest(_message.Message):
    __slots__ = ("pair", "interval", "limit", "height")
    PAIR_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    pair: str
    interval: str
    limit: int
    height: int
    def __init__(self, pair: _Optional[str] = ..., interval: _Optional[str] = ..., limit: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class CandlesResponse(_message.Message):
    __slots__ = ("candles", "height")
    CANDLES_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    candles: _containers.RepeatedCompositeFieldContainer[Candle]
    height: int
    def __init__(self, candles: _Optional[_Iterable[_Union[Candle, _Mapping]]] = ..., height: _Optional[int] = ...) -> None: ...
