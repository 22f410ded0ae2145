"""State sync as real processes: three validators commit a few hundred blocks of transfers and DEX orders,
two of them take snapshots (one serves every chunk corrupted), and a new full node joins by state sync:
it bans the liar, imports the snapshot, block-syncs the rest and then follows consensus."""

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from okchain.crypto.hd import account_from_mnemonic
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex.messages import OrderSpec, PlaceOrders, Side
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.snapshot_reactor import CORRUPT_ENV
from okchain.p2p.keys import NodeKey
from tests.helpers.chain import DEV_MNEMONIC, OKT
from tests.helpers.localnet import CHAIN_ID, FAST_TIMEOUTS, Localnet, create_localnet, issue_and_list
from tests.helpers.processes import okchaind

ALICE, BOB = (account_from_mnemonic(DEV_MNEMONIC, path=f"m/44'/60'/0'/0/{i}") for i in range(2))
INTERVAL = 40  # snapshot every 40 heights
HISTORY = 200  # blocks the chain has before the new node joins


def _configure(net_dir: Path, home: str, **settings: object) -> None:
    path = Home(net_dir / home).config_file
    path.write_text(replace(NodeConfig.load(path), **settings).to_toml())


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    directory = tmp_path_factory.mktemp("statesync") / "net"
    specs = create_localnet(directory, 3, full_nodes=2, block_time_ms=40, **FAST_TIMEOUTS)
    for spec in specs[:2]:  # node0 and node1 serve snapshots; node2 only light blocks and blocks
        _configure(directory, spec.home, snapshot_interval=INTERVAL, snapshot_chunk_keys=25)
    for spec in specs[3:]:
        _configure(directory, spec.home, statesync=True, statesync_discovery_ms=3_000)
    localnet = Localnet(directory)
    localnet.nodes[1].process.env[CORRUPT_ENV] = "1"
    try:
        localnet.start(localnet.validators)
        yield localnet
    finally:
        localnet.close()


def _traffic(net: Localnet) -> None:
    """Transfers and a DEX market whose orders rest in the book and match, spread over the history."""
    v = net.validators
    pair = issue_and_list(v[0], ALICE, "ssx", 1_000 * OKT)
    for i in range(12):
        recipient = AccountKey((9000 + i).to_bytes(32, "big")).address
        v[i % 3].send(BOB, [Transfer(recipient, "okt", (i + 1) * OKT)])
        v[(i + 1) % 3].send(ALICE, [PlaceOrders((OrderSpec(pair, Side.SELL, (2 + i % 3) * OKT, 5 * OKT),))])
        v[(i + 2) % 3].send(BOB, [PlaceOrders((OrderSpec(pair, Side.BUY, 3 * OKT, 2 * OKT),))])


def test_new_node_state_syncs_past_a_lying_peer_then_follows_consensus(net: Localnet) -> None:
    validators = net.validators
    _traffic(net)
    net.wait_height(HISTORY, validators, timeout=120)
    joiner, liar = net.nodes[3], net.nodes[1]
    net.start([joiner])
    net.wait_for(
        "the joiner to import a snapshot", lambda: _imported(joiner.process.log) is not None, 60, [joiner]
    )
    imported = _imported(joiner.process.log)
    assert imported is not None and imported >= HISTORY - 2 * INTERVAL, imported
    assert imported % INTERVAL == 0
    log = joiner.process.log.read_text()
    liar_id = NodeKey.load_or_create(Home(net.directory / liar.spec.home).node_key_file).node_id
    assert re.search(rf"banning peer {liar_id}: served a bad snapshot chunk", log), log[-3000:]
    bans = json.loads((net.directory / joiner.spec.home / "data" / "bans.json").read_text())
    assert liar_id in json.dumps(bans)
    # It did not replay history: its first stored block is the snapshot's height.
    info = joiner.info()
    assert int(info.earliest_height) == imported, info
    # Following: it keeps up with new heights and agrees on every block since the snapshot.
    top = validators[0].height()
    net.wait_height(top + 5, [joiner], timeout=60)
    top = net.common_height([*validators, joiner])
    net.assert_same_chain([*validators, joiner], range(imported + 1, top + 1))
    assert not joiner.info().catching_up


def _imported(log: Path) -> int | None:
    found = re.search(r"state sync: imported height (\d+)", log.read_text()) if log.exists() else None
    return int(found[1]) if found else None


def test_snapshots_are_listed_exported_and_imported_while_the_node_runs(
    net: Localnet, tmp_path: Path
) -> None:
    node0 = net.nodes[0]
    net.wait_height(INTERVAL + 2, [node0], timeout=60)
    home = str(net.directory / node0.spec.home)
    net.wait_for(
        "a kept snapshot", lambda: json.loads(okchaind("snapshot", "list", "--home", home).stdout) != [], 30
    )
    kept = json.loads(okchaind("snapshot", "list", "--home", home).stdout)
    assert node0.running and all(k["height"] % INTERVAL == 0 and k["chunks"] > 1 for k in kept), kept
    assert [k["height"] for k in kept] == sorted((k["height"] for k in kept), reverse=True) and len(kept) <= 2
    out = json.loads(okchaind("snapshot", "export", "--home", home, "--out", str(tmp_path / "snap")).stdout)
    assert out["height"] % INTERVAL == 0 and out["height"] >= kept[0]["height"], (
        out,
        kept,
    )  # the newest kept
    # The copy imports into a new home, which checks it against the chain's genesis set and app hash.
    fresh = tmp_path / "fresh"
    okchaind("init", "--home", str(fresh), "--chain-id", CHAIN_ID)
    genesis = str(net.directory / node0.spec.home / "config" / "genesis.json")
    imported = json.loads(
        okchaind(
            "snapshot", "import", "--home", str(fresh), str(tmp_path / "snap"), "--genesis", genesis
        ).stdout
    )
    assert (imported["height"], imported["app_hash"]) == (out["height"], out["app_hash"])
    # Exporting another height needs the database, which the running node holds: the error says what to do.
    refused = okchaind(
        "snapshot", "export", "--home", home, "--height", "3", "--out", str(tmp_path / "x"), check=False
    )
    assert refused.returncode == 1 and "okchaind snapshot list" in refused.stderr, refused.stderr


def test_a_node_trusting_a_header_hash_refuses_a_wrong_one_and_syncs_from_the_right_one(
    net: Localnet,
) -> None:
    validators = net.validators
    net.wait_height(2 * INTERVAL + 5, validators, timeout=120)
    joiner = net.nodes[4]
    trusted = (
        INTERVAL + 1
    )  # at most the height after the newest snapshot's: snapshots older than it are refused
    right = validators[0].block(trusted).block_hash.hex()
    _configure(
        net.directory, joiner.spec.home, statesync_trust_height=trusted, statesync_trust_hash="00" * 32
    )
    joiner.process.spawn()
    assert joiner.process.proc is not None
    assert joiner.process.proc.wait(timeout=60) == 1
    assert (
        f"serves block {trusted} with hash {right}, not the trusted {'00' * 32}"
        in joiner.process.log.read_text()
    )
    _configure(net.directory, joiner.spec.home, statesync_trust_hash=right)
    net.start([joiner])
    net.wait_for("the import", lambda: _imported(joiner.process.log) is not None, 60, [joiner])
    imported = _imported(joiner.process.log)
    assert imported is not None and imported + 1 >= trusted
    top = net.common_height([*validators, joiner])
    net.assert_same_chain([*validators, joiner], range(imported + 1, top + 1))
