"""Consensus write-ahead log: record framing, scanning with torn-tail detection, and an in-memory WAL.

Every input the consensus machine acts on (received proposals, votes and blocks, fired timeouts) and every
message it signs is logged before it takes effect, so after a crash the node replays the height in progress
and takes the same path, never signing something that conflicts with what it already sent.

Frame: ``length u32 || crc32 u32 || kind u8 || payload`` (big-endian), ``length = len(payload)``, the CRC
(zlib's CRC-32) covers ``kind || payload``. A crash can leave a partial frame at the end of the log (a
*torn tail*); ``scan`` stops at the first frame that is incomplete, too long, fails its CRC or has an
unknown kind, returns the records before it and where the valid prefix ends, so the file can be cut there.
Payloads: the message's ``encode()``, the block's ``encode()``, ``TimeoutInfo.encode()``, or the height as
u64 for ``END_HEIGHT``. The file-backed log is ``okchain.node.wal_file.FileWAL``.
"""

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from okchain.consensus.messages import ConsensusError

_HEADER = struct.Struct(">IIB")
HEADER_LEN = _HEADER.size
MAX_PAYLOAD = 64 * 1024 * 1024  # a whole block travels in one record; blocks are not split into parts
_HEIGHT = struct.Struct(">Q")


class WALError(ConsensusError):
    """A write-ahead log that cannot be used as it is (e.g. it does not match the block store)."""


class RecordKind(IntEnum):
    MESSAGE_PROPOSAL = 1
    MESSAGE_VOTE = 2
    MESSAGE_BLOCK = 3
    TIMEOUT = 4
    OWN_PROPOSAL = 5
    OWN_VOTE = 6
    END_HEIGHT = 7


_KINDS = frozenset(int(k) for k in RecordKind)
_KIND_CRC = tuple(zlib.crc32(bytes([k])) for k in range(256))  # CRC state after the kind byte


@dataclass(frozen=True, slots=True)
class WALRecord:
    kind: RecordKind
    payload: bytes

    @property
    def height_ended(self) -> int | None:
        """The height an ``END_HEIGHT`` marker closes; ``None`` for other kinds."""
        if self.kind != RecordKind.END_HEIGHT or len(self.payload) != _HEIGHT.size:
            return None
        return int(_HEIGHT.unpack(self.payload)[0])


def end_height_record(height: int) -> WALRecord:
    """Marker written (synced) once ``height`` is decided, before its block is committed."""
    return WALRecord(RecordKind.END_HEIGHT, _HEIGHT.pack(height))


def encode_record(record: WALRecord) -> bytes:
    if len(record.payload) > MAX_PAYLOAD:
        raise WALError(f"WAL record of {len(record.payload)} bytes exceeds the maximum {MAX_PAYLOAD}")
    body = bytes([int(record.kind)]) + record.payload
    return _HEADER.pack(len(record.payload), zlib.crc32(body), int(record.kind)) + record.payload


@dataclass(frozen=True, slots=True)
class WALScan:
    records: tuple[WALRecord, ...]
    valid_len: int  # bytes of whole, valid frames from the start
    error: str  # '' if the data ended exactly after a valid frame, else what is wrong at valid_len


def scan(data: bytes | bytearray | memoryview) -> WALScan:
    """Decode frames from the start of ``data`` until the end or the first bad frame. Never raises."""
    view = memoryview(data)
    records: list[WALRecord] = []
    pos, end = 0, len(view)
    error = ""
    while pos < end:
        if end - pos < HEADER_LEN:
            error = f"torn frame header at offset {pos} ({end - pos} of {HEADER_LEN} bytes)"
            break
        length, crc, kind = _HEADER.unpack_from(view, pos)
        if length > MAX_PAYLOAD:
            error = f"frame at offset {pos} claims {length} bytes, over the maximum {MAX_PAYLOAD}"
            break
        body_end = pos + HEADER_LEN + length
        if body_end > end:
            error = f"torn frame at offset {pos}: {end - pos - HEADER_LEN} of {length} payload bytes"
            break
        payload = view[pos + HEADER_LEN : body_end]
        if zlib.crc32(payload, _KIND_CRC[kind]) != crc:
            error = f"CRC mismatch in frame at offset {pos}"
            break
        if kind not in _KINDS:
            error = f"unknown record kind {kind} at offset {pos}"
            break
        if kind == RecordKind.END_HEIGHT and length != _HEIGHT.size:
            error = f"end-of-height marker at offset {pos} has {length} payload bytes, not {_HEIGHT.size}"
            break
        records.append(WALRecord(RecordKind(kind), bytes(payload)))
        pos = body_end
    return WALScan(tuple(records), pos, error)


def records_after_end_height(records: Iterable[WALRecord], height: int) -> tuple[WALRecord, ...]:
    """What to replay for height ``height + 1`` once ``height`` is committed.

    Those are the records after the last ``END_HEIGHT(height)`` marker, up to the next marker. A log that
    was never checkpointed (it does not start with a marker) begins where height 0 ended, so a new chain
    that crashed after deciding height 1 but before committing it replays height 1. With no marker at all
    the log never finished a height, so every record is for the height in progress. If the newest marker is
    below ``height`` the node committed past the log (nothing to replay). A log whose markers skip
    ``height`` but go beyond it, or that ended ``height + 2`` or later (which needs block ``height + 1``
    committed), does not belong to this block store.
    """
    recs = list(records)
    markers = [(i, r.height_ended or 0) for i, r in enumerate(recs) if r.kind == RecordKind.END_HEIGHT]
    found = [i for i, h in markers if h == height]
    if found:
        start = found[-1] + 1
    elif not markers or (height == 0 and markers[0][0] > 0):
        start = 0
    else:
        newest = max(h for _, h in markers)
        if newest < height:
            return ()
        raise WALError(f"WAL has end-of-height markers up to {newest} but none for height {height}")
    later = [(i, h) for i, h in markers if i >= start]
    beyond = max((h for _, h in later), default=0)
    if beyond > height + 1:
        raise WALError(f"WAL ended height {beyond}, but the block store is at {height}")
    stop = later[0][0] if later else len(recs)
    return tuple(recs[start:stop])


class WAL(Protocol):
    """What the node and the simulator need from a write-ahead log."""

    def append(self, record: WALRecord, sync: bool) -> None:
        """Append a record; with ``sync`` it is durable when this returns."""

    def records(self) -> tuple[WALRecord, ...]:
        """Every record in the log, oldest first."""


class MemoryWAL:
    """A WAL in memory for the simulator: remembers what was synced, and can crash with a torn tail."""

    def __init__(self, data: bytes = b"") -> None:
        result = scan(data)
        self._data = bytearray(data[: result.valid_len])
        self._records = list(result.records)
        self._synced = len(self._data)
        self.cut_error = result.error  # what was cut off when this log was opened ('' if nothing)

    def append(self, record: WALRecord, sync: bool) -> None:
        self._data += encode_record(record)
        self._records.append(record)
        if sync:
            self._synced = len(self._data)

    def records(self) -> tuple[WALRecord, ...]:
        return tuple(self._records)

    @property
    def data(self) -> bytes:
        return bytes(self._data)

    def crashed(self, unsynced_bytes_kept: int) -> "MemoryWAL":
        """The log as reopened after a crash: everything synced, plus the first ``unsynced_bytes_kept``
        bytes written after the last sync (the OS may have flushed some of them, possibly mid-frame)."""
        keep = self._synced + max(0, unsynced_bytes_kept)
        return MemoryWAL(bytes(self._data[:keep]))
