from okchain._pb.dex.v1 import dex_pb2 as _dex_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubscribeBlocksRequest(_message.Message):
    __slots__ = ("from_height",)
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    def __init__(self, from_height: _Optional[int] = ...) -> None: ...

class BlockEvent(_message.Message):
    __slots__ = ("height", "block_hash", "time_ns", "proposer_address", "tx_count", "app_hash")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TX_COUNT_FIELD_NUMBER: _ClassVar[int]
    APP_HASH_FIELD_NUMBER: _ClassVar[int]
    height: int
    block_hash: bytes
    time_ns: int
    proposer_address: bytes
    tx_count: int
    app_hash: bytes
    def __init__(self, height: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., time_ns: _Optional[int] = ..., proposer_address: _Optional[bytes] = ..., tx_count: _Optional[int] = ..., app_hash: _Optional[bytes] = ...) -> None: ...

class SubscribeTxsRequest(_message.Message):
    __slots__ = ("from_height", "address")
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    address: str
    def __init__(self, from_height: _Optional[int] = ..., address: _Optional[str] = ...) -> None: ...

class TxEvent(_message.Message):
    __slots__ = ("tx_hash", "height", "index", "code", "signer")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    height: int
    index: int
    code: int
    signer: str
    def __init__(self, tx_hash: _Optional[bytes] = ..., height: _Optional[int] = ..., index: _Optional[int] = ..., code: _Optional[int] = ..., signer: _Optional[str] = ...) -> None: ...

class SubscribeDealsRequest(_message.Message):
    __slots__ = ("from_height", "pair")
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAIR_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    pair: str
    def __init__(self, from_height: _Optional[int] = ..., pair: _Optional[str] = ...) -> None: ...

class DealEvent(_message.Message):
    __slots__ = ("pair", "height", "time_ns", "order_id", "side", "price", "quantity")
    PAIR_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    pair: str
    height: int
    time_ns: int
    order_id: str
    side: _dex_pb2.Side
    price: str
    quantity: str
    def __init__(self, pair: _Optional[str] = ..., height: _Optional[int] = ..., time_ns: _Optional[int] = ..., order_id: _Optional[str] = ..., side: _Optional[_Union[_dex_pb2.Side, str]] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class SubscribeConsensusRequest(_message.Message):
    __slots__ = ("from_height",)
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    def __init__(self, from_height: _Optional[int] = ...) -> None: ...

class ConsensusEvent(_message.Message):
    __slots__ = ("height", "round", "step")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    height: int
    round: int
    step: str
    def __init__(self, height: _Optional[int] = ..., round: _Optional[int] = ..., step: _Optional[str] = ...) -> None: ...
