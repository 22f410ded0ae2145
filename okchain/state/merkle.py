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

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from hashlib import sha256
from operator import itemgetter
from typing import Protocol

import numpy as np

from okchain.errors import OKChainError

EMPTY_HASH = bytes(32)
MAX_DEPTH = 256

_LEAF = b"\x00"
_INTERNAL = b"\x01"
_BYTE = [bytes([i]) for i in range(256)]
# _KEEP[r] keeps the first r bits of a byte; _BIT[r] is bit r counted from the most significant bit.
_KEEP = [(0xFF00 >> r) & 0xFF for r in range(9)]
_BIT = [0x80 >> r for r in range(8)]
_first = itemgetter(0)
_LEADING_ZEROS = np.array([8 - i.bit_length() for i in range(256)], dtype=np.int64)

# A subtree result: (hash, floating leaf). EMPTY_HASH means empty; a leaf node that is returned is not yet
# written because it moves up to the shortest prefix its neighbours leave free, which the caller decides.
_Sub = tuple[bytes, bytes | None]
_EMPTY_SUB: _Sub = (EMPTY_HASH, None)


class MerkleError(OKChainError):
    """Errors of the authenticated state tree."""


class MalformedProofError(MerkleError, ValueError):
    """Proof bytes or fields that are not the one canonical encoding of a proof."""


class CorruptTreeError(MerkleError):
    """A node the tree names is missing from storage or is not a valid node encoding."""


class StaleViewError(MerkleError):
    """The stored tree and the in-memory view disagree: node writes landed without commit or vice versa."""


class TreeUsageError(MerkleError):
    """An operation the tree's state does not allow, such as a bulk build over existing nodes."""


class NodeReader(Protocol):
    """Read access to the node store: a LevelDB database or snapshot, or a dict in tests."""

    def get(self, key: bytes) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Proof:
    """Siblings (root side first) of the path to where the search stopped, and the leaf found there."""

    siblings: tuple[bytes, ...]
    leaf_key_hash: bytes | None = None
    leaf_value_hash: bytes | None = None

    def __post_init__(self) -> None:
        if len(self.siblings) > MAX_DEPTH:
            raise MalformedProofError(f"proof has {len(self.siblings)} siblings; at most {MAX_DEPTH}")
        for i, sibling in enumerate(self.siblings):
            if type(sibling) is not bytes or len(sibling) != 32:
                raise MalformedProofError(f"proof sibling {i} is not 32 bytes")
        if (self.leaf_key_hash is None) != (self.leaf_value_hash is None):
            raise MalformedProofError("proof leaf needs both a key hash and a value hash, or neither")
        for name in ("leaf_key_hash", "leaf_value_hash"):
            value = getattr(self, name)
            if value is not None and (type(value) is not bytes or len(value) != 32):
                raise MalformedProofError(f"proof {name} is not 32 bytes")

    def to_bytes(self) -> bytes:
        n = len(self.siblings)
        width = _bitmap_len(n)
        bitmap = 0
        present = []
        for i, sibling in enumerate(self.siblings):
            if sibling != EMPTY_HASH:
                bitmap |= 1 << (8 * width - 1 - i)
                present.append(sibling)
        head = bytes([self.leaf_key_hash is not None]) + n.to_bytes(2, "big")
        parts = [head, bitmap.to_bytes(width, "big"), *present]
        if self.leaf_key_hash is not None and self.leaf_value_hash is not None:
            parts += [self.leaf_key_hash, self.leaf_value_hash]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> "Proof":
        data = bytes(data)  # slices of a bytearray would not be the bytes the fields require
        if len(data) < 3:
            raise MalformedProofError(f"proof is {len(data)} bytes; the header alone is 3")
        kind = data[0]
        if kind > 1:
            raise MalformedProofError(f"proof kind byte is {kind}; expected 0 (empty slot) or 1 (leaf)")
        n = int.from_bytes(data[1:3], "big")
        if n > MAX_DEPTH:
            raise MalformedProofError(f"proof has {n} siblings; at most {MAX_DEPTH}")
        width = _bitmap_len(n)
        bitmap = int.from_bytes(data[3 : 3 + width], "big")
        if bitmap & ((1 << (8 * width - n)) - 1):
            raise MalformedProofError("proof bitmap has bits set past the last sibling")
        present = bitmap.bit_count()
        expected = 3 + width + 32 * present + 64 * kind
        if len(data) != expected:
            raise MalformedProofError(f"proof is {len(data)} bytes; its header says {expected}")
        siblings = []
        at = 3 + width
        for i in range(n):
            if bitmap >> (8 * width - 1 - i) & 1:
                sibling = data[at : at + 32]
                if sibling == EMPTY_HASH:
                    raise MalformedProofError(f"proof sibling {i} is marked non-empty but is all zero")
                siblings.append(sibling)
                at += 32
            else:
                siblings.append(EMPTY_HASH)
        if kind:
            return cls(tuple(siblings), data[at : at + 32], data[at + 32 : at + 64])
        return cls(tuple(siblings))


def _bitmap_len(n: int) -> int:
    return (n + 7) // 8


def _bit(kh: bytes, d: int) -> int:
    return kh[d >> 3] & _BIT[d & 7]


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Whether ``proof`` shows that ``key`` maps to ``value`` (``None``: is absent) in the tree ``root``."""
    kh = sha256(key).digest()
    siblings = proof.siblings
    n = len(siblings)
    leaf_kh = proof.leaf_key_hash
    if leaf_kh is None or proof.leaf_value_hash is None:
        if value is not None:
            return False
        h = EMPTY_HASH
    else:
        if value is None:
            if leaf_kh == kh or _common_prefix_bits(leaf_kh, kh) < n:
                return False
        elif leaf_kh != kh or proof.leaf_value_hash != sha256(value).digest():
            return False
        h = sha256(_LEAF + leaf_kh + proof.leaf_value_hash).digest()
    if n and siblings[-1] == EMPTY_HASH:
        return False
    for d in range(n - 1, -1, -1):
        if _bit(kh, d):
            h = sha256(_INTERNAL + siblings[d] + h).digest()
        else:
            h = sha256(_INTERNAL + h + siblings[d]).digest()
    return h == root


def _common_prefix_bits(a: bytes, b: bytes) -> int:
    return MAX_DEPTH - (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_length()


def reference_root(items: Mapping[bytes, bytes]) -> bytes:
    """The root straight from the definition, for tests; ``SparseMerkleTree`` must always agree."""

    def subtree(depth: int, leaves: list[tuple[bytes, bytes]]) -> bytes:
        if not leaves:
            return EMPTY_HASH
        if len(leaves) == 1:
            kh, vh = leaves[0]
            return sha256(_LEAF + kh + vh).digest()
        left = [leaf for leaf in leaves if not _bit(leaf[0], depth)]
        right = [leaf for leaf in leaves if _bit(leaf[0], depth)]
        return sha256(_INTERNAL + subtree(depth + 1, left) + subtree(depth + 1, right)).digest()

    return subtree(0, [(sha256(k).digest(), sha256(v).digest()) for k, v in items.items()])


class _TopCache:
    """Committed nodes of the top of the tree, never more than ``size``: every node down to ``depth`` (at
    most ``2 ** (depth + 1) - 1 <= size`` of them, so that part never evicts), plus nodes one level deeper
    while room remains. The top levels are the ones every block reads and rewrites; below them a block
    rarely meets a node again before it changes, so caching deeper would only churn."""

    __slots__ = ("_size", "depth", "next_level", "top")

    def __init__(self, size: int) -> None:
        self.depth = min((size + 1).bit_length() - 2, MAX_DEPTH)
        self.top: dict[bytes, bytes] = {}
        self.next_level: dict[bytes, bytes] = {}
        self._size = size

    def __len__(self) -> int:
        return len(self.top) + len(self.next_level)

    def get(self, key: bytes, depth: int) -> bytes | None:
        if depth <= self.depth:
            return self.top.get(key)
        return self.next_level.get(key) if depth == self.depth + 1 else None

    def put(self, key: bytes, depth: int, node: bytes) -> None:
        if depth <= self.depth:
            self.top[key] = node
            if len(self) > self._size:
                self.next_level.popitem()
        elif depth == self.depth + 1 and (key in self.next_level or len(self) < self._size):
            self.next_level[key] = node

    def discard(self, key: bytes, depth: int) -> None:
        if depth <= self.depth:
            self.top.pop(key, None)
        elif depth == self.depth + 1:
            self.next_level.pop(key, None)


def _checked(key: bytes, node: bytes | None) -> bytes:
    """A node read from storage at ``key`` that its parent names, so it must exist and be well formed."""
    if node is None or len(node) != 65 or node[0] > 1:
        raise CorruptTreeError(f"tree node at {key.hex()} is missing or not a valid node encoding")
    return node


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
        self._cache = _TopCache(cache_size)
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
        return sha256(_checked(self._keys[0], node)).digest(), node

    def _get(self, key: bytes, depth: int) -> bytes:
        node = self._cache.get(key, depth)
        if node is None:
            node = _checked(key, self._reader.get(key))
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
        # The committed nodes this update reads below the top cache, by position. The nodes its writes
        # replace are among them or in the top cache, which holds every node read down to its depth and
        # changes only at ``commit`` (a position is only rewritten after its old node was read; a position
        # never read held nothing). Deeper cache entries can be evicted mid-update, hence ``seen``.
        seen: dict[bytes, bytes] = {}
        if root_node is not None:
            seen[self._keys[0]] = root_node
        ordered = sorted(((sha256(k).digest(), v) for k, v in changes.items()), key=_first)
        khs = [kh for kh, _ in ordered]
        leaves = [None if v is None else _LEAF + kh + sha256(v).digest() for kh, v in ordered]
        writes: dict[bytes, bytes | None] = {}
        # Leaves read from storage, by position: placing the same leaf back there cancels its delete.
        old_leaves: dict[bytes, bytes] = {}
        keys = self._keys
        cache = self._cache
        top_get = cache.top.get
        top_depth = cache.depth
        next_get = cache.next_level.get
        reader_get = self._reader.get

        def get(pos: bytes, d: int) -> bytes:
            """``_get`` inlined (one call per node read instead of four: this runs for every node read)."""
            if d <= top_depth:
                node = top_get(pos)
                if node is None:
                    node = _checked(pos, reader_get(pos))
                    cache.put(pos, d, node)
                return node
            if d == top_depth + 1:
                node = next_get(pos)
                if node is None:
                    node = _checked(pos, reader_get(pos))
                    cache.put(pos, d, node)
            else:
                node = _checked(pos, reader_get(pos))
            seen[pos] = node
            return node

        def place(pos: bytes, leaf: bytes) -> None:
            if old_leaves.get(pos) == leaf:
                writes.pop(pos, None)
            else:
                writes[pos] = leaf

        def settle(pos: bytes, d: int) -> bytes | None:
            """An untouched child whose sibling became empty: a leaf floats up, an internal node stays."""
            node = get(pos, d)
            if node[0]:
                return None
            writes[pos] = None
            old_leaves[pos] = node
            return node

        def join(
            d: int,
            pos: bytes,
            old: bytes | None,
            left: _Sub,
            right: _Sub,
            lpos: bytes,
            rpos: bytes,
            touched_left: bool,
            touched_right: bool,
        ) -> _Sub:
            """Combine two child results into the subtree at depth ``d``, which stored ``old`` before."""
            lh, lleaf = left
            rh, rleaf = right
            if lh == EMPTY_HASH or rh == EMPTY_HASH:
                if lh == rh:
                    if old is not None:
                        writes[pos] = None
                    return _EMPTY_SUB
                if lh == EMPTY_HASH:
                    if rleaf is None and not touched_right:
                        rleaf = settle(rpos, d + 1)
                    if rleaf is not None:
                        if old is not None:
                            writes[pos] = None
                        return rh, rleaf
                else:
                    if lleaf is None and not touched_left:
                        lleaf = settle(lpos, d + 1)
                    if lleaf is not None:
                        if old is not None:
                            writes[pos] = None
                        return lh, lleaf
            else:
                if lleaf is not None:
                    place(lpos, lleaf)
                if rleaf is not None:
                    place(rpos, rleaf)
            node = _INTERNAL + lh + rh
            if node != old:
                writes[pos] = node
            return sha256(node).digest(), None

        def split(d: int, lo: int, hi: int) -> tuple[int, bytes, bytes]:
            """Where changes ``lo:hi`` (sharing ``d`` path bits) divide at depth ``d``, and the storage
            positions of the left and right children."""
            kh = khs[lo]
            q = d >> 3
            r = d & 7
            base = kh[:q]
            b = kh[q] & _KEEP[r]
            rpath = base + _BYTE[b | _BIT[r]]
            prefix = keys[d + 1]
            return bisect_left(khs, rpath, lo, hi), prefix + base + _BYTE[b], prefix + rpath

        def fresh(d: int, pos: bytes, lo: int, hi: int, extra: bytes | None) -> _Sub:
            """Subtree at a slot that held nothing but ``extra``, a leaf the changes do not mention."""
            single = extra
            count = extra is not None
            for i in range(lo, hi):
                leaf = leaves[i]
                if leaf is not None:
                    if count:
                        break
                    single = leaf
                    count = True
            else:
                if single is None:
                    return _EMPTY_SUB
                return sha256(single).digest(), single
            mid, lpos, rpos = split(d, lo, hi)
            extra_right = extra is not None and extra[1 + (d >> 3)] & _BIT[d & 7]
            left = fresh(d + 1, lpos, lo, mid, None if extra_right else extra)
            right = fresh(d + 1, rpos, mid, hi, extra if extra_right else None)
            return join(d, pos, None, left, right, lpos, rpos, True, True)

        def path(d: int, pos: bytes, node: bytes, i: int) -> _Sub:
            """``merge`` for the single change ``i``, the common case below the top levels: walk down its
            path, then fold the result back up against the untouched siblings."""
            kh = khs[i]
            trail = []  # (position, node, depth, path bit) of the internal nodes passed
            while node[0]:
                q = d >> 3
                r = d & 7
                bit = kh[q] & _BIT[r]
                trail.append((pos, node, d, bit))
                d += 1
                pos = keys[d] + kh[:q] + _BYTE[kh[q] & _KEEP[r + 1]]
                if node.endswith(EMPTY_HASH) if bit else node.startswith(EMPTY_HASH, 1):
                    leaf = leaves[i]
                    h, leaf = _EMPTY_SUB if leaf is None else (sha256(leaf).digest(), leaf)
                    break
                node = (top_get(pos) or get(pos, d)) if d <= top_depth else get(pos, d)
            else:
                writes[pos] = None
                old_leaves[pos] = node
                h, leaf = fresh(d, pos, i, i + 1, None if node[1:33] == kh else node)
            trail.reverse()
            for parent_pos, parent, pd, bit in trail:
                if leaf is None and h != EMPTY_HASH:
                    # Common case: the changed child's hash replaces the old one in place.
                    node = parent[:33] + h if bit else _INTERNAL + h + parent[33:]
                else:
                    sibling = parent[1:33] if bit else parent[33:]
                    if h == EMPTY_HASH:
                        if sibling == EMPTY_HASH:
                            writes[parent_pos] = None
                            pos = parent_pos
                            continue
                        q = pd >> 3
                        r = pd & 7
                        sibling_leaf = settle(
                            keys[pd + 1] + kh[:q] + _BYTE[(kh[q] & _KEEP[r]) | (bit ^ _BIT[r])], pd + 1
                        )
                        if sibling_leaf is not None:
                            writes[parent_pos] = None
                            h = sibling
                            leaf = sibling_leaf
                            pos = parent_pos
                            continue
                    elif leaf is not None:
                        if sibling == EMPTY_HASH:
                            writes[parent_pos] = None
                            pos = parent_pos
                            continue
                        place(pos, leaf)
                        leaf = None
                    node = _INTERNAL + sibling + h if bit else _INTERNAL + h + sibling
                if node != parent:
                    writes[parent_pos] = node
                h = sha256(node).digest()
                pos = parent_pos
            return h, leaf

        def merge(d: int, pos: bytes, node: bytes, lo: int, hi: int) -> _Sub:
            """Subtree at a slot holding stored ``node``, after applying changes ``lo:hi``."""
            if hi - lo == 1:
                return path(d, pos, node, lo)
            if not node[0]:
                writes[pos] = None
                old_leaves[pos] = node
                old_kh = node[1:33]
                i = bisect_left(khs, old_kh, lo, hi)
                return fresh(d, pos, lo, hi, None if i < hi and khs[i] == old_kh else node)
            mid, lpos, rpos = split(d, lo, hi)
            lh = node[1:33]
            rh = node[33:]
            left: _Sub
            right: _Sub
            if mid > lo:
                if lh == EMPTY_HASH:
                    left = fresh(d + 1, lpos, lo, mid, None)
                else:
                    left = merge(d + 1, lpos, get(lpos, d + 1), lo, mid)
            else:
                left = lh, None
            if mid < hi:
                if rh == EMPTY_HASH:
                    right = fresh(d + 1, rpos, mid, hi, None)
                else:
                    right = merge(d + 1, rpos, get(rpos, d + 1), mid, hi)
            else:
                right = rh, None
            return join(d, pos, node, left, right, lpos, rpos, mid > lo, mid < hi)

        if not khs:
            new_root = self._root
        else:
            n = len(khs)
            result = (
                fresh(0, keys[0], 0, n, None) if root_node is None else merge(0, keys[0], root_node, 0, n)
            )
            new_root, floating = result
            if floating is not None:
                place(keys[0], floating)
        self._pending = writes, new_root, seen
        return new_root, writes

    def build(self, items: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, dict[bytes, bytes | None]]:
        """Bulk-build an empty tree (genesis) bottom-up from sorted key hashes; same contract as update.

        Keys must be distinct. The common prefix of each pair of neighbours in key-hash order is the depth
        of the internal node that parts them, so one pass over the sorted leaves with a stack of pending
        left subtrees writes every node once. numpy sorts and finds those prefixes; the loop only hashes.
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

        keys = self._keys
        stack_split: list[int] = []
        stack_hash: list[bytes] = []
        prev = -1
        h = EMPTY_HASH
        for leaf, nxt in zip(leaves, splits, strict=True):
            # Write the leaf, then climb while the path is complete: through chain nodes (one child) and
            # joins with the pending left subtree, until the node where this leaf and the next one part.
            node = leaf
            depth = (prev if prev > nxt else nxt) + 1
            prev = nxt
            while True:
                q = depth >> 3
                r = depth & 7
                path = leaf[1 : 1 + q]  # byte i of the key hash is leaf[1 + i]
                writes[keys[depth] + path + _BYTE[leaf[1 + q] & _KEEP[r]] if r else keys[depth] + path] = node
                h = sha256(node).digest()
                top = stack_split[-1] if stack_split else -1
                parent = top if top > nxt else nxt
                depth -= 1
                if depth > parent:
                    if leaf[1 + (depth >> 3)] & _BIT[depth & 7]:
                        node = _INTERNAL + EMPTY_HASH + h
                    else:
                        node = _INTERNAL + h + EMPTY_HASH
                elif top > nxt:
                    stack_split.pop()
                    node = _INTERNAL + stack_hash.pop() + h
                else:
                    stack_split.append(nxt)
                    stack_hash.append(h)
                    break
        self._pending = writes, h, {}
        return h, writes

    def prove(self, key: bytes, reader: NodeReader | None = None) -> Proof:
        """Proof of ``key``'s value or absence in the committed tree, or in ``reader`` (a store snapshot)."""
        get: Callable[[bytes, int], bytes]
        if reader is None:
            root_node = self._begin()
            get = self._get
        else:
            snapshot = reader

            def get(node_key: bytes, depth: int) -> bytes:
                return _checked(node_key, snapshot.get(node_key))

            stored = reader.get(self._keys[0])
            root_node = None if stored is None else _checked(self._keys[0], stored)
        kh = sha256(key).digest()
        keys = self._keys
        siblings = []
        node = root_node
        d = 0
        while node is not None and node[0]:
            if _bit(kh, d):
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


def _position(keys: list[bytes], d: int, kh: bytes) -> bytes:
    """Storage key of the node at depth ``d`` on the path of key hash ``kh``."""
    q = d >> 3
    r = d & 7
    if r:
        return keys[d] + kh[:q] + _BYTE[kh[q] & _KEEP[r]]
    return keys[d] + kh[:q]
