"""Reads of state and of the Merkle tree as of any retained height.

Choice: the latest state stays in place (plain ``S`` keys, tree nodes at fixed positions) so execution and
tree updates keep their fast path (one ``get`` per value, the bounded read and node caches). Each block also
writes *reverse deltas* in the same write batch (``history_writes``):

* ``hv/ key version len``: the value a key had before ``version`` changed it (``b""``: it had none);
* ``hn/ position version``: the tree node at a position before ``version`` changed it;
* ``hp/ version``: the list of those keys, so pruning a version costs what the version changed.

The value of a key at height ``h`` is the first record with a version above ``h`` (the value just before
the next change, which is the value at ``h``), or the current value if it never changed since. The same
rule on node positions gives the tree of height ``h``, so proofs at ``h`` verify against the app hash of
``h``. A read at ``h`` costs one seek per value or node: O(log n) for a proof, independent of how many
blocks passed since. All reads go through one LevelDB snapshot, so pruning (which deletes only records no
retained height needs, see ``okchain.state.pruning``) never changes what an in-flight query sees.
"""

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping

from okchain.errors import OKChainError
from okchain.state import blockstore, schema
from okchain.state.merkle import SparseMerkleTree
from okchain.state.merkle_proof import Proof
from okchain.state.store import KVReader

_PRESENT = b"\x01"
_LEN = 2  # bytes of the key length at the end of a value-history key
_VERSION = 8


class VersionError(OKChainError):
    """A height whose state or block this node cannot serve."""


class HeightPrunedError(VersionError):
    """The height is below the retention window and its data has been (or is being) pruned."""


class HeightAheadError(VersionError):
    """The height is above the latest committed height."""


def history_writes(
    version: int,
    changes: Mapping[bytes, bytes | None],
    old_value: Callable[[bytes], bytes | None],
    old_nodes: Iterable[tuple[bytes, bytes | None]],
) -> dict[bytes, bytes | None]:
    """The reverse deltas of committing ``changes`` (state) and the tree writes that replaced
    ``old_nodes`` at ``version``; they go into the block's write batch."""
    writes: dict[bytes, bytes | None] = {}
    for key, value in changes.items():
        old = old_value(key)
        if old != value:
            writes[schema.value_history(key, version)] = b"" if old is None else _PRESENT + old
    suffix = schema.u64(version)
    for position, node in old_nodes:  # schema.node_history, inlined: this runs per changed node
        writes[schema.NODE_HISTORY + position + suffix] = node or b""
    listed = b"".join([_length(len(k)) + k for k in writes])
    writes[schema.version_changes(version)] = listed
    return writes


@functools.cache
def _length(n: int) -> bytes:
    return n.to_bytes(_LEN, "big")


def listed_keys(raw: bytes) -> list[bytes]:
    """Decode a ``version_changes`` record."""
    keys = []
    at = 0
    while at < len(raw):
        n = int.from_bytes(raw[at : at + _LEN], "big")
        keys.append(raw[at + _LEN : at + _LEN + n])
        at += _LEN + n
    return keys


def earliest_height(reader: KVReader) -> int:
    raw = reader.get(schema.META_EARLIEST)
    return 0 if raw is None else schema.read_u64(raw)


def check_height(reader: KVReader, height: int) -> int:
    """``height`` if this snapshot can serve it, else a precise error; returns the latest height."""
    last = blockstore.last_committed(reader)
    latest = 0 if last is None else last.height
    if height > latest:
        raise HeightAheadError(f"height {height} is above the latest committed height {latest}")
    earliest = earliest_height(reader)
    if height < earliest:
        raise HeightPrunedError(f"height {height} is pruned; earliest available height is {earliest}")
    return latest


def value_at(reader: KVReader, key: bytes, height: int) -> bytes | None:
    """The value of state ``key`` after block ``height`` (which must be retained)."""
    start = schema.value_history(key, height + 1)
    for hkey, raw in reader.iterate(schema.VALUE_HISTORY + key, start):
        # Records of longer keys that start with ``key`` can sort in between; their length differs.
        if int.from_bytes(hkey[-_LEN:], "big") == len(key):
            return raw[1:] if raw else None
    return reader.get(key)


class StateAt:
    """A ``KVReader`` of the state after block ``height``, over one snapshot that holds its history."""

    __slots__ = ("_height", "_reader")

    def __init__(self, reader: KVReader, height: int) -> None:
        self._reader = reader
        self._height = height

    def get(self, key: bytes) -> bytes | None:
        return value_at(self._reader, key, self._height)

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Current keys merged with the keys changed after ``height`` (found in the value history under
        ``prefix``: cheap for narrow prefixes such as one account), the changed ones read as of ``height``."""
        begin = prefix if start is None or start < prefix else start
        at = len(schema.VALUE_HISTORY)
        changed = set()
        for hkey, _ in self._reader.iterate(schema.VALUE_HISTORY + prefix):
            n = int.from_bytes(hkey[-_LEN:], "big")
            key = hkey[at : at + n]
            if key >= begin and int.from_bytes(hkey[at + n : at + n + _VERSION], "big") > self._height:
                changed.add(key)
        return self._merged(self._reader.iterate(prefix, start), changed)

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Every key under ``prefix`` as of ``height``, finding the changed keys in the version records
        since ``height`` instead: for wide prefixes (a whole-state export) this costs what changed since."""
        last = blockstore.last_committed(self._reader)
        latest = self._height if last is None else last.height
        wanted = schema.VALUE_HISTORY + prefix
        at = len(schema.VALUE_HISTORY)
        changed = set()
        for version in range(self._height + 1, latest + 1):
            for hkey in listed_keys(self._reader.get(schema.version_changes(version)) or b""):
                if hkey.startswith(wanted):
                    changed.add(hkey[at : at + int.from_bytes(hkey[-_LEN:], "big")])
        return self._merged(self._reader.iterate(prefix), changed)

    def _merged(
        self, current: Iterator[tuple[bytes, bytes]], changed: set[bytes]
    ) -> Iterator[tuple[bytes, bytes]]:
        """``current`` (ascending) with every key of ``changed`` read as of ``height`` instead."""
        pending = sorted(changed)
        i = 0
        for key, value in current:
            while i < len(pending) and pending[i] < key:
                old = self.get(pending[i])
                if old is not None:
                    yield pending[i], old
                i += 1
            if i < len(pending) and pending[i] == key:
                i += 1
                old = self.get(key)
                if old is not None:
                    yield key, old
            else:
                yield key, value
        for key in pending[i:]:
            old = self.get(key)
            if old is not None:
                yield key, old


class NodesAt:
    """A ``NodeReader`` of the tree as it was after block ``height``."""

    __slots__ = ("_height", "_reader")

    def __init__(self, reader: KVReader, height: int) -> None:
        self._reader = reader
        self._height = height

    def get(self, key: bytes) -> bytes | None:
        for _, node in self._reader.iterate(
            schema.NODE_HISTORY + key, schema.node_history(key, self._height + 1)
        ):
            return node or None
        return self._reader.get(key)


def prove_at(reader: KVReader, key: bytes, height: int) -> tuple[bytes | None, Proof, bytes]:
    """(value, proof, root) of state ``key`` after block ``height``; the root is the app hash of that
    state, which the header of ``height + 1`` carries."""
    nodes = NodesAt(reader, height)
    tree = SparseMerkleTree(nodes, schema.MERKLE, cache_size=0)
    return value_at(reader, key, height), tree.prove(key, reader=nodes), tree.root()
