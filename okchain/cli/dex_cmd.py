"""``okchaind tx dex list-pair|delist-pair|place|cancel`` and
``okchaind query dex order|orders|pairs|depth|deals|ticker|candles``."""

import argparse

from okchain._pb.dex.v1 import query_pb2
from okchain._pb.node.v1 import query_pb2 as query_pb2_node
from okchain.cli.client import (
    Client,
    add_height_arg,
    add_node_arg,
    add_verify_args,
    agree,
    print_json,
    proven_json,
)
from okchain.cli.common import UINT64, CLIError, bounded_int
from okchain.cli.signing import add_tx_flags, send_and_report
from okchain.modules.dex.candles import INTERVALS
from okchain.modules.dex.messages import (
    CancelOrders,
    DelistPair,
    ListPair,
    OrderSpec,
    PlaceOrders,
    Side,
    parse_decimal,
    parse_order_id,
)
from okchain.tx.registry import Msg

LIST_GAS_LIMIT = 100_000
PLACE_GAS_LIMIT = 400_000  # 200 orders with their bytes
SIDES = {"buy": Side.BUY, "sell": Side.SELL}
DECIMALS = bounded_int(0, 18)  # the proto field is uint32; the chain allows price + quantity decimals <= 18


def register_tx(tx_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    dex = tx_sub.add_parser("dex", help="list pairs, place and cancel orders")
    sub = dex.add_subparsers(dest="dex_command", required=True)
    lst = sub.add_parser("list-pair", help="list BASE/QUOTE for trading (pays the listing fee, burned)")
    lst.add_argument("sender", metavar="FROM", help="keyring key name (becomes the pair owner)")
    lst.add_argument("base", metavar="BASE")
    lst.add_argument("quote", metavar="QUOTE")
    lst.add_argument("--price-decimals", type=DECIMALS, required=True)
    lst.add_argument("--quantity-decimals", type=DECIMALS, required=True)
    lst.add_argument("--min-quantity", required=True, help="smallest order quantity, e.g. 0.1")
    delist = sub.add_parser("delist-pair", help="stop trading a pair you own; its open orders are refunded")
    delist.add_argument("sender", metavar="FROM")
    delist.add_argument("pair", metavar="PAIR", help="base_quote")
    place = sub.add_parser("place", help="place up to 200 orders in one tx")
    place.add_argument("sender", metavar="FROM")
    place.add_argument(
        "orders", metavar="ORDER", nargs="+", help="SIDE,PAIR,PRICE,QUANTITY e.g. buy,xyz-a1f_okt,1.5,10"
    )
    cancel = sub.add_parser("cancel", help="cancel up to 200 of your open orders")
    cancel.add_argument("sender", metavar="FROM")
    cancel.add_argument("ids", metavar="ID", nargs="+", help="order id like 123-45")
    for p, fn, gas in (
        (lst, _list, LIST_GAS_LIMIT),
        (delist, _delist, LIST_GAS_LIMIT),
        (place, _place, PLACE_GAS_LIMIT),
        (cancel, _cancel, PLACE_GAS_LIMIT),
    ):
        add_tx_flags(p, gas)
        p.set_defaults(func=fn)


def register_query(q_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    dex = q_sub.add_parser("dex", help="orders, pairs, depth, deals, tickers and candles")
    sub = dex.add_subparsers(dest="dex_query", required=True)
    order = sub.add_parser("order", help="one order by id")
    order.add_argument("id", metavar="ID")
    add_height_arg(order)
    add_verify_args(order)
    orders = sub.add_parser("orders", help="an address's orders, oldest first")
    orders.add_argument("address", metavar="ADDRESS")
    orders.add_argument("--state", choices=("open", "closed", ""), default="")
    pairs = sub.add_parser("pairs", help="every listed pair")
    depth = sub.add_parser("depth", help="price levels of a pair's book")
    depth.add_argument("pair", metavar="PAIR")
    depth.add_argument("--levels", type=UINT64, default=50)
    deals = sub.add_parser("deals", help="recent fills of a pair")
    deals.add_argument("pair", metavar="PAIR")
    deals.add_argument("--limit", type=UINT64, default=50)
    ticker = sub.add_parser("ticker", help="last price and 24 h high, low and volume")
    ticker.add_argument("pair", metavar="PAIR")
    candles = sub.add_parser("candles", help="OHLCV candles from the deal history, newest first")
    candles.add_argument("pair", metavar="PAIR")
    candles.add_argument("--interval", choices=tuple(INTERVALS), default="1m")
    candles.add_argument("--limit", type=UINT64, default=100)
    for p, fn in (
        (order, _order),
        (orders, _orders),
        (pairs, _pairs),
        (depth, _depth),
        (deals, _deals),
        (ticker, _ticker),
        (candles, _candles),
    ):
        add_node_arg(p)
        p.set_defaults(func=fn)


def _placed_ids(resp: query_pb2_node.BroadcastTxResponse) -> dict[str, object]:
    """The ids of the orders a place tx opened, read from its ``dex_place_orders`` event."""
    out: dict[str, object] = {}
    for event in resp.result.events:
        if event.type == "dex_place_orders":
            attrs = {a.key: a.value for a in event.attributes}
            height, first = attrs["first_id"].split("-")
            out["order_ids"] = [f"{height}-{int(first) + i}" for i in range(int(attrs["count"]))]
    return out


def _send(args: argparse.Namespace, msg: Msg) -> int:
    return send_and_report(args, msg, _placed_ids)


def _decimal(text: str, what: str) -> int:
    try:
        return parse_decimal(text, what)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def _list(args: argparse.Namespace) -> int:
    minimum = _decimal(args.min_quantity, "--min-quantity")
    return _send(args, ListPair(args.base, args.quote, args.price_decimals, args.quantity_decimals, minimum))


def _delist(args: argparse.Namespace) -> int:
    return _send(args, DelistPair(args.pair))


def _place(args: argparse.Namespace) -> int:
    specs = []
    for i, text in enumerate(args.orders):
        parts = text.split(",")
        if len(parts) != 4 or parts[0].lower() not in SIDES:
            raise CLIError(f"order {i}: {text!r} is not SIDE,PAIR,PRICE,QUANTITY with SIDE buy or sell")
        side, pair, price, quantity = parts
        specs.append(
            OrderSpec(
                pair,
                SIDES[side.lower()],
                _decimal(price, f"order {i}: price"),
                _decimal(quantity, f"order {i}: quantity"),
            )
        )
    return _send(args, PlaceOrders(tuple(specs)))


def _cancel(args: argparse.Namespace) -> int:
    ids = []
    for text in args.ids:
        oid = parse_order_id(text)
        if oid is None:
            raise CLIError(f"{text!r} is not an order id like 123-45")
        ids.append(oid)
    return _send(args, CancelOrders(tuple(ids)))


def _order_json(o: query_pb2.Order) -> dict[str, object]:
    return {
        "id": o.id,
        "owner": o.owner,
        "pair": o.pair,
        "side": "buy" if int(o.side) == Side.BUY else "sell",
        "price": o.price,
        "quantity": o.quantity,
        "filled": o.filled,
        "status": o.status,
        "height": str(o.height),
        "closed_height": str(o.closed_height),
    }


def _order(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    proven = c.verify_if(args, lambda lib: lib.verified_order(args.id, height=args.height))
    r = c.call(
        c.dex.Order, query_pb2.OrderRequest(id=args.id, height=proven.height if proven else args.height)
    )
    out = {**_order_json(r.order), "query_height": str(r.height)}
    if proven:
        agree((proven.value.filled, proven.value.status), (r.order.filled, r.order.status), "fill and status")
        out["verified"] = proven_json(proven)
    print_json(out)
    return 0


def _orders(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)  # the node checks the address (0x… or ok1…) and says what is wrong
    pages = c.pages(
        c.dex.Orders,
        lambda token: query_pb2.OrdersRequest(address=args.address, state=args.state, page_token=token),
    )
    print_json({"orders": [_order_json(o) for r in pages for o in r.orders], "height": str(pages[-1].height)})
    return 0


def _pairs(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    pages = c.pages(c.dex.Pairs, lambda token: query_pb2.PairsRequest(page_token=token))
    pairs = [
        {
            "name": p.name,
            "base": p.base,
            "quote": p.quote,
            "price_decimals": p.price_decimals,
            "quantity_decimals": p.quantity_decimals,
            "min_quantity": p.min_quantity,
            "owner": p.owner,
            "listed": p.listed,
            "last_price": p.last_price,
            "listed_height": str(p.listed_height),
        }
        for r in pages
        for p in r.pairs
    ]
    print_json({"pairs": pairs, "height": str(pages[-1].height)})
    return 0


def _depth(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.dex.Depth, query_pb2.DepthRequest(pair=args.pair, levels=args.levels))

    def levels(rows: list[query_pb2.Level]) -> list[dict[str, object]]:
        return [{"price": v.price, "quantity": v.quantity, "orders": v.orders} for v in rows]

    print_json({"bids": levels(list(r.bids)), "asks": levels(list(r.asks)), "height": str(r.height)})
    return 0


def _deals(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.dex.Deals, query_pb2.DealsRequest(pair=args.pair, limit=args.limit))
    deals = [
        {
            "height": str(d.height),
            "time_unix_ns": str(d.time_unix_ns),
            "order_id": d.order_id,
            "side": "buy" if int(d.side) == Side.BUY else "sell",
            "price": d.price,
            "quantity": d.quantity,
        }
        for d in r.deals
    ]
    print_json({"deals": deals, "height": str(r.height)})
    return 0


def _ticker(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.dex.Ticker, query_pb2.TickerRequest(pair=args.pair))
    print_json(
        {
            "pair": r.pair,
            "last": r.last,
            "high_24h": r.high_24h,
            "low_24h": r.low_24h,
            "volume_24h": r.volume_24h,
            "height": str(r.height),
            "time_unix_ns": str(r.time_unix_ns),
        }
    )
    return 0


def _candles(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(
        c.dex.Candles, query_pb2.CandlesRequest(pair=args.pair, interval=args.interval, limit=args.limit)
    )
    rows = [
        {
            "open_time_unix_s": str(k.open_time_unix_s),
            "open": k.open,
            "high": k.high,
            "low": k.low,
            "close": k.close,
            "volume": k.volume,
        }
        for k in r.candles
    ]
    print_json({"candles": rows, "height": str(r.height)})
    return 0
