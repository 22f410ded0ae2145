"""State snapshots: export the state after a height in hashed chunks; import it into an empty database,
verified against the app hash of a committed header, so a new node starts there instead of at genesis.

Format (a directory):
  * ``chunk-NNNNNN.bin``: state entries in ascending key order, each ``u32 key length, key, u32 value
    length, value`` (big-endian); at most ``chunk_keys`` entries per chunk;
  * ``manifest.json``: format, chain id, height ``H``, app hash, key count, each chunk's file name, sha256
    and entry count, and hex protobufs of block ``H``, its results, and block ``H + 1`` with the commit that
    finalised it.

Trust: the importer trusts a hash of block ``H + 1`` that the operator got from a source it trusts, or else
the genesis validator set, which must then still be the set of ``H + 1``. The manifest carries the sets of
``H``, ``H + 1`` and ``H + 2``, each checked against the header hashes that name it. Block ``H + 1``
counts as committed when validators of its set holding more than 2/3 of its power signed its commit; its
header carries the app hash of ``H`` (Tendermint convention), the hash of block ``H`` and the hash of
``H``'s results, and block ``H + 1``'s ``last_commit`` finalises ``H``. What no header hash covers is checked
on its own: both commits' signatures, block ``H``'s txs against its txs hash, and the stored results bytes
against the ones the node seals. Import checks each chunk's hash as it
reads it (to fail early), then rebuilds the tree from all entries and compares the root with that app hash
before writing anything: nothing in the manifest is trusted on its own. The imported node starts at
``H`` (its earliest kept height) and produces or accepts ``H + 1`` on top.
"""

import hashlib
import itertools
import json
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from okchain._pb.consensus.v1 import consensus_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.crypto.ed25519 import validator_address
from okchain.errors import OKChainError
from okchain.state import blockstore, schema, versions
from okchain.state.blockstore import LastCommitted
from okchain.state.merkle import SparseMerkleTree
from okchain.state.store import KVReader, KVStore
from okchain.types.block import (
    Block,
    BlockDecodeError,
    Commit,
    Header,
    result_from_proto,
    seal_results,
    txs_hash,
)
from okchain.types.commit_check import Powers, commit_problem
from okchain.types.validator import WeightedValidator, validators_hash

FORMAT = "okchain-state-snapshot/1"
MANIFEST = "manifest.json"
_LEN = struct.Struct(">I")
_WRITE_BATCH = 100_000  # entries per LevelDB batch while importing


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

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text())
            if data["format"] != FORMAT:
                raise SnapshotError(f"{path}: format {data['format']!r} is not {FORMAT!r}")
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
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SnapshotError(f"cannot read snapshot manifest {path}: {exc}") from exc


def _encode_entries(entries: Sequence[tuple[bytes, bytes]]) -> bytes:
    return b"".join(_LEN.pack(len(k)) + k + _LEN.pack(len(v)) + v for k, v in entries)


def _decode_entries(data: bytes, what: str) -> list[tuple[bytes, bytes]]:
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


def export_snapshot(reader: KVReader, height: int, out: Path, *, chunk_keys: int = 100_000) -> Manifest:
    """Write the state after block ``height`` (retained, and ``height + 1`` committed) from one consistent
    ``reader`` (a LevelDB snapshot) into the directory ``out``."""
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
    for entries in _batched(state.scan(schema.STATE), chunk_keys):
        data = _encode_entries(entries)
        name = f"chunk-{len(chunks):06d}.bin"
        (out / name).write_bytes(data)
        chunks.append(ChunkInfo(name, hashlib.sha256(data).hexdigest(), len(entries)))
        total += len(entries)
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
    (out / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1) + "\n")
    return manifest


def _batched(items: Iterable[tuple[bytes, bytes]], size: int) -> Iterator[list[tuple[bytes, bytes]]]:
    batch: list[tuple[bytes, bytes]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def verify_commit(
    chain_id: str, header: Header, commit: Commit, validators: Sequence[WeightedValidator]
) -> None:
    """Raise unless ``commit`` finalises the block of ``header``: precommit signatures of distinct
    validators of the set holding more than 2/3 of its power. What a light client checks before it trusts
    the header's app hash (a snapshot import, or ``okchaind query proof``)."""
    powers = [(v.pub_key, v.power) for v in validators]
    verify_commit_by(chain_id, header.height, header.hash, commit, powers)


def verify_commit_by(
    chain_id: str, height: int, block_hash: bytes, commit: Commit, powers: Sequence[tuple[bytes, int]]
) -> None:
    """``verify_commit`` for the block ``block_hash`` at ``height``, known by its hash alone."""
    problem = commit_problem(chain_id, height, block_hash, commit, powers)
    if problem:
        raise SnapshotError(problem)


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


def _previous_set(m: Manifest, header: Header) -> Powers:
    """The set that signed ``H - 1``, proved by that header, which block ``H`` names by its hash."""
    try:
        previous = Header.from_proto(types_pb2.Header.FromString(m.previous_header))
    except (DecodeError, ValueError) as exc:
        raise SnapshotError(f"header of block {m.height - 1} does not decode: {exc}") from exc
    if previous.hash != header.last_block_hash:
        raise SnapshotError(
            f"the manifest's header of {m.height - 1} is not the one block {m.height} builds on"
        )
    digest, powers = _decode_set(m.previous_set, m.height - 1)
    if digest != previous.validators_hash:
        raise SnapshotError(
            f"the manifest's validator set of height {m.height - 1} is not the one its header names"
        )
    return powers


def _trusted_sets(
    m: Manifest,
    header: Header,
    next_header: Header,
    genesis: Sequence[WeightedValidator],
    trusted_hash: bytes | None,
) -> tuple[Powers, Powers]:
    """The sets that signed ``H`` and ``H + 1``, each proved by the header hashes that name it."""
    if len(m.validator_sets) != 3:
        raise SnapshotError("the manifest must carry the validator sets of H, H + 1 and H + 2")
    (own_hash, own), (signing_hash, signing), (after_hash, _) = (
        _decode_set(raw, m.height + i) for i, raw in enumerate(m.validator_sets)
    )
    named = (
        (own_hash, header.validators_hash, m.height),
        (signing_hash, next_header.validators_hash, m.height + 1),
        (signing_hash, header.next_validators_hash, m.height + 1),
        (after_hash, next_header.next_validators_hash, m.height + 2),
    )
    for got, want, height in named:
        if got != want:
            raise SnapshotError(
                f"the manifest's validator set of height {height} is not the one its headers name"
            )
    if trusted_hash is not None:
        if next_header.hash != trusted_hash:
            raise SnapshotError(
                f"block {m.height + 1} has hash {next_header.hash.hex()}, "
                f"not the trusted {trusted_hash.hex()}"
            )
    elif next_header.validators_hash != validators_hash(
        sorted((validator_address(v.pub_key), v.pub_key, v.power) for v in genesis)
    ):
        raise SnapshotError(
            f"the validator set changed between genesis and height {m.height + 1}: give the hash of block "
            f"{m.height + 1} from a source you trust (--trust-hash)"
        )
    return own, signing


def _decode_set(raw: bytes, height: int) -> tuple[bytes, tuple[tuple[bytes, int], ...]]:
    """A stored validator set's header hash and (public key, power) pairs."""
    try:
        p = consensus_pb2.ValidatorSet.FromString(raw)
    except (DecodeError, ValueError) as exc:
        raise SnapshotError(f"validator set of height {height} does not decode: {exc}") from exc
    digest = validators_hash((v.address, v.pub_key, v.power) for v in p.validators)
    return digest, tuple((v.pub_key, v.power) for v in p.validators)


def import_snapshot(
    db: KVStore,
    directory: Path,
    *,
    chain_id: str,
    validators: Sequence[WeightedValidator],
    genesis_marker: bytes,
    trusted_hash: bytes | None = None,
) -> LastCommitted:
    """Verify the snapshot in ``directory`` and write it into the empty ``db``; return the new tip.

    Trust starts from ``trusted_hash``, the hash of block ``H + 1`` taken from a source the operator trusts,
    or else from the genesis ``validators``, which must then still be the set of ``H + 1``."""
    for _ in db.iterate(b""):
        raise SnapshotError("the database is not empty; import needs a home with no data yet")
    m = Manifest.read(directory)
    if m.chain_id != chain_id:
        raise SnapshotError(f"snapshot is of chain {m.chain_id!r}, this home's genesis is {chain_id!r}")
    try:
        block = Block.decode(m.block)
        next_block = Block.decode(m.next_block)
        next_commit = Commit.from_proto(types_pb2.Commit.FromString(m.next_commit))
        tx_results = [result_from_proto(r) for r in types_pb2.BlockResults.FromString(m.results).tx_results]
    except (BlockDecodeError, DecodeError, ValueError) as exc:  # ValueError: an unknown result code, say
        raise SnapshotError(f"snapshot blocks do not decode: {exc}") from exc
    header = next_block.header
    if header.chain_id != chain_id or header.height != m.height + 1 or block.header.height != m.height:
        raise SnapshotError(f"snapshot blocks are not heights {m.height} and {m.height + 1} of {chain_id}")
    own, signing = _trusted_sets(m, block.header, header, validators, trusted_hash)
    verify_commit_by(chain_id, header.height, header.hash, next_commit, signing)
    if block.hash != header.last_block_hash:
        raise SnapshotError(f"block {m.height} is not the one block {m.height + 1} builds on")
    # Header hashes cover neither a block's txs nor its last commit: check those against what does.
    last_commit = next_block.last_commit
    if last_commit is None:
        raise SnapshotError(f"block {m.height + 1} carries no commit of block {m.height}")
    verify_commit_by(chain_id, m.height, block.hash, last_commit, own)  # stored; the node builds H + 1 on it
    if block.last_commit is not None:
        previous = _previous_set(m, block.header)
        verify_commit_by(chain_id, m.height - 1, block.header.last_block_hash, block.last_commit, previous)
    if txs_hash(block.txs) != block.header.txs_hash:
        raise SnapshotError(f"transactions of block {m.height} do not match the txs hash of its header")
    # Stored and served as they are: their bytes must be exactly what the node sealed, not just hash alike.
    if seal_results(m.height, tx_results, header.app_hash) != (m.results, header.last_results_hash):
        raise SnapshotError(f"results of block {m.height} are not the ones block {m.height + 1} commits to")
    if m.app_hash != header.app_hash:
        raise SnapshotError(f"manifest app hash differs from the app hash in the header of {m.height + 1}")

    items: list[tuple[bytes, bytes]] = []
    for chunk in m.chunks:
        path = directory / chunk.file
        if Path(chunk.file).name != chunk.file:
            raise SnapshotError(f"chunk name {chunk.file!r} is not a plain file name")
        try:
            data = path.read_bytes()
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            raise SnapshotError(f"cannot read chunk {path}: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != chunk.sha256:
            raise SnapshotError(f"chunk {chunk.file} does not match its sha256 in the manifest")
        entries = _decode_entries(data, chunk.file)
        if len(entries) != chunk.keys:
            raise SnapshotError(
                f"chunk {chunk.file} holds {len(entries)} entries; the manifest says {chunk.keys}"
            )
        items.extend(entries)
    for i, (key, _) in enumerate(items):
        if not key.startswith(schema.STATE) or (i and items[i - 1][0] >= key):
            raise SnapshotError("snapshot state keys are not distinct, ascending state keys")
    tree = SparseMerkleTree(db, schema.MERKLE, cache_size=0)
    root, node_writes = tree.build(items)
    if root != header.app_hash:
        raise SnapshotError(
            f"rebuilt state root {root.hex()} differs from app hash {header.app_hash.hex()} "
            f"committed in the header of height {m.height + 1}"
        )

    # Verified: write it. A crash part-way leaves the importing marker, which the node refuses to start on.
    db.write({schema.META_IMPORTING: b"1"})
    for source in (iter(items), iter(node_writes.items())):
        while batch := dict(itertools.islice(source, _WRITE_BATCH)):
            db.write(batch, sync=False)
    last = LastCommitted(m.height, root, block.hash, header.last_results_hash, block.header.time_ns)
    final: dict[bytes, bytes | None] = {
        schema.block(m.height): block.encode(),
        schema.block_hash(block.hash): schema.u64(m.height),
        schema.commit(m.height): last_commit.encode(),
        schema.results(m.height): m.results,
        schema.META_GENESIS: genesis_marker,
        schema.META_EARLIEST: schema.u64(m.height),
        schema.META_LAST: last.encode(),
        schema.META_IMPORTING: None,
    }
    for offset, raw in enumerate(m.validator_sets):
        final[schema.validator_set(m.height + offset)] = raw
    for index, raw in enumerate(block.txs):
        final[schema.tx_index(hashlib.sha256(raw).digest())] = schema.tx_location(m.height, index)
    db.write(final)  # synced, and it syncs the unsynced batches before it
    return last
