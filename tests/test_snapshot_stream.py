"""Streaming snapshot import: chunks are checked one by one as they arrive, the tree is built from leaves
kept on disk, and an import that stops half way leaves a database the node refuses and then wipes."""

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain.app import genesis_marker
from okchain.state import schema
from okchain.state.leveldb import LevelDB
from okchain.state.merkle import SparseMerkleTree
from okchain.state.snapshot import Manifest, SnapshotError, export_snapshot
from okchain.state.snapshot_import import (
    ChunkError,
    SnapshotImporter,
    check_manifest,
    wipe_interrupted,
)
from tests.helpers.app import genesis
from tests.test_snapshot_state import build_chain


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.binary(min_size=1, max_size=12), st.binary(max_size=8), max_size=60))
def test_streamed_build_gives_the_bulk_root(entries: dict[bytes, bytes]) -> None:
    root, bulk = SparseMerkleTree({}, b"m/").build(sorted(entries.items()))
    leaves = sorted(
        b"\x00" + hashlib.sha256(k).digest() + hashlib.sha256(v).digest() for k, v in entries.items()
    )
    written: dict[bytes, bytes] = {}
    streamed = SparseMerkleTree({}, b"m/").build_streamed(leaves, written.__setitem__)
    assert streamed == root
    assert written == bulk  # the same nodes, each written once


def _exported(tmp_path: Path) -> tuple[Path, Manifest]:
    source = build_chain(tmp_path / "a")
    snap = tmp_path / "snap"
    manifest = export_snapshot(source.db.snapshot(), 4, snap, chunk_keys=2)
    return snap, manifest


def _importer(db: LevelDB, manifest: Manifest) -> SnapshotImporter:
    doc = genesis()
    proven = check_manifest(manifest, chain_id=doc.header.chain_id, validators=doc.header.validators)
    return SnapshotImporter(db, proven, genesis_marker(doc))


def test_chunks_are_checked_as_they_arrive(tmp_path: Path) -> None:
    snap, manifest = _exported(tmp_path)
    db = LevelDB(tmp_path / "b")
    importer = _importer(db, manifest)
    chunks = [(snap / c.file).read_bytes() for c in manifest.chunks]
    with pytest.raises(ChunkError, match=r"chunk 1 .* does not match its sha256"):
        importer.check(1, chunks[0])
    with pytest.raises(ChunkError, match="is not in a snapshot of"):
        importer.check(len(chunks), chunks[0])
    assert len(importer.check(2, chunks[2])) == manifest.chunks[2].keys  # any order: pure
    with pytest.raises(SnapshotError, match="chunk 1 given while chunk 0 is due"):
        importer.add(1, chunks[1])
    for index, data in enumerate(chunks):
        importer.add(index, data)
    assert importer.done
    last = importer.finish()
    assert last.app_hash == manifest.app_hash
    assert db.get(schema.META_IMPORTING) is None
    assert list(db.iterate(schema.IMPORT_LEAVES)) == []  # the staged leaves are gone


def test_an_interrupted_import_is_refused_then_wiped(tmp_path: Path) -> None:
    snap, manifest = _exported(tmp_path)
    db = LevelDB(tmp_path / "b")
    importer = _importer(db, manifest)
    importer.add(0, (snap / manifest.chunks[0].file).read_bytes())
    db.close()  # the process dies here
    db = LevelDB(tmp_path / "b")
    assert db.get(schema.META_IMPORTING) is not None
    assert wipe_interrupted(db)
    assert list(db.iterate(b"")) == []
    assert not wipe_interrupted(db)
    again = _importer(db, manifest)  # and a new import starts clean
    for index, chunk in enumerate(manifest.chunks):
        again.add(index, (snap / chunk.file).read_bytes())
    assert again.finish().app_hash == manifest.app_hash


def test_unfinished_import_cannot_finish(tmp_path: Path) -> None:
    snap, manifest = _exported(tmp_path)
    db = LevelDB(tmp_path / "b")
    importer = _importer(db, manifest)
    importer.add(0, (snap / manifest.chunks[0].file).read_bytes())
    with pytest.raises(SnapshotError, match="has not been added"):
        importer.finish()
    importer.abort()
    assert list(db.iterate(b"")) == []
