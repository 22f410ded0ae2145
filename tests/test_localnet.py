"""Four validators and a late full node as real processes on loopback, made by ``okchaind testnet``.

The tests share one network: agreement, transactions through every node, DEX trading, a full node joining
late, one validator killed, two killed (halt without fork) and their return, a clean stop. Each starts the
validators an earlier test left down, so any one runs alone or in any order.
"""

import json
import re
import time
from collections.abc import Iterator

import pytest

from okchain._pb.dex.v1 import query_pb2 as dex_pb2
from okchain._pb.dex.v1 import query_pb2_grpc as dex_grpc
from okchain._pb.node.v1 import query_pb2
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex.messages import OrderSpec, PlaceOrders, Side
from tests.helpers.chain import DEV_MNEMONIC, OKT
from tests.helpers.localnet import FAST_TIMEOUTS, Localnet, LocalnetProcess, create_localnet, issue_and_list
from tests.helpers.processes import okchaind

ALICE, BOB = (account_from_mnemonic(DEV_MNEMONIC, path=f"m/44'/60'/0'/0/{i}") for i in range(2))
FULL_NODE_JOINS_AT = 20  # the full node starts once the chain is at least this high


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    directory = tmp_path_factory.mktemp("localnet") / "net"
    create_localnet(directory, 4, full_nodes=1, block_time_ms=250, **FAST_TIMEOUTS)
    localnet = Localnet(directory)
    try:
        localnet.start(localnet.validators)
        yield localnet
    finally:
        localnet.close()


@pytest.fixture(autouse=True)
def validators_up(net: Localnet) -> None:
    """Every validator runs when a test begins, whichever tests ran before (some kill validators)."""
    net.start([n for n in net.validators if not n.running])


def test_four_validators_commit_identical_blocks_and_app_hashes(net: Localnet) -> None:
    validators = net.validators
    net.wait_height(12, validators, timeout=60)
    net.assert_same_chain(validators, range(1, 13))
    # Equal power: every validator proposes in turn, and every commit carries +2/3 of the signatures.
    proposers = {net.nodes[0].block(h).block.header.proposer_address.hex() for h in range(1, 13)}
    assert proposers == {v.spec.validator_address for v in validators}, proposers
    for h in range(2, 13):
        signers = len(net.nodes[0].block(h).block.last_commit.signatures)
        assert signers >= 3, f"block {h} carries a commit with {signers} of 4 signatures"


def test_testnet_status_shows_every_node_with_its_peers(net: Localnet) -> None:
    out = okchaind("testnet-status", "--dir", str(net.directory), "--json", check=False)
    assert out.returncode == 1, "the full node is not started yet, so status must say not every node answers"
    status = {s["name"]: s for s in json.loads(out.stdout)}
    for v in net.validators:
        s = status[v.name]
        assert s["pid"] is None  # started by the test, not by scripts/localnet: no pid file
        assert (s["role"], s["peers"], s["catching_up"]) == ("validator", 3, False), s
        assert s["height"] >= 12, s
    assert status["node4"]["role"] == "full" and "UNAVAILABLE" in status["node4"]["error"], status["node4"]


def test_transactions_sent_to_any_node_are_committed_everywhere(net: Localnet) -> None:
    validators = net.validators
    recipient = AccountKey((7777).to_bytes(32, "big")).address
    heights = []
    for amount, node in enumerate(validators, start=1):
        resp = node.send(ALICE, [Transfer(recipient, "okt", amount * OKT)])
        heights.append(resp.height)
        net.wait_height(resp.height, validators)
        for other in validators:
            got = other.tx.GetTx(query_pb2.GetTxRequest(hash=resp.tx_hash), timeout=10)
            assert (got.height, got.result.code) == (resp.height, 0), f"{other.name}: tx via {node.name}"
    top = net.common_height(validators)
    balances = {
        v.name: v.query.Balance(
            query_pb2.BalanceRequest(address=to_checksum(recipient), denom="okt"), timeout=10
        ).balance.amount
        for v in validators
    }
    assert set(balances.values()) == {str(10 * OKT)}, balances
    net.assert_same_chain(validators, range(min(heights), top + 1))


def test_dex_trading_on_four_validators_ends_with_one_app_hash(net: Localnet) -> None:
    v = net.validators
    first = v[0].height()
    pair = issue_and_list(v[0], ALICE, "lnt", 1_000 * OKT)
    v[2].send(ALICE, [PlaceOrders((OrderSpec(pair, Side.SELL, 2 * OKT, 10 * OKT),))])
    v[3].send(BOB, [PlaceOrders((OrderSpec(pair, Side.BUY, 3 * OKT, 4 * OKT),))])

    def deals(node: LocalnetProcess) -> list[tuple[str, int, str, str]]:
        r = dex_grpc.DexQueryStub(node.channel).Deals(dex_pb2.DealsRequest(pair=pair), timeout=10)
        return sorted((d.order_id, d.side, d.price, d.quantity) for d in r.deals)

    net.wait_for("the crossing orders to match on every node", lambda: all(len(deals(n)) == 2 for n in v), 30)
    assert len({tuple(deals(n)) for n in v}) == 1, {n.name: deals(n) for n in v}
    assert {d[3] for d in deals(v[0])} == {"4"}  # Bob's whole buy filled against Alice's sell
    top = net.common_height(v)
    net.assert_same_chain(v, range(first, top + 1))
    app_hashes = {n.name: n.block(top).results.app_hash.hex() for n in v}
    assert len(set(app_hashes.values())) == 1, app_hashes


def test_full_node_joining_late_catches_up_then_follows_consensus(net: Localnet) -> None:
    validators = net.validators
    full = net.nodes[4]
    assert not full.spec.validator
    net.wait_height(FULL_NODE_JOINS_AT, validators, timeout=60)
    tip = max(net.heights(validators).values())
    net.start([full])
    net.wait_height(tip, [full], timeout=60)

    def summary() -> re.Match[str] | None:  # logged once the sync ends, maybe after the tip is reached
        return re.search(r"block sync: (\d+) -> (\d+)", full.process.log.read_text())

    net.wait_for("the block sync summary", lambda: summary() is not None, timeout=30, nodes=[full])
    synced = summary()
    assert synced is not None
    assert int(synced[1]) == 0 and int(synced[2]) >= FULL_NODE_JOINS_AT, f"not by block sync: {synced[0]}"
    # Following: each new height the validators reach, the full node reaches within a few blocks' time.
    top = full.height()
    for _ in range(5):
        net.wait_height(top + 1, validators[:1])
        top = validators[0].height()
        net.wait_height(top, [full], timeout=3)
    assert not full.info().catching_up
    net.wait_height(top, validators)
    net.assert_same_chain([*validators, full], range(1, top + 1))


def test_chain_goes_on_with_one_validator_killed(net: Localnet) -> None:
    victim = net.validators[3]
    net.kill(victim)
    live = net.live()
    start = net.common_height(live)
    net.wait_height(start + 5, live, timeout=60)  # a dead proposer every 4th height costs a round, no more
    net.assert_same_chain(live, range(start, start + 6))


def test_two_of_four_killed_halts_without_fork_and_resumes(net: Localnet) -> None:
    down = net.validators[2:]
    for victim in down:
        net.kill(victim)
    live = net.live()  # two validators and the full node: half the voting power
    time.sleep(1.5)  # a block decided just before the kill may still reach every live node
    halted = net.common_height(live)
    time.sleep(4)  # several rounds of timeouts at the test's settings
    after = net.heights(live)
    assert max(after.values()) == halted, f"heights moved past {halted} with half the voting power: {after}"
    net.assert_same_chain(live, range(1, halted + 1))
    net.start(down)
    everyone = net.live()
    net.wait_height(halted + 3, everyone, timeout=90)
    net.assert_same_chain(everyone, range(1, halted + 4))


def test_every_node_stops_cleanly_on_sigterm(net: Localnet) -> None:
    net.start([n for n in net.nodes if not n.running])  # the full node too, if its test did not run
    codes = {n.name: n.process.stop() for n in net.live()}
    assert codes == dict.fromkeys((n.name for n in net.nodes), 0), codes
