"""DEX messages ⇄ their ``Msg`` oneof cases, and what each costs in gas; gathered by ``okchain.tx.registry``.
Only shape is checked here (syntax, sign, item counts); everything that needs the pair (precision, minimum,
listing) is checked by the handler."""

from collections.abc import Callable
from typing import Any

from okchain._pb.dex.v1 import dex_pb2
from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.dex.messages import (
    MAX_ITEMS,
    CancelOrders,
    DelistPair,
    DexMsg,
    ListPair,
    OrderSpec,
    PlaceOrders,
    Side,
    decimal_atto,
    format_decimal,
    format_order_id,
    parse_decimal,
    parse_order_id,
)
from okchain.types.fields import TxDecodeError, denom
from okchain.types.params import ChainParams

CASES = ("list_pair", "delist_pair", "place_orders", "cancel_orders")
MSG_TYPES = (ListPair, DelistPair, PlaceOrders, CancelOrders)
GAS: dict[type, Callable[[Any, ChainParams], int]] = {
    ListPair: lambda msg, p: p.dex_list_gas,
    DelistPair: lambda msg, p: p.dex_list_gas,
    PlaceOrders: lambda msg, p: p.dex_order_gas * len(msg.orders),
    CancelOrders: lambda msg, p: p.dex_cancel_gas * len(msg.ids),
}
_MAX_PAIR_NAME = 65


def _positive_decimal(text: str, what: str) -> int:
    try:
        value = parse_decimal(text, what)
    except ValueError as exc:
        raise TxDecodeError(str(exc)) from exc
    if value == 0:
        raise TxDecodeError(f"{what} must be positive, got {text!r}")
    return value


def _is_pair_name(text: str) -> bool:
    return 0 < len(text) <= _MAX_PAIR_NAME and "_" in text and text.isascii()


def _pair(text: str, where: str) -> str:
    if not _is_pair_name(text):
        raise TxDecodeError(f"{where}: pair {text!r} is not of the form base_quote")
    return text


_SIDES = {int(Side.BUY): Side.BUY, int(Side.SELL): Side.SELL}


def _order(o: dex_pb2.OrderSpec, where: str) -> OrderSpec:
    """Up to 200 of these per message: the common valid case takes no string formatting."""
    side = _SIDES.get(o.side)
    price, quantity = decimal_atto(o.price), decimal_atto(o.quantity)
    if side is None or not price or not quantity or not _is_pair_name(o.pair):
        if side is None:
            raise TxDecodeError(f"{where}: side must be buy or sell")
        return OrderSpec(
            _pair(o.pair, where),
            side,
            _positive_decimal(o.price, f"{where}: price"),
            _positive_decimal(o.quantity, f"{where}: quantity"),
        )
    return OrderSpec(o.pair, side, price, quantity)


def _count(n: int, what: str, where: str) -> None:
    if n == 0:
        raise TxDecodeError(f"{where}: no {what}")
    if n > MAX_ITEMS:
        raise TxDecodeError(f"{where}: {n} {what}, at most {MAX_ITEMS} per message")


def from_proto(msg: tx_pb2.Msg, where: str) -> DexMsg:
    kind = msg.WhichOneof("sum")
    if kind == "list_pair":
        m = msg.list_pair
        base, quote = denom(m.base, f"{where} base"), denom(m.quote, f"{where} quote")
        if base == quote:
            raise TxDecodeError(f"{where}: base and quote are both {base!r}")
        if m.price_decimals + m.quantity_decimals > 18:
            raise TxDecodeError(
                f"{where}: price decimals {m.price_decimals} + quantity decimals {m.quantity_decimals} "
                "exceed 18"
            )
        minimum = _positive_decimal(m.min_quantity, f"{where}: min quantity")
        return ListPair(base, quote, m.price_decimals, m.quantity_decimals, minimum)
    if kind == "delist_pair":
        return DelistPair(_pair(msg.delist_pair.pair, where))
    if kind == "place_orders":
        orders = msg.place_orders.orders
        _count(len(orders), "orders", where)
        return PlaceOrders(tuple(_order(o, f"{where} order {i}") for i, o in enumerate(orders)))
    texts = msg.cancel_orders.order_ids
    _count(len(texts), "order ids", where)
    ids: list[int] = []
    for i, text in enumerate(texts):
        order_id = parse_order_id(text)
        if order_id is None:
            raise TxDecodeError(f"{where} id {i}: {text!r} is not an order id like 123-45")
        ids.append(order_id)
    if len(set(ids)) != len(ids):
        raise TxDecodeError(f"{where}: the same order id is listed twice")
    return CancelOrders(tuple(ids))


def to_proto(msg: DexMsg) -> tx_pb2.Msg:
    if isinstance(msg, ListPair):
        return tx_pb2.Msg(
            list_pair=dex_pb2.MsgListPair(
                base=msg.base,
                quote=msg.quote,
                price_decimals=msg.price_decimals,
                quantity_decimals=msg.quantity_decimals,
                min_quantity=format_decimal(msg.min_quantity),
            )
        )
    if isinstance(msg, DelistPair):
        return tx_pb2.Msg(delist_pair=dex_pb2.MsgDelistPair(pair=msg.pair))
    if isinstance(msg, PlaceOrders):
        specs = [
            dex_pb2.OrderSpec(
                pair=o.pair,
                side=int(o.side),  # type: ignore[arg-type]
                price=format_decimal(o.price),
                quantity=format_decimal(o.quantity),
            )
            for o in msg.orders
        ]
        return tx_pb2.Msg(place_orders=dex_pb2.MsgPlaceOrders(orders=specs))
    return tx_pb2.Msg(cancel_orders=dex_pb2.MsgCancelOrders(order_ids=[format_order_id(i) for i in msg.ids]))
