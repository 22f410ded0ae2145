"""Write-through-on-success branches: a tx writes into a branch that is merged only if it succeeds."""

import heapq
from collections.abc import Iterator, Mapping

from okchain.state.store import KVReader


class CacheKV:
    """Buffered view over a parent reader; ``writes`` keeps insertion order, ``None`` marks a delete."""

    __slots__ = ("_parent", "writes")

    def __init__(self, parent: KVReader) -> None:
        self._parent = parent
        self.writes: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self._parent.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.writes[key] = value

    def delete(self, key: bytes) -> None:
        self.writes[key] = None

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Parent's keys merged with this branch's writes, deletes hidden, ascending."""
        begin = prefix if start is None or start < prefix else start
        local = sorted((k, v) for k, v in self.writes.items() if k.startswith(prefix) and k >= begin)
        local_keys = {k for k, _ in local}
        parent = ((k, v) for k, v in self._parent.iterate(prefix, start) if k not in local_keys)
        yield from heapq.merge(parent, ((k, v) for k, v in local if v is not None))

    def branch(self) -> "CacheKV":
        return CacheKV(self)

    def merge_into(self, parent: "CacheKV") -> None:
        """Apply this branch's writes to ``parent`` (the branch's own parent)."""
        parent.writes.update(self.writes)


class ReadCache:
    """Bounded cache of committed values (absence included) in front of the database.

    Only the application writes committed state, and it passes every committed batch to ``apply``, so the
    cache never disagrees with the database. Eviction is oldest-first; memory stays bounded by ``capacity``.
    """

    __slots__ = ("_capacity", "_db", "_values")

    def __init__(self, db: KVReader, capacity: int) -> None:
        self._db = db
        self._capacity = capacity
        self._values: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._db.get(key)
        self._values[key] = value
        if len(self._values) > self._capacity:
            del self._values[next(iter(self._values))]
        return value

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        return self._db.iterate(prefix, start)

    def apply(self, writes: Mapping[bytes, bytes | None]) -> None:
        """Refresh cached keys that a committed batch changed."""
        values = self._values
        for key, value in writes.items():
            if key in values:
                values[key] = value
