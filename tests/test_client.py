"""okchain.client against a real node process over loopback: queries, txs with automatic nonce and gas,
streams, verified reads, and the client refusing a node that lies (tampered proofs, a header signed by a
set it does not trust, an answer for another height); the trio flavour runs the same core."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from okchain._pb.types.v1 import types_pb2
from okchain.client import AsyncClient, Client, NodeError, TxWouldFail, VerifyError
from okchain.client.core import Call
from okchain.client.queries import blocks_stream
from okchain.crypto.address import to_checksum
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.modules.dex.messages import ListPair, Side
from okchain.modules.staking.messages import CreateValidator, Deposit, Description, Vote
from okchain.modules.token.messages import IssueToken
from okchain.types.params import OKT_DENOM
from tests.helpers.chain import OKT, funded_keys
from tests.helpers.dex import order, place
from tests.helpers.processes import NodeProcess, init_node, okchaind, serve

PAYER, PAYEE, OPERATOR, TRADER = funded_keys(4)
NOBODY = AccountKey((99).to_bytes(32, "big"))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from serve(
        init_node(tmp_path_factory.mktemp("client"), [PAYER, PAYEE, OPERATOR, TRADER], block_time_ms=100)
    )


def genesis_of(node: NodeProcess) -> str:
    return str(node.home / "config" / "genesis.json")


@pytest.fixture(scope="module")
def client(node: NodeProcess) -> Iterator[Client]:
    with Client(node.target, genesis=genesis_of(node)) as c:
        yield c


def test_queries_answer_with_typed_values(client: Client) -> None:
    info = client.node_info()
    assert info.chain_id and info.latest_height >= 1
    assert client.balance(PAYEE.address) == 1_000_000 * OKT
    assert client.balances(PAYEE.address) == {OKT_DENOM: 1_000_000 * OKT}
    assert client.supply() >= 4 * 1_000_000 * OKT
    account = client.account(NOBODY.address)
    assert (account.nonce, account.pending_nonce) == (0, 0)


def test_send_fills_in_nonce_and_exact_gas(client: Client) -> None:
    before = client.balance(PAYEE.address)
    first = client.send(PAYER, PAYEE.address, 5 * OKT, wait=False)
    second = client.send(PAYER, PAYEE.address, 7 * OKT, wait=False)  # next nonce without waiting
    third = client.send(PAYER, PAYEE.address, 1, memo="hello")
    assert not first.committed and third.committed and third.ok
    assert third.result.gas_used == third.result.gas_wanted  # gas limit = what the tx needs
    for outcome in (first, second, third):
        assert client.tx(outcome.tx_hash).result.code == 0
    assert client.balance(PAYEE.address) == before + 12 * OKT + 1
    page = client.txs_by_address(PAYEE.address, page_size=2)
    assert [t.tx_hash for t in page.txs] == [third.tx_hash, second.tx_hash] and page.next_page_token
    assert client.account(PAYER.address).nonce == 3


def test_a_tx_that_would_fail_is_not_broadcast(client: Client) -> None:
    nonce = client.account(PAYEE.address).pending_nonce
    with pytest.raises(TxWouldFail, match="insufficient funds"):
        client.send(PAYEE, PAYER.address, 10**9 * OKT)
    assert client.account(PAYEE.address).pending_nonce == nonce
    with pytest.raises(NodeError, match="NOT_FOUND"):
        client.tx(b"\x01" * 32)


def test_verified_reads_match_the_plain_ones(client: Client) -> None:
    proven = client.verified_balance(PAYEE.address)
    assert proven.value == client.balance(PAYEE.address, height=proven.height)
    assert len(proven.app_hash) == 32
    assert (
        client.verified_nonce(PAYER.address, height=proven.height).value
        == client.account(PAYER.address, height=proven.height).nonce
    )
    assert client.verified_balance(NOBODY.address).value == 0  # absence is proven too


def test_verified_validator_voter_and_order(node: NodeProcess, client: Client) -> None:
    key = ValidatorKey.generate()
    created = client.broadcast(
        OPERATOR, [CreateValidator(Description("client-test"), key.public_key, 10**17, 2 * 10**17, 10**16)]
    )
    assert created.ok, created.result.log
    voted = client.broadcast(OPERATOR, [Deposit(100 * OKT), Vote((OPERATOR.address,))])
    assert voted.ok, voted.result.log
    issued = client.broadcast(TRADER, [IssueToken("cli", "CLI", 1000 * OKT, False)])
    denom = {a.key: a.value for e in issued.result.events for a in e.attributes}["denom"]
    assert client.broadcast(TRADER, [ListPair(denom, "okt", 2, 1, OKT // 2)]).ok
    placed = client.broadcast(TRADER, [place(order(f"{denom}_okt", Side.SELL, "2", "10"))])
    assert placed.ok, placed.result.log
    client.send(PAYER, PAYEE.address, 1)  # a later block, so a header vouches for the height above
    height = placed.height
    validator = client.verified_validator(OPERATOR.address, height=height).value
    assert validator.pubkey == key.public_key and validator.description.moniker == "client-test"
    voter = client.verified_voter(OPERATOR.address, height=height).value
    assert (voter.deposit, voter.validators) == (100 * OKT, (OPERATOR.address,))
    proven_order = client.verified_order(f"{placed.height}-0", height=height).value
    assert (proven_order.pair, proven_order.side, proven_order.quantity) == (f"{denom}_okt", Side.SELL, "10")
    verified_on_the_command_line(node, height, f"{placed.height}-0")


def verified_on_the_command_line(node: NodeProcess, height: int, order_id: str) -> None:
    """``okchaind query … --verify`` shows the plain answer and the proven record, at one height."""
    trust = ("--genesis", genesis_of(node), "--node", node.target, "--height", str(height))
    operator = to_checksum(OPERATOR.address)
    balance = json.loads(okchaind("query", "balance", operator, "--verify", *trust).stdout)
    assert balance["verified"]["value"] == balance["amount"] and balance["height"] == str(height)
    account = json.loads(okchaind("query", "account", operator, "--verify", *trust).stdout)
    assert account["verified"]["value"] == account["nonce"] == "2"
    validator = json.loads(okchaind("query", "staking", "validator", operator, "--verify", *trust).stdout)
    assert validator["verified"]["value"]["description"]["moniker"] == "client-test"
    voter = json.loads(okchaind("query", "staking", "voter", operator, "--verify", *trust).stdout)
    assert voter["verified"]["value"]["validators"] == [operator]
    placed = json.loads(okchaind("query", "dex", "order", order_id, "--verify", *trust).stdout)
    assert placed["verified"]["value"]["status"] == placed["status"]
    refused = okchaind("query", "balance", operator, "--verify", "--node", node.target, check=False)
    assert refused.returncode != 0 and "--verify needs --genesis" in refused.stderr


class LyingClient(Client):
    """A client whose answers pass through ``lie`` first: a node that tampers with what it serves."""

    def __init__(self, target: str, genesis: str, lie: Any) -> None:
        super().__init__(target, genesis=genesis)
        self.lie = lie

    def perform(self, call: Call) -> Any:
        return self.lie(call, super().perform(call))


def _tamper_value(call: Call, answer: Any) -> Any:
    if call.method == "Balance" and answer.proof.values:
        answer.proof.values[0].value = (10**30).to_bytes(13, "big")
    return answer


def _drop_proofs(call: Call, answer: Any) -> Any:
    if call.method == "Balance":
        del answer.proof.values[:]
    return answer


def _other_height(call: Call, answer: Any) -> Any:
    if call.method == "Balance":
        answer.height -= 1
        answer.proof.height -= 1
    return answer


@pytest.mark.parametrize(
    ("lie", "reason"),
    [
        (_tamper_value, "does not lead to app hash"),
        (_drop_proofs, "leaves out state key"),
        (_other_height, "asked for the state at height"),
    ],
)
def test_a_lying_node_is_caught(node: NodeProcess, lie: Any, reason: str) -> None:
    with LyingClient(node.target, genesis_of(node), lie) as liar, pytest.raises(VerifyError, match=reason):
        liar.verified_balance(PAYEE.address)


def test_headers_signed_by_an_untrusted_set_are_refused(node: NodeProcess, tmp_path: Path) -> None:
    """The client trusts a genesis naming another validator: the node's real headers do not verify."""
    genesis = json.loads(Path(genesis_of(node)).read_text())
    genesis["validators"][0]["pub_key"] = ValidatorKey.generate().public_key.hex()
    other = tmp_path / "genesis.json"
    other.write_text(json.dumps(genesis))
    with Client(node.target, genesis=str(other)) as c, pytest.raises(VerifyError, match="cannot be trusted"):
        c.verified_balance(PAYEE.address)


def test_the_trio_client_runs_the_same_core(node: NodeProcess) -> None:
    async def main() -> tuple[int, int, list[int], types_pb2.TxResult]:
        async with AsyncClient(node.target, genesis=genesis_of(node)) as c:
            balance = await c.balance(PAYEE.address)
            proven = await c.verified_balance(PAYEE.address)
            start = (await c.node_info(refresh=True)).latest_height
            heights = []
            async with c.subscribe(blocks_stream(start)) as events:
                async for event in events:
                    heights.append(event.height)
                    if len(heights) == 3:
                        break
            sent = await c.send(PAYER, PAYEE.address, 1)
            return balance, proven.value, heights, sent.result

    balance, proven, heights, result = trio.run(main)
    assert balance >= proven > 0
    assert heights == [heights[0], heights[0] + 1, heights[0] + 2]
    assert result.code == 0
