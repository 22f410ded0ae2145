"""Reading committed blocks, commits, results and txs back (writes happen in ``Application.commit``)."""

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from okchain._pb.types.v1 import types_pb2
from okchain.state import schema
from okchain.state.store import KVReader
from okchain.types.block import Block, Commit, result_from_proto
from okchain.types.results import TxResult

_LAST = struct.Struct(">Q32s32s32sq")


@dataclass(frozen=True, slots=True)
class LastCommitted:
    """What the node needs to continue after a restart; stored under META_LAST with every block."""

    height: int
    app_hash: bytes
    block_hash: bytes
    results_hash: bytes
    time_ns: int

    def encode(self) -> bytes:
        return _LAST.pack(
            self.height,
            self.app_hash,
            self.block_hash or bytes(32),
            self.results_hash or bytes(32),
            self.time_ns,
        )

    @classmethod
    def decode(cls, raw: bytes) -> "LastCommitted":
        h, app_hash, block_hash, res_hash, t = _LAST.unpack(raw)
        return cls(
            h,
            app_hash,
            b"" if block_hash == bytes(32) else block_hash,
            b"" if res_hash == bytes(32) else res_hash,
            t,
        )


@dataclass(frozen=True, slots=True)
class StoredTx:
    raw: bytes
    height: int
    index: int
    result: TxResult
    time_ns: int


def last_committed(reader: KVReader) -> LastCommitted | None:
    raw = reader.get(schema.META_LAST)
    return None if raw is None else LastCommitted.decode(raw)


def block_at(reader: KVReader, height: int) -> Block | None:
    raw = reader.get(schema.block(height))
    return None if raw is None else Block.decode(raw)


def height_of_hash(reader: KVReader, block_hash: bytes) -> int | None:
    raw = reader.get(schema.block_hash(block_hash))
    return None if raw is None else schema.read_u64(raw)


def commit_at(reader: KVReader, height: int) -> Commit | None:
    raw = reader.get(schema.commit(height))
    if raw is None:
        return None
    p = types_pb2.Commit()
    p.ParseFromString(raw)
    return Commit.from_proto(p)


def results_at(reader: KVReader, height: int) -> types_pb2.BlockResults | None:
    raw = reader.get(schema.results(height))
    if raw is None:
        return None
    p = types_pb2.BlockResults()
    p.ParseFromString(raw)
    return p


def tx_by_hash(reader: KVReader, tx_hash: bytes) -> StoredTx | None:
    loc = reader.get(schema.tx_index(tx_hash))
    if loc is None:
        return None
    found = txs_at(reader, [schema.read_tx_location(loc)])
    return found[0] if found else None


def txs_at(reader: KVReader, positions: Iterable[tuple[int, int]]) -> list[StoredTx]:
    """The committed txs at ``(height, index)`` positions, in the order given, each block and its results
    read once; positions whose block is not stored (pruned) are left out."""
    blocks: dict[int, tuple[Block, types_pb2.BlockResults] | None] = {}
    found = []
    for height, index in positions:
        if height not in blocks:
            block, results = block_at(reader, height), results_at(reader, height)
            blocks[height] = None if block is None or results is None else (block, results)
        stored = blocks[height]
        if stored is None or index >= len(stored[0].txs):
            continue
        found.append(stored_tx(*stored, index))
    return found


def stored_tx(block: Block, results: types_pb2.BlockResults, index: int) -> StoredTx:
    """Tx ``index`` of a block read back, with its result."""
    result = result_from_proto(results.tx_results[index])
    return StoredTx(block.txs[index], block.header.height, index, result, block.header.time_ns)
