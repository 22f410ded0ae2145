"""Key-value backends: plyvel LevelDB for nodes, an in-memory twin with the same contract for tests."""

import bisect
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import plyvel

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


def _prefix_end(prefix: bytes) -> bytes | None:
    """Smallest key greater than every key starting with ``prefix`` (None if there is none)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


class _PlyvelReader:
    def __init__(self, source: Any) -> None:
        self._source = source

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self._source.get(key)
        return value

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        begin = prefix if start is None or start < prefix else start
        stop = _prefix_end(prefix)
        if stop is None:
            yield from self._source.iterator(start=begin)
        else:
            yield from self._source.iterator(start=begin, stop=stop)


class LevelDB(_PlyvelReader):
    """A plyvel database; ``write`` is one atomic WriteBatch, synced by default so commits survive a crash."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        try:
            self._db = plyvel.DB(
                str(path),
                create_if_missing=True,
                lru_cache_size=64 * 1024 * 1024,
                write_buffer_size=32 * 1024 * 1024,
            )
        except plyvel.Error as exc:
            raise StoreError(f"cannot open LevelDB at {path}: {exc}") from exc
        super().__init__(self._db)

    def write(self, changes: Mapping[bytes, bytes | None], *, sync: bool = True) -> None:
        with self._db.write_batch(transaction=True, sync=sync) as batch:
            for key, value in changes.items():
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)

    def snapshot(self) -> KVReader:
        return _PlyvelReader(self._db.snapshot())

    def close(self) -> None:
        self._db.close()


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
