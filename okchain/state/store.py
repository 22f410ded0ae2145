"""The store contract every layer codes against: reader/writer protocols and their in-memory twin.

Modules, consensus and the state tree depend on these protocols only, never on a database driver, so they
stay pure and run against ``MemoryKV`` in tests; the LevelDB driver lives in ``okchain.state.leveldb``.
"""

import bisect
from collections.abc import Iterator, Mapping
from typing import Protocol

from okchain.errors import OKChainError


class StoreError(OKChainError):
    """The database cannot be opened or written."""


class KVReader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Keys with ``prefix`` in ascending byte order, from ``start`` (inclusive) if given."""
        ...


class KVStore(KVReader, Protocol):
    def write(self, changes: Mapping[bytes, bytes | None], *, sync: bool = True) -> None:
        """Apply all changes atomically (None deletes)."""
        ...

    def snapshot(self) -> KVReader: ...

    def close(self) -> None: ...


class MemoryKV:
    """Same contract as LevelDB, in memory; snapshots are copies."""

    def __init__(self, data: Mapping[bytes, bytes] | None = None) -> None:
        self._data: dict[bytes, bytes] = dict(data or {})
        self._keys: list[bytes] | None = None

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        if self._keys is None:
            self._keys = sorted(self._data)
        keys = self._keys
        begin = prefix if start is None or start < prefix else start
        for key in keys[bisect.bisect_left(keys, begin) :]:
            if not key.startswith(prefix):
                break
            yield key, self._data[key]

    def write(self, changes: Mapping[bytes, bytes | None], *, sync: bool = True) -> None:
        for key, value in changes.items():
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value
        self._keys = None

    def snapshot(self) -> KVReader:
        return MemoryKV(self._data)

    def close(self) -> None:
        self._data.clear()
