"""How the state tree's nodes are encoded, stored, cached and checked: shared by the tree, its proofs and
its update walk (the rules themselves are in ``okchain.state.merkle``)."""

from typing import Protocol

from okchain.errors import OKChainError

EMPTY_HASH = bytes(32)
MAX_DEPTH = 256

LEAF = b"\x00"
INTERNAL = b"\x01"
BYTE = [bytes([i]) for i in range(256)]
# KEEP[r] keeps the first r bits of a byte; BIT[r] is bit r counted from the most significant bit.
KEEP = [(0xFF00 >> r) & 0xFF for r in range(9)]
BIT = [0x80 >> r for r in range(8)]

# A subtree result of the update walk: (hash, floating leaf); EMPTY_HASH means empty.
Sub = tuple[bytes, bytes | None]
EMPTY_SUB: Sub = (EMPTY_HASH, None)


class MerkleError(OKChainError):
    """Errors of the authenticated state tree."""


class CorruptTreeError(MerkleError):
    """A node the tree names is missing from storage or is not a valid node encoding."""


class NodeReader(Protocol):
    """Read access to the node store: a LevelDB database or snapshot, or a dict in tests."""

    def get(self, key: bytes) -> bytes | None: ...


def bit(kh: bytes, d: int) -> int:
    return kh[d >> 3] & BIT[d & 7]


class TopCache:
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


def checked(key: bytes, node: bytes | None) -> bytes:
    """A node read from storage at ``key`` that its parent names, so it must exist and be well formed."""
    if node is None or len(node) != 65 or node[0] > 1:
        raise CorruptTreeError(f"tree node at {key.hex()} is missing or not a valid node encoding")
    return node
