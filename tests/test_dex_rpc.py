"""The DEX over a real ``okchaind start`` process: ``okchaind tx|query dex`` and the DexQuery service."""

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from okchain._pb.dex.v1 import query_pb2, query_pb2_grpc
from okchain._pb.node.v1 import query_pb2 as node_query_pb2
from okchain._pb.node.v1 import query_pb2_grpc as node_query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic
from okchain.crypto.secp import AccountKey
from okchain.modules.dex.messages import CancelOrders, OrderSpec, PlaceOrders, Side, parse_order_id
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from tests.helpers.chain import CHAIN_ID, DEV_MNEMONIC
from tests.helpers.processes import NodeProcess, add_keyring_key, cli_json, init_node, okchaind, serve

ALICE, BOB = (account_from_mnemonic(DEV_MNEMONIC, path=f"m/44'/60'/0'/0/{i}") for i in range(2))
ONE = 10**18


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    tmp = tmp_path_factory.mktemp("dex-rpc")
    proc = init_node(tmp, [ALICE, BOB], block_time_ms=100)
    add_keyring_key(proc, tmp)
    yield from serve(proc)


def grpc_tx(channel: grpc.Channel, key: AccountKey, msgs: list[Msg]) -> node_query_pb2.BroadcastTxResponse:
    """Sign with ``key`` (not in the keyring) and broadcast, waiting for the commit."""
    q = node_query_pb2_grpc.QueryServiceStub(channel)
    nonce = q.Account(node_query_pb2.AccountRequest(address=to_checksum(key.address))).pending_nonce
    raw = build_tx(key, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=400_000, fee=400_000 * 10**9)
    tx = node_query_pb2_grpc.TxServiceStub(channel)
    resp: node_query_pb2.BroadcastTxResponse = tx.BroadcastTx(
        node_query_pb2.BroadcastTxRequest(tx=raw, mode=node_query_pb2.BROADCAST_MODE_COMMIT)
    )
    return resp


@pytest.fixture(scope="module")
def market(node: NodeProcess, channel: grpc.Channel) -> dict[str, Any]:
    """A pair with a trade, resting orders on both sides and one cancelled order, made through the CLI
    (Alice) and gRPC (Bob)."""
    issued = cli_json(
        node, "tx", "token", "issue", "alice", "--symbol", "xyz", "--name", "xyz", "--total-supply", "1000"
    )
    assert issued["result"]["code"] == 0, issued
    xyz = issued["denom"]
    listed = cli_json(node, "tx", "dex", "list-pair", "alice", xyz, "okt",
                 "--price-decimals", "2", "--quantity-decimals", "1", "--min-quantity", "0.5")  # fmt: skip
    assert listed["result"]["code"] == 0, listed
    pair = f"{xyz}_okt"
    placed = cli_json(
        node, "tx", "dex", "place", "alice", f"sell,{pair},2,10", f"sell,{pair},2.5,5", f"sell,{pair},3,1"
    )
    assert placed["result"]["code"] == 0, placed
    buy = grpc_tx(channel, BOB, [PlaceOrders((OrderSpec(pair, Side.BUY, 21 * ONE // 10, 4 * ONE),))])
    assert buy.result.code == 0, buy.result.log
    rest = grpc_tx(
        channel,
        BOB,
        [PlaceOrders((OrderSpec(pair, Side.BUY, ONE, ONE), OrderSpec(pair, Side.BUY, ONE, 2 * ONE)))],
    )
    assert rest.result.code == 0, rest.result.log
    rest_first = f"{rest.height}-0"
    cancel_id = parse_order_id(f"{rest.height}-1")
    assert cancel_id is not None
    cancelled = grpc_tx(channel, BOB, [CancelOrders((cancel_id,))])
    assert cancelled.result.code == 0, cancelled.result.log
    return {
        "pair": pair,
        "xyz": xyz,
        "alice_ids": placed["order_ids"],
        "buy_id": f"{buy.height}-0",
        "rest_id": rest_first,
        "cancelled_id": f"{rest.height}-1",
        "trade_height": buy.height,
    }


def test_grpc_queries(channel: grpc.Channel, market: dict[str, Any]) -> None:
    stub = query_pb2_grpc.DexQueryStub(channel)
    pair = market["pair"]
    pairs = stub.Pairs(query_pb2.PairsRequest()).pairs
    assert [p.name for p in pairs] == [pair]
    assert pairs[0].owner == to_checksum(ALICE.address) and pairs[0].listed and pairs[0].min_quantity == "0.5"
    # Bob's buy 4 @ 2.10 crossed Alice's sell 10 @ 2: first auction, so the midpoint 2.05
    assert pairs[0].last_price == "2.05"
    buy = stub.Order(query_pb2.OrderRequest(id=market["buy_id"])).order
    assert (buy.status, buy.filled, buy.price, buy.side) == ("filled", "4", "2.1", Side.BUY)
    sell = stub.Order(query_pb2.OrderRequest(id=market["alice_ids"][0])).order
    assert (sell.status, sell.filled, sell.quantity, sell.owner) == (
        "open",
        "4",
        "10",
        to_checksum(ALICE.address),
    )
    gone = stub.Order(query_pb2.OrderRequest(id=market["cancelled_id"])).order
    assert gone.status == "cancelled" and gone.closed_height > 0

    depth = stub.Depth(query_pb2.DepthRequest(pair=pair))
    assert [(v.price, v.quantity, v.orders) for v in depth.asks] == [
        ("2", "6", 1),
        ("2.5", "5", 1),
        ("3", "1", 1),
    ]
    assert [(v.price, v.quantity, v.orders) for v in depth.bids] == [("1", "1", 1)]
    one_level = stub.Depth(query_pb2.DepthRequest(pair=pair, levels=1))
    assert len(one_level.asks) == 1 and one_level.asks[0].price == "2"

    deals = stub.Deals(query_pb2.DealsRequest(pair=pair)).deals
    assert sorted((d.order_id, d.side, d.quantity, d.price) for d in deals) == sorted(
        [(market["buy_id"], Side.BUY, "4", "2.05"), (market["alice_ids"][0], Side.SELL, "4", "2.05")]
    )
    assert all(d.height == market["trade_height"] and d.time_unix_ns > 0 for d in deals)

    ticker = stub.Ticker(query_pb2.TickerRequest(pair=pair))
    assert (ticker.last, ticker.high_24h, ticker.low_24h, ticker.volume_24h) == ("2.05", "2.05", "2.05", "4")
    for interval in ("1m", "5m", "15m", "1h", "4h", "1d"):
        candles = stub.Candles(query_pb2.CandlesRequest(pair=pair, interval=interval)).candles
        assert len(candles) == 1
        c = candles[0]
        assert (c.open, c.high, c.low, c.close, c.volume) == ("2.05", "2.05", "2.05", "2.05", "4")
        assert c.open_time_unix_s * 10**9 <= deals[0].time_unix_ns

    # Bob's orders, one per page, and filtered by state
    ids: list[str] = []
    page = ""
    while True:
        resp = stub.Orders(
            query_pb2.OrdersRequest(address=to_checksum(BOB.address), page_token=page, page_size=1)
        )
        assert len(resp.orders) <= 1
        ids += [o.id for o in resp.orders]
        page = resp.next_page_token
        if not page:
            break
    assert ids == [market["buy_id"], market["rest_id"], market["cancelled_id"]]
    open_ids = [
        o.id
        for o in stub.Orders(query_pb2.OrdersRequest(address=to_checksum(BOB.address), state="open")).orders
    ]
    assert open_ids == [market["rest_id"]]
    closed = stub.Orders(query_pb2.OrdersRequest(address=to_checksum(BOB.address), state="closed")).orders
    assert [o.id for o in closed] == [market["buy_id"], market["cancelled_id"]]


@pytest.mark.parametrize(
    ("call", "request_", "code", "details"),
    [
        ("Order", query_pb2.OrderRequest(id="999999-0"), grpc.StatusCode.NOT_FOUND, "no order '999999-0'"),
        (
            "Order",
            query_pb2.OrderRequest(id="12"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "'12' is not an order id",
        ),
        ("Depth", query_pb2.DepthRequest(pair="no_pair"), grpc.StatusCode.NOT_FOUND, "pair 'no_pair' is not"),
        (
            "Candles",
            query_pb2.CandlesRequest(pair="a_b", interval="2m"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "interval",
        ),
        ("Orders", query_pb2.OrdersRequest(address="0x12"), grpc.StatusCode.INVALID_ARGUMENT, "address"),
        (
            "Orders",
            query_pb2.OrdersRequest(address=to_checksum(bytes(20)), state="x"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "state",
        ),
    ],
)
def test_grpc_bad_requests(
    channel: grpc.Channel, call: str, request_: object, code: grpc.StatusCode, details: str
) -> None:
    stub = query_pb2_grpc.DexQueryStub(channel)
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, call)(request_)
    assert err.value.code() == code
    assert details in err.value.details()


def test_cli_queries_and_cancel(node: NodeProcess, market: dict[str, Any]) -> None:
    pair = market["pair"]
    assert cli_json(node, "query", "dex", "pairs")["pairs"][0]["last_price"] == "2.05"
    order = cli_json(node, "query", "dex", "order", market["alice_ids"][1])
    assert (order["status"], order["price"], order["side"]) == ("open", "2.5", "sell")
    mine = cli_json(node, "query", "dex", "orders", to_checksum(ALICE.address), "--state", "open")["orders"]
    assert [o["id"] for o in mine] == market["alice_ids"]
    asks = cli_json(node, "query", "dex", "depth", pair)["asks"]
    assert asks[0] == {"price": "2", "quantity": "6", "orders": 1}
    assert len(cli_json(node, "query", "dex", "deals", pair, "--limit", "1")["deals"]) == 1
    assert cli_json(node, "query", "dex", "ticker", pair)["volume_24h"] == "4"
    assert (
        cli_json(node, "query", "dex", "candles", pair, "--interval", "1h")["candles"][0]["close"] == "2.05"
    )

    out = cli_json(node, "tx", "dex", "cancel", "alice", market["alice_ids"][2])
    assert out["result"]["code"] == 0, out
    assert cli_json(node, "query", "dex", "order", market["alice_ids"][2])["status"] == "cancelled"
    again = okchaind(
        "tx", "dex", "cancel", "alice", market["alice_ids"][2], "--home", str(node.home),
        "--password-file", str(node.home.parent / "pw"), "--node", node.target, check=False,
    )  # fmt: skip
    assert again.returncode == 1
    closed = market["alice_ids"][2]
    assert f"FAILED_PRECONDITION: order {closed} is already closed (cancelled)" in again.stderr
    bad = okchaind("tx", "dex", "place", "alice", "hold,x_y,1,1", "--node", node.target, check=False)
    assert bad.returncode == 1 and "is not SIDE,PAIR,PRICE,QUANTITY" in bad.stderr
