"""The periodic call auction: one clearing price per pair per block, fills by price then time priority.

Pure functions over numpy int64 arrays (no state, no I/O). Every pair of a block is matched in one pass over
all its books concatenated pair-major, so the numpy call overhead is paid per block, not per pair or order.
``run_many`` matches a block (``run_auction``/``clearing_price`` one pair); ``settle_many``/``settle`` turn
fills into fund movements; ``run_block`` does both with the books checked and concatenated once.

Clearing price: OKChain's periodic-auction rules 0–3, stated here in full.
The *candidates* are the book's distinct limit prices. At candidate p, ``B(p)`` = buy lots with limit >= p,
``S(p)`` = sell lots with limit <= p, executable volume ``min(B, S)``, imbalance ``B - S``.

0. Nothing crosses (every candidate's volume is 0): price 0, volume 0.
1. Keep the candidates with the maximum volume V.
2. Of those, keep the ones with the smallest ``|B - S|``. Call the lowest and highest survivors lo and hi.
3. Reference price: ``round(last * 1.05)`` if every survivor's imbalance is positive (buy pressure),
   ``round(last * 0.95)`` if every one is negative, else ``last``; rounding is to the nearest tick, halves
   up, in integers: ``(last * (10_000 ± step_bps) + 5_000) // 10_000``. When ``last == 0`` (a pair's first
   auction) the reference is the survivors' midpoint ``(lo + hi) // 2``, whatever the pressure. The clearing
   price is the reference clamped to ``[lo, hi]``: the nearest price to it that still trades V. It is unique,
   so no tie-break is needed, and it may lie between two limit prices (docs examples 4 and 6: 10.5 between
   10.3 and 10.8) as in OKChain's ``bestPriceFromRefPrice``. Every tick in ``[lo, hi]`` executes exactly V:
   survivors are consecutive candidates (``min(B, S)`` is unimodal and ``B - S`` monotone in p); between two
   of them with equal imbalance B and S are constant, and between a ``+d`` and a ``-d`` survivor both are V.

Allocation at clearing price c: buys with limit >= c and sells with limit <= c are eligible, and V lots fill
on each side, buys highest limit first, sells lowest first, then smaller ``priority`` first; one order per
side may fill partly. Only the marginal price level of each side needs time priority (everything better
fills whole, everything worse not at all), so the engine sorts just those orders. Orders on one side at one
price with equal priority (the dex module never makes them) keep their input order.

Overflow bounds (all arithmetic is exact int64): prices ``<= MAX_PRICE_TICKS`` and quantities
``<= MAX_QUANTITY_LOTS`` keep every per-order price x quantity (and the fee arithmetic on it, see ``_fee``)
below ``2**63``; at most ``MAX_ORDERS`` orders per call keep every cumulative lot sum below ``2**63``.
Amounts in base units (10**18 per token) do not fit int64: ``Settlement`` keeps them in lots and tick·lots
and gives the exact base-unit multiplier; the conversion to Python ints happens per order or account.
"""

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn, SupportsIndex

import numpy as np
import numpy.typing as npt

from okchain.errors import OKChainError

Int64Array = npt.NDArray[np.int64]

BUY: Final = 1
SELL: Final = 2
MAX_PRICE_TICKS: Final = 10**9
MAX_QUANTITY_LOTS: Final = 10**9
MAX_ORDERS: Final = 2**31  # per call, all pairs together
INT64_MAX: Final = 2**63 - 1
BPS: Final = 10_000
DEFAULT_REFERENCE_STEP_BPS: Final = 500
DEFAULT_FEE_BPS: Final = 10
TOKEN_DECIMALS: Final = 18
_POW10: Final = [10**e for e in range(TOKEN_DECIMALS + 1)]

_PRICE_BITS: Final = 30  # MAX_PRICE_TICKS < 2**30: a (pair, price) key packs into one int64
# A block's price ranges become a dense array of ticks (no sort) while they hold at most this many ticks per
# order; wider books (prices spread far apart) are compressed to their distinct prices with a sort instead.
_DENSE_TICKS_PER_ORDER: Final = 4


class AuctionError(OKChainError):
    """Input the matching engine refuses; the dex module guarantees it never passes any."""


class MalformedBookError(AuctionError):
    """Arrays of the wrong dtype, shape or length, or an unknown side code."""


class BoundsError(AuctionError):
    """A value outside the engine's overflow bounds (or not positive where it must be)."""


@dataclass(frozen=True, slots=True)
class Book:
    """One pair's open orders, in any order; arrays of equal length."""

    side: npt.NDArray[np.int8]  # BUY = 1, SELL = 2
    price: Int64Array  # limit price in ticks, 1..MAX_PRICE_TICKS
    quantity: Int64Array  # remaining quantity in lots, 1..MAX_QUANTITY_LOTS
    priority: Int64Array  # time priority, smaller = earlier (dex: height << 24 | position in block)


@dataclass(frozen=True, slots=True)
class Auction:
    price: int  # clearing price in ticks; 0 when nothing crosses
    volume: int  # executed lots (on each side)
    filled: Int64Array  # lots filled per input order (same index as the Book), 0 for unfilled


@dataclass(frozen=True, slots=True)
class Settlement:
    """Per-order fund movements of one auction, exact int64 in lots (base) and tick·lots (quote).

    Base units (10**18 per token) overflow int64, so amounts stay in lots and tick·lots here: multiply by
    ``base_unit`` / ``quote_unit`` as Python ints (``to_base_units``). A buy locked ``limit * quantity``
    tick·lots, which is ``deal_quote + refund_quote + locked_left``; a sell locked ``quantity`` lots, which is
    ``filled + locked_left``. The fee is ``fee_bps`` of what the order receives (base for a buy, quote for a
    sell), floored to base units per order: ``fee`` whole units plus ``fee_frac`` ten-thousandths of one.
    """

    base_unit: int  # base units per lot: 10**(18 - quantity_decimals)
    quote_unit: int  # quote base units per tick·lot: 10**(18 - price_decimals - quantity_decimals)
    deal_quote: Int64Array  # c * filled tick·lots: the buyer pays it, the seller receives it (before fee)
    refund_quote: Int64Array  # buys: (limit - c) * filled tick·lots, unlocked back to the buyer now; sells: 0
    fee: Int64Array  # whole units of what the order receives: lots (buys) or tick·lots (sells)
    fee_frac: Int64Array  # plus this many ten-thousandths of that unit, 0..9999
    locked_left: Int64Array  # buys: limit * (quantity - filled) tick·lots; sells: quantity - filled lots

    def fee_in_base_units(self, i: int, is_buy: bool) -> int:
        """Order ``i``'s fee in base units of the token it receives (floored)."""
        return to_base_units(
            self.fee[i : i + 1], self.base_unit if is_buy else self.quote_unit, self.fee_frac[i : i + 1]
        )[0]


def to_base_units(whole: Int64Array, unit: int, frac: Int64Array | None = None) -> list[int]:
    """Exact amounts in base units (Python ints): ``whole * unit``, plus ``floor(frac * unit / 10_000)``."""
    if frac is None:
        return [w * unit for w in whole.tolist()]
    return [w * unit + f * unit // BPS for w, f in zip(whole.tolist(), frac.tolist(), strict=True)]


# --- stage 1: one pair-major set of arrays for the whole block -------------------------------------


@dataclass(frozen=True, slots=True)
class _Orders:
    side: npt.NDArray[np.int8]
    price: Int64Array
    quantity: Int64Array
    priority: Int64Array
    offsets: Int64Array  # book i is orders[offsets[i]:offsets[i + 1]]
    pairs: Int64Array  # indexes of the non-empty books, the "pairs" every later stage works on
    pair: Int64Array  # per order: its rank in ``pairs``
    counts: Int64Array  # orders per pair (``np.repeat(x, counts)`` spreads x per order, cheaper than x[pair])


_COLUMNS: Final = (
    ("side", np.dtype(np.int8)),
    ("price", np.dtype(np.int64)),
    ("quantity", np.dtype(np.int64)),
    ("priority", np.dtype(np.int64)),
)


def _refuse(books: Sequence[Book]) -> NoReturn:
    """Name the first book whose arrays are malformed (the slow path behind ``_concat``'s batch checks)."""
    for i, book in enumerate(books):
        n = len(book.side) if isinstance(book.side, np.ndarray) and book.side.ndim == 1 else -1
        for name, want in _COLUMNS:
            arr = getattr(book, name)
            if not isinstance(arr, np.ndarray) or arr.dtype != want or arr.ndim != 1:
                got = f"{arr.dtype} {arr.ndim}-d array" if isinstance(arr, np.ndarray) else type(arr).__name__
                raise MalformedBookError(f"book {i}: {name} must be a 1-d {want} array, got {got}")
            if len(arr) != n:
                raise MalformedBookError(f"book {i}: {name} has {len(arr)} entries, side has {n}")
    raise MalformedBookError("malformed book arrays")


def _column(books: Sequence[Book], name: str, dtype: np.dtype[Any], lengths: list[int]) -> npt.NDArray[Any]:
    arrays = [getattr(b, name) for b in books]
    try:
        fits = all(type(a) is np.ndarray for a in arrays) and list(map(len, arrays)) == lengths
        column = np.concatenate(arrays, dtype=dtype, casting="no") if arrays else np.zeros(0, dtype)
    except (TypeError, ValueError):
        _refuse(books)
    if not fits or column.ndim != 1:
        _refuse(books)
    return column


def _split(column: Int64Array, orders: _Orders) -> list[Int64Array]:
    """One view per book into a block-wide per-order column."""
    bounds = orders.offsets.tolist()
    return [column[a:b] for a, b in itertools.pairwise(bounds)]


def _where(offsets: Int64Array, index: int) -> str:
    book = int(np.searchsorted(offsets, index, side="right")) - 1
    return f"book {book}: order {index - int(offsets[book])}"


def _concat(books: Sequence[Book]) -> _Orders:
    """Validate every book and lay them end to end (the only place that refuses input).

    The checks run on whole columns (``casting="no"`` refuses any other dtype), so a block of many small
    books costs a few list passes, not a Python check per array.
    """
    try:
        lengths_list = [len(b.side) for b in books]
    except TypeError:
        _refuse(books)
    side, price, quantity, priority = (_column(books, name, dtype, lengths_list) for name, dtype in _COLUMNS)
    lengths = np.array(lengths_list, dtype=np.int64)
    offsets = np.zeros(len(books) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    n = int(offsets[-1])
    if n > MAX_ORDERS:
        raise BoundsError(f"{n} orders in one auction call, at most {MAX_ORDERS}")
    if n:
        if side.min() < BUY or side.max() > SELL:
            i = int(np.argmax((side != BUY) & (side != SELL)))
            raise MalformedBookError(f"{_where(offsets, i)}: side {side[i]}, must be 1 (buy) or 2 (sell)")
        for name, arr, top in (("price", price, MAX_PRICE_TICKS), ("quantity", quantity, MAX_QUANTITY_LOTS)):
            lo, hi = int(arr.min()), int(arr.max())
            if lo <= 0:
                i = int(np.argmax(arr <= 0))
                raise BoundsError(f"{_where(offsets, i)}: {name} {arr[i]} is not positive")
            if hi > top:
                i = int(np.argmax(arr > top))
                raise BoundsError(f"{_where(offsets, i)}: {name} {arr[i]} exceeds the bound {top}")
    pairs = np.flatnonzero(lengths).astype(np.int64)
    counts = lengths[pairs]
    pair = np.repeat(np.arange(len(pairs), dtype=np.int64), counts)
    return _Orders(side, price, quantity, priority, offsets, pairs, pair, counts)


def _integer(value: SupportsIndex, what: str) -> int:
    """``value`` as an int; a float or other non-integer is refused rather than truncated."""
    try:
        return operator.index(value)
    except TypeError:
        raise MalformedBookError(f"{what} must be an integer, got {value!r}") from None


def _check_last_prices(last_prices: Sequence[int], n_books: int, step_bps: int) -> None:
    if len(last_prices) != n_books:
        raise MalformedBookError(f"{len(last_prices)} last prices for {n_books} books")
    step_bps = _integer(step_bps, "reference step")
    for i, value in enumerate(last_prices):
        last = _integer(value, f"book {i}: last price")
        if not 0 <= last <= MAX_PRICE_TICKS:
            raise BoundsError(f"book {i}: last price {last} outside 0..{MAX_PRICE_TICKS}")
    if not 0 <= step_bps <= BPS:
        raise BoundsError(f"reference step {step_bps} bps outside 0..{BPS}")


# --- stage 2: price levels per pair, with buy and sell lots at each --------------------------------


@dataclass(frozen=True, slots=True)
class _Levels:
    price: Int64Array  # per slot: price in ticks, ascending within a pair
    buy: Int64Array  # buy lots with exactly this limit
    sell: Int64Array  # sell lots with exactly this limit
    is_level: npt.NDArray[np.bool_] | None  # dense slots include empty ticks; None when every slot is a level
    starts: Int64Array  # first slot of each pair
    counts: Int64Array  # slots per pair


def _levels(orders: _Orders) -> _Levels:
    """Aggregate lots per (pair, price): a dense tick array when the price ranges are narrow, else a sort."""
    starts = orders.offsets[:-1][orders.pairs]
    pmin = np.minimum.reduceat(orders.price, starts)
    pmax = np.maximum.reduceat(orders.price, starts)
    span = pmax - pmin + 1
    n_ticks = int(span.sum())
    dense = n_ticks <= _DENSE_TICKS_PER_ORDER * len(orders.price)
    if dense:
        base = np.cumsum(span) - span
        slot = np.repeat(base - pmin, orders.counts) + orders.price
        n_slots = n_ticks
    else:
        # The orders are pair-major already, so a stable sort (merging sorted runs) only really sorts
        # within each pair: several times faster than a general sort when the pairs are many and small.
        key = (orders.pair << _PRICE_BITS) | orders.price
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.empty(len(key), dtype=np.bool_)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        slot = np.empty(len(key), dtype=np.int64)
        slot[order] = np.cumsum(first) - 1
        keys = key[first]
        n_slots = len(keys)
    lots = np.zeros(2 * n_slots, dtype=np.int64)  # interleaved: buy lots at 2s, sell lots at 2s + 1
    np.add.at(lots, 2 * slot + (orders.side == SELL), orders.quantity)
    buy, sell = lots[0::2], lots[1::2]
    if dense:
        price = np.arange(n_slots, dtype=np.int64) + np.repeat(pmin - base, span)
        return _Levels(price, buy, sell, (buy | sell) != 0, base, span)
    level_starts = np.searchsorted(keys >> _PRICE_BITS, np.arange(len(span), dtype=np.int64)).astype(np.int64)
    counts = np.diff(np.append(level_starts, n_slots))
    return _Levels(keys & ((1 << _PRICE_BITS) - 1), buy, sell, None, level_starts, counts)


# --- stage 3: rules 0–3 per pair, and where each side's fills stop ---------------------------------


@dataclass(frozen=True, slots=True)
class _Clearing:
    price: Int64Array  # per pair, 0 when nothing crosses
    volume: Int64Array
    buy_limit: Int64Array  # marginal buy price: higher buys fill whole, lower none; > MAX when no fills
    buy_rest: Int64Array  # lots left for the buys at buy_limit, by time priority
    sell_limit: Int64Array  # marginal sell price: lower sells fill whole, higher none; 0 when no fills
    sell_rest: Int64Array


def _clear(levels: _Levels, last: Int64Array, step_bps: int) -> _Clearing:
    """Rules 0–3 for every pair at once: running sums over all slots, per-pair extremes by reduceat."""
    starts = levels.starts

    def per_slot(values: Int64Array) -> Int64Array:
        return np.repeat(values, levels.counts)

    buy_cum, sell_cum = np.cumsum(levels.buy), np.cumsum(levels.sell)
    buy_before = buy_cum[starts] - levels.buy[starts]  # lots of earlier pairs in the running sums
    sell_before = sell_cum[starts] - levels.sell[starts]
    buy_total = np.append(buy_cum[starts[1:] - 1], buy_cum[-1]) - buy_before
    up_to = sell_cum - per_slot(sell_before)  # S(p): sells at or below p
    from_ = per_slot(buy_total + buy_before) - buy_cum + levels.buy  # B(p): buys at or above p
    volume = np.minimum(from_, up_to)
    if levels.is_level is not None:
        volume = np.where(levels.is_level, volume, -1)
    max_volume = np.maximum.reduceat(volume, starts)
    imbalance = from_ - up_to
    abs_imbalance = np.where(volume == per_slot(max_volume), np.abs(imbalance), INT64_MAX)  # rule 1
    survivor = abs_imbalance == per_slot(np.minimum.reduceat(abs_imbalance, starts))  # rule 2
    lo = np.minimum.reduceat(np.where(survivor, levels.price, INT64_MAX), starts)
    hi = np.maximum.reduceat(np.where(survivor, levels.price, 0), starts)
    all_buy = np.minimum.reduceat(np.where(survivor, imbalance, INT64_MAX), starts) > 0
    all_sell = np.maximum.reduceat(np.where(survivor, imbalance, -INT64_MAX), starts) < 0
    half = BPS // 2
    reference = np.where(
        all_buy,
        (last * (BPS + step_bps) + half) // BPS,
        np.where(all_sell, (last * (BPS - step_bps) + half) // BPS, last),
    )
    reference = np.where(last == 0, (lo + hi) // 2, reference)  # rule 3
    crossed = max_volume > 0  # rule 0
    price = np.where(crossed, np.minimum(np.maximum(reference, lo), hi), 0)
    volume_k = np.where(crossed, max_volume, 0)

    # Buys fill from the top down to the highest buy level whose B(p) reaches V; sells from the bottom up.
    # buy_stop / sell_stop: the slot of that marginal level per pair.
    slot = np.arange(len(levels.price), dtype=np.int64)
    need = per_slot(volume_k)
    buy_stop = np.maximum.reduceat(np.where((levels.buy > 0) & (from_ >= need), slot, -1), starts)
    sell_stop = np.minimum.reduceat(np.where((levels.sell > 0) & (up_to >= need), slot, len(slot)), starts)
    buy_stop, sell_stop = np.where(crossed, buy_stop, 0), np.where(crossed, sell_stop, 0)
    return _Clearing(
        price,
        volume_k,
        np.where(crossed, levels.price[buy_stop], MAX_PRICE_TICKS + 1),
        np.where(crossed, volume_k - (from_[buy_stop] - levels.buy[buy_stop]), 0),
        np.where(crossed, levels.price[sell_stop], 0),
        np.where(crossed, volume_k - (up_to[sell_stop] - levels.sell[sell_stop]), 0),
    )


# --- stage 4: fills per order ----------------------------------------------------------------------


def _allocate(orders: _Orders, clearing: _Clearing) -> Int64Array:
    """Lots filled per order: whole above the marginal price, none below, time priority only at it."""
    k, price, qty = orders.pair, orders.price, orders.quantity
    is_buy = orders.side == BUY
    # Signed distance to the own side's marginal price, positive when better: > 0 fills whole, 0 is marginal.
    ahead = np.repeat(clearing.buy_limit - clearing.sell_limit, orders.counts)
    ahead *= is_buy
    ahead += np.repeat(clearing.sell_limit, orders.counts)  # the own side's marginal price
    np.subtract(price, ahead, out=ahead)
    ahead *= 3 - 2 * orders.side  # buy (1) -> +1, sell (2) -> -1
    filled = qty * (ahead > 0)
    marginal = np.flatnonzero(ahead == 0)
    if len(marginal):
        group = 2 * k[marginal] + ~is_buy[marginal]  # (pair, side); each has one marginal price
        order = np.lexsort((orders.priority[marginal], group))
        idx, group = marginal[order], group[order]
        q = qty[idx]
        cum = np.cumsum(q)
        first = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
        before = np.repeat(cum[first] - q[first], np.diff(np.append(first, len(group))))
        rest = np.where(group % 2 == 0, clearing.buy_rest[group // 2], clearing.sell_rest[group // 2])
        filled[idx] = np.clip(rest - (cum - q - before), 0, q)
    return filled


# --- public API ------------------------------------------------------------------------------------


def _match(
    books: Sequence[Book], last_prices: Sequence[int], step_bps: int
) -> tuple[_Orders, _Clearing | None]:
    _check_last_prices(last_prices, len(books), step_bps)
    orders = _concat(books)
    if not len(orders.pairs):
        return orders, None
    last = np.array(last_prices, dtype=np.int64)[orders.pairs]
    return orders, _clear(_levels(orders), last, step_bps)


def clearing_price(
    book: Book, last_price: int, reference_step_bps: int = DEFAULT_REFERENCE_STEP_BPS
) -> tuple[int, int]:
    """Rules 0–3 for one pair: ``(clearing price, volume)`` in ticks and lots, ``(0, 0)`` if none crosses."""
    _, clearing = _match([book], [last_price], reference_step_bps)
    return (0, 0) if clearing is None else (int(clearing.price[0]), int(clearing.volume[0]))


def _auctions(orders: _Orders, clearing: _Clearing | None, n_books: int) -> tuple[list[Auction], Int64Array]:
    """Per-book results (views into one fills array, also returned)."""
    filled = np.zeros(len(orders.price), np.int64) if clearing is None else _allocate(orders, clearing)
    prices, volumes = [0] * n_books, [0] * n_books
    if clearing is not None:
        for i, price, volume in zip(
            orders.pairs.tolist(), clearing.price.tolist(), clearing.volume.tolist(), strict=True
        ):
            prices[i], volumes[i] = price, volume
    return [Auction(*row) for row in zip(prices, volumes, _split(filled, orders), strict=True)], filled


def run_many(
    books: Sequence[Book],
    last_prices: Sequence[int],
    reference_step_bps: int = DEFAULT_REFERENCE_STEP_BPS,
) -> list[Auction]:
    """Match every pair of a block at once: one ``Auction`` per book, in order."""
    orders, clearing = _match(books, last_prices, reference_step_bps)
    return _auctions(orders, clearing, len(books))[0]


def run_auction(book: Book, last_price: int, reference_step_bps: int = DEFAULT_REFERENCE_STEP_BPS) -> Auction:
    """Clearing price plus price/time-priority fills for one pair."""
    return run_many([book], [last_price], reference_step_bps)[0]


def run_block(
    books: Sequence[Book],
    last_prices: Sequence[int],
    price_decimals: Sequence[int],
    quantity_decimals: Sequence[int],
    fee_bps: int = DEFAULT_FEE_BPS,
    reference_step_bps: int = DEFAULT_REFERENCE_STEP_BPS,
) -> list[tuple[Auction, Settlement]]:
    """``run_many`` then ``settle_many`` with the books checked and concatenated once: a block's end."""
    _check_settle_params(len(books), price_decimals, quantity_decimals, fee_bps)
    orders, clearing = _match(books, last_prices, reference_step_bps)
    auctions, filled = _auctions(orders, clearing, len(books))
    settlements = _settle(orders, auctions, filled, price_decimals, quantity_decimals, fee_bps)
    return list(zip(auctions, settlements, strict=True))


# --- settlement ------------------------------------------------------------------------------------


def _fee(amount: Int64Array, fee_bps: int) -> tuple[Int64Array, Int64Array]:
    """``amount * fee_bps / 10_000`` exactly, as whole units and ten-thousandths of a unit (``amount`` is
    overwritten with the latter).

    ``amount * fee_bps`` can pass 2**63, so amount = h * 10_000 + l is split first: whole units
    ``h * fee_bps + (l * fee_bps) // 10_000``, fraction ``(l * fee_bps) % 10_000``; no product passes 10**18.
    Only scalar divisors (numpy divides those fast), in place where it can.
    """
    whole = amount // BPS
    scratch = whole * BPS
    amount -= scratch
    amount *= fee_bps
    part = np.floor_divide(amount, BPS, out=scratch)
    whole *= fee_bps
    whole += part
    part *= BPS
    amount -= part
    return whole, amount


def _check_settle_params(
    n_books: int, price_decimals: Sequence[int], quantity_decimals: Sequence[int], fee_bps: int
) -> None:
    if not n_books == len(price_decimals) == len(quantity_decimals):
        raise MalformedBookError(
            f"{n_books} books, {len(price_decimals)} price decimals, {len(quantity_decimals)} quantity "
            "decimals: one each per pair"
        )
    if not 0 <= _integer(fee_bps, "fee") <= BPS:
        raise BoundsError(f"fee {fee_bps} bps outside 0..{BPS}")
    for i, (p, q) in enumerate(zip(price_decimals, quantity_decimals, strict=True)):
        p, q = _integer(p, f"book {i}: price decimals"), _integer(q, f"book {i}: quantity decimals")
        if p < 0 or q < 0 or p + q > TOKEN_DECIMALS:
            raise BoundsError(
                f"book {i}: price decimals {p} + quantity decimals {q} outside 0..{TOKEN_DECIMALS}"
            )


def _settle(
    orders: _Orders,
    auctions: Sequence[Auction],
    filled: Int64Array,
    price_decimals: Sequence[int],
    quantity_decimals: Sequence[int],
    fee_bps: int,
) -> list[Settlement]:
    c = np.repeat(np.array([a.price for a in auctions], dtype=np.int64), np.diff(orders.offsets))
    is_buy = orders.side == BUY
    deal = c * filled
    received = filled - deal  # what the order receives: filled lots (buy) or deal tick·lots (sell)
    received *= is_buy
    received += deal
    fee, fee_frac = _fee(received, fee_bps)
    refund = np.subtract(orders.price, c, out=c)
    refund *= filled
    refund *= is_buy
    locked = orders.price - 1  # times the unfilled lots: limit for a buy, 1 for a sell
    locked *= is_buy
    locked += 1
    locked *= orders.quantity - filled
    units = [
        (_POW10[TOKEN_DECIMALS - q], _POW10[TOKEN_DECIMALS - p - q])
        for p, q in zip(price_decimals, quantity_decimals, strict=True)
    ]
    parts = [_split(column, orders) for column in (deal, refund, fee, fee_frac, locked)]
    return [Settlement(*unit, *row) for unit, *row in zip(units, *parts, strict=True)]


def settle_many(
    books: Sequence[Book],
    auctions: Sequence[Auction],
    price_decimals: Sequence[int],
    quantity_decimals: Sequence[int],
    fee_bps: int = DEFAULT_FEE_BPS,
) -> list[Settlement]:
    """Fund movements of every pair's auction (see ``Settlement``), vectorised over the whole block."""
    if len(auctions) != len(books):
        raise MalformedBookError(f"{len(auctions)} auctions for {len(books)} books")
    _check_settle_params(len(books), price_decimals, quantity_decimals, fee_bps)
    orders = _concat(books)
    fills = [a.filled for a in auctions]
    try:
        fits = list(map(len, fills)) == np.diff(orders.offsets).tolist()
        filled = np.concatenate(fills, dtype=np.int64, casting="no") if fills else np.zeros(0, np.int64)
    except (TypeError, ValueError):
        fits = False
    if not fits or filled.ndim != 1:
        bad = next(
            i
            for i, (b, f) in enumerate(zip(books, fills, strict=True))
            if not (isinstance(f, np.ndarray) and f.dtype == np.int64 and f.shape == b.side.shape)
        )
        raise MalformedBookError(f"book {bad}: auction fills do not match the book")
    # Cheap guards that keep the int64 arithmetic exact even for an auction not made from these books.
    for i, a in enumerate(auctions):
        if not 0 <= _integer(a.price, f"book {i}: clearing price") <= MAX_PRICE_TICKS:
            raise BoundsError(f"book {i}: clearing price {a.price} outside 0..{MAX_PRICE_TICKS}")
    if len(filled) and (filled.min() < 0 or (filled > orders.quantity).any()):
        i = int(np.argmax((filled < 0) | (filled > orders.quantity)))
        raise BoundsError(f"{_where(orders.offsets, i)}: filled {filled[i]} outside 0..{orders.quantity[i]}")
    return _settle(orders, auctions, filled, price_decimals, quantity_decimals, fee_bps)


def settle(
    book: Book, auction: Auction, price_decimals: int, quantity_decimals: int, fee_bps: int = DEFAULT_FEE_BPS
) -> Settlement:
    """Fund movements of one pair's auction (see ``Settlement``)."""
    return settle_many([book], [auction], [price_decimals], [quantity_decimals], fee_bps)[0]
