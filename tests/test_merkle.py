"""The state tree: roots match the reference definition, storage holds exactly the live nodes, proofs are
sound, and the crash-safety contract holds on a real LevelDB."""

import random
from collections.abc import Mapping
from hashlib import sha256
from pathlib import Path

import plyvel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain.state.merkle import SparseMerkleTree, StaleViewError, TreeUsageError
from okchain.state.merkle_nodes import EMPTY_HASH, CorruptTreeError
from okchain.state.merkle_proof import MalformedProofError, Proof, reference_root, verify_proof

PREFIX = b"M"
# Keys whose hashes share long prefixes, so trees get deep chains of one-child internal nodes:
# the first five share 24-26 bits, the last two share 44 bits.
CLUSTER = [b"c39610", b"c151208", b"c873505", b"c991792", b"c1799780"]
DEEP_PAIR = [b"c196781", b"c946713"]
POOL = [b"k%d" % i for i in range(12)] + CLUSTER + DEEP_PAIR

keys = st.sampled_from(POOL)
values = st.binary(max_size=6)
batches = st.lists(st.dictionaries(keys, st.none() | values, max_size=12), max_size=8)
cache_sizes = st.sampled_from([0, 1, 7, 1_000_000])

Store = dict[bytes, bytes]


def apply_to(model: dict[bytes, bytes], changes: dict[bytes, bytes | None]) -> None:
    """The plain-dict meaning of a batch of sets and deletes."""
    for key, value in changes.items():
        if value is None:
            model.pop(key, None)
        else:
            model[key] = value


def apply(store: Store, writes: Mapping[bytes, bytes | None]) -> None:
    for key, node in writes.items():
        if node is None:
            del store[key]  # a delete always names a node that exists
        else:
            store[key] = node


def built_store(items: Mapping[bytes, bytes]) -> tuple[bytes, Store]:
    store: Store = {}
    root, writes = SparseMerkleTree(store, PREFIX).build(items.items())
    apply(store, writes)
    return root, store


def committed(tree: SparseMerkleTree, store: Store, changes: Mapping[bytes, bytes | None]) -> bytes:
    root, writes = tree.update(changes)
    # What the version history records: the committed node at every position the update rewrites,
    # whichever cache level (or storage) it came from.
    assert list(tree.replaced(writes)) == [(pos, store.get(pos)) for pos in writes]
    apply(store, writes)
    tree.commit(writes)
    return root


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def test_empty_tree() -> None:
    tree = SparseMerkleTree({}, PREFIX)
    assert tree.root() == EMPTY_HASH == reference_root({})
    proof = tree.prove(b"anything")
    assert proof.to_bytes() == b"\x00\x00\x00"
    assert verify_proof(EMPTY_HASH, b"anything", None, proof)
    assert not verify_proof(EMPTY_HASH, b"anything", b"", proof)


def test_fixed_vectors() -> None:
    """Light clients implement the module docstring; these bytes pin the rules down."""
    key_hash = sha256(b"alice").digest()
    leaf = b"\x00" + key_hash + sha256(b"100").digest()
    assert reference_root({b"alice": b"100"}) == sha256(leaf).digest()

    items = {b"alice": b"100", b"bob": b"250", b"carol": b""}
    root, store = built_store(items)
    assert root.hex() == "e8a6c798217bafb584056bf02602126774bf64b7ea6234d226fc182ac6125412"
    assert root == reference_root(items)
    # Key hash bits: alice 00..., bob 1..., carol 01...: bob is a leaf at depth 1 on the right, alice and
    # carol are leaves at depth 2 under the left child.
    assert sorted(k.hex() for k in store) == ["4d0000", "4d000100", "4d000180", "4d000200", "4d000240"]
    assert store[b"M\x00\x00"] == b"\x01" + store_hash(store, b"M\x00\x01\x00") + store_hash(
        store, b"M\x00\x01\x80"
    )
    tree = SparseMerkleTree(store, PREFIX)
    proof = tree.prove(b"bob")
    assert (
        proof.to_bytes()
        == b"\x01\x00\x01\x80" + proof.siblings[0] + sha256(b"bob").digest() + sha256(b"250").digest()
    )
    assert verify_proof(root, b"bob", b"250", proof)
    assert tree.prove(b"carol").to_bytes()[:4] == b"\x01\x00\x02\xc0"
    assert verify_proof(root, b"carol", b"", tree.prove(b"carol"))


def store_hash(store: Store, key: bytes) -> bytes:
    return sha256(store[key]).digest()


@settings(max_examples=300, deadline=None)
@given(batches, cache_sizes)
def test_updates_match_reference_fresh_build_and_proofs(
    batch_list: list[dict[bytes, bytes | None]], cache_size: int
) -> None:
    store: Store = {}
    tree = SparseMerkleTree(store, PREFIX, cache_size=cache_size)
    model: dict[bytes, bytes] = {}
    for changes in batch_list:
        root = committed(tree, store, changes)
        apply_to(model, changes)
        assert root == tree.root() == reference_root(model)
        # No garbage: storage is exactly what a bulk build of the same state writes.
        assert built_store(model) == (root, store)
        assert SparseMerkleTree(store, PREFIX).root() == root
        for key in POOL:
            value = model.get(key)
            proof = tree.prove(key)
            assert verify_proof(root, key, value, proof)
            assert not verify_proof(root, key, None if value is not None else b"", proof)
            if value is not None:
                assert not verify_proof(root, key, value + b"!", proof)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, values, max_size=len(POOL)), keys)
def test_any_flipped_bit_breaks_a_proof(items: dict[bytes, bytes], key: bytes) -> None:
    root, store = built_store(items)
    value = items.get(key)
    proof = SparseMerkleTree(store, PREFIX).prove(key)
    data = proof.to_bytes()
    assert Proof.from_bytes(data) == Proof.from_bytes(bytearray(data)) == proof
    assert verify_proof(root, key, value, proof)
    for bit in range(8 * len(data)):
        try:
            tampered = Proof.from_bytes(flip(data, bit))
        except MalformedProofError:
            continue
        assert not verify_proof(root, key, value, tampered), bit
    for bit in range(256):
        assert not verify_proof(flip(root, bit), key, value, proof)
    if value:
        for bit in range(8 * len(value)):
            assert not verify_proof(root, key, flip(value, bit), proof)


def test_proofs_cover_every_terminal_kind() -> None:
    """Inclusion, absence at an empty slot, and absence shown by another leaf sharing the prefix."""
    items = {key: b"v" for key in POOL[:6]}
    root, store = built_store(items)
    tree = SparseMerkleTree(store, PREFIX)
    kinds = set()
    for i in range(200):
        key = POOL[i] if i < 6 else b"absent%d" % i
        proof = tree.prove(key)
        assert verify_proof(root, key, items.get(key), proof)
        if proof.leaf_key_hash is None:
            kinds.add("empty")
        else:
            kinds.add("member" if proof.leaf_key_hash == sha256(key).digest() else "other leaf")
    assert kinds == {"empty", "member", "other leaf"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "header alone"),
        (b"\x02\x00\x00", "kind byte"),
        (b"\x00\x01\x01" + bytes(33), "at most 256"),
        (b"\x00\x00\x01\x40" + b"\x11" * 32, "past the last sibling"),
        (b"\x00\x00\x01\x80" + b"\x11" * 31, "header says"),
        (b"\x00\x00\x01\x80" + b"\x11" * 33, "header says"),
        (b"\x00\x00\x01\x80" + bytes(32), "all zero"),
        (b"\x01\x00\x00" + bytes(63), "header says"),
    ],
)
def test_malformed_proof_bytes_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(MalformedProofError, match=reason):
        Proof.from_bytes(data)


def test_malformed_proof_fields_are_rejected() -> None:
    with pytest.raises(MalformedProofError, match="sibling 0"):
        Proof((b"short",))
    with pytest.raises(MalformedProofError, match="both"):
        Proof((), bytes(32), None)
    with pytest.raises(MalformedProofError, match="at most"):
        Proof((bytes(32),) * 257)


def test_absence_needs_a_canonical_last_sibling() -> None:
    """An empty slot or leaf whose last sibling is empty would have sat one level up: not a proof."""
    forged = Proof((EMPTY_HASH,))
    root = sha256(b"\x01" + EMPTY_HASH + EMPTY_HASH).digest()
    assert not verify_proof(root, b"k", None, forged)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, values, max_size=len(POOL)), st.randoms(use_true_random=False))
def test_build_equals_incremental_updates(items: dict[bytes, bytes], rng: random.Random) -> None:
    root, built = built_store(items)
    store: Store = {}
    tree = SparseMerkleTree(store, PREFIX)
    pending = list(items.items())
    rng.shuffle(pending)
    while pending:
        cut = rng.randint(1, len(pending))
        committed(tree, store, dict(pending[:cut]))
        pending = pending[cut:]
    assert (tree.root(), store) == (root, built)


def test_larger_random_trees_match_reference() -> None:
    rng = random.Random(1)
    items = {b"acct%d" % i: rng.randbytes(8) for i in range(3000)}
    root, store = built_store(items)
    assert root == reference_root(items)
    tree = SparseMerkleTree(store, PREFIX, cache_size=100)
    for _ in range(5):
        changes: dict[bytes, bytes | None] = {}
        for i in rng.sample(range(3500), 400):
            changes[b"acct%d" % i] = None if rng.random() < 0.3 else rng.randbytes(8)
        root = committed(tree, store, changes)
        apply_to(items, changes)
        assert root == reference_root(items)
    assert built_store(items) == (root, store)


def test_noop_changes_write_nothing() -> None:
    items = {key: b"v" for key in POOL}
    root, store = built_store(items)
    tree = SparseMerkleTree(store, PREFIX)
    same_root, writes = tree.update({**items, b"never-set": None})
    assert (same_root, writes) == (root, {})


def test_build_rejects_existing_tree_and_duplicate_keys() -> None:
    _, store = built_store({b"a": b"1"})
    with pytest.raises(TreeUsageError, match="empty tree"):
        SparseMerkleTree(store, PREFIX).build([(b"b", b"2")])
    with pytest.raises(TreeUsageError, match="same key twice"):
        SparseMerkleTree({}, PREFIX).build([(b"a", b"1"), (b"a", b"2")])


def test_uncommitted_updates_leave_the_stored_tree_alone() -> None:
    root, store = built_store({b"a": b"1", b"b": b"2"})
    tree = SparseMerkleTree(store, PREFIX)
    snapshot = dict(store)
    abandoned_root, abandoned = tree.update({b"a": b"changed"})
    assert abandoned_root != root
    assert store == snapshot and tree.root() == root  # "crash" before the batch lands
    assert SparseMerkleTree(store, PREFIX).root() == root
    with pytest.raises(TreeUsageError, match="latest update"):
        tree.commit(dict(abandoned))
    # A new update discards the abandoned one, whose writes can then no longer be committed.
    new_root = committed(tree, store, {b"c": b"3"})
    assert new_root == reference_root({b"a": b"1", b"b": b"2", b"c": b"3"})
    with pytest.raises(TreeUsageError):
        tree.commit(abandoned)


def test_writes_that_landed_without_commit_are_detected() -> None:
    _, store = built_store({b"a": b"1", b"b": b"2"})
    tree = SparseMerkleTree(store, PREFIX)
    _, writes = tree.update({b"a": b"changed"})
    apply(store, writes)  # batch landed, commit() never ran
    with pytest.raises(StaleViewError, match="without commit"):
        tree.update({b"b": b"x"})
    with pytest.raises(StaleViewError):
        tree.prove(b"a")


def test_missing_or_corrupt_nodes_are_reported() -> None:
    items = {key: b"v" for key in POOL}
    _, store = built_store(items)
    leaf_key = next(k for k, node in store.items() if node[0] == 0)
    store[leaf_key] = b"junk"
    tree = SparseMerkleTree(store, PREFIX, cache_size=0)
    with pytest.raises(CorruptTreeError, match=leaf_key.hex()):
        for key in POOL:
            tree.prove(key)
    del store[leaf_key]
    with pytest.raises(CorruptTreeError, match="missing"):
        tree.update({key: b"w" for key in POOL})


def test_cache_stays_within_its_bound() -> None:
    rng = random.Random(2)
    store: Store = {}
    tree = SparseMerkleTree(store, PREFIX, cache_size=20)
    for _ in range(20):
        committed(tree, store, {b"acct%d" % rng.randrange(500): rng.randbytes(4) for _ in range(50)})
        for i in range(30):
            tree.prove(b"acct%d" % i)
        assert len(tree._cache) <= 20


def write_batch(db: plyvel.DB, writes: Mapping[bytes, bytes | None]) -> None:
    with db.write_batch(transaction=True) as batch:
        for key, node in writes.items():
            if node is None:
                batch.delete(key)
            else:
                batch.put(key, node)


def test_leveldb_round_trip(tmp_path: Path) -> None:
    rng = random.Random(3)
    path = str(tmp_path / "db")
    items = {b"acct%d" % i: rng.randbytes(8) for i in range(2000)}
    db = plyvel.DB(path, create_if_missing=True)
    tree = SparseMerkleTree(db, PREFIX, cache_size=64)
    root, writes = tree.build(items.items())
    write_batch(db, writes)
    tree.commit(writes)
    db.close()

    for _round in range(3):
        db = plyvel.DB(path)
        tree = SparseMerkleTree(db, PREFIX, cache_size=64)
        assert tree.root() == root == reference_root(items)
        for _block in range(3):
            changes: dict[bytes, bytes | None] = {}
            for i in rng.sample(range(2500), 300):
                changes[b"acct%d" % i] = None if rng.random() < 0.3 else rng.randbytes(8)
            root, writes = tree.update(changes)
            write_batch(db, writes)
            tree.commit(writes)
            for key, value in changes.items():
                if value is None:
                    items.pop(key, None)
                else:
                    items[key] = value
            assert root == reference_root(items)
        # A snapshot serves proofs of its own version, whatever the live tree does next.
        snapshot = db.snapshot()
        committed_items = dict(items)
        _, writes = tree.update({b"acct0": b"later", b"acct1": None})
        write_batch(db, writes)
        tree.commit(writes)
        items[b"acct0"] = b"later"
        items.pop(b"acct1", None)
        for i in range(40):
            key = b"acct%d" % i
            assert verify_proof(root, key, committed_items.get(key), tree.prove(key, reader=snapshot))
        root = tree.root()
        assert root == reference_root(items)
        snapshot.close()
        db.close()

    with plyvel.DB(path) as db:
        stored = {k: v for k, v in db.iterator(prefix=PREFIX)}
    assert built_store(items) == (root, stored)
