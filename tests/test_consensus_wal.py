"""Write-ahead log: frame layout, torn/corrupt tails (every truncation, any flipped byte), replay ranges,
the in-memory WAL's simulated crash, and the file WAL cutting a bad tail and appending after it."""

import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain.consensus.messages import Step, TimeoutInfo
from okchain.consensus.wal import (
    HEADER_LEN,
    MAX_PAYLOAD,
    MemoryWAL,
    RecordKind,
    WALError,
    WALRecord,
    encode_record,
    end_height_record,
    records_after_end_height,
    scan,
)
from okchain.node.wal_file import FileWAL, WALFileError

REPO = Path(__file__).resolve().parent.parent

records_st = st.lists(
    st.one_of(
        st.builds(
            WALRecord,
            st.sampled_from([k for k in RecordKind if k != RecordKind.END_HEIGHT]),
            st.binary(max_size=40),
        ),
        st.builds(end_height_record, st.integers(0, 2**64 - 1)),
    ),
    max_size=8,
)


def _frames(records: list[WALRecord]) -> tuple[bytes, list[int]]:
    """The log bytes and the offset where each frame ends."""
    data, ends = b"", []
    for r in records:
        data += encode_record(r)
        ends.append(len(data))
    return data, ends


def test_frame_layout() -> None:
    assert zlib.crc32(b"123456789") == 0xCBF43926  # the standard CRC-32 check value
    payload = TimeoutInfo(3, 1, Step.PREVOTE, 10**9).encode()
    frame = encode_record(WALRecord(RecordKind.TIMEOUT, payload))
    assert frame[:4] == struct.pack(">I", len(payload))
    assert frame[4:8] == struct.pack(">I", zlib.crc32(bytes([4]) + payload))
    assert frame[8] == 4 and frame[9:] == payload and HEADER_LEN == 9
    marker = encode_record(end_height_record(5))
    assert marker[8:] == b"\x07" + (5).to_bytes(8, "big")
    assert scan(marker).records[0].height_ended == 5
    assert WALRecord(RecordKind.OWN_VOTE, b"x").height_ended is None


@given(records_st)
def test_roundtrip(records: list[WALRecord]) -> None:
    data, _ = _frames(records)
    assert scan(data) == scan(bytearray(data))
    result = scan(data)
    assert list(result.records) == records and result.valid_len == len(data) and result.error == ""


@given(records_st, st.data())
def test_truncation_at_any_offset_gives_a_prefix(records: list[WALRecord], data: st.DataObject) -> None:
    log, ends = _frames(records)
    cut = data.draw(st.integers(0, len(log)))
    result = scan(log[:cut])
    whole = sum(1 for e in ends if e <= cut)
    assert list(result.records) == records[:whole]
    assert result.valid_len == (ends[whole - 1] if whole else 0)
    assert (result.error == "") == (result.valid_len == cut)
    if result.error:
        assert "torn" in result.error


def test_truncation_at_every_offset() -> None:
    records = [
        WALRecord(RecordKind.MESSAGE_VOTE, b"v" * 20),
        end_height_record(1),
        WALRecord(RecordKind.TIMEOUT, b""),
    ]
    log, ends = _frames(records)
    for cut in range(len(log) + 1):
        whole = sum(1 for e in ends if e <= cut)
        assert scan(log[:cut]).records == tuple(records[:whole]), cut


@given(records_st.filter(bool), st.data())
def test_any_flipped_byte_gives_a_prefix(records: list[WALRecord], data: st.DataObject) -> None:
    log, ends = _frames(records)
    at = data.draw(st.integers(0, len(log) - 1))
    flip = data.draw(st.integers(1, 255))
    damaged = bytearray(log)
    damaged[at] ^= flip
    result = scan(bytes(damaged))
    frame = next(i for i, e in enumerate(ends) if at < e)  # the frame the flipped byte is in
    assert list(result.records) == records[:frame]
    assert result.error != ""


def test_refusals_name_the_problem() -> None:
    good = encode_record(WALRecord(RecordKind.OWN_VOTE, b"abc"))
    huge = struct.pack(">IIB", MAX_PAYLOAD + 1, 0, 2)
    assert "over the maximum" in scan(good + huge).error
    body = bytes([99]) + b"abc"
    unknown = struct.pack(">II", 3, zlib.crc32(body)) + body
    assert "unknown record kind 99" in scan(good + unknown).error
    short_marker = encode_record(WALRecord(RecordKind.END_HEIGHT, b"\x01"))
    assert "end-of-height marker" in scan(short_marker).error
    assert "CRC mismatch" in scan(good[:-1] + b"X").error
    with pytest.raises(WALError, match="exceeds the maximum"):
        encode_record(WALRecord(RecordKind.MESSAGE_BLOCK, bytes(MAX_PAYLOAD + 1)))


def _r(tag: bytes) -> WALRecord:
    return WALRecord(RecordKind.MESSAGE_VOTE, tag)


def test_records_after_end_height() -> None:
    h1 = [_r(b"a"), _r(b"b")]
    h2 = [_r(b"c")]
    log = [*h1, end_height_record(1), *h2, end_height_record(2), _r(b"d")]
    assert records_after_end_height(log, 1) == tuple(h2)
    assert records_after_end_height(log, 2) == (_r(b"d"),)
    assert records_after_end_height(log, 3) == ()  # committed past the log
    assert records_after_end_height(h1, 0) == tuple(h1)  # no marker yet: all for the height in progress
    assert records_after_end_height([end_height_record(0), *h1], 0) == tuple(h1)
    with pytest.raises(WALError, match="ended height 2, but the block store is at 0"):
        records_after_end_height(log, 0)  # block 1 was committed before height 2 could end
    with pytest.raises(WALError, match="ended height 3, but the block store is at 1"):
        records_after_end_height([*log, end_height_record(3)], 1)
    with pytest.raises(WALError, match="none for height 0"):
        records_after_end_height([end_height_record(1), *h2], 0)  # a checkpointed log of another store
    # A height replayed twice (restart before the next marker) uses the latest run.
    twice = [end_height_record(4), _r(b"x"), end_height_record(4), _r(b"y")]
    assert records_after_end_height(twice, 4) == (_r(b"y"),)


def test_a_new_chain_that_crashed_between_deciding_and_committing_height_1_replays_it() -> None:
    """END_HEIGHT(1) is synced before block 1 is committed; a crash in between leaves the block store at 0
    and a log that was never checkpointed, whose start is where height 0 ended. Its height-1 records must be
    replayed (the node decides block 1 again) instead of the node refusing to start."""
    h1 = [_r(b"a"), _r(b"b")]
    assert records_after_end_height([*h1, end_height_record(1)], 0) == tuple(h1)
    late = _r(b"late precommit of height 1")  # counted while the block was being committed
    assert records_after_end_height([*h1, end_height_record(1), late], 0) == tuple(h1)


def test_memory_wal_crash_keeps_synced_records() -> None:
    wal = MemoryWAL()
    wal.append(_r(b"peer"), sync=False)
    wal.append(WALRecord(RecordKind.OWN_VOTE, b"mine"), sync=True)
    wal.append(_r(b"late1"), sync=False)
    wal.append(_r(b"late2"), sync=False)
    synced = list(wal.records()[:2])
    frame = len(encode_record(_r(b"late1")))
    assert list(wal.crashed(0).records()) == synced
    assert list(wal.crashed(frame).records()) == [*synced, _r(b"late1")]
    torn = wal.crashed(frame + 3)
    assert list(torn.records()) == [*synced, _r(b"late1")] and "torn" in torn.cut_error
    torn.append(_r(b"after"), sync=True)
    assert list(MemoryWAL(torn.data).records()) == [*synced, _r(b"late1"), _r(b"after")]
    assert MemoryWAL(torn.data).cut_error == ""


@given(records_st.filter(bool), st.data())
@settings(max_examples=40, deadline=None)
def test_file_wal_cuts_damaged_tail_and_appends_after_it(
    records: list[WALRecord], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wal" / "cs.wal"
        with FileWAL(path) as wal:
            for i, r in enumerate(records):
                wal.append(r, sync=i % 2 == 0)
            assert list(wal.records()) == records
        log = path.read_bytes()
        if data.draw(st.booleans()):
            damaged = log[: data.draw(st.integers(0, len(log)))]
        else:
            at = data.draw(st.integers(0, len(log) - 1))
            damaged = log[:at] + bytes([log[at] ^ 0xFF]) + log[at + 1 :]
        path.write_bytes(damaged)
        expected = list(scan(damaged).records)
        assert expected == records[: len(expected)]
        extra = WALRecord(RecordKind.OWN_PROPOSAL, b"after restart")
        with FileWAL(path) as wal:
            assert list(wal.records()) == expected
            assert path.stat().st_size == scan(damaged).valid_len
            wal.append(extra, sync=True)
        with FileWAL(path) as wal:
            assert wal.cut_error == ""
            assert list(wal.records()) == [*expected, extra]


def test_one_writer_per_wal(tmp_path: Path) -> None:
    path = tmp_path / "cs.wal"
    with FileWAL(path), pytest.raises(WALFileError, match="another node"):
        FileWAL(path)
    FileWAL(path).close()


def test_file_wal_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "cs.wal"
    with FileWAL(path) as wal:
        for rec in [_r(b"a"), end_height_record(1), _r(b"b"), end_height_record(2), _r(b"c")]:
            wal.append(rec, sync=False)
        wal.checkpoint(2)
        assert list(wal.records()) == [end_height_record(2), _r(b"c")]
        wal.append(_r(b"d"), sync=True)
    with FileWAL(path) as wal:
        assert records_after_end_height(wal.records(), 2) == (_r(b"c"), _r(b"d"))


_WRITER = """
import sys
from pathlib import Path
from okchain.consensus.wal import RecordKind, WALRecord
from okchain.node.wal_file import FileWAL, WALFileError

wal = FileWAL(Path(sys.argv[1]))
for i in range(100_000):
    wal.append(WALRecord(RecordKind.OWN_VOTE, i.to_bytes(4, "big") * 50), sync=i % 3 == 0)
    if i % 3 == 0:
        print(i, flush=True)  # acknowledged: synced before this line was written
"""


def test_file_wal_survives_sigkill_mid_write(tmp_path: Path) -> None:
    """A real process appending as fast as it can is SIGKILLed; on reopen every acknowledged (synced)
    record is there, the log is a prefix of what was written, and appending continues cleanly."""
    path = tmp_path / "cs.wal"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None
    acknowledged = -1
    while acknowledged < 300:
        line = proc.stdout.readline()
        assert line, "writer exited early"
        acknowledged = int(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with FileWAL(path) as wal:
        got = wal.records()
        assert len(got) > acknowledged
        assert [r.payload for r in got] == [i.to_bytes(4, "big") * 50 for i in range(len(got))]
        wal.append(end_height_record(1), sync=True)
    with FileWAL(path) as wal:
        assert wal.cut_error == "" and wal.records()[-1] == end_height_record(1)


def test_a_failed_checkpoint_never_leaves_appends_going_to_the_replaced_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the checkpoint's rename went through but a later step failed (the directory fsync), the log kept
    appending to the old, already unlinked file: a synced record reported durable was lost on reopen."""
    import okchain.node.wal_file as wal_file

    path = tmp_path / "cs.wal"
    real = wal_file.atomic_replace

    def replace_then_fail(p: Path, data: bytes) -> None:
        real(p, data)
        raise OSError(5, "Input/output error")

    with FileWAL(path) as wal:
        for rec in [_r(b"a"), end_height_record(1), _r(b"b")]:
            wal.append(rec, sync=True)
        monkeypatch.setattr(wal_file, "atomic_replace", replace_then_fail)
        with pytest.raises(WALFileError, match="cannot checkpoint"):
            wal.checkpoint(1)
        try:
            wal.append(_r(b"own vote"), sync=True)
        except WALFileError:
            appended = False
        else:
            appended = True
    with FileWAL(path) as wal:
        assert (_r(b"own vote") in wal.records()) == appended
