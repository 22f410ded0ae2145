"""ExplorerQuery: recent blocks, search and network figures, read from one committed snapshot per call.

Each call's work is bounded whatever the chain's length: a page of blocks, one search, and for the
network figures two blocks and two running tx counts (``okchain.state.indexes``) at the window's ends.
"""

import re

import grpc

from okchain._pb.explorer.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_bech32, to_checksum
from okchain.query import StateQuery
from okchain.rpc.convert import RequestError, address_arg, tx_info
from okchain.rpc.paging import decode_token, encode_token, page_size
from okchain.rpc.servicers import ServicerBase, guarded
from okchain.types.block import Block
from okchain.types.params import OKT_DENOM

DEFAULT_WINDOW = 100
MAX_WINDOW = 100_000
_HASH = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_HEIGHT = re.compile(r"[0-9]{1,19}")


def _summary(block: Block) -> query_pb2.BlockSummary:
    header = block.header
    return query_pb2.BlockSummary(
        height=header.height,
        block_hash=block.hash,
        time_ns=header.time_ns,
        proposer_address=header.proposer_address,
        tx_count=len(block.txs),
    )


def _ratio(part: int, whole: int, scale: int) -> int:
    return part * scale // whole if whole else 0


class ExplorerQueryService(ServicerBase, query_pb2_grpc.ExplorerQueryServicer):
    @guarded
    def RecentBlocks(
        self, request: query_pb2.RecentBlocksRequest, context: grpc.ServicerContext
    ) -> query_pb2.RecentBlocksResponse:
        q = self.query()
        top = request.height
        if request.page_token:
            (top,) = decode_token(request.page_token, 1)
            if not top:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "page token names height 0")
        top = q.kept_height(top)
        bottom = max(q.earliest_height, top - page_size(request.page_size) + 1)
        blocks = [q.block(h) for h in range(top, bottom - 1, -1)]
        found = [_summary(b) for b in blocks if b is not None]
        below = found[-1].height - 1 if found else 0
        more = below >= q.earliest_height and q.commit(below) is not None  # a block is stored there
        return query_pb2.RecentBlocksResponse(
            blocks=found, next_page_token=encode_token(below) if more else ""
        )

    @guarded
    def Search(
        self, request: query_pb2.SearchRequest, context: grpc.ServicerContext
    ) -> query_pb2.SearchResponse:
        text = request.query.strip()
        q = self.query()
        if _HEIGHT.fullmatch(text):
            block = q.block(q.kept_height(int(text))) if int(text) else None
            if block is None:
                raise RequestError(grpc.StatusCode.NOT_FOUND, f"no block at height {int(text)}")
            return query_pb2.SearchResponse(block=_summary(block), height=q.height)
        if _HASH.fullmatch(text):
            return self._by_hash(q, bytes.fromhex(text.removeprefix("0x")))
        if not text:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "search for a hash, a height or an address")
        addr = address_arg(text)
        validator = q.validator(addr)
        found = query_pb2.AddressSummary(
            address=to_checksum(addr),
            bech32=to_bech32(addr),
            nonce=q.nonce(addr),
            okt_balance=str(q.balance(addr, OKT_DENOM)),
            validator=validator is not None and not validator.destroyed,
        )
        return query_pb2.SearchResponse(address=found, height=q.height)

    def _by_hash(self, q: StateQuery, digest: bytes) -> query_pb2.SearchResponse:
        height = q.height_of(digest)
        block = None if height is None else q.block(height)
        if block is not None:
            return query_pb2.SearchResponse(block=_summary(block), height=q.height)
        stored = q.tx(digest)
        if stored is not None:
            return query_pb2.SearchResponse(tx=tx_info(stored), height=q.height)
        raise RequestError(
            grpc.StatusCode.NOT_FOUND,
            f"no block or tx with hash {digest.hex()} (this node keeps heights from {q.earliest_height})",
        )

    @guarded
    def NetworkStats(
        self, request: query_pb2.NetworkStatsRequest, context: grpc.ServicerContext
    ) -> query_pb2.NetworkStatsResponse:
        q = self.query(request.height)
        height = q.height
        total = q.tx_total(height) or 0
        blocks = window_txs = window_ns = 0
        last = q.block(height)
        start = self._window_start(q, height - min(request.blocks or DEFAULT_WINDOW, MAX_WINDOW))
        if last is not None and start is not None and start[0] < height:
            first, first_block, before = start
            blocks, window_txs = height - first, total - before
            window_ns = last.header.time_ns - first_block.header.time_ns
        milli_tps = _ratio(window_txs, window_ns, 10**12)
        supply, bonded = q.supply(OKT_DENOM), q.bonded()
        return query_pb2.NetworkStatsResponse(
            height=height,
            total_txs=total,
            window_blocks=blocks,
            window_txs=window_txs,
            window_ns=window_ns,
            tps=f"{milli_tps // 1000}.{milli_tps % 1000:03d}",
            average_block_time_ms=window_ns // blocks // 1_000_000 if blocks else 0,
            okt_supply=str(supply),
            bonded_okt=str(bonded),
            bonded_ratio=str(_ratio(bonded, supply, 10**18)),
        )

    def _window_start(self, q: StateQuery, wanted: int) -> tuple[int, Block, int] | None:
        """The window's first block with its running tx count: at ``wanted``, or the earliest kept block
        after it that has a count (the earliest kept height may have no block: the genesis state's, or a
        state snapshot's)."""
        start = max(wanted, q.earliest_height)
        for height in range(start, min(start + 1, q.height) + 1):
            block, total = q.block(height), q.tx_total(height)
            if block is not None and total is not None:
                return height, block, total
        return None
