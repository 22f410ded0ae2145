"""The consensus write-ahead log in a file (framing and scanning live in ``okchain.consensus.wal``).

On open the whole file is scanned; a torn or corrupt tail (a crash mid-append) is cut off, synced, and
reported in ``cut_error``, and appends continue after the last whole record. Appends are plain writes;
``sync=True`` (own messages, end-of-height markers) fsyncs before returning, so those records are on disk
before the message is sent or the block committed. ``checkpoint`` drops records of finished heights.
An open log holds an exclusive lock (``<wal file>.lock``) so two node processes never write one log.
"""

import contextlib
import os
from pathlib import Path
from types import TracebackType

from okchain.consensus.wal import (
    WALError,
    WALRecord,
    encode_record,
    end_height_record,
    records_after_end_height,
    scan,
)
from okchain.durable import atomic_replace, fsync_dir, lock_exclusive, write_all


class WALFileError(WALError):
    """The WAL file cannot be read or written."""


class FileWAL:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._lock_fd = lock_exclusive(self.path.with_name(self.path.name + ".lock"))
        except OSError as exc:
            raise WALFileError(
                f"cannot lock WAL {self.path}: {exc.strerror or exc} (is another node running?)"
            ) from None
        self._fd = -1
        try:
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            if created:
                fsync_dir(self.path.parent)
            data = self.path.read_bytes()
            result = scan(data)
            self.cut_error = result.error  # '' if the file ended with a whole record
            if result.valid_len < len(data):
                os.ftruncate(self._fd, result.valid_len)
                os.fsync(self._fd)
            self._size = result.valid_len
        except OSError as exc:
            self.close()
            raise WALFileError(f"cannot open WAL {self.path}: {exc.strerror or exc}") from None

    def append(self, record: WALRecord, sync: bool) -> None:
        frame = encode_record(record)
        try:
            write_all(self._fd, frame)
            if sync:
                os.fsync(self._fd)
        except OSError as exc:
            # Do not leave a partial frame in front of later appends.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise WALFileError(f"cannot append to WAL {self.path}: {exc.strerror or exc}") from None
        self._size += len(frame)

    def sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise WALFileError(f"cannot sync WAL {self.path}: {exc.strerror or exc}") from None

    def records(self) -> tuple[WALRecord, ...]:
        try:
            data = os.pread(self._fd, self._size, 0)
        except OSError as exc:
            raise WALFileError(f"cannot read WAL {self.path}: {exc.strerror or exc}") from None
        result = scan(data)
        if result.error:
            raise WALFileError(f"WAL {self.path} was damaged while open: {result.error}")
        return result.records

    def checkpoint(self, height: int) -> None:
        """Rewrite the log as ``END_HEIGHT(height)`` followed by the records after it (atomically), once
        ``height`` is committed: earlier heights are never replayed again."""
        keep = (end_height_record(height), *records_after_end_height(self.records(), height))
        data = b"".join(encode_record(r) for r in keep)
        try:
            atomic_replace(self.path, data)
        except OSError as exc:
            self._reopen()  # the rename may have gone through: never append to an unlinked file
            raise WALFileError(f"cannot checkpoint WAL {self.path}: {exc.strerror or exc}") from None
        self._reopen()

    def _reopen(self) -> None:
        """Append to the file ``path`` names now; if it cannot be opened, every later append fails."""
        os.close(self._fd)
        self._fd = -1
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
            self._size = os.fstat(self._fd).st_size
        except OSError as exc:
            raise WALFileError(f"cannot reopen WAL {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Close the log and release its lock (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> "FileWAL":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
