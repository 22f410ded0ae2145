"""One batch update of the state tree, as a walk from the root down to the changed keys and back up.

The changes are sorted by key hash so every subtree's changes are a contiguous run ``lo:hi``; the walk
reads and hashes each shared ancestor once. Its steps, named for the slot they meet:
  * ``merge``: a slot holding a stored node (internal: split the run between the two children; a leaf:
    it becomes an extra key of a ``fresh`` subtree);
  * ``fresh``: a slot that held nothing but possibly one untouched leaf;
  * ``path``: a single change below the top levels, the common case: ``descend`` its path, then ``fold``
    the result back up against the untouched siblings;
  * ``join``: two child results folded into their parent, where leaves float up past empty siblings.
A subtree result is (hash, floating leaf): a leaf that is returned is not yet written, because it moves up
to the shortest prefix its neighbours leave free, which the caller decides (``place``).
"""

from bisect import bisect_left
from collections.abc import Mapping
from hashlib import sha256
from operator import itemgetter

from okchain.state.merkle_nodes import (
    BIT,
    BYTE,
    EMPTY_HASH,
    EMPTY_SUB,
    INTERNAL,
    KEEP,
    LEAF,
    NodeReader,
    Sub,
    TopCache,
    checked,
)

_first = itemgetter(0)


class TreeUpdate:
    """The state of one walk: the sorted changes, the node writes made so far and the committed nodes read.

    ``seen`` holds the committed nodes read below the top cache, by position. The nodes the writes replace
    are among them or in the top cache, which holds every node read down to its depth and changes only at
    ``commit`` (a position is only rewritten after its old node was read; a position never read held
    nothing). Deeper cache entries can be evicted mid-update, hence ``seen``.
    """

    __slots__ = (
        "_cache",
        "_keys",
        "_next_get",
        "_old_leaves",
        "_reader_get",
        "_top_depth",
        "_top_get",
        "khs",
        "leaves",
        "seen",
        "writes",
    )

    def __init__(
        self,
        changes: Mapping[bytes, bytes | None],
        keys: list[bytes],
        cache: TopCache,
        reader: NodeReader,
        root_node: bytes | None,
    ) -> None:
        self.seen: dict[bytes, bytes] = {}
        if root_node is not None:
            self.seen[keys[0]] = root_node
        ordered = sorted(((sha256(k).digest(), v) for k, v in changes.items()), key=_first)
        self.khs = [kh for kh, _ in ordered]
        self.leaves = [None if v is None else LEAF + kh + sha256(v).digest() for kh, v in ordered]
        self.writes: dict[bytes, bytes | None] = {}
        # Leaves read from storage, by position: placing the same leaf back there cancels its delete.
        self._old_leaves: dict[bytes, bytes] = {}
        self._keys = keys
        self._cache = cache
        self._top_get = cache.top.get
        self._top_depth = cache.depth
        self._next_get = cache.next_level.get
        self._reader_get = reader.get

    def run(self, root_node: bytes | None) -> bytes:
        """Walk from the root (stored ``root_node``, or an empty tree) and return the new root hash."""
        n = len(self.khs)
        root_pos = self._keys[0]
        if root_node is None:
            new_root, floating = self.fresh(0, root_pos, 0, n, None)
        else:
            new_root, floating = self.merge(0, root_pos, root_node, 0, n)
        if floating is not None:
            self.place(root_pos, floating)
        return new_root

    def get(self, pos: bytes, d: int) -> bytes:
        """The committed node at ``pos`` (depth ``d``), through the top cache; deeper reads go to ``seen``.
        Inlined by hand (one call per node read instead of four): this runs for every node read."""
        if d <= self._top_depth:
            node = self._top_get(pos)
            if node is None:
                node = checked(pos, self._reader_get(pos))
                self._cache.put(pos, d, node)
            return node
        if d == self._top_depth + 1:
            node = self._next_get(pos)
            if node is None:
                node = checked(pos, self._reader_get(pos))
                self._cache.put(pos, d, node)
        else:
            node = checked(pos, self._reader_get(pos))
        self.seen[pos] = node
        return node

    def place(self, pos: bytes, leaf: bytes) -> None:
        """Write a floating leaf where it comes to rest (nothing, if it rests where it was read)."""
        if self._old_leaves.get(pos) == leaf:
            self.writes.pop(pos, None)
        else:
            self.writes[pos] = leaf

    def settle(self, pos: bytes, d: int) -> bytes | None:
        """An untouched child whose sibling became empty: a leaf floats up, an internal node stays."""
        node = self.get(pos, d)
        if node[0]:
            return None
        self.writes[pos] = None
        self._old_leaves[pos] = node
        return node

    def join(
        self,
        d: int,
        pos: bytes,
        old: bytes | None,
        left: Sub,
        right: Sub,
        lpos: bytes,
        rpos: bytes,
        touched_left: bool,
        touched_right: bool,
    ) -> Sub:
        """Combine two child results into the subtree at depth ``d``, which stored ``old`` before."""
        lh, lleaf = left
        rh, rleaf = right
        writes = self.writes
        if lh == EMPTY_HASH or rh == EMPTY_HASH:
            if lh == rh:
                if old is not None:
                    writes[pos] = None
                return EMPTY_SUB
            if lh == EMPTY_HASH:
                if rleaf is None and not touched_right:
                    rleaf = self.settle(rpos, d + 1)
                if rleaf is not None:
                    if old is not None:
                        writes[pos] = None
                    return rh, rleaf
            else:
                if lleaf is None and not touched_left:
                    lleaf = self.settle(lpos, d + 1)
                if lleaf is not None:
                    if old is not None:
                        writes[pos] = None
                    return lh, lleaf
        else:
            if lleaf is not None:
                self.place(lpos, lleaf)
            if rleaf is not None:
                self.place(rpos, rleaf)
        node = INTERNAL + lh + rh
        if node != old:
            writes[pos] = node
        return sha256(node).digest(), None

    def split(self, d: int, lo: int, hi: int) -> tuple[int, bytes, bytes]:
        """Where changes ``lo:hi`` (sharing ``d`` path bits) divide at depth ``d``, and the storage
        positions of the left and right children."""
        khs = self.khs
        kh = khs[lo]
        q = d >> 3
        r = d & 7
        base = kh[:q]
        b = kh[q] & KEEP[r]
        rpath = base + BYTE[b | BIT[r]]
        prefix = self._keys[d + 1]
        return bisect_left(khs, rpath, lo, hi), prefix + base + BYTE[b], prefix + rpath

    def fresh(self, d: int, pos: bytes, lo: int, hi: int, extra: bytes | None) -> Sub:
        """Subtree at a slot that held nothing but ``extra``, a leaf the changes do not mention."""
        leaves = self.leaves
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
                return EMPTY_SUB
            return sha256(single).digest(), single
        mid, lpos, rpos = self.split(d, lo, hi)
        extra_right = extra is not None and extra[1 + (d >> 3)] & BIT[d & 7]
        left = self.fresh(d + 1, lpos, lo, mid, None if extra_right else extra)
        right = self.fresh(d + 1, rpos, mid, hi, extra if extra_right else None)
        return self.join(d, pos, None, left, right, lpos, rpos, True, True)

    def merge(self, d: int, pos: bytes, node: bytes, lo: int, hi: int) -> Sub:
        """Subtree at a slot holding stored ``node``, after applying changes ``lo:hi``."""
        if hi - lo == 1:
            return self.path(d, pos, node, lo)
        if not node[0]:
            self.writes[pos] = None
            self._old_leaves[pos] = node
            old_kh = node[1:33]
            khs = self.khs
            i = bisect_left(khs, old_kh, lo, hi)
            return self.fresh(d, pos, lo, hi, None if i < hi and khs[i] == old_kh else node)
        mid, lpos, rpos = self.split(d, lo, hi)
        lh = node[1:33]
        rh = node[33:]
        left: Sub
        right: Sub
        if mid > lo:
            if lh == EMPTY_HASH:
                left = self.fresh(d + 1, lpos, lo, mid, None)
            else:
                left = self.merge(d + 1, lpos, self.get(lpos, d + 1), lo, mid)
        else:
            left = lh, None
        if mid < hi:
            if rh == EMPTY_HASH:
                right = self.fresh(d + 1, rpos, mid, hi, None)
            else:
                right = self.merge(d + 1, rpos, self.get(rpos, d + 1), mid, hi)
        else:
            right = rh, None
        return self.join(d, pos, node, left, right, lpos, rpos, mid > lo, mid < hi)

    def path(self, d: int, pos: bytes, node: bytes, i: int) -> Sub:
        """``merge`` for the single change ``i``: walk down its path, then fold the result back up."""
        trail: list[tuple[bytes, bytes, int, int]] = []
        pos, sub = self.descend(d, pos, node, i, trail)
        return self.fold(pos, sub, self.khs[i], trail)

    def descend(
        self, d: int, pos: bytes, node: bytes, i: int, trail: list[tuple[bytes, bytes, int, int]]
    ) -> tuple[bytes, Sub]:
        """Follow change ``i``'s path through internal nodes, recording each in ``trail`` as (position,
        node, depth, path bit); return where the path ends and the subtree result there."""
        kh = self.khs[i]
        keys = self._keys
        top_get = self._top_get
        top_depth = self._top_depth
        get = self.get
        while node[0]:
            q = d >> 3
            r = d & 7
            bit = kh[q] & BIT[r]
            trail.append((pos, node, d, bit))
            d += 1
            pos = keys[d] + kh[:q] + BYTE[kh[q] & KEEP[r + 1]]
            if node.endswith(EMPTY_HASH) if bit else node.startswith(EMPTY_HASH, 1):
                leaf = self.leaves[i]
                return pos, EMPTY_SUB if leaf is None else (sha256(leaf).digest(), leaf)
            node = (top_get(pos) or get(pos, d)) if d <= top_depth else get(pos, d)
        self.writes[pos] = None
        self._old_leaves[pos] = node
        return pos, self.fresh(d, pos, i, i + 1, None if node[1:33] == kh else node)

    def fold(self, pos: bytes, sub: Sub, kh: bytes, trail: list[tuple[bytes, bytes, int, int]]) -> Sub:
        """Rehash the ``trail`` bottom-up with the changed child ``sub`` at ``pos``: a floating leaf rises
        past empty siblings, an emptied child lets its sibling's leaf rise, else the parent is rewritten."""
        h, leaf = sub
        writes = self.writes
        keys = self._keys
        for parent_pos, parent, pd, bit in reversed(trail):
            if leaf is None and h != EMPTY_HASH:
                # Common case: the changed child's hash replaces the old one in place.
                node = parent[:33] + h if bit else INTERNAL + h + parent[33:]
            else:
                sibling = parent[1:33] if bit else parent[33:]
                if h == EMPTY_HASH:
                    if sibling == EMPTY_HASH:
                        writes[parent_pos] = None
                        pos = parent_pos
                        continue
                    q = pd >> 3
                    r = pd & 7
                    sibling_leaf = self.settle(
                        keys[pd + 1] + kh[:q] + BYTE[(kh[q] & KEEP[r]) | (bit ^ BIT[r])], pd + 1
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
                    self.place(pos, leaf)
                    leaf = None
                node = INTERNAL + sibling + h if bit else INTERNAL + h + sibling
            if node != parent:
                writes[parent_pos] = node
            h = sha256(node).digest()
            pos = parent_pos
        return h, leaf
