"""The consensus write-ahead log in a file (framing and scanning live in ``okchain.consensus.wal``).

On open the whole file is scanned; a torn or corrupt tail (a crash mid-append) is cut off, synced, and
reported in ``cut_error``, and appends continue after the last whole record. Appends are plain writes;
``sync=True`` (own messages, end-of-height markers) fsyncs before returning, so those records are on disk
before the message is sent or the block committed. ``checkpoint`` drops records of finished heights.
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


class WALFileError(WALError):
    """The WAL file cannot be read or written."""


class FileWAL:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            if created:
                _fsync_dir(self.path.parent)
            data = self.path.read_bytes()
            result = scan(data)
            self.cut_error = result.error  # '' if the file ended with a whole record
            if result.valid_len < len(data):
                os.ftruncate(self._fd, result.valid_len)
                os.fsync(self._fd)
            self._size = result.valid_len
        except OSError as exc:
            raise WALFileError(f"cannot open WAL {self.path}: {exc.strerror or exc}") from None

    def append(self, record: WALRecord, sync: bool) -> None:
        frame = encode_record(record)
        try:
            view = memoryview(frame)
            while view:
                view = view[os.write(self._fd, view) :]
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
        temp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, self.path)
            _fsync_dir(self.path.parent)
            new_fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            raise WALFileError(f"cannot checkpoint WAL {self.path}: {exc.strerror or exc}") from None
        os.close(self._fd)
        self._fd = new_fd
        self._size = len(data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "FileWAL":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
