"""Reading committed blocks, commits, results and txs back (writes happen in ``Application.commit``)."""

import struct
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
    height, index = schema.read_tx_location(loc)
    block = block_at(reader, height)
    results = results_at(reader, height)
    if block is None or results is None:
        return None
    return StoredTx(
        block.txs[index], height, index, result_from_proto(results.tx_results[index]), block.header.time_ns
    )
