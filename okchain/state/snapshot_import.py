"""Snapshot import: verify what a manifest proves, then stream its chunks into an empty database.

Trust: the importer trusts a hash of block ``H + 1`` that the operator got from a source it trusts (or that
state sync verified with the light client), or else the genesis validator set, which must then still be the
set of ``H + 1``. The manifest carries the sets of ``H``, ``H + 1`` and ``H + 2``, each checked against the
header hashes that name it. Block ``H + 1`` counts as committed when validators of its set holding more than
2/3 of its power signed its commit; its header carries the app hash of ``H`` (Tendermint convention), the
hash of block ``H`` and the hash of ``H``'s results, and block ``H + 1``'s ``last_commit`` finalises ``H``.
What no header hash covers is checked on its own: both commits' signatures, block ``H``'s txs against its
txs hash, and the stored results bytes against the ones the node seals.

Streaming: each chunk is checked against its sha256 in the manifest and written as it arrives (state
entries, plus each key's leaf under ``IMPORT_LEAVES``, which LevelDB keeps in key-hash order), so memory
holds one chunk, never the state. ``finish`` builds the tree from those leaves in one ordered pass,
compares the root with the trusted app hash and only then writes the records that make the state usable.
Until then ``META_IMPORTING`` marks the database, which the node refuses to start on; a failed or
abandoned import wipes it (``abort``).
"""

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import DecodeError

from okchain._pb.consensus.v1 import consensus_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.crypto.ed25519 import validator_address
from okchain.state import schema
from okchain.state.blockstore import LastCommitted
from okchain.state.merkle import SparseMerkleTree
from okchain.state.snapshot import Manifest, Progress, SnapshotError, decode_entries
from okchain.state.store import KVStore
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

_WRITE_BATCH = 20_000  # records per LevelDB batch while importing (each batch is copied once more)


class ChunkError(SnapshotError):
    """A chunk that is not the one the manifest names: its sender served bad data."""


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
    digest, powers = decode_set(m.previous_set, m.height - 1)
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
        decode_set(raw, m.height + i) for i, raw in enumerate(m.validator_sets)
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


def decode_set(raw: bytes, height: int) -> tuple[bytes, tuple[tuple[bytes, int], ...]]:
    """A stored validator set's header hash and (public key, power) pairs."""
    try:
        p = consensus_pb2.ValidatorSet.FromString(raw)
    except (DecodeError, ValueError) as exc:
        raise SnapshotError(f"validator set of height {height} does not decode: {exc}") from exc
    digest = validators_hash((v.address, v.pub_key, v.power) for v in p.validators)
    return digest, tuple((v.pub_key, v.power) for v in p.validators)


@dataclass(frozen=True, slots=True)
class ProvenManifest:
    """A manifest whose blocks, commits, sets and results check out against the trust root; its chunks and
    app hash are still to be proved by the rebuilt root."""

    manifest: Manifest
    block: Block
    last_commit: Commit  # of block H, carried by block H + 1
    results_hash: bytes  # of block H, committed by the header of H + 1


def check_manifest(
    m: Manifest,
    *,
    chain_id: str,
    validators: Sequence[WeightedValidator],
    trusted_hash: bytes | None = None,
) -> ProvenManifest:
    """Check everything the manifest says except its chunks (see the module docstring for the trust rule);
    raise ``SnapshotError`` naming the first thing that does not add up."""
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
    for chunk in m.chunks:
        if Path(chunk.file).name != chunk.file:
            raise SnapshotError(f"chunk name {chunk.file!r} is not a plain file name")
    return ProvenManifest(m, block, last_commit, header.last_results_hash)


class SnapshotImporter:
    """Streams the chunks of a proven manifest into the empty ``db``: ``add`` each chunk in order, then
    ``finish`` (or ``abort``, which wipes the database so a retry starts clean)."""

    def __init__(self, db: KVStore, proven: ProvenManifest, genesis_marker: bytes) -> None:
        for _ in db.iterate(b""):
            raise SnapshotError("the database is not empty; import needs a home with no data yet")
        self._db = db
        self._proven = proven
        self._marker = genesis_marker
        self._next = 0  # index of the chunk expected next
        self._last_key = b""
        self._keys = 0
        db.write({schema.META_IMPORTING: b"1"})

    @property
    def manifest(self) -> Manifest:
        return self._proven.manifest

    def unfinished(self) -> bool:
        """Whether the database is still marked as mid-import (neither finished nor aborted)."""
        return self._db.get(schema.META_IMPORTING) is not None

    @property
    def done(self) -> bool:
        return self._next == len(self._proven.manifest.chunks)

    def check_hash(self, index: int, data: bytes) -> None:
        """``ChunkError`` unless ``data`` is chunk ``index`` of the manifest (its sha256): what tells a bad
        sender from a bad manifest, cheap enough to run on each chunk as it arrives, in any order."""
        chunks = self._proven.manifest.chunks
        if not 0 <= index < len(chunks):
            raise ChunkError(f"chunk {index} is not in a snapshot of {len(chunks)} chunks")
        if hashlib.sha256(data).hexdigest() != chunks[index].sha256:
            raise ChunkError(
                f"chunk {index} ({chunks[index].file}) does not match its sha256 in the manifest"
            )

    def check(self, index: int, data: bytes) -> list[tuple[bytes, bytes]]:
        """The entries of chunk ``index`` if ``data`` is that chunk; ``ChunkError`` otherwise. Pure."""
        self.check_hash(index, data)
        info = self._proven.manifest.chunks[index]
        try:
            entries = decode_entries(data, info.file)
        except SnapshotError as exc:
            raise ChunkError(str(exc)) from exc
        if len(entries) != info.keys:
            raise ChunkError(f"chunk {info.file} holds {len(entries)} entries; the manifest says {info.keys}")
        return entries

    def add(self, index: int, data: bytes) -> None:
        """Check chunk ``index`` (the next one) and write it. A chunk matching its manifest hash but out of
        key order means the manifest itself lies: ``SnapshotError``, not ``ChunkError``."""
        if index != self._next:
            raise SnapshotError(f"chunk {index} given while chunk {self._next} is due")
        entries = self.check(index, data)
        writes: dict[bytes, bytes | None] = {}
        previous = self._last_key
        for key, value in entries:
            if not key.startswith(schema.STATE) or key <= previous:
                raise SnapshotError("snapshot state keys are not distinct, ascending state keys")
            previous = key
            writes[key] = value
            kh = hashlib.sha256(key).digest()
            writes[schema.IMPORT_LEAVES + kh] = hashlib.sha256(value).digest()
            if len(writes) >= _WRITE_BATCH:  # small batches: memory holds the chunk, not copies of it
                self._db.write(writes, sync=False)
                writes.clear()
        self._db.write(writes, sync=False)
        self._last_key = previous
        self._keys += len(entries)
        self._next += 1

    def finish(self, progress: Progress | None = None) -> LastCommitted:
        """Build the tree, check its root against the trusted app hash and make the state usable."""
        proven, m, db = self._proven, self._proven.manifest, self._db
        if not self.done:
            raise SnapshotError(f"chunk {self._next} of {len(m.chunks)} has not been added")
        if self._keys != m.keys:
            self.abort()
            raise SnapshotError(f"chunks hold {self._keys} entries; the manifest says {m.keys}")
        tree = SparseMerkleTree(db, schema.MERKLE, cache_size=0)
        pending: dict[bytes, bytes | None] = {}
        built = 0

        def put(key: bytes, node: bytes) -> None:
            nonlocal built
            pending[key] = node
            if len(pending) >= _WRITE_BATCH:
                db.write(pending, sync=False)
                built += len(pending)
                pending.clear()
                if progress is not None:
                    progress("tree", built, 2 * self._keys)  # a tree of n leaves has about 2n nodes

        root = tree.build_streamed(self._leaves(), put)
        db.write(pending, sync=False)
        if root != m.app_hash:
            self.abort()
            raise SnapshotError(
                f"rebuilt state root {root.hex()} differs from app hash {m.app_hash.hex()} "
                f"committed in the header of height {m.height + 1}"
            )
        self._delete(schema.IMPORT_LEAVES)
        block = proven.block
        last = LastCommitted(m.height, root, block.hash, proven.results_hash, block.header.time_ns)
        final: dict[bytes, bytes | None] = {
            schema.block(m.height): block.encode(),
            schema.block_hash(block.hash): schema.u64(m.height),
            schema.commit(m.height): proven.last_commit.encode(),
            schema.results(m.height): m.results,
            schema.META_GENESIS: self._marker,
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

    def abort(self) -> None:
        """Wipe everything written so far (the marker last): the database is empty again."""
        self._delete(b"", keep=schema.META_IMPORTING)
        self._db.write({schema.META_IMPORTING: None})

    def _leaves(self) -> Iterator[bytes]:
        at = len(schema.IMPORT_LEAVES)
        for key, value_hash in self._db.iterate(schema.IMPORT_LEAVES):
            yield b"\x00" + key[at:] + value_hash

    def _delete(self, prefix: bytes, keep: bytes | None = None) -> None:
        _delete_all(self._db, prefix, keep)


def _delete_all(db: KVStore, prefix: bytes, keep: bytes | None = None) -> None:
    """Delete every key under ``prefix`` but ``keep``, in batches, with one pass of one iterator (which
    reads a fixed view: the deletions behind it do not disturb it)."""
    batch: dict[bytes, bytes | None] = {}
    for key, _ in db.iterate(prefix):
        if key != keep:
            batch[key] = None
            if len(batch) >= _WRITE_BATCH:
                db.write(batch, sync=False)
                batch.clear()
    db.write(batch, sync=False)


def wipe_interrupted(db: KVStore) -> bool:
    """Empty a database an import left unfinished (crash, or a stopped node); whether there was one."""
    if db.get(schema.META_IMPORTING) is None:
        return False
    _delete_all(db, b"", keep=schema.META_IMPORTING)
    db.write({schema.META_IMPORTING: None})
    return True


def import_snapshot(
    db: KVStore,
    directory: Path,
    *,
    chain_id: str,
    validators: Sequence[WeightedValidator],
    genesis_marker: bytes,
    trusted_hash: bytes | None = None,
    progress: Progress | None = None,
) -> LastCommitted:
    """Verify the snapshot in ``directory`` and write it into the empty ``db``; return the new tip.

    Trust starts from ``trusted_hash``, the hash of block ``H + 1`` taken from a source the operator trusts,
    or else from the genesis ``validators``, which must then still be the set of ``H + 1``."""
    for _ in db.iterate(b""):
        raise SnapshotError("the database is not empty; import needs a home with no data yet")
    m = Manifest.read(directory)
    proven = check_manifest(m, chain_id=chain_id, validators=validators, trusted_hash=trusted_hash)
    importer = SnapshotImporter(db, proven, genesis_marker)
    try:
        for index, chunk in enumerate(m.chunks):
            path = directory / chunk.file
            try:
                data = path.read_bytes()
            except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
                raise SnapshotError(f"cannot read chunk {path}: {exc}") from exc
            importer.add(index, data)
            if progress is not None:
                progress("chunks", index + 1, len(m.chunks))
        return importer.finish(progress)
    except BaseException:
        if db.get(schema.META_IMPORTING) is not None:
            importer.abort()
        raise
