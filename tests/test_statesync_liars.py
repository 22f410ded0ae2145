"""State sync against peers that lie about a whole snapshot, in one process: real switches on loopback,
real LevelDB, the node's snapshot reactors serving and ``StateSyncer`` joining."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import trio

from okchain.app import Application, genesis_marker
from okchain.node.snapshot_reactor import SnapshotReactor
from okchain.node.snapshots import SnapshotStore
from okchain.node.statesync import StateSyncConfig, StateSyncer
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.statesync import FetchConfig
from okchain.p2p.switch import Switch
from okchain.state import blockstore
from okchain.state.leveldb import LevelDB
from okchain.state.snapshot import MANIFEST
from tests.helpers.blocksync import build_chain, four_validator_genesis, p2p_config, transfers
from tests.helpers.chain import CHAIN_ID

GENESIS = four_validator_genesis()


def _chain(path: Path, blocks: int) -> LevelDB:
    db = LevelDB(path)
    build_chain(Application(db, GENESIS), iter([transfers(b, 8) for b in range(blocks)]))
    return db


def _forge(store: SnapshotStore, height: int) -> None:
    """Change the last value of chunk 1 and fix up its hash in the manifest: every chunk matches the
    manifest and the headers are genuine, so only the rebuilt root can tell."""
    snap = store.root / str(height)
    manifest = json.loads((snap / MANIFEST).read_text())
    data = bytearray((snap / "chunk-000001.bin").read_bytes())
    data[-1] ^= 1
    (snap / "chunk-000001.bin").write_bytes(bytes(data))
    manifest["chunks"][1]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    (snap / MANIFEST).write_text(json.dumps(manifest))


async def _serve(nursery: trio.Nursery, db: LevelDB, store: SnapshotStore) -> PeerAddress:
    key = NodeKey.generate()
    switch = Switch(key, p2p_config(), network=CHAIN_ID)
    reactor = SnapshotReactor(switch=switch, params=GENESIS.header.params, db=db, store=store)
    switch.add_reactor(reactor)
    port = await nursery.start(switch.run)
    nursery.start_soon(reactor.run)
    return PeerAddress(key.node_id, "127.0.0.1", port)


async def _joiner(
    nursery: trio.Nursery, peers: tuple[PeerAddress, ...], db: LevelDB, config: StateSyncConfig
) -> StateSyncer:
    """A state-syncing node's switch, reactor and syncer into the empty ``db``, running; call its ``run``."""
    switch = Switch(NodeKey.generate(), p2p_config(peers), network=CHAIN_ID)
    reactor = SnapshotReactor(switch=switch, params=GENESIS.header.params)
    switch.add_reactor(reactor)
    syncer = StateSyncer(
        switch=switch, db=db, genesis=GENESIS.header, genesis_marker=genesis_marker(GENESIS), config=config
    )
    reactor.on_answer = syncer.answer
    await nursery.start(switch.run)
    nursery.start_soon(reactor.run)
    return syncer


@pytest.mark.parametrize("forged_first", [True, False])
def test_a_snapshot_that_does_not_rebuild_the_app_hash_bans_its_offerers_and_the_next_one_imports(
    tmp_path: Path, forged_first: bool
) -> None:
    db = _chain(tmp_path / "chain", 6)
    honest = SnapshotStore(tmp_path / "honest", keep=2, chunk_keys=2)
    liar = SnapshotStore(tmp_path / "liar", keep=2, chunk_keys=2)
    honest.take(db.snapshot(), 4)
    liar.take(db.snapshot(), 5 if forged_first else 3)  # newest first: the forgery is tried first or last
    if not forged_first:
        honest.take(db.snapshot(), 5)  # the honest newest fails only if the test is wrong
        shutil.rmtree(honest.root / "4")
    _forge(liar, 5 if forged_first else 3)
    fresh = LevelDB(tmp_path / "fresh")

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            servers = [await _serve(nursery, db, honest), await _serve(nursery, db, liar)]
            config = StateSyncConfig(discovery_s=0.5, min_peers=1, fetch=FetchConfig(timeout_s=5))
            syncer = await _joiner(nursery, tuple(servers), fresh, config)
            with trio.fail_after(30):
                last = await syncer.run()
            want = 4 if forged_first else 5
            header = blockstore.block_at(db, want + 1)
            assert header is not None and (last.height, last.app_hash) == (want, header.header.app_hash)
            assert syncer.banned == ({servers[1].node_id} if forged_first else set())
            nursery.cancel_scope.cancel()

    trio.run(main)
    reopened = Application(fresh, GENESIS)  # refuses a tree whose root is not the committed app hash
    assert reopened.last.height == (4 if forged_first else 5)
    fresh.close()
    db.close()


def test_a_sync_with_nothing_offered_says_so_and_goes_on_once_a_peer_takes_a_snapshot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = _chain(tmp_path / "chain", 4)
    store = SnapshotStore(tmp_path / "store", keep=2, chunk_keys=2)
    fresh = LevelDB(tmp_path / "fresh")

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            server = await _serve(nursery, db, store)
            syncer = await _joiner(nursery, (server,), fresh, StateSyncConfig(discovery_s=0.2, min_peers=1))
            waiting = trio.Event()

            async def sync() -> None:
                last = await syncer.run()
                assert last.height == 3
                waiting.set()

            nursery.start_soon(sync)
            with trio.fail_after(20):
                while "no snapshot offered yet" not in caplog.text:
                    await trio.sleep(0.05)
                store.take(db.snapshot(), 3)  # the peer starts offering: the waiting sync takes it
                await waiting.wait()
            nursery.cancel_scope.cancel()

    with caplog.at_level("WARNING", logger="okchain.statesync"):
        trio.run(main)
    fresh.close()
    db.close()
