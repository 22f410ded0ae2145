"""DexQuery: orders, pairs, depth, deals, tickers and candles, read from one committed snapshot per call."""

from typing import NoReturn

import grpc

from okchain._pb.dex.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.modules.dex import history
from okchain.modules.dex import keeper as k
from okchain.modules.dex.candles import INTERVALS
from okchain.modules.dex.messages import format_order_id, parse_order_id
from okchain.modules.dex.queries import DexReader, OrderView, price_text, quantity_text
from okchain.rpc.convert import RequestError, address_arg
from okchain.rpc.paging import decode_token, encode_token
from okchain.rpc.servicers import MAX_PAGE, ServicerBase, guarded, proof_if

MAX_CANDLES = 500


def _order(v: OrderView) -> query_pb2.Order:
    return query_pb2.Order(
        id=v.id,
        owner=to_checksum(v.owner),
        pair=v.pair,
        side=v.side,  # type: ignore[arg-type]
        price=v.price,
        quantity=v.quantity,
        filled=v.filled,
        status=v.status,
        height=v.height,
        closed_height=v.closed_height,
    )


def _pair(p: k.Pair) -> query_pb2.Pair:
    return query_pb2.Pair(
        name=p.name,
        base=p.base,
        quote=p.quote,
        price_decimals=p.price_decimals,
        quantity_decimals=p.quantity_decimals,
        min_quantity=quantity_text(p, p.min_lots),
        owner=to_checksum(p.owner),
        listed=p.active,
        last_price=price_text(p, p.last_price),
        listed_height=p.listed_height,
    )


def _order_id(text: str, what: str) -> int:
    oid = parse_order_id(text)
    if oid is None:
        raise RequestError(
            grpc.StatusCode.INVALID_ARGUMENT, f"{what} {text[:40]!r} is not an order id like 123-45"
        )
    return oid


def _size(requested: int, default: int, maximum: int) -> int:
    return min(requested or default, maximum)


class DexQueryService(ServicerBase, query_pb2_grpc.DexQueryServicer):
    def _find(self, dex: DexReader, name: str) -> k.Pair:
        pair = dex.pair(name)
        if pair is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"pair {name[:80]!r} is not listed")
        return pair

    def _missing(self, height: int, oid: int, text: str) -> NoReturn:
        """Refuse a query for an order that is not in the state at ``height``: OUT_OF_RANGE when its
        height's history was pruned (so a client knows it closed long ago), else NOT_FOUND."""
        params = self.node.app.params
        placed = k.split_id(oid)[0]
        if history.pruned(params, height, placed):
            raise RequestError(
                grpc.StatusCode.OUT_OF_RANGE,
                f"order {text!r} was placed at height {placed}, whose DEX history is pruned; history is kept "
                f"from height {history.earliest_kept(params, height)} (dex_history_blocks "
                f"{params.dex_history_blocks})",
            )
        raise RequestError(grpc.StatusCode.NOT_FOUND, f"no order {text!r}")

    @guarded
    def Order(
        self, request: query_pb2.OrderRequest, context: grpc.ServicerContext
    ) -> query_pb2.OrderResponse:
        oid = _order_id(request.id, "id")
        q = self.query(request.height)
        view = q.dex().order(oid)
        if view is None:
            self._missing(q.height, oid, request.id)
        return query_pb2.OrderResponse(
            order=_order(view),
            height=q.height,
            proof=proof_if(request.prove, q, lambda r: DexReader(r, 0).order(oid)),
        )

    @guarded
    def Orders(
        self, request: query_pb2.OrdersRequest, context: grpc.ServicerContext
    ) -> query_pb2.OrdersResponse:
        if request.state not in ("", "open", "closed"):
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "state must be open, closed or empty")
        owner = address_arg(request.address)
        start = _order_id(request.page_token, "page token") if request.page_token else 0
        q = self.query(request.height)
        views, nxt = q.dex().orders(owner, request.state, start, _size(request.page_size, 100, MAX_PAGE))
        return query_pb2.OrdersResponse(
            orders=[_order(v) for v in views],
            next_page_token="" if nxt is None else format_order_id(nxt),
            height=q.height,
        )

    @guarded
    def Pairs(
        self, request: query_pb2.PairsRequest, context: grpc.ServicerContext
    ) -> query_pb2.PairsResponse:
        q = self.query(request.height)
        dex = q.dex()
        total = dex.pair_count()
        start = decode_token(request.page_token, 1)[0] if request.page_token else 0
        if start > total:
            raise RequestError(
                grpc.StatusCode.INVALID_ARGUMENT, f"page token starts at pair #{start}, there are {total}"
            )
        end = min(total, start + _size(request.page_size, 100, MAX_PAGE))
        return query_pb2.PairsResponse(
            pairs=[_pair(p) for p in dex.pairs(start, end)],
            height=q.height,
            next_page_token=encode_token(end) if end < total else "",
        )

    @guarded
    def Depth(
        self, request: query_pb2.DepthRequest, context: grpc.ServicerContext
    ) -> query_pb2.DepthResponse:
        q = self.query(request.height)
        dex = q.dex()
        bids, asks = dex.depth(self._find(dex, request.pair), _size(request.levels, 50, MAX_PAGE))
        return query_pb2.DepthResponse(
            bids=[query_pb2.Level(price=v.price, quantity=v.quantity, orders=v.orders) for v in bids],
            asks=[query_pb2.Level(price=v.price, quantity=v.quantity, orders=v.orders) for v in asks],
            height=q.height,
        )

    @guarded
    def Deals(
        self, request: query_pb2.DealsRequest, context: grpc.ServicerContext
    ) -> query_pb2.DealsResponse:
        q = self.query(request.height)
        dex = q.dex()
        deals = dex.deals(self._find(dex, request.pair), _size(request.limit, 50, MAX_PAGE))
        return query_pb2.DealsResponse(
            deals=[
                query_pb2.Deal(
                    height=d.height,
                    time_unix_ns=d.time_ns,
                    order_id=d.order_id,
                    side=d.side,  # type: ignore[arg-type]
                    price=d.price,
                    quantity=d.quantity,
                )
                for d in deals
            ],
            height=q.height,
        )

    @guarded
    def Ticker(
        self, request: query_pb2.TickerRequest, context: grpc.ServicerContext
    ) -> query_pb2.TickerResponse:
        q = self.query(request.height)
        dex = q.dex()
        pair = self._find(dex, request.pair)
        t = dex.ticker(pair)
        return query_pb2.TickerResponse(
            pair=pair.name,
            last=price_text(pair, t.last),
            high_24h=price_text(pair, t.high),
            low_24h=price_text(pair, t.low),
            volume_24h=quantity_text(pair, t.volume),
            height=q.height,
            time_unix_ns=q.last.time_ns if q.last else 0,
        )

    @guarded
    def Candles(
        self, request: query_pb2.CandlesRequest, context: grpc.ServicerContext
    ) -> query_pb2.CandlesResponse:
        if request.interval not in INTERVALS:
            choices = ", ".join(INTERVALS)
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"interval must be one of {choices}")
        q = self.query(request.height)
        dex = q.dex()
        pair = self._find(dex, request.pair)
        rows = dex.candles(pair, request.interval, _size(request.limit, 100, MAX_CANDLES))
        return query_pb2.CandlesResponse(
            candles=[
                query_pb2.Candle(
                    open_time_unix_s=c.open_time_s,
                    open=price_text(pair, c.open),
                    high=price_text(pair, c.high),
                    low=price_text(pair, c.low),
                    close=price_text(pair, c.close),
                    volume=quantity_text(pair, c.volume),
                )
                for c in rows
            ],
            height=q.height,
        )
