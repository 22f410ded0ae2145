"""Proof of stake on a localnet of real processes: a migrated holder's key creates a validator that enters
the set at the epoch and signs; a stopped validator is jailed for downtime, unjails after its restart and
returns at the next epoch; a node started later block-syncs from genesis across those set changes.

The tests share one network and run in file order. The chain has short epochs and a short signing window
so each step takes seconds.
"""

import itertools
from collections.abc import Iterator

import pytest

from okchain._pb.slashing.v1 import query_pb2 as slashing_pb2
from okchain._pb.slashing.v1 import query_pb2_grpc as slashing_grpc
from okchain._pb.staking.v1 import query_pb2 as staking_pb2
from okchain._pb.staking.v1 import query_pb2_grpc as staking_grpc
from okchain.cli.testnet_cmd import operator_key
from okchain.crypto.ed25519 import validator_address
from okchain.modules.slashing.messages import Unjail
from okchain.modules.staking.messages import CreateValidator, Deposit, Description, Vote
from okchain.node.home import Home
from okchain.types.params import RATE_ONE, ChainParams
from tests.helpers.chain import OKT
from tests.helpers.localnet import FAST_TIMEOUTS, Localnet, LocalnetProcess, create_localnet

EPOCH = 10
PARAMS = ChainParams(
    staking_epoch_blocks=EPOCH,
    slashing_window_blocks=12,
    slashing_min_signed_rate=RATE_ONE // 2,
    slashing_downtime_jail_seconds=2,
)
JOINER = operator_key(4)  # Hardhat account 4: funded by the bundled snapshot, not a genesis operator


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    directory = tmp_path_factory.mktemp("localnet-staking") / "net"
    create_localnet(directory, 4, full_nodes=2, block_time_ms=250, params=PARAMS, **FAST_TIMEOUTS)
    localnet = Localnet(directory)
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


def test_a_holder_key_creates_a_validator_that_enters_the_set_at_the_epoch_and_signs(net: Localnet) -> None:
    entry, joining = net.nodes[0], net.nodes[4]
    key = pubkey(net, joining)
    description = Description("joiner", "", "", "")
    entry.send(JOINER, [CreateValidator(description, key, RATE_ONE // 10, RATE_ONE // 5, RATE_ONE // 100)])
    entry.send(JOINER, [Deposit(1_000 * OKT), Vote((JOINER.address,))])
    net.wait_for("the joiner in the set", lambda: key in next_set(entry), timeout=60)
    net.wait_for("the joiner signing", lambda: signs(net, entry, key), timeout=60)
    assert signing_info(entry, key).operator.lower() == "0x" + JOINER.address.hex()


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
        lambda: entry.info().latest_block_time_ns >= info.jailed_until_ns,
        timeout=30,
    )
    entry.send(operator_key(3), [Unjail()])
    assert not signing_info(entry, key).jailed
    net.wait_for("the unjailed validator back in the set", lambda: key in next_set(entry), timeout=60)
    net.wait_for("the unjailed validator signing", lambda: signs(net, entry, key), timeout=60)


def test_a_late_node_block_syncs_from_genesis_across_the_set_changes(net: Localnet) -> None:
    entry, late = net.nodes[0], net.nodes[5]
    top = entry.height()
    hashes = [entry.block(h).block.header.validators_hash for h in range(1, top + 1)]
    changes = sum(1 for a, b in itertools.pairwise(hashes) if a != b)
    assert changes >= 3  # the joiner in, the stopped one out, and back
    net.start([late])
    net.wait_height(top, [late], timeout=120)
    net.assert_same_chain([entry, late], range(1, top + 1))
    assert late.info().latest_height >= top
