"""Tokens over a real ``okchaind start`` process: the TokenQuery gRPC service and the token commands."""

from collections.abc import Iterator

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from okchain._pb.node.v1 import query_pb2 as node_query_pb2
from okchain._pb.node.v1 import query_pb2_grpc as node_query_pb2_grpc
from okchain._pb.token.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic
from okchain.modules.token.messages import MintToken
from okchain.tx.envelope import build_tx
from okchain.types.params import ChainParams
from tests.helpers.chain import CHAIN_ID, DEV_MNEMONIC, OKT
from tests.helpers.processes import (
    NodeProcess,
    add_keyring_key,
    cli_json,
    init_node,
    okchaind,
    serve,
    unminted,
)

ALICE, BOB = (account_from_mnemonic(DEV_MNEMONIC, path=f"m/44'/60'/0'/0/{i}") for i in range(2))
ISSUE_FEE = ChainParams().token_issue_fee


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    tmp = tmp_path_factory.mktemp("token-rpc")
    proc = init_node(tmp, [ALICE, BOB], block_time_ms=100)
    add_keyring_key(proc, tmp)
    yield from serve(proc)


def issue(node: NodeProcess, symbol: str, supply: str = "1000000", *flags: str) -> str:
    out = cli_json(node, "tx", "token", "issue", "alice", "--symbol", symbol, "--name", f"{symbol} coin",
              "--total-supply", supply, *flags)  # fmt: skip
    assert out["committed"] and out["result"]["code"] == 0, out
    denom: str = out["denom"]
    assert denom.startswith(f"{symbol}-") and len(denom) == len(symbol) + 4
    return denom


def test_cli_issue_mint_burn_transfer_and_supply(node: NodeProcess) -> None:
    def okt_supply(*query: str) -> int:
        """The OKT supply less the mint, so only the txs' burns show."""
        answer = cli_json(node, "query", *query)
        return unminted(answer.get("amount", answer.get("supply")), answer["height"])

    okt_before = okt_supply("supply")
    denom = issue(node, "xyz", "1000000.5", "--mintable")
    token = cli_json(node, "query", "token", denom)
    assert token["owner"] == to_checksum(ALICE.address) and token["mintable"] is True
    assert token["supply"] == token["original_supply"] == str(1_000_000 * OKT + OKT // 2)
    assert token["supply_display"] == f"1000000.5{denom}"
    assert okt_supply("supply") == okt_before - ISSUE_FEE  # the issue fee is burned

    assert cli_json(node, "tx", "token", "mint", "alice", f"2.25{denom}")["result"]["code"] == 0
    assert cli_json(node, "query", "token", denom)["supply"] == str(1_000_002 * OKT + 3 * OKT // 4)
    burned = cli_json(node, "tx", "token", "burn", "alice", "1.5okt")
    assert burned["result"]["code"] == 0
    assert burned["result"]["events"][0]["attributes"] == {
        "denom": "okt", "burner": to_checksum(ALICE.address), "amount": str(3 * OKT // 2),
    }  # fmt: skip
    assert okt_supply("supply") == okt_before - ISSUE_FEE - 3 * OKT // 2
    assert okt_supply("token", "okt") == okt_before - ISSUE_FEE - 3 * OKT // 2

    moved = cli_json(node, "tx", "token", "transfer-ownership", "alice", denom, to_checksum(BOB.address))
    assert moved["result"]["code"] == 0
    assert cli_json(node, "query", "token", denom)["owner"] == to_checksum(BOB.address)
    refused = okchaind(
        "tx", "token", "mint", "alice", f"1{denom}", "--home", str(node.home),
        "--password-file", str(node.home.parent / "pw"), "--node", node.target, check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert f"PERMISSION_DENIED: cannot mint {denom}: owned by {to_checksum(BOB.address)}" in refused.stderr


def test_cli_refuses_bad_input_before_signing(node: NodeProcess) -> None:
    bad_supply = okchaind("tx", "token", "issue", "alice", "--symbol", "abc", "--name", "n",
                          "--total-supply", "1e3", "--node", node.target, check=False)  # fmt: skip
    assert bad_supply.returncode == 1 and "--total-supply: '1e3' is not a decimal number" in bad_supply.stderr
    bad_amount = okchaind("tx", "token", "burn", "alice", "5xyz", "--node", node.target, check=False)
    assert bad_amount.returncode == 1 and "'5xyz' is not a number followed by a denom" in bad_amount.stderr


def test_cli_bad_symbol_is_refused_by_the_node(node: NodeProcess) -> None:
    out = okchaind("tx", "token", "issue", "alice", "--symbol", "ABC", "--name", "n", "--total-supply", "1",
                   "--home", str(node.home), "--password-file", str(node.home.parent / "pw"),
                   "--node", node.target, check=False)  # fmt: skip
    assert out.returncode == 1
    assert "INVALID_ARGUMENT: message 0: symbol 'ABC' must be 1-6 characters" in out.stderr


def test_grpc_token_queries(node: NodeProcess, channel: grpc.Channel) -> None:
    stub = query_pb2_grpc.TokenQueryStub(channel)
    denoms = sorted(issue(node, symbol) for symbol in ("pa", "pb", "pc"))
    listed: list[str] = []
    page = ""
    while True:
        resp = stub.Tokens(query_pb2.TokensRequest(page_token=page, page_size=2))
        assert len(resp.tokens) <= 2
        listed += [t.denom for t in resp.tokens]
        page = resp.next_page_token
        if not page:
            break
    assert listed == sorted(listed) and set(denoms) <= set(listed)
    one = stub.Token(query_pb2.TokenRequest(denom=denoms[0]))
    assert one.token.symbol == "pa" and one.token.name == "pa coin" and not one.token.mintable
    assert one.token.supply == one.token.original_supply == str(1_000_000 * OKT) and one.height > 0
    with pytest.raises(grpc.RpcError) as missing:
        stub.Token(query_pb2.TokenRequest(denom="nope-000"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing.value.details() == "no token 'nope-000'"
    with pytest.raises(grpc.RpcError) as bad:
        stub.Token(query_pb2.TokenRequest(denom="x" * 40))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_grpc_refusal_carries_the_token_reason(node: NodeProcess, channel: grpc.Channel) -> None:
    denom = issue(node, "own")
    q = node_query_pb2_grpc.QueryServiceStub(channel)
    nonce = q.Account(node_query_pb2.AccountRequest(address=to_checksum(BOB.address))).pending_nonce
    raw = build_tx(BOB, chain_id=CHAIN_ID, nonce=nonce, msgs=[MintToken(denom, 1)], gas_limit=100_000,
                   fee=100_000 * 10**9)  # fmt: skip
    txs = node_query_pb2_grpc.TxServiceStub(channel)
    with pytest.raises(grpc.RpcError) as refused:
        txs.BroadcastTx(node_query_pb2.BroadcastTxRequest(tx=raw))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (
        refused.value.details()
        == f"cannot mint {denom}: owned by {to_checksum(ALICE.address)}, not the signer"
    )


def test_reflection_lists_token_query(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    answer = next(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    assert "okchain.token.v1.TokenQuery" in {s.name for s in answer.list_services_response.service}
