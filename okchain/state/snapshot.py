"""State snapshots: the state after a height in hashed chunks, with what proves it, so a new node starts
there instead of replaying every block from genesis.

Format (a directory):
  * ``chunk-NNNNNN.bin``: state entries in ascending key order, each ``u32 key length, key, u32 value
    length, value`` (big-endian); a chunk ends after ``chunk_keys`` entries or once it holds
    ``chunk_bytes``, so an export is the same on every node that uses the same limits;
  * ``manifest.json``: format, chain id, height ``H``, app hash, key count, each chunk's file name, sha256
    and entry count, and hex protobufs of block ``H``, its results, block ``H + 1`` with the commit that
    finalised it, the validator sets of ``H`` to ``H + 2`` and the header and set of ``H - 1``.

The manifest is written last, so a directory without one is not a snapshot. ``chunks_hash`` (sha256 over
the chunks' sha256 digests) names the content: peers serving the same state at the same height with the
same limits offer the same one, whatever commit signatures each happens to hold. Nothing here is trusted on
its own; ``okchain.state.snapshot_import`` verifies the proofs and rebuilds the root before it marks the
state usable.
"""

import hashlib
import json
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from okchain.errors import OKChainError
from okchain.state import blockstore, schema, versions
from okchain.state.store import KVReader
from okchain.types.block import (
    Block,
)

FORMAT = "okchain-state-snapshot/1"
MANIFEST = "manifest.json"
_LEN = struct.Struct(">I")
CHUNK_KEYS = 100_000  # default entries per chunk
CHUNK_BYTES = 4 << 20  # default bytes a chunk reaches before it ends (it may pass it by one entry)


Progress = Callable[[str, int, int], None]  # (phase, done, total), e.g. a terminal bar


class SnapshotError(OKChainError):
    """A snapshot that cannot be exported, read, or trusted."""


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    file: str
    sha256: str
    keys: int


@dataclass(frozen=True, slots=True)
class Manifest:
    chain_id: str
    height: int
    app_hash: bytes
    keys: int
    chunks: tuple[ChunkInfo, ...]
    block: bytes  # block H
    results: bytes  # BlockResults of H
    next_block: bytes  # block H + 1, whose header carries the app hash of H
    next_commit: bytes  # the commit that finalised H + 1
    validator_sets: tuple[bytes, ...] = ()  # encoded sets of H, H + 1 and H + 2 (priorities included)
    previous_header: bytes = b""  # header of H - 1 and the set that signed it: they prove block H's own
    previous_set: bytes = b""  # last commit, which the node stores and serves (empty at the initial height)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "chain_id": self.chain_id,
            "height": self.height,
            "app_hash": self.app_hash.hex(),
            "keys": self.keys,
            "chunks": [{"file": c.file, "sha256": c.sha256, "keys": c.keys} for c in self.chunks],
            "block": self.block.hex(),
            "results": self.results.hex(),
            "next_block": self.next_block.hex(),
            "next_commit": self.next_commit.hex(),
            "validator_sets": [v.hex() for v in self.validator_sets],
            "previous_header": self.previous_header.hex(),
            "previous_set": self.previous_set.hex(),
        }

    @property
    def chunks_hash(self) -> bytes:
        return chunks_hash(self.chunks)

    def encode(self) -> bytes:
        return (json.dumps(self.to_json(), indent=1) + "\n").encode()

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        path = directory / MANIFEST
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SnapshotError(f"cannot read snapshot manifest {path}: {exc}") from exc
        return cls.decode(raw, str(path))

    @classmethod
    def decode(cls, raw: bytes, what: str = "snapshot manifest") -> "Manifest":
        try:
            data = json.loads(raw)
            if data["format"] != FORMAT:
                raise SnapshotError(f"{what}: format {data['format']!r} is not {FORMAT!r}")
            return cls(
                str(data["chain_id"]),
                int(data["height"]),
                bytes.fromhex(data["app_hash"]),
                int(data["keys"]),
                tuple(ChunkInfo(str(c["file"]), str(c["sha256"]), int(c["keys"])) for c in data["chunks"]),
                bytes.fromhex(data["block"]),
                bytes.fromhex(data["results"]),
                bytes.fromhex(data["next_block"]),
                bytes.fromhex(data["next_commit"]),
                tuple(bytes.fromhex(v) for v in data["validator_sets"]),
                bytes.fromhex(data["previous_header"]),
                bytes.fromhex(data["previous_set"]),
            )
        except (ValueError, KeyError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
            raise SnapshotError(f"cannot read {what}: {exc}") from exc


def chunks_hash(chunks: Sequence[ChunkInfo]) -> bytes:
    """What names a snapshot's content: sha256 over its chunks' sha256 digests, in order."""
    return hashlib.sha256(b"".join(bytes.fromhex(c.sha256) for c in chunks)).digest()


def _encode_entries(entries: Sequence[tuple[bytes, bytes]]) -> bytes:
    return b"".join(_LEN.pack(len(k)) + k + _LEN.pack(len(v)) + v for k, v in entries)


def decode_entries(data: bytes, what: str) -> list[tuple[bytes, bytes]]:
    entries = []
    at = 0
    try:
        while at < len(data):
            (n,) = _LEN.unpack_from(data, at)
            key = data[at + 4 : at + 4 + n]
            at += 4 + n
            (m,) = _LEN.unpack_from(data, at)
            value = data[at + 4 : at + 4 + m]
            at += 4 + m
            if len(key) != n or len(value) != m:
                raise SnapshotError(f"{what}: entry runs past the end of the chunk")
            entries.append((key, value))
    except struct.error as exc:
        raise SnapshotError(f"{what}: truncated entry") from exc
    return entries


def export_snapshot(
    reader: KVReader,
    height: int,
    out: Path,
    *,
    chunk_keys: int = CHUNK_KEYS,
    chunk_bytes: int = CHUNK_BYTES,
    progress: Progress | None = None,
) -> Manifest:
    """Write the state after block ``height`` (retained, and ``height + 1`` committed) from one consistent
    ``reader`` (a LevelDB snapshot, so the node may keep committing) into the directory ``out``.
    ``progress("export", entries, total)`` is told of each chunk written (total: the latest state's
    entry count, read once)."""
    latest = versions.check_height(reader, height)
    if height >= latest:
        raise SnapshotError(
            f"height {height} has no committed successor yet (latest is {latest}); the header of "
            f"{height + 1} carries its app hash, so export at most {latest - 1}"
        )
    block = blockstore.block_at(reader, height)
    next_block = reader.get(schema.block(height + 1))
    next_commit = reader.get(schema.commit(height + 1))
    results = reader.get(schema.results(height))
    sets = tuple(reader.get(schema.validator_set(h)) for h in range(height, height + 3))
    if any(v is None for v in sets):
        raise SnapshotError(f"block store lacks the validator sets of heights {height} to {height + 2}")
    if block is None or next_block is None or next_commit is None or results is None:
        raise SnapshotError(f"block store lacks block {height} or {height + 1}, a commit or results")
    app_hash = Block.decode(next_block).header.app_hash
    state = versions.StateAt(reader, height)
    out.mkdir(parents=True, exist_ok=True)
    chunks: list[ChunkInfo] = []
    total = 0
    expected = _count(reader, schema.STATE) if progress is not None else 0
    for entries in _chunked(state.scan(schema.STATE), chunk_keys, chunk_bytes):
        data = _encode_entries(entries)
        name = f"chunk-{len(chunks):06d}.bin"
        (out / name).write_bytes(data)
        chunks.append(ChunkInfo(name, hashlib.sha256(data).hexdigest(), len(entries)))
        total += len(entries)
        if progress is not None:
            progress("export", total, max(total, expected))
    manifest = Manifest(
        block.header.chain_id,
        height,
        app_hash,
        total,
        tuple(chunks),
        block.encode(),
        results,
        next_block,
        next_commit,
        tuple(v for v in sets if v is not None),
        *_previous(reader, block),
    )
    (out / MANIFEST).write_bytes(manifest.encode())
    return manifest


def _count(reader: KVReader, prefix: bytes) -> int:
    return sum(1 for _ in reader.iterate(prefix))


def _chunked(
    items: Iterable[tuple[bytes, bytes]], keys: int, size: int
) -> Iterator[list[tuple[bytes, bytes]]]:
    """Entries cut into chunks of at most ``keys`` entries, each ending once it holds ``size`` bytes."""
    batch: list[tuple[bytes, bytes]] = []
    held = 0
    for key, value in items:
        batch.append((key, value))
        held += 8 + len(key) + len(value)
        if len(batch) == keys or held >= size:
            yield batch
            batch = []
            held = 0
    if batch:
        yield batch


def _previous(reader: KVReader, block: Block) -> tuple[bytes, bytes]:
    """Header and set of the height before ``block`` (none before the initial height)."""
    if block.last_commit is None:
        return b"", b""
    height = block.header.height - 1
    previous = blockstore.block_at(reader, height)
    validators = reader.get(schema.validator_set(height))
    if previous is None or validators is None:
        raise SnapshotError(f"block {height} is no longer kept: export at a height above the earliest kept")
    return previous.header.encode(), validators
