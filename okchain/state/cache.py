"""Write-through-on-success branches: a tx writes into a branch that is merged only if it succeeds."""

import heapq
from collections.abc import Iterator

from okchain.state.kv import KVReader


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
