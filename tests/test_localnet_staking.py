"""Proof of stake on a localnet of real processes: a migrated holder's key, imported from its keystore,
creates a validator with ``okchaind`` as the README shows, which enters the set at the epoch, signs and
earns; a stopped validator is jailed for downtime, unjails after its restart and returns at the next
epoch; a validator made to double-sign is tombstoned on every honest node; a node started later
block-syncs from genesis across those set changes.

The tests share one network and run in file order. The chain has short epochs and a short signing window
so each step takes seconds.
"""

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from okchain._pb.slashing.v1 import query_pb2 as slashing_pb2
from okchain._pb.slashing.v1 import query_pb2_grpc as slashing_grpc
from okchain._pb.staking.v1 import query_pb2 as staking_pb2
from okchain._pb.staking.v1 import query_pb2_grpc as staking_grpc
from okchain.cli.testnet_cmd import operator_key
from okchain.crypto.address import to_checksum
from okchain.crypto.ed25519 import validator_address
from okchain.crypto.keystore import encrypt_keystore
from okchain.modules.slashing.beginblock import max_missed
from okchain.modules.slashing.messages import Unjail
from okchain.node.equivocate import ENV
from okchain.node.home import Home
from okchain.types.params import RATE_ONE, ChainParams
from tests.helpers.localnet import FAST_TIMEOUTS, Localnet, LocalnetProcess, create_localnet
from tests.helpers.processes import okchaind

EPOCH = 10
PARAMS = ChainParams(
    staking_epoch_blocks=EPOCH,
    slashing_window_blocks=12,
    slashing_min_signed_rate=RATE_ONE // 2,
    slashing_downtime_jail_seconds=2,
)
EQUIVOCATE = "node2-equivocate-now"  # the file that makes node2 double-sign once (okchain/node/equivocate.py)
JOINER = operator_key(5)  # Hardhat account 5: funded by the bundled snapshot, not a genesis operator


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    directory = tmp_path_factory.mktemp("localnet-staking") / "net"
    create_localnet(directory, 4, full_nodes=2, block_time_ms=250, params=PARAMS, **FAST_TIMEOUTS)
    localnet = Localnet(directory)
    localnet.nodes[2].process.env = {ENV: str(directory / EQUIVOCATE)}  # honest until the file appears
    try:
        localnet.start(localnet.nodes[:5])  # node5 stays off until the block-sync test
        yield localnet
    finally:
        localnet.close()


def pubkey(net: Localnet, node: LocalnetProcess) -> bytes:
    return Home(net.directory / node.spec.home).read_validator_key().public_key


def next_set(node: LocalnetProcess) -> set[bytes]:
    """The consensus keys of the set two heights past the node's latest block."""
    stub = staking_grpc.StakingQueryStub(node.channel)
    height = node.height() + 2
    return {
        v.pub_key
        for v in stub.ValidatorSet(staking_pb2.ValidatorSetRequest(height=height), timeout=5).validators
    }


def signing_info(node: LocalnetProcess, key: bytes) -> slashing_pb2.SigningInfo:
    stub = slashing_grpc.SlashingQueryStub(node.channel)
    return stub.SigningInfo(slashing_pb2.SigningInfoRequest(consensus_pubkey=key), timeout=5).info


def signs(net: Localnet, node: LocalnetProcess, key: bytes, blocks: int = 3) -> bool:
    """Whether ``key``'s precommits are in the last commits of ``blocks`` consecutive new blocks."""
    address = validator_address(key)
    start = node.height() + 1
    net.wait_height(start + blocks, [node], timeout=30)
    return all(
        address in {s.validator_address for s in node.block(h).block.last_commit.signatures}
        for h in range(start + 1, start + blocks + 1)
    )


def cli(node: LocalnetProcess, *args: str) -> Any:
    """``okchaind`` against ``node`` with its home's keyring (password file ``pw`` beside the homes)."""
    signing = ["--home", str(node.process.home), "--password-file", str(node.process.home.parent / "pw")]
    out = okchaind(*args, *(signing if args[0] in ("tx", "keys") else []), "--node", node.process.target)
    return json.loads(out.stdout)


def test_become_a_supernode_as_the_readme_shows(net: Localnet, tmp_path: Path) -> None:
    """The README's steps: an OKB holder's keystore imported into a full node's home, create-validator with
    that node's consensus key, a deposit and a vote, the epoch, signing, rewards, withdraw-rewards."""
    joining = net.nodes[4]
    home = joining.process.home
    (home.parent / "pw").write_text("node-password\n")
    (tmp_path / "keystore-password").write_text("holder-password\n")
    keystore = tmp_path / "holder-keystore.json"
    keystore.write_text(json.dumps(encrypt_keystore(JOINER, "holder-password", scrypt_n=2**12)))
    secret = tmp_path / "keystore-password"
    okchaind(
        "keys", "import", "holder", str(keystore), "--keystore-password-file", str(secret),
        "--home", str(home), "--password-file", str(home.parent / "pw"),
    )  # fmt: skip
    holder = to_checksum(JOINER.address)
    rates = ("--commission-rate", "0.1", "--max-rate", "0.2", "--max-change-rate", "0.01")
    created = cli(joining, "tx", "staking", "create-validator", "holder", "--moniker", "holder", *rates)
    assert created["committed"] and created["result"]["code"] == 0
    assert cli(joining, "tx", "staking", "deposit", "holder", "1000okt")["result"]["code"] == 0
    assert cli(joining, "tx", "staking", "vote", "holder", holder)["result"]["code"] == 0
    assert cli(joining, "query", "staking", "validator", holder)["moniker"] == "holder"
    key = pubkey(net, joining)
    net.wait_for("the holder's validator in the set", lambda: key in next_set(joining), timeout=60)
    net.wait_for("the holder's validator signing", lambda: signs(net, joining, key), timeout=60)
    info = cli(joining, "query", "slashing", "signing-info", holder)
    assert info["operator"] == holder and int(info["window_index"]) > 0 and not info["jailed"]
    assert int(info["missed_blocks"]) <= max_missed(PARAMS)
    net.wait_for(
        "rewards",
        lambda: int(cli(joining, "query", "distribution", "rewards", holder)["total"]) > 0,
        timeout=30,
    )
    before = int(cli(joining, "query", "balance", holder)["amount"])
    withdrawn = cli(joining, "tx", "distribution", "withdraw-rewards", "holder")
    assert withdrawn["result"]["code"] == 0
    assert int(cli(joining, "query", "balance", holder)["amount"]) > before - int(withdrawn["result"]["fee"])


def test_a_stopped_validator_is_jailed_unjails_after_restart_and_returns_at_the_epoch(net: Localnet) -> None:
    entry, stopped = net.nodes[0], net.nodes[3]
    key = pubkey(net, stopped)
    assert stopped.process.proc is not None
    stopped.process.proc.terminate()
    stopped.process.proc.wait(timeout=20)
    net.wait_for("the jailing", lambda: signing_info(entry, key).jailed, timeout=90, nodes=[entry])
    info = signing_info(entry, key)
    assert not info.tombstoned and info.missed_blocks == 0  # the window is cleared at the jailing
    net.wait_for("the jailed validator out of the set", lambda: key not in next_set(entry), timeout=30)
    net.start([stopped])
    net.wait_height(entry.height(), [stopped], timeout=60)
    net.wait_for(
        "the end of the jail time",
        lambda: entry.block(entry.height()).block.header.time_ns >= info.jailed_until_ns,
        timeout=30,
    )
    entry.send(operator_key(3), [Unjail()])
    assert not signing_info(entry, key).jailed
    net.wait_for("the unjailed validator back in the set", lambda: key in next_set(entry), timeout=60)
    net.wait_for("the unjailed validator signing", lambda: signs(net, entry, key), timeout=60)


def test_a_validator_made_to_double_sign_is_tombstoned_on_every_honest_node(net: Localnet) -> None:
    entry, byzantine = net.nodes[0], net.nodes[2]
    key = pubkey(net, byzantine)
    (net.directory / EQUIVOCATE).touch()
    honest = [n for n in net.nodes[:5] if n is not byzantine]
    for node in honest:
        net.wait_for(
            f"the tombstone on {node.name}", lambda n=node: signing_info(n, key).tombstoned, timeout=90
        )
    net.wait_for("the double signer out of the set", lambda: key not in next_set(entry), timeout=30)
    stub = staking_grpc.StakingQueryStub(entry.channel)
    operator = to_checksum(operator_key(2).address)
    validator = stub.Validator(staking_pb2.ValidatorRequest(operator=operator), timeout=5).validator
    assert validator.status == "tombstoned"
    assert int(validator.self_deposit) == PARAMS.staking_min_self_deposit * 95 // 100  # 5 % burned
    net.wait_height(entry.height() + 3, honest, timeout=30)  # the chain goes on


def test_a_late_node_block_syncs_from_genesis_across_the_set_changes(net: Localnet) -> None:
    entry, late = net.nodes[0], net.nodes[5]
    top = entry.height()
    hashes = [entry.block(h).block.header.validators_hash for h in range(1, top + 1)]
    changes = sum(1 for a, b in itertools.pairwise(hashes) if a != b)
    assert changes >= 4  # the joiner in, the stopped one out and back, the double signer out
    net.start([late])
    net.wait_height(top, [late], timeout=120)
    net.assert_same_chain([entry, late], range(1, top + 1))
    assert late.info().latest_height >= top
