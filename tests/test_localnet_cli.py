"""``okchaind testnet`` layouts and refusals (in-process), and ``scripts/localnet`` driving a real node."""

import json
import subprocess
import time
from pathlib import Path

import pytest

from okchain.cli.main import main
from okchain.cli.testnet_cmd import load_manifest, node_status, operator_key
from okchain.crypto.ed25519 import validator_address
from okchain.crypto.hashing import sha256
from okchain.genesis.document import load_genesis
from okchain.modules.staking.genesis import genesis_power
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.p2p.keys import NodeKey, parse_peer_address
from tests.helpers.chain import REPO, funded_keys, write_snapshot
from tests.helpers.localnet import create_localnet


def test_testnet_writes_one_genesis_keys_ports_and_peers(tmp_path: Path) -> None:
    out = tmp_path / "net"
    argv = ["testnet", "--validators", "3", "--full-nodes", "2", "--output", str(out), "--chain-id", "ln-7"]
    assert (
        main([*argv, "--base-p2p-port", "30000", "--base-grpc-port", "31000", "--block-time-ms", "300"]) == 0
    )
    nodes = load_manifest(out)
    assert [n.name for n in nodes] == [f"node{i}" for i in range(5)]
    assert [n.validator for n in nodes] == [True, True, True, False, False]
    manifest = json.loads((out / "localnet.json").read_text())
    genesis_bytes = {(out / n.home / "config" / "genesis.json").read_bytes() for n in nodes}
    assert len(genesis_bytes) == 1, "every home must hold the same genesis"
    assert manifest["genesis_sha256"] == sha256(genesis_bytes.pop()).hex()
    genesis = load_genesis(out / "node0" / "config" / "genesis.json")
    assert genesis.header.chain_id == "ln-7"
    keys = [Home(out / n.home).read_validator_key() for n in nodes]
    power = genesis_power(genesis.header.params, int(genesis.header.genesis_time.timestamp()) * 10**9)
    assert [(v.name, v.pub_key, v.power, v.operator) for v in genesis.header.validators] == [
        (f"node{i}", keys[i].public_key, power, operator_key(i).address) for i in range(3)
    ]  # each staked by its gentx, written beside node0's genesis
    assert sorted(p.name for p in (out / "node0" / "config" / "gentx").iterdir()) == [
        f"gentx-node{i}.json" for i in range(3)
    ]
    assert len({k.public_key for k in keys}) == 5
    for i, node in enumerate(nodes):
        home = Home(out / node.home)
        assert node.validator_address == validator_address(keys[i].public_key).hex()
        node_key = NodeKey.load_or_create(home.node_key_file)
        assert node.node_id == node_key.node_id
        for secret in (home.validator_key_file, home.node_key_file):
            assert secret.stat().st_mode & 0o777 == 0o600, secret
        config = NodeConfig.load(home.config_file)
        assert (config.moniker, config.grpc_listen, config.p2p_listen, config.block_time_ms) == (
            f"node{i}",
            f"127.0.0.1:{31000 + i}",
            f"127.0.0.1:{30000 + i}",
            300,
        )
        peers = [parse_peer_address(p) for p in config.persistent_peers.split(",")]
        expected = [(o.node_id, "127.0.0.1", 30000 + j) for j, o in enumerate(nodes) if j != i]
        assert [(p.node_id, p.host, p.port) for p in peers] == expected


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--base-p2p-port", "65533"], "needs ports 65533..65536, beyond 1..65535"),
        (["--base-grpc-port", "65535", "--validators", "2"], "needs ports 65535..65536"),
        (["--base-p2p-port", "9092"], "p2p ports from 9092 and gRPC ports from 9090 overlap"),
        (["--snapshot", "/nonexistent.csv"], "snapshot /nonexistent.csv not found"),
        (["--host", "local host"], "--host 'local host': address 'local host:1' has a bad host"),
    ],
)
def test_testnet_refuses_bad_layouts_before_writing(
    tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "net"
    assert main(["testnet", "--validators", "4", "--output", str(out), *extra]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_testnet_refuses_a_used_folder_and_zero_validators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["testnet", "--output", str(tmp_path)]) == 1
    assert "is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    with pytest.raises(SystemExit):
        main(["testnet", "--validators", "0", "--output", str(tmp_path / "x")])
    assert "--validators: 0 is outside 1.." in capsys.readouterr().err


def test_failed_testnet_leaves_an_empty_folder_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("address,amount\n0x12,5\n")
    out = tmp_path / "net"
    out.mkdir()
    assert main(["testnet", "--validators", "2", "--output", str(out), "--snapshot", str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err
    assert list(out.iterdir()) == []
    unfunded = tmp_path / "unfunded.csv"
    write_snapshot(unfunded, funded_keys(2))  # holders, but not the validators' operators
    assert main(["testnet", "--validators", "2", "--output", str(out), "--snapshot", str(unfunded)]) == 1
    err = capsys.readouterr().err
    assert "less than the minimum self-deposit" in err and "Hardhat accounts 0..1" in err
    assert list(out.iterdir()) == []
    good = tmp_path / "good.csv"
    write_snapshot(good, [operator_key(0), operator_key(1)])
    assert main(["testnet", "--validators", "2", "--output", str(out), "--snapshot", str(good)]) == 0
    validators = load_genesis(out / "node0" / "config" / "genesis.json").header.validators
    assert [v.operator for v in validators] == [operator_key(0).address, operator_key(1).address]


def localnet_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / "scripts" / "localnet"), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_script_starts_reports_and_stops_a_one_validator_localnet(tmp_path: Path) -> None:
    out = tmp_path / "net"
    create_localnet(out, 1, block_time_ms=100)
    try:
        started = localnet_script("start", "--dir", str(out))
        assert started.returncode == 0, started.stderr
        pid = int((out / "node0.pid").read_text())
        assert f"node0 started (pid {pid}" in started.stdout
        again = localnet_script("start", "--dir", str(out))
        assert f"node0 already running (pid {pid})" in again.stdout
        status: list[dict[str, object]] = []
        for _ in range(100):
            r = subprocess.run(
                [str(REPO / ".venv/bin/okchaind"), "testnet-status", "--dir", str(out), "--json"],
                capture_output=True,
                text=True,
                check=False,
            )
            status = json.loads(r.stdout)
            if r.returncode == 0 and int(str(status[0]["height"])) >= 3:
                break
            time.sleep(0.2)
        assert status[0]["pid"] == pid and int(str(status[0]["height"])) >= 3, status
        table = localnet_script("status", "--dir", str(out))
        assert table.returncode == 0 and table.stdout.startswith(f"node0   validator pid {pid}"), table
        manifest = (out / "localnet.json").read_text()  # the same node, recorded for another chain
        (out / "localnet.json").write_text(manifest.replace('"okchain-localnet-1"', '"okchain-elsewhere-1"'))
        (node,) = load_manifest(out)
        error = node_status(out, node, 10.0)["error"]
        assert (
            error
            == f"{node.grpc} serves chain 'okchain-localnet-1', not this localnet's 'okchain-elsewhere-1'"
        )
        (out / "localnet.json").write_text(manifest)
    finally:
        stopped = localnet_script("stop", "--dir", str(out))
    assert stopped.returncode == 0, stopped.stderr
    assert f"node0: SIGTERM sent to {pid}" in stopped.stdout
    assert not (out / "node0.pid").exists()
    assert (out / "node0.log").read_text().rstrip().endswith("okchain node stopped")
    down = localnet_script("status", "--dir", str(out))
    assert down.returncode == 1 and "node0   validator stopped     unreachable" in down.stdout


def test_script_start_fails_when_a_node_cannot_bind_and_status_names_an_impostor(tmp_path: Path) -> None:
    """A port already in use: the node exits, and ``start`` must say so and fail instead of exiting 0; a
    process of another chain answering on a node's gRPC port is not taken for that node."""
    impostor_dir, out = tmp_path / "other", tmp_path / "net"
    create_localnet(impostor_dir, 1, block_time_ms=100, chain_id="okchain-other-1")
    create_localnet(out, 1, block_time_ms=100)
    (impostor,) = load_manifest(impostor_dir)
    (node,) = load_manifest(out)
    config = Home(out / node.home).config_file  # our node's gRPC port is where the impostor serves
    config.write_text(config.read_text().replace(node.grpc, impostor.grpc))
    manifest = json.loads((out / "localnet.json").read_text())
    manifest["nodes"][0]["grpc"] = impostor.grpc
    (out / "localnet.json").write_text(json.dumps(manifest))
    try:
        assert localnet_script("start", "--dir", str(impostor_dir)).returncode == 0
        failed = localnet_script("start", "--dir", str(out))
        assert failed.returncode == 1, failed.stdout
        assert "node0 exited during start-up" in failed.stderr, failed.stderr
        holder = (impostor_dir / "node0.pid").read_text().strip()  # the log's end names port and holder
        assert f"grpc_listen {impostor.grpc} is in use by pid {holder} (" in failed.stderr, failed.stderr
        status = subprocess.run(
            [str(REPO / ".venv/bin/okchaind"), "testnet-status", "--dir", str(out), "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert status.returncode == 1
        error = json.loads(status.stdout)[0]["error"]
        assert f"answers as node {impostor.node_id} of chain 'okchain-other-1', not as node0" in error
    finally:
        localnet_script("stop", "--dir", str(out))
        localnet_script("stop", "--dir", str(impostor_dir))
