from okchain._pb.node.v1 import query_pb2 as _query_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BlockSummary(_message.Message):
    __slots__ = ("height", "block_hash", "time_ns", "proposer_address", "tx_count")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_NS_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TX_COUNT_FIELD_NUMBER: _ClassVar[int]
    height: int
    block_hash: bytes
    time_ns: int
    proposer_address: bytes
    tx_count: int
    def __init__(self, height: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., time_ns: _Optional[int] = ..., proposer_address: _Optional[bytes] = ..., tx_count: _Optional[int] = ...) -> None: ...

class RecentBlocksRequest(_message.Message):
    __slots__ = ("height", "page_token", "page_size")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    height: int
    page_token: str
    page_size: int
    def __init__(self, height: _Optional[int] = ..., page_token: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class RecentBlocksResponse(_message.Message):
    __slots__ = ("blocks", "next_page_token")
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    blocks: _containers.RepeatedCompositeFieldContainer[BlockSummary]
    next_page_token: str
    def __init__(self, blocks: _Optional[_Iterable[_Union[BlockSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: str
    def __init__(self, query: _Optional[str] = ...) -> None: ...

class AddressSummary(_message.Message):
    __slots__ = ("address", "bech32", "nonce", "okt_balance", "validator")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BECH32_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    OKT_BALANCE_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    address: str
    bech32: str
    nonce: int
    okt_balance: str
    validator: bool
    def __init__(self, address: _Optional[str] = ..., bech32: _Optional[str] = ..., nonce: _Optional[int] = ..., okt_balance: _Optional[str] = ..., validator: _Optional[bool] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("block", "tx", "address", "height")
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    TX_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    block: BlockSummary
    tx: _query_pb2.TxInfo
    address: AddressSummary
    height: int
    def __init__(self, block: _Optional[_Union[BlockSummary, _Mapping]] = ..., tx: _Optional[_Union[_query_pb2.TxInfo, _Mapping]] = ..., address: _Optional[_Union[AddressSummary, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

class NetworkStatsRequest(_message.Message):
    __slots__ = ("blocks", "height")
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    blocks: int
    height: int
    def __init__(self, blocks: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class NetworkStatsResponse(_message.Message):
    __slots__ = ("height", "total_txs", "window_blocks", "window_txs", "window_ns", "tps", "average_block_time_ms", "okt_supply", "bonded_okt", "bonded_ratio")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TXS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_TXS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_NS_FIELD_NUMBER: _ClassVar[int]
    TPS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_BLOCK_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    OKT_SUPPLY_FIELD_NUMBER: _ClassVar[int]
    BONDED_OKT_FIELD_NUMBER: _ClassVar[int]
    BONDED_RATIO_FIELD_NUMBER: _ClassVar[int]
    height: int
    total_txs: int
    window_blocks: int
    window_txs: int
    window_ns: int
    tps: str
    average_block_time_ms: int
    okt_supply: str
    bonded_okt: str
    bonded_ratio: str
    def __init__(self, height: _Optional[int] = ..., total_txs: _Optional[int] = ..., window_blocks: _Optional[int] = ..., window_txs: _Optional[int] = ..., window_ns: _Optional[int] = ..., tps: _Optional[str] = ..., average_block_time_ms: _Optional[int] = ..., okt_supply: _Optional[str] = ..., bonded_okt: _Optional[str] = ..., bonded_ratio: _Optional[str] = ...) -> None: ...
