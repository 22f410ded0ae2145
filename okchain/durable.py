"""Small file primitives for state that must survive a crash: full writes, atomic replacement with the
directory synced, and an exclusive lock so two node processes never share a signer or WAL."""

import contextlib
import fcntl
import os
from pathlib import Path


class LockedError(OSError):
    """Another process holds the lock."""


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a regular-file write may be short, e.g. on a full disk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(directory: Path) -> None:
    """Make a created, renamed or removed directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_replace(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file, fsync it, rename it over ``path`` and fsync the directory: after a
    crash ``path`` holds either its old content or ``data``, never a mix. Raises ``OSError``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)


def lock_exclusive(path: Path) -> int:
    """Take a non-blocking exclusive ``flock`` on ``path`` (created if needed); returns the fd to close to
    release it. The kernel drops the lock when the process dies, even by SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LockedError(f"{path} is locked by another process") from None
    return fd
