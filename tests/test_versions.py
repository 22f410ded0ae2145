"""Version history: every retained height reads back exactly the state and tree it had (values, iteration,
root, proofs), pruning keeps exactly the retention window, and pruned heights are refused precisely."""

from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain.app import Application
from okchain.crypto.ed25519 import ValidatorKey
from okchain.query import StateQuery
from okchain.state import blockstore, schema, versions
from okchain.state.leveldb import LevelDB
from okchain.state.merkle import SparseMerkleTree
from okchain.state.merkle_proof import MalformedProofError, Proof, reference_root, verify_proof
from okchain.state.pruning import Pruner
from okchain.state.store import KVReader, KVStore, MemoryKV
from tests.helpers.chain import funded_keys, make_genesis

# Keys of varied length, some extending others, so value-history records of longer keys sort among a
# shorter key's records.
POOL = [b"Sa", b"Sa\x00", b"Sa\x00\x01", b"Sab", b"Sb", b"Sbank/x", b"Sbank/y", b"Sc"] + [
    b"Sk%d" % i for i in range(8)
]
keys = st.sampled_from(POOL)
batches = st.lists(
    st.dictionaries(keys, st.none() | st.binary(min_size=1, max_size=4), max_size=8), max_size=10
)


def commit_block(
    db: KVStore, tree: SparseMerkleTree, height: int, changes: Mapping[bytes, bytes | None]
) -> bytes:
    """What ``Application.finalize_block``/``commit`` write for state, tree and history."""
    root, node_writes = tree.update(changes)
    writes: dict[bytes, bytes | None] = dict(changes)
    writes.update(node_writes)
    writes.update(versions.history_writes(height, changes, db.get, tree.replaced(node_writes)))
    writes[schema.META_LAST] = blockstore.LastCommitted(height, root, b"", b"", height).encode()
    db.write(writes)
    tree.commit(node_writes)
    return root


def run_chain(
    batch_list: list[dict[bytes, bytes | None]], db: KVStore | None = None
) -> tuple[KVStore, list[dict[bytes, bytes]]]:
    db = db or MemoryKV()
    tree = SparseMerkleTree(db, schema.MERKLE, cache_size=3)
    db.write(
        {
            schema.META_EARLIEST: schema.u64(0),
            schema.META_LAST: blockstore.LastCommitted(0, bytes(32), b"", b"", 0).encode(),
        }
    )
    models: list[dict[bytes, bytes]] = [{}]
    for height, changes in enumerate(batch_list, start=1):
        model = dict(models[-1])
        for key, value in changes.items():
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        assert commit_block(db, tree, height, changes) == reference_root(model)
        models.append(model)
    return db, models


def check_height(db: KVReader, height: int, model: dict[bytes, bytes]) -> None:
    state = versions.StateAt(db, height)
    assert list(state.iterate(b"S")) == list(state.scan(b"S")) == sorted(model.items())
    assert list(state.iterate(b"Sa", b"Sa\x00")) == sorted(
        (k, v) for k, v in model.items() if k.startswith(b"Sa") and k >= b"Sa\x00"
    )
    root = reference_root(model)
    for key in POOL:
        assert state.get(key) == model.get(key)
        value, proof, proved_root = versions.prove_at(db, key, height)
        assert proved_root == root
        assert value == model.get(key)
        assert verify_proof(root, key, value, proof)
        assert not verify_proof(root, key, b"other" if value is None else None, proof)
    # Any one flipped bit of a historical proof is malformed or fails (one key per height keeps it quick).
    key = POOL[height % len(POOL)]
    value, proof, _ = versions.prove_at(db, key, height)
    data = proof.to_bytes()
    for bit in range(8 * len(data)):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        try:
            tampered = Proof.from_bytes(bytes(flipped))
        except MalformedProofError:
            continue
        assert not verify_proof(root, key, value, tampered)


@settings(max_examples=100, deadline=None)
@given(batches)
def test_every_height_reads_back_its_state_root_and_proofs(
    batch_list: list[dict[bytes, bytes | None]],
) -> None:
    db, models = run_chain(batch_list)
    for height, model in enumerate(models):
        check_height(db, height, model)


@settings(max_examples=60, deadline=None)
@given(batches, st.integers(min_value=1, max_value=4), st.integers(min_value=1, max_value=3))
def test_pruning_keeps_exactly_the_window(
    batch_list: list[dict[bytes, bytes | None]], retention: int, step: int
) -> None:
    db, models = run_chain(batch_list)
    latest = len(models) - 1
    pruner = Pruner(db, retention)
    while versions.earliest_height(db) < pruner.target():
        pruner.run(step)
    earliest = max(0, latest - retention + 1)
    assert versions.earliest_height(db) == earliest
    for height in range(earliest, latest + 1):
        check_height(db, height, models[height])
    for height in range(earliest):
        with pytest.raises(versions.HeightPrunedError, match=f"earliest available height is {earliest}"):
            versions.check_height(db, height)
    # Nothing of a pruned version is left behind: history holds only the window's versions.
    for prefix in (schema.VALUE_HISTORY, schema.NODE_HISTORY):
        for hkey, _ in db.iterate(prefix):
            body = hkey[:-2] if prefix == schema.VALUE_HISTORY else hkey
            assert schema.read_u64(body[-8:]) > earliest
    with pytest.raises(versions.HeightAheadError, match=f"above the latest committed height {latest}"):
        versions.check_height(db, latest + 1)


def test_archive_node_prunes_nothing() -> None:
    db, models = run_chain([{b"Sa": b"1"}, {b"Sa": None}, {b"Sb": b"2"}])
    assert Pruner(db, 0).run(100) == 0
    for height, model in enumerate(models):
        check_height(db, height, model)


def test_pruning_never_changes_an_open_snapshot(tmp_path: Path) -> None:
    """A query holds one LevelDB snapshot: pruning under it deletes nothing that query can see."""
    db, models = run_chain(
        [{b"Sa": b"1", b"Sb": b"2"}, {b"Sa": None, b"Sc": b"3"}, {b"Sb": b"4"}], LevelDB(tmp_path)
    )
    snapshot = db.snapshot()
    query = StateQuery(snapshot, 1)
    assert Pruner(db, 1).run(100) == 3
    with pytest.raises(versions.HeightPrunedError):
        StateQuery(db.snapshot(), 1)
    for height, model in enumerate(models):
        check_height(snapshot, height, model)
    assert query.prove(b"Sa")[0] == b"1"


def test_database_from_before_version_history_starts_its_history_at_its_tip(tmp_path: Path) -> None:
    """A home made before this version has no history: it serves heights from where it restarted."""
    doc = make_genesis(funded_keys(1), ValidatorKey(b"\x01" * 32))
    db = LevelDB(tmp_path)
    Application(db, doc)
    genesis_set = db.get(schema.validator_set(1))
    db.write(
        {
            **{schema.validator_set(h): genesis_set for h in (5, 6, 7)},
            schema.META_EARLIEST: None,
            schema.META_LAST: blockstore.LastCommitted(
                5, SparseMerkleTree(db, schema.MERKLE).root(), b"", b"", 0
            ).encode(),
        }
    )
    Application(db, doc)
    assert versions.earliest_height(db) == 5
