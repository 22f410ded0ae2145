"""Authenticated state tree: a compressed binary sparse Merkle tree whose root is the app hash.

Light clients check state against the app hash with the rules below, so they are consensus rules.

Tree
  * A state key ``k`` lives at the 256-bit path ``kh = sha256(k)``. Bit ``d`` of ``kh`` (bit 0 is the most
    significant bit of ``kh[0]``) picks the left (0) or right (1) child of the node at depth ``d``.
  * A subtree holding no keys is empty and hashes to 32 zero bytes; so is the root of the empty tree.
  * A subtree holding exactly one key is a leaf, placed at the shortest prefix of its key hash that no
    other key shares (depth 0 if it is alone): ``sha256(b"\\x00" + kh + sha256(value))``.
  * A subtree holding two or more keys is internal: ``sha256(b"\\x01" + left_hash + right_hash)``.
    There are no extension nodes: keys sharing a long prefix hang under a chain of internal nodes whose
    other child is empty.

Proof (``Proof.to_bytes``): the siblings met on the way from the root to where the search for ``kh``
stops, which is either an empty slot or a leaf. Encoding, with no trailing bytes allowed:
  * 1 byte kind: 0 = the search stopped at an empty slot, 1 = it stopped at a leaf;
  * 2 bytes big-endian ``n`` <= 256, the number of siblings, root side first;
  * ``ceil(n / 8)`` bytes bitmap, most significant bit first: bit ``i`` is set when sibling ``i`` is not
    empty; unused bits are zero;
  * 32 bytes for each non-empty sibling (never 32 zero bytes), in order;
  * kind 1 only: the leaf's key hash and value hash, 32 bytes each.
``verify_proof`` recomputes the root from the bottom up along the bits of ``kh``. A value is proved
present by a leaf with key hash ``kh`` and value hash ``sha256(value)``; absent by an empty slot or by a
leaf with another key hash sharing ``kh``'s first ``n`` bits. When ``n > 0`` the last sibling must be
non-empty: a parent holding a single leaf, or nothing, is that leaf or empty, not an internal node.

Storage: the node at depth ``d`` is stored at ``prefix + d (2 bytes big-endian) + the first d path bits
packed most significant bit first (unused bits zero)``; its value is its hash preimage (``b"\\x00" + kh +
value_hash`` or ``b"\\x01" + left + right``), so a node's hash is ``sha256`` of its stored bytes and a
parent names its children's hashes, which is all a descent needs: one read per node on the path.

Crash safety: ``update`` and ``build`` only read; they return the new root and the node writes, which the
caller puts into the block's LevelDB write batch and then confirms with ``commit``. A crash before the
batch lands leaves the stored tree unchanged; ``commit`` makes the in-memory view (the node cache and the
root) equal to the stored tree. ``update`` compares the stored root node with the committed root first,
so writes that landed without ``commit`` (or a commit whose batch never landed) raise instead of mixing
two versions of the tree.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from hashlib import sha256

import numpy as np

from okchain.state.merkle_nodes import (
    BIT,
    BYTE,
    EMPTY_HASH,
    INTERNAL,
    KEEP,
    MAX_DEPTH,
    MerkleError,
    NodeReader,
    TopCache,
    bit,
    checked,
)
from okchain.state.merkle_proof import Proof
from okchain.state.merkle_update import TreeUpdate

_LEADING_ZEROS = np.array([8 - i.bit_length() for i in range(256)], dtype=np.int64)


class StaleViewError(MerkleError):
    """The stored tree and the in-memory view disagree: node writes landed without commit or vice versa."""


class TreeUsageError(MerkleError):
    """An operation the tree's state does not allow, such as a bulk build over existing nodes."""


class SparseMerkleTree:
    """The committed tree over one node store: batch updates, bulk build, proofs; see the module docstring.

    Not thread-safe: the node's state thread owns it. Other threads prove against a store snapshot with
    ``prove(key, reader=snapshot)``, which bypasses the cache.
    """

    __slots__ = ("_cache", "_depth_offset", "_keys", "_pending", "_reader", "_root")

    def __init__(self, reader: NodeReader, prefix: bytes, cache_size: int = 1_000_000) -> None:
        if cache_size < 0:
            raise TreeUsageError(f"cache_size must be >= 0, got {cache_size}")
        self._reader = reader
        # _keys[d] starts the storage key of every node at depth d.
        self._keys = [prefix + d.to_bytes(2, "big") for d in range(MAX_DEPTH + 1)]
        self._cache = TopCache(cache_size)
        self._depth_offset = len(prefix)
        self._root = self._stored_root()[0]
        # (node writes, new root, committed nodes read below the top cache) of the latest update/build.
        self._pending: tuple[dict[bytes, bytes | None], bytes, dict[bytes, bytes]] | None = None

    def root(self) -> bytes:
        """The committed root: the app hash of the last committed state."""
        return self._root

    def _stored_root(self) -> tuple[bytes, bytes | None]:
        node = self._reader.get(self._keys[0])
        if node is None:
            return EMPTY_HASH, None
        return sha256(checked(self._keys[0], node)).digest(), node

    def _get(self, key: bytes, depth: int) -> bytes:
        node = self._cache.get(key, depth)
        if node is None:
            node = checked(key, self._reader.get(key))
            self._cache.put(key, depth, node)
        return node

    def commit(self, node_writes: dict[bytes, bytes | None]) -> None:
        """Adopt the writes of the last ``update``/``build`` once the caller's write batch has landed."""
        pending = self._pending
        if pending is None or pending[0] is not node_writes:
            raise TreeUsageError("commit() takes the node writes returned by the latest update() or build()")
        cache = self._cache
        at = self._depth_offset
        cached_depth = cache.depth + 1
        longest = at + 2 + (cached_depth + 7) // 8  # deeper nodes have longer keys: skip them unparsed
        for key, node in node_writes.items():
            if len(key) > longest:
                continue
            depth = key[at] << 8 | key[at + 1]
            if depth <= cached_depth:
                if node is None:
                    cache.discard(key, depth)
                else:
                    cache.put(key, depth, node)
        self._root = pending[1]
        self._pending = None

    def replaced(self, node_writes: Mapping[bytes, bytes | None]) -> Iterator[tuple[bytes, bytes | None]]:
        """(position, committed node or ``None``) for each position the pending ``node_writes`` change:
        what the version history stores so older roots stay readable (``okchain.state.versions``). Lazy, so
        the history encoder makes the only pass over the writes; consume it before ``commit``."""
        pending = self._pending
        if pending is None or pending[0] is not node_writes:
            raise TreeUsageError(
                "replaced() takes the node writes returned by the latest update() or build()"
            )
        seen_get = pending[2].get
        top_get = self._cache.top.get
        return ((pos, seen_get(pos) or top_get(pos)) for pos in node_writes)

    def _begin(self) -> bytes | None:
        """Check that storage still holds the committed tree and return its root node."""
        stored_hash, root_node = self._stored_root()
        if stored_hash != self._root:
            raise StaleViewError(
                f"stored root {stored_hash.hex()} differs from committed root {self._root.hex()}: "
                "node writes reached storage without commit(), or commit() ran for writes that never landed"
            )
        return root_node

    def update(self, changes: Mapping[bytes, bytes | None]) -> tuple[bytes, dict[bytes, bytes | None]]:
        """Apply sets (bytes) and deletes (None) in one descent; return the new root and the node writes.

        Changes are sorted by key hash and share the reads and hashes of common ancestors: O(k log n) for k
        changes in a tree of n keys. Node writes hold only real changes (re-setting a value writes nothing).
        Nothing changes until ``commit``; a later ``update`` or ``build`` discards an uncommitted result.
        """
        root_node = self._begin()
        walk = TreeUpdate(changes, self._keys, self._cache, self._reader, root_node)
        new_root = walk.run(root_node) if walk.khs else self._root
        self._pending = walk.writes, new_root, walk.seen
        return new_root, walk.writes

    def build(self, items: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, dict[bytes, bytes | None]]:
        """Bulk-build an empty tree (genesis) bottom-up from sorted key hashes; same contract as update.

        Keys must be distinct. numpy sorts the leaves and finds where each pair of neighbours parts (the
        length of their common key-hash prefix); ``_climb`` then writes every node once.
        """
        if self._begin() is not None:
            raise TreeUsageError("build() needs an empty tree; use update() to change existing state")
        raw_keys: list[bytes] = []
        values: list[bytes] = []
        for key, value in items:
            raw_keys.append(key)
            values.append(value)
        writes: dict[bytes, bytes | None] = {}
        n = len(values)
        if n == 0:
            self._pending = writes, EMPTY_HASH, {}
            return EMPTY_HASH, writes
        key_hashes = np.frombuffer(b"".join([sha256(k).digest() for k in raw_keys]), dtype="S32")
        value_hashes = np.frombuffer(b"".join([sha256(v).digest() for v in values]), dtype="S32")
        order = np.argsort(key_hashes, kind="stable")
        # Leaf nodes, sorted by key hash: b"\x00" + key hash + value hash.
        table = np.zeros((n, 65), dtype=np.uint8)
        table[:, 1:33] = key_hashes[order].view(np.uint8).reshape(n, 32)
        table[:, 33:] = value_hashes[order].view(np.uint8).reshape(n, 32)
        buf = table.tobytes()
        leaves = [buf[i : i + 65] for i in range(0, 65 * n, 65)]
        # splits[i]: depth of the internal node parting keys i and i + 1 (the length of their common prefix).
        diff = table[1:, 1:33] ^ table[:-1, 1:33]
        nonzero = diff != 0
        if not nonzero.any(axis=1).all():
            raise TreeUsageError("build() got the same key twice")
        first = nonzero.argmax(axis=1)
        splits: list[int] = (8 * first + _LEADING_ZEROS[diff[np.arange(n - 1), first]]).tolist()
        splits.append(-1)
        root = _climb(self._keys, zip(leaves, splits, strict=True), writes.__setitem__)
        self._pending = writes, root, {}
        return root, writes

    def build_streamed(self, leaves: Iterable[bytes], put: Callable[[bytes, bytes], None]) -> bytes:
        """Build an empty tree from leaf nodes (``b"\\x00" + key hash + value hash``) already in ascending
        key-hash order, handing each node write to ``put`` as it is made, and return the root. Memory stays
        at one path of pending subtrees whatever the size (a snapshot import streams its leaves from disk);
        the caller writes the nodes and opens a new tree over them (nothing is pending for ``commit``).
        """
        if self._begin() is not None:
            raise TreeUsageError("build_streamed() needs an empty tree")
        return _climb(self._keys, _with_splits(iter(leaves)), put)

    def prove(self, key: bytes, reader: NodeReader | None = None) -> Proof:
        """Proof of ``key``'s value or absence in the committed tree, or in ``reader`` (a store snapshot)."""
        get: Callable[[bytes, int], bytes]
        if reader is None:
            root_node = self._begin()
            get = self._get
        else:
            snapshot = reader

            def get(node_key: bytes, depth: int) -> bytes:
                return checked(node_key, snapshot.get(node_key))

            stored = reader.get(self._keys[0])
            root_node = None if stored is None else checked(self._keys[0], stored)
        kh = sha256(key).digest()
        keys = self._keys
        siblings = []
        node = root_node
        d = 0
        while node is not None and node[0]:
            if bit(kh, d):
                siblings.append(node[1:33])
                child = node[33:]
            else:
                siblings.append(node[33:])
                child = node[1:33]
            d += 1
            node = None if child == EMPTY_HASH else get(_position(keys, d, kh), d)
        if node is None:
            return Proof(tuple(siblings))
        return Proof(tuple(siblings), node[1:33], node[33:])


def _with_splits(leaves: Iterator[bytes]) -> Iterator[tuple[bytes, int]]:
    """Each leaf with the depth where it parts from the next (-1 after the last); refuses keys out of
    order or twice."""
    prev = next(leaves, None)
    if prev is None:
        return
    prev_kh = int.from_bytes(prev[1:33], "big")
    for leaf in leaves:
        kh = int.from_bytes(leaf[1:33], "big")
        if kh <= prev_kh:
            raise TreeUsageError("leaves must come in strictly ascending key-hash order")
        yield prev, MAX_DEPTH - (prev_kh ^ kh).bit_length()
        prev, prev_kh = leaf, kh
    yield prev, -1


def _climb(
    keys: list[bytes], leaves: Iterable[tuple[bytes, int]], put: Callable[[bytes, bytes], None]
) -> bytes:
    """Write the tree over sorted leaves, each given with the depth where it parts from the next, in one
    pass with a stack of pending left subtrees; return the root hash (``EMPTY_HASH`` for no leaves)."""
    stack_split: list[int] = []
    stack_hash: list[bytes] = []
    prev = -1
    h = EMPTY_HASH
    for leaf, nxt in leaves:
        # Write the leaf, then climb while the path is complete: through chain nodes (one child) and
        # joins with the pending left subtree, until the node where this leaf and the next one part.
        node = leaf
        depth = (prev if prev > nxt else nxt) + 1
        prev = nxt
        while True:
            q = depth >> 3
            r = depth & 7
            path = leaf[1 : 1 + q]  # byte i of the key hash is leaf[1 + i]
            put(keys[depth] + path + BYTE[leaf[1 + q] & KEEP[r]] if r else keys[depth] + path, node)
            h = sha256(node).digest()
            top = stack_split[-1] if stack_split else -1
            parent = top if top > nxt else nxt
            depth -= 1
            if depth > parent:
                if leaf[1 + (depth >> 3)] & BIT[depth & 7]:
                    node = INTERNAL + EMPTY_HASH + h
                else:
                    node = INTERNAL + h + EMPTY_HASH
            elif top > nxt:
                stack_split.pop()
                node = INTERNAL + stack_hash.pop() + h
            else:
                stack_split.append(nxt)
                stack_hash.append(h)
                break
    return h


def _position(keys: list[bytes], d: int, kh: bytes) -> bytes:
    """Storage key of the node at depth ``d`` on the path of key hash ``kh``."""
    q = d >> 3
    r = d & 7
    if r:
        return keys[d] + kh[:q] + BYTE[kh[q] & KEEP[r]]
    return keys[d] + kh[:q]
