"""The files an operator is handed and the node reads: a state snapshot's chunks and the blocks, commits,
results and validator sets in its manifest, and an OKB holder CSV. Damaged input is refused with the
reader's own error (which the CLI prints), never another exception, and a refused import writes nothing.

Chunks are damaged with their sha256 in the manifest rewritten to match, as a snapshot's author could, so
the entry decoder and the proofs behind it are reached.
"""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain.genesis.snapshot import SnapshotError as CSVError
from okchain.genesis.snapshot import load_snapshot
from okchain.state.leveldb import LevelDB
from okchain.state.snapshot import MANIFEST, SnapshotError, export_snapshot
from okchain.state.snapshot_import import import_snapshot
from okchain.state.store import MemoryKV
from tests.helpers.app import genesis
from tests.helpers.fuzz import mutated
from tests.test_snapshot_state import build_chain

FUZZ = settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEX_FIELDS = ("block", "results", "next_block", "next_commit", "previous_header", "previous_set")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A valid snapshot at height 4 of a six-block chain, in chunks of two keys; and the chain id."""
    directory = tmp_path_factory.mktemp("snapfuzz")
    source = build_chain(directory / "db")
    export_snapshot(source.db.snapshot(), 4, directory / "snap", chunk_keys=2)
    chain_id = source.app.chain_id
    assert isinstance(source.db, LevelDB)
    source.db.close()
    return directory / "snap", chain_id


def _import_refused_or_taken(snap: Path, chain_id: str) -> None:
    db = MemoryKV()
    try:
        import_snapshot(
            db, snap, chain_id=chain_id, validators=genesis().header.validators, genesis_marker=b""
        )
    except SnapshotError as exc:
        assert str(exc)
        assert list(db.iterate(b"")) == []


def _copy(snapshot: tuple[Path, str], tmp_path: Path) -> tuple[Path, dict[str, object]]:
    snap = tmp_path / "snap"
    shutil.rmtree(snap, ignore_errors=True)
    shutil.copytree(snapshot[0], snap)
    return snap, json.loads((snap / MANIFEST).read_text())


def test_damaged_chunks_with_matching_hashes_are_refused(snapshot: tuple[Path, str], tmp_path: Path) -> None:
    first_chunk = (
        snapshot[0] / json.loads((snapshot[0] / MANIFEST).read_text())["chunks"][0]["file"]
    ).read_bytes()

    @FUZZ
    @given(st.one_of(st.binary(max_size=200), mutated(first_chunk)), st.integers(0, 3))
    def check(data: bytes, which: int) -> None:
        snap, manifest = _copy(snapshot, tmp_path)
        chunks = manifest["chunks"]
        assert isinstance(chunks, list)
        chunk = chunks[which % len(chunks)]
        (snap / chunk["file"]).write_bytes(data)
        chunk["sha256"] = hashlib.sha256(data).hexdigest()
        (snap / MANIFEST).write_text(json.dumps(manifest))
        _import_refused_or_taken(snap, snapshot[1])

    check()


def test_damaged_manifest_blocks_commits_and_sets_are_refused(
    snapshot: tuple[Path, str], tmp_path: Path
) -> None:
    valid = json.loads((snapshot[0] / MANIFEST).read_text())
    fields = st.sampled_from(
        [*HEX_FIELDS, *(f"validator_sets.{i}" for i in range(len(valid["validator_sets"])))]
    )

    @FUZZ
    @given(fields.flatmap(lambda f: st.tuples(st.just(f), mutated(bytes.fromhex(_field(valid, f))))))
    def check(change: tuple[str, bytes]) -> None:
        snap, manifest = _copy(snapshot, tmp_path)
        name, data = change
        if "." in name:
            sets = manifest["validator_sets"]
            assert isinstance(sets, list)
            sets[int(name.split(".")[1])] = data.hex()
        else:
            manifest[name] = data.hex()
        (snap / MANIFEST).write_text(json.dumps(manifest))
        _import_refused_or_taken(snap, snapshot[1])

    check()


def _field(manifest: dict[str, object], name: str) -> str:
    if "." in name:
        sets = manifest["validator_sets"]
        assert isinstance(sets, list)
        return str(sets[int(name.split(".")[1])])
    return str(manifest[name])


VALID_CSV = (
    b"Address,Balance\n"
    b'"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","1000000"\n'
    b"0x70997970C51812dc3A010C7d01b50e0d17dc79C8,12.5\n"
)


def test_okb_holder_csv_is_read_or_refused_with_the_rows_named(tmp_path: Path) -> None:
    @FUZZ
    @given(st.one_of(st.binary(max_size=300), mutated(VALID_CSV), st.text(max_size=200).map(str.encode)))
    def check(data: bytes) -> None:
        path = tmp_path / "okb.csv"
        path.write_bytes(data)
        try:
            load_snapshot(path)
        except CSVError as exc:
            assert str(exc)

    check()
