"""DEX message handlers: ``handle(store, ctx, msg)``. Placing locks funds, cancelling refunds them at once;
matching, expiry and delisting happen at block end (``endblock.py``).

Listing is open to any account that pays ``dex_list_fee`` (burned, like the token issue fee); the lister
becomes the pair's owner (operator): it receives the deal fees and alone may delist the pair.
"""

import dataclasses

import numpy as np

from okchain.crypto.address import to_checksum
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.auth.keeper import Store
from okchain.modules.bank import keeper as bank
from okchain.modules.context import MsgContext
from okchain.modules.dex import history
from okchain.modules.dex import keeper as k
from okchain.modules.dex.auction import MAX_PRICE_TICKS, MAX_QUANTITY_LOTS
from okchain.modules.dex.messages import (
    MAX_SEQ,
    CancelOrders,
    DelistPair,
    DexMsg,
    ListPair,
    OrderSpec,
    PlaceOrders,
    Side,
    format_decimal,
    format_order_id,
)
from okchain.modules.token import keeper as token_keeper
from okchain.types.params import OKT_DENOM
from okchain.types.results import Event


def handle(store: Store, ctx: MsgContext, msg: DexMsg) -> list[Event]:
    if isinstance(msg, PlaceOrders):
        return place_orders(store, ctx, msg)
    if isinstance(msg, CancelOrders):
        return cancel_orders(store, ctx, msg)
    if isinstance(msg, ListPair):
        return list_pair(store, ctx, msg)
    return delist_pair(store, ctx, msg)


def list_pair(store: Store, ctx: MsgContext, msg: ListPair) -> list[Event]:
    for denom in (msg.base, msg.quote):
        if not token_keeper.exists(store, denom):
            raise k.UnknownPair(f"cannot list: token {denom!r} does not exist")
    base_unit = 10 ** (18 - msg.quantity_decimals)
    min_lots, rest = divmod(msg.min_quantity, base_unit)
    if rest:
        raise k.DexError(
            f"min quantity {format_decimal(msg.min_quantity)} has more than {msg.quantity_decimals} decimals"
        )
    if min_lots > MAX_QUANTITY_LOTS:
        largest = format_decimal(MAX_QUANTITY_LOTS * base_unit)
        raise k.DexError(
            f"min quantity {format_decimal(msg.min_quantity)} is above the largest order {largest}"
        )
    pair = k.Pair(
        k.pair_count(store),
        msg.base,
        msg.quote,
        msg.price_decimals,
        msg.quantity_decimals,
        min_lots,
        ctx.signer,
        True,
        0,
        ctx.height,
    )
    k.add_pair(store, pair)
    bank.burn(store, ctx.signer, OKT_DENOM, ctx.params.dex_list_fee, what="pair listing fee")
    return [Event("dex_list_pair", (("pair", pair.name), ("owner", to_checksum(ctx.signer))))]


def delist_pair(store: Store, ctx: MsgContext, msg: DelistPair) -> list[Event]:
    pair = k.tradable_pair(store, msg.pair)
    if pair.owner != ctx.signer:
        raise k.NotOwner(f"only the owner of pair {pair.name!r} may delist it")
    k.put_pair(store, dataclasses.replace(pair, active=False))
    k.add_journal(store, ctx.height, k.JOURNAL_DELIST, [pair.id], [0])
    return [Event("dex_delist_pair", (("pair", pair.name),))]


def _refuse_order(i: int, o: OrderSpec, pair: k.Pair) -> k.DexError:
    """The precise reason order ``i`` cannot be placed on ``pair`` (called only when one exists)."""
    price_rest = o.price % pair.tick_atto
    lots, quantity_rest = divmod(o.quantity, pair.base_unit)
    where = f"order {i}"
    if price_rest:
        decimals = pair.price_decimals
        return k.DexError(
            f"{where}: price {format_decimal(o.price)} has more than {decimals} decimals ({pair.name})"
        )
    if quantity_rest:
        decimals = pair.quantity_decimals
        text = format_decimal(o.quantity)
        return k.DexError(f"{where}: quantity {text} has more than {decimals} decimals ({pair.name})")
    if lots < pair.min_lots:
        minimum = format_decimal(pair.min_lots * pair.base_unit)
        text = format_decimal(o.quantity)
        return k.DexError(f"{where}: quantity {text} is below the minimum {minimum} of {pair.name}")
    return k.DexError(
        f"{where}: price or quantity too large (at most {MAX_PRICE_TICKS} ticks and {MAX_QUANTITY_LOTS} lots)"
    )


def place_orders(store: Store, ctx: MsgContext, msg: PlaceOrders) -> list[Event]:
    """Validate every order against its pair, lock the funds (one bank move per denom), append the orders to
    this block's record. Any bad order refuses the whole message, so nothing is locked."""
    n = len(msg.orders)
    pairs: dict[str, k.Pair] = {}
    pair_ids: list[int] = []
    sides: list[int] = []
    prices: list[int] = []
    quantities: list[int] = []
    bought: dict[int, int] = {}  # pair id → tick·lots the buys lock
    sold: dict[int, int] = {}  # pair id → lots the sells lock
    for i, o in enumerate(msg.orders):
        pair = pairs.get(o.pair)
        if pair is None:
            try:
                pair = pairs[o.pair] = k.tradable_pair(store, o.pair)
            except k.UnknownPair as exc:
                raise k.UnknownPair(f"order {i}: {exc}") from exc
        ticks, price_rest = divmod(o.price, pair.tick_atto)
        lots, quantity_rest = divmod(o.quantity, pair.base_unit)
        if (
            price_rest
            or quantity_rest
            or lots < pair.min_lots
            or ticks > MAX_PRICE_TICKS
            or lots > MAX_QUANTITY_LOTS
        ):
            raise _refuse_order(i, o, pair)
        if o.side == Side.BUY:
            bought[pair.id] = bought.get(pair.id, 0) + ticks * lots
        else:
            sold[pair.id] = sold.get(pair.id, 0) + lots
        pair_ids.append(pair.id)
        sides.append(o.side)
        prices.append(ticks)
        quantities.append(lots)
    first = k.order_count(store, ctx.height)
    if first + n > MAX_SEQ + 1:
        raise k.DexError(f"block {ctx.height} already holds {first} orders, at most {MAX_SEQ + 1}")
    locks: dict[str, int] = {OKT_DENOM: k.fee_reserve(ctx.params) * n}
    for pair in pairs.values():
        if pair.id in bought:
            locks[pair.quote] = locks.get(pair.quote, 0) + bought[pair.id] * pair.quote_unit
        if pair.id in sold:
            locks[pair.base] = locks.get(pair.base, 0) + sold[pair.id] * pair.base_unit
    for denom in sorted(locks):
        bank.sub_balance(store, ctx.signer, denom, locks[denom], what="order lock")
        bank.add_balance(store, k.DEX_LOCK, denom, locks[denom])
    rows = np.zeros(n, k.ORDER)
    rows["owner"] = np.void(bytes(ctx.signer))
    rows["pair"] = pair_ids
    rows["side"] = sides
    rows["price"] = prices
    rows["quantity"] = quantities
    k.append_orders(store, ctx.height, rows)
    k.index_address(store, ctx.signer, ctx.height, first, n)
    first_id = k.order_id(ctx.height, first)
    return [Event("dex_place_orders", (("first_id", format_order_id(first_id)), ("count", str(n))))]


def cancel_orders(store: Store, ctx: MsgContext, msg: CancelOrders) -> list[Event]:
    """Close the signer's open orders now and refund what they still lock (less the per-block fee so far);
    the books drop them at block end, before matching."""
    chunks: dict[tuple[int, int], k.OrderRows] = {}
    ledger = k.Ledger()
    pairs: dict[int, k.Pair] = {}
    journal_pairs: list[int] = []
    params = ctx.params
    reserve = k.fee_reserve(params)
    for oid in msg.ids:
        height, seq = k.split_id(oid)
        where = (height, seq // k.ORDERS_PER_CHUNK)
        rows = chunks.get(where)
        if rows is None:
            rows = chunks[where] = k.load_chunk(store, *where)
        row = seq % k.ORDERS_PER_CHUNK
        text = format_order_id(oid)
        if row >= len(rows):
            if history.pruned(params, ctx.height - 1, height):
                kept = history.earliest_kept(params, ctx.height - 1)
                raise k.UnknownOrder(f"order {text} is closed and pruned (history kept from height {kept})")
            raise k.UnknownOrder(f"order {text} does not exist")
        record = rows[row]
        if record["owner"].tobytes() != ctx.signer:
            raise k.NotOwner(f"order {text} belongs to another account")
        if record["status"] != k.Status.OPEN:
            state = k.status_name(int(record["status"]), int(record["filled"]))
            raise k.OrderClosed(f"order {text} is already closed ({state})")
        pair_id = int(record["pair"])
        pair = pairs.get(pair_id)
        if pair is None:
            pair = pairs[pair_id] = k.get_pair(store, pair_id)
        remaining = int(record["quantity"]) - int(record["filled"])
        denom, amount = k.order_lock(pair, int(record["side"]), int(record["price"]), remaining)
        charged = k.fee_charged(params, height, ctx.height)
        ledger.pay(ctx.signer, denom, amount)
        ledger.pay(ctx.signer, OKT_DENOM, reserve - charged)
        ledger.pay(FEE_COLLECTOR, OKT_DENOM, charged)
        rows["status"][row] = k.Status.CANCELLED
        rows["closed"][row] = ctx.height
        journal_pairs.append(pair_id)
    for (height, chunk), rows in chunks.items():
        k.save_chunk(store, height, chunk, rows)
    ledger.settle(store)
    k.add_journal(store, ctx.height, k.JOURNAL_CANCEL, journal_pairs, msg.ids)
    return [Event("dex_cancel_orders", (("count", str(len(msg.ids))),))]
