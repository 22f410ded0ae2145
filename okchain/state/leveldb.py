"""The node's key-value store: plyvel LevelDB behind the ``KVStore`` protocol of ``okchain.state.store``."""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import plyvel

from okchain.state.store import KVReader, StoreError


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


IMPORT_CACHE_MIB = 8


class LevelDB(_PlyvelReader):
    """A plyvel database; ``write`` is one atomic WriteBatch, synced by default so commits survive a crash."""

    def __init__(self, path: Path, *, cache_mib: int = 64) -> None:
        """``cache_mib``: LevelDB's block cache, which a node's reads of state benefit from; an import, which
        mostly writes, does with less (``IMPORT_CACHE_MIB``)."""
        self._path = path
        path.mkdir(parents=True, exist_ok=True)
        try:
            self._db = plyvel.DB(
                str(path),
                create_if_missing=True,
                lru_cache_size=cache_mib * 1024 * 1024,
                write_buffer_size=32 * 1024 * 1024,
            )
        except plyvel.Error as exc:
            raise StoreError(f"cannot open LevelDB at {path}: {exc}") from exc
        super().__init__(self._db)

    def write(self, changes: Mapping[bytes, bytes | None], *, sync: bool = True) -> None:
        try:
            with self._db.write_batch(transaction=True, sync=sync) as batch:
                for key, value in changes.items():
                    if value is None:
                        batch.delete(key)
                    else:
                        batch.put(key, value)
        except plyvel.Error as exc:  # a full disk, say: the batch is not written, the node must stop
            raise StoreError(f"cannot write to LevelDB at {self._path}: {exc}") from exc

    def snapshot(self) -> KVReader:
        return _PlyvelReader(self._db.snapshot())

    def close(self) -> None:
        self._db.close()
