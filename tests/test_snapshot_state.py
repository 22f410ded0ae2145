"""State snapshots: export at a retained height, import into an empty database verified against the signed
header above it, then the imported node accepts the original next block and builds its own; every kind of
tampering is refused before anything is written."""

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain._pb.types.v1 import types_pb2
from okchain.app import AppError, Application, genesis_marker
from okchain.crypto.address import to_checksum
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc
from okchain.state import blockstore, schema, versions
from okchain.state.leveldb import LevelDB
from okchain.state.snapshot import MANIFEST, SnapshotError, export_snapshot
from okchain.state.snapshot_import import import_snapshot
from okchain.types.block import Block
from tests.helpers.app import KEYS, Chain, genesis, send
from tests.helpers.chain import OKT, funded_keys
from tests.helpers.processes import NodeProcess, init_node, okchaind

NEWCOMER = AccountKey(b"\x55" * 32)


def build_chain(path: Path) -> Chain:
    """Six blocks of transfers, one of them creating an account, on a real LevelDB."""
    chain = Chain(LevelDB(path), genesis())
    a, b, c, _ = KEYS
    for nonce in range(6):
        chain.produce(
            [send(a, nonce, b, 1 + nonce), send(c, nonce, NEWCOMER.address if nonce == 2 else a, 7)]
        )
    return chain


def block_at(chain: Chain, height: int) -> Block:
    block = blockstore.block_at(chain.db, height)
    assert block is not None
    return block


def import_into(path: Path, snapshot: Path, doc: GenesisDoc | None = None) -> LevelDB:
    doc = doc or genesis()
    db = LevelDB(path)
    import_snapshot(
        db,
        snapshot,
        chain_id=doc.header.chain_id,
        validators=doc.header.validators,
        genesis_marker=genesis_marker(doc),
    )
    return db


def test_export_at_an_old_height_imports_and_continues(tmp_path: Path) -> None:
    source = build_chain(tmp_path / "a")
    height = 3
    manifest = export_snapshot(source.db.snapshot(), height, tmp_path / "snap", chunk_keys=2)
    assert len(manifest.chunks) > 2
    expected = list(versions.StateAt(source.db, height).scan(schema.STATE))
    assert manifest.keys == len(expected)
    db = import_into(tmp_path / "b", tmp_path / "snap")
    assert list(db.iterate(schema.STATE)) == expected
    imported = Chain(db, genesis())
    next_header = block_at(source, height + 1).header
    assert imported.app.last == blockstore.LastCommitted(
        height,
        next_header.app_hash,
        next_header.last_block_hash,
        next_header.last_results_hash,
        block_at(source, height).header.time_ns,
    )
    assert versions.earliest_height(db) == height
    # It accepts the source chain's next blocks and reaches the same app hashes...
    for h in (height + 1, height + 2):
        commit = blockstore.commit_at(source.db, h)
        assert commit is not None
        finalized = imported.apply(block_at(source, h), commit)
        assert finalized.app_hash == block_at(source, h + 1).header.app_hash
    # ...and builds its own on top.
    imported.produce([send(KEYS[1], 0, KEYS[0], 5)])
    with pytest.raises(versions.HeightPrunedError, match=f"earliest available height is {height}"):
        imported.app.query(height - 1)


Tamper = Callable[[Path, dict[str, object]], None]


def _flip_chunk_byte(snap: Path, manifest: dict[str, object]) -> None:
    path = snap / "chunk-000001.bin"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))


def _consistent_but_wrong_value(snap: Path, manifest: dict[str, object]) -> None:
    """Change a value and fix up the chunk hash: only the rebuilt root can catch it."""
    path = snap / "chunk-000001.bin"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    chunks = manifest["chunks"]
    assert isinstance(chunks, list)
    chunks[1]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()


def _forged_signature(snap: Path, manifest: dict[str, object]) -> None:
    commit = types_pb2.Commit.FromString(bytes.fromhex(str(manifest["next_commit"])))
    sig = bytearray(commit.signatures[0].signature)
    sig[0] ^= 1
    commit.signatures[0].signature = bytes(sig)
    manifest["next_commit"] = commit.SerializeToString(deterministic=True).hex()


def _other_app_hash(snap: Path, manifest: dict[str, object]) -> None:
    manifest["app_hash"] = "11" * 32


def _dropped_chunk(snap: Path, manifest: dict[str, object]) -> None:
    chunks = manifest["chunks"]
    assert isinstance(chunks, list)
    del chunks[1]


def _chunk_name_with_nul(snap: Path, manifest: dict[str, object]) -> None:
    chunks = manifest["chunks"]
    assert isinstance(chunks, list)
    chunks[0]["file"] += "\x00"


def _edit_block(manifest: dict[str, object], field: str, edit: Callable[[types_pb2.Block], None]) -> None:
    block = types_pb2.Block.FromString(bytes.fromhex(str(manifest[field])))
    edit(block)
    manifest[field] = block.SerializeToString(deterministic=True).hex()


def _flip_last_commit_signature(block: types_pb2.Block) -> None:
    sig = bytearray(block.last_commit.signatures[0].signature)
    sig[0] ^= 1
    block.last_commit.signatures[0].signature = bytes(sig)


def _forged_commit_in_next_block(snap: Path, manifest: dict[str, object]) -> None:
    """Block H + 1's ``last_commit`` (stored as the commit of H, and the one the node builds H + 1 on) is
    not covered by any header hash: only its signatures can vouch for it."""
    _edit_block(manifest, "next_block", _flip_last_commit_signature)


def _forged_commit_in_block(snap: Path, manifest: dict[str, object]) -> None:
    """Block H is stored and served with its own ``last_commit``, which block H's hash does not cover."""
    _edit_block(manifest, "block", _flip_last_commit_signature)


def _forged_tx_in_block(snap: Path, manifest: dict[str, object]) -> None:
    """A tx slipped into block H: the header hash does not cover the tx list, only its txs hash does."""
    _edit_block(manifest, "block", lambda block: block.txs.append(send(KEYS[3], 99, KEYS[0], 10**6)))


def _forged_results_app_hash(snap: Path, manifest: dict[str, object]) -> None:
    """The results hash covers the tx results only, not the stored height and app hash beside them."""
    results = types_pb2.BlockResults.FromString(bytes.fromhex(str(manifest["results"])))
    results.app_hash = b"\x11" * 32
    manifest["results"] = results.SerializeToString(deterministic=True).hex()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_flip_chunk_byte, r"chunk 1 \(chunk-000001.bin\) does not match its sha256"),
        (_consistent_but_wrong_value, "rebuilt state root .* differs from app hash"),
        (_forged_signature, "commit signature of validator .* does not verify"),
        (_other_app_hash, "manifest app hash differs"),
        (_dropped_chunk, "chunks hold 11 entries; the manifest says 13"),
        (_chunk_name_with_nul, "cannot read chunk"),
        (_forged_commit_in_next_block, "commit signature of validator .* does not verify"),
        (_forged_commit_in_block, "commit signature of validator .* does not verify"),
        (_forged_tx_in_block, "transactions of block 4 do not match the txs hash of its header"),
        (_forged_results_app_hash, "results of block 4 are not the ones block 5 commits to"),
    ],
)
def test_tampered_snapshots_are_refused_and_write_nothing(
    tmp_path: Path, tamper: Tamper, reason: str
) -> None:
    source = build_chain(tmp_path / "a")
    snap = tmp_path / "snap"
    export_snapshot(source.db.snapshot(), 4, snap, chunk_keys=2)
    manifest = json.loads((snap / MANIFEST).read_text())
    tamper(snap, manifest)
    (snap / MANIFEST).write_text(json.dumps(manifest))
    db = LevelDB(tmp_path / "b")
    with pytest.raises(SnapshotError, match=reason):
        import_snapshot(
            db, snap, chain_id=source.app.chain_id, validators=genesis().header.validators, genesis_marker=b""
        )
    assert list(db.iterate(b"")) == []


def test_refuses_latest_height_other_chain_and_non_empty_db(tmp_path: Path) -> None:
    source = build_chain(tmp_path / "a")
    with pytest.raises(SnapshotError, match="no committed successor yet"):
        export_snapshot(source.db.snapshot(), source.app.last.height, tmp_path / "x")
    export_snapshot(source.db.snapshot(), 2, tmp_path / "snap")
    with pytest.raises(SnapshotError, match="snapshot is of chain"):
        import_snapshot(
            LevelDB(tmp_path / "b"), tmp_path / "snap", chain_id="other-1", validators=(), genesis_marker=b""
        )
    with pytest.raises(SnapshotError, match="not empty"):
        import_snapshot(
            source.db, tmp_path / "snap", chain_id=source.app.chain_id, validators=(), genesis_marker=b""
        )


def test_cli_export_import_and_start(tmp_path: Path) -> None:
    """Real processes: a node runs, stops, exports; a new home with the same genesis and validator key
    imports and runs on from there."""
    keys = funded_keys(2)
    source = init_node(tmp_path, keys, block_time_ms=100, name="a")
    source.start()
    with grpc.insecure_channel(source.target) as channel:
        nodes = query_pb2_grpc.NodeServiceStub(channel)
        while nodes.NodeInfo(query_pb2.NodeInfoRequest()).latest_height < 5:
            time.sleep(0.05)
    assert source.stop() == 0
    snap = tmp_path / "snap"
    out = json.loads(
        okchaind(
            "snapshot", "export", "--home", str(source.home), "--out", str(snap), "--chunk-keys", "1"
        ).stdout
    )
    assert out["chunks"] == out["keys"] > 2

    # a home of its own genesis (another validator key) cannot take the snapshot, and says what to do
    fresh = init_node(tmp_path, keys, name="c").home
    refused = okchaind("snapshot", "import", "--home", str(fresh), str(snap), check=False)
    assert (
        refused.returncode == 1
        and "must be the snapshot's chain's genesis: pass it with --genesis" in refused.stderr
    )
    genesis = str(source.home / "config" / "genesis.json")
    adopted = json.loads(
        okchaind("snapshot", "import", "--home", str(fresh), str(snap), "--genesis", genesis).stdout
    )
    assert adopted["height"] == out["height"] and adopted["app_hash"] == out["app_hash"]
    assert (fresh / "config" / "genesis.json").read_bytes() == (
        source.home / "config" / "genesis.json"
    ).read_bytes()
    again = okchaind("snapshot", "import", "--home", str(fresh), str(snap), "--genesis", genesis, check=False)
    assert again.returncode == 1 and "already holds data" in again.stderr

    home = tmp_path / "b"
    shutil.copytree(source.home / "config", home / "config")
    imported = json.loads(okchaind("snapshot", "import", "--home", str(home), str(snap)).stdout)
    assert imported == {"height": out["height"], "app_hash": out["app_hash"], "home": str(home)}
    again = okchaind("snapshot", "import", "--home", str(home), str(snap), check=False)
    assert again.returncode == 1 and "not empty" in again.stderr

    node = NodeProcess(home, source.port, tmp_path / "b.log")
    node.start()
    try:
        with grpc.insecure_channel(node.target) as channel:
            nodes = query_pb2_grpc.NodeServiceStub(channel)
            query = query_pb2_grpc.QueryServiceStub(channel)
            while (info := nodes.NodeInfo(query_pb2.NodeInfoRequest())).latest_height < out["height"] + 3:
                time.sleep(0.05)
            assert info.earliest_height == out["height"]
            balance = query.Balance(query_pb2.BalanceRequest(address=to_checksum(keys[1].address)))
            assert int(balance.balance.amount) == 1_000_000 * OKT
    finally:
        assert node.stop() == 0


def test_node_refuses_an_unfinished_import(tmp_path: Path) -> None:
    db = LevelDB(tmp_path / "db")
    db.write({schema.META_IMPORTING: b"1"})
    with pytest.raises(AppError, match="snapshot import into this database did not finish"):
        Application(db, genesis())
