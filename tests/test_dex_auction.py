"""The call auction engine against a straightforward pure-Python reference of rules 0–3 and of allocation."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from fractions import Fraction
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from okchain.errors import OKChainError
from okchain.modules.dex import auction
from okchain.modules.dex.auction import (
    BUY,
    INT64_MAX,
    MAX_ORDERS,
    MAX_PRICE_TICKS,
    MAX_QUANTITY_LOTS,
    SELL,
    Auction,
    Book,
    BoundsError,
    MalformedBookError,
    clearing_price,
    run_auction,
    run_block,
    run_many,
    settle,
    settle_many,
    to_base_units,
)

Order = tuple[int, int, int, int]  # side, price, quantity, priority


def make_book(orders: list[Order]) -> Book:
    return Book(
        np.array([o[0] for o in orders], dtype=np.int8),
        np.array([o[1] for o in orders], dtype=np.int64),
        np.array([o[2] for o in orders], dtype=np.int64),
        np.array([o[3] for o in orders], dtype=np.int64),
    )


def rows(book: Book) -> list[Order]:
    return list(
        zip(
            book.side.tolist(),
            book.price.tolist(),
            book.quantity.tolist(),
            book.priority.tolist(),
            strict=True,
        )
    )


@contextmanager
def engine_path(path: str) -> Iterator[None]:
    """Force the dense-tick or the sorted-levels aggregation (the engine picks by price spread)."""
    with patch.object(auction, "_DENSE_TICKS_PER_ORDER", 0 if path == "sparse" else 2**62):
        yield


# --- the reference: one candidate price at a time, one order at a time -----------------------------


def demand_supply(orders: list[Order], p: int) -> tuple[int, int]:
    buys = sum(q for side, price, q, _ in orders if side == BUY and price >= p)
    sells = sum(q for side, price, q, _ in orders if side == SELL and price <= p)
    return buys, sells


def round_half_up(x: Fraction) -> int:
    return int(x + Fraction(1, 2))  # x >= 0


def survivors(orders: list[Order]) -> tuple[int, list[tuple[int, int, int]]]:
    """Rules 0–2: the maximum volume and the (price, volume, imbalance) candidates left after rule 2."""
    candidates = []
    for p in sorted({price for _, price, _, _ in orders}):
        buys, sells = demand_supply(orders, p)
        candidates.append((p, min(buys, sells), buys - sells))
    volume = max((v for _, v, _ in candidates), default=0)
    if volume == 0:
        return 0, []
    rule1 = [c for c in candidates if c[1] == volume]
    least = min(abs(c[2]) for c in rule1)
    return volume, [c for c in rule1 if abs(c[2]) == least]


def reference_price(orders: list[Order], last: int, step_bps: int = 500) -> tuple[int, int]:
    volume, rule2 = survivors(orders)
    if volume == 0:
        return 0, 0
    lo, hi = rule2[0][0], rule2[-1][0]
    if last == 0:
        reference = (lo + hi) // 2
    elif all(c[2] > 0 for c in rule2):
        reference = round_half_up(last * Fraction(10_000 + step_bps, 10_000))
    elif all(c[2] < 0 for c in rule2):
        reference = round_half_up(last * Fraction(10_000 - step_bps, 10_000))
    else:
        reference = last
    return min(max(reference, lo), hi), volume


def reference_fills(orders: list[Order], price: int, volume: int) -> list[int]:
    filled = [0] * len(orders)
    buys = sorted((-o[1], o[3], i) for i, o in enumerate(orders) if o[0] == BUY and o[1] >= price)
    sells = sorted((o[1], o[3], i) for i, o in enumerate(orders) if o[0] == SELL and o[1] <= price)
    for queue in (buys, sells):
        left = volume
        for _, _, i in queue:
            filled[i] = min(orders[i][2], left)
            left -= filled[i]
    return filled


# --- strategies ------------------------------------------------------------------------------------


@st.composite
def books(draw: st.DrawFn, max_orders: int = 12, max_price: int = 12, max_quantity: int = 10) -> Book:
    """Small books with few distinct prices, so that rules 1–3 all get exercised."""
    n = draw(st.integers(0, max_orders))
    orders = [
        (
            draw(st.sampled_from([BUY, SELL])),
            draw(st.integers(1, max_price)),
            draw(st.integers(1, max_quantity)),
            0,
        )
        for _ in range(n)
    ]
    priorities = draw(st.lists(st.integers(0, 2**62), min_size=n, max_size=n, unique=True))
    return make_book([(s, p, q, t) for (s, p, q, _), t in zip(orders, priorities, strict=True)])


wide_books = books(max_orders=8, max_price=MAX_PRICE_TICKS, max_quantity=MAX_QUANTITY_LOTS)
lasts = st.integers(0, 15)


# --- clearing price and fills equal the reference --------------------------------------------------


@pytest.mark.parametrize("path", ["dense", "sparse"])
@given(book=books(), last=lasts, step=st.sampled_from([0, 500, 1_000]))
def test_clearing_price_and_fills_match_reference(path: str, book: Book, last: int, step: int) -> None:
    orders = rows(book)
    expected_price, expected_volume = reference_price(orders, last, step)
    with engine_path(path):
        assert clearing_price(book, last, step) == (expected_price, expected_volume)
        result = run_auction(book, last, step)
    assert (result.price, result.volume) == (expected_price, expected_volume)
    assert result.filled.dtype == np.int64
    assert result.filled.tolist() == reference_fills(orders, expected_price, expected_volume)


@given(book=books())
def test_every_tick_between_the_survivors_trades_the_same_volume(book: Book) -> None:
    """Why clamping the reference into [lo, hi] is sound even between two limit prices."""
    orders = rows(book)
    volume, rule2 = survivors(orders)
    for tick in range(rule2[0][0], rule2[-1][0] + 1) if rule2 else ():
        assert min(demand_supply(orders, tick)) == volume


@given(book=wide_books, last=st.integers(0, MAX_PRICE_TICKS))
def test_wide_prices_and_huge_quantities_match_reference(book: Book, last: int) -> None:
    orders = rows(book)
    result = run_auction(book, last)
    assert (result.price, result.volume) == reference_price(orders, last)
    assert result.filled.tolist() == reference_fills(orders, result.price, result.volume)


# --- invariants a trader can check without knowing the rules ---------------------------------------


def better(a: Order, b: Order) -> bool:
    """``a`` strictly ahead of ``b`` in the same side's queue: price, then time priority."""
    if a[0] == BUY:
        return a[1] > b[1] or (a[1] == b[1] and a[3] < b[3])
    return a[1] < b[1] or (a[1] == b[1] and a[3] < b[3])


@given(book=books(max_orders=20), last=lasts)
def test_fills_respect_limits_quantities_and_priority(book: Book, last: int) -> None:
    orders = rows(book)
    result = run_auction(book, last)
    filled = result.filled.tolist()
    c = result.price
    for (side, price, quantity, _), f in zip(orders, filled, strict=True):
        assert 0 <= f <= quantity
        if f:
            assert price >= c if side == BUY else price <= c
    for side in (BUY, SELL):
        mine = [(o, f) for o, f in zip(orders, filled, strict=True) if o[0] == side]
        assert sum(f for _, f in mine) == result.volume
        assert sum(1 for o, f in mine if 0 < f < o[2]) <= 1
        for o, f in mine:
            if f == 0:
                continue
            for u, fu in mine:
                eligible = u[1] >= c if side == BUY else u[1] <= c
                if eligible and fu < u[2]:
                    assert not better(u, o), f"{u} (filled {fu}) waits behind {o} (filled {f})"
    assert (result.volume == 0) == (c == 0)


@given(book=books(max_orders=20), last=lasts, data=st.data())
def test_identical_and_permuted_input_give_identical_output(
    book: Book, last: int, data: st.DataObject
) -> None:
    first, again = run_auction(book, last), run_auction(book, last)
    assert first.filled.tobytes() == again.filled.tobytes()
    assert (first.price, first.volume) == (again.price, again.volume)
    perm = np.array(data.draw(st.permutations(range(len(book.side)))), dtype=np.int64)
    shuffled = Book(book.side[perm], book.price[perm], book.quantity[perm], book.priority[perm])
    moved = run_auction(shuffled, last)
    assert (moved.price, moved.volume) == (first.price, first.volume)
    assert moved.filled.tobytes() == first.filled[perm].tobytes()


@pytest.mark.parametrize("path", ["dense", "sparse"])
@given(pairs=st.lists(st.tuples(books(), lasts), max_size=6))
def test_run_many_equals_run_auction_per_pair(path: str, pairs: list[tuple[Book, int]]) -> None:
    with engine_path(path):
        many = run_many([b for b, _ in pairs], [last for _, last in pairs])
    assert len(many) == len(pairs)
    for (book, last), got in zip(pairs, many, strict=True):
        alone = run_auction(book, last)
        assert (got.price, got.volume) == (alone.price, alone.volume)
        assert got.filled.tobytes() == alone.filled.tobytes()


@pytest.mark.parametrize("path", ["dense", "sparse"])
def test_a_block_of_larger_books_matches_reference(path: str) -> None:
    """Hundreds of orders per pair with many orders per price level and long marginal queues."""
    rng = np.random.default_rng(5)
    books, lasts = [], []
    for pair in range(6):
        n = int(rng.integers(0, 400))
        mid = int(rng.integers(50, 5_000))
        side = rng.integers(1, 3, n).astype(np.int8)
        price = np.maximum(1, mid + rng.integers(-30, 31, n) + np.where(side == BUY, 3, -3)).astype(np.int64)
        priority = rng.permutation(n).astype(np.int64) + (pair << 40)
        books.append(Book(side, price, rng.integers(1, 50, n).astype(np.int64), priority))
        lasts.append(int(rng.integers(0, 2)) * mid)
    with engine_path(path):
        results = run_many(books, lasts)
    for book, last, got in zip(books, lasts, results, strict=True):
        orders = rows(book)
        assert (got.price, got.volume) == reference_price(orders, last)
        assert got.filled.tolist() == reference_fills(orders, got.price, got.volume)
    assert sum(r.volume for r in results) > 0


def test_ties_at_one_side_and_price_go_by_priority_then_input_order() -> None:
    book = make_book([(BUY, 10, 5, 7), (BUY, 10, 5, 3), (BUY, 10, 5, 7), (SELL, 10, 8, 0)])
    assert run_auction(book, 10).filled.tolist() == [3, 5, 0, 8]


# --- worked examples -------------------------------------------------------------------------------

# okx/okexchain-docs docs/concepts/periodic-auction.md, "Example of benchmark price algorithm" (tick 0.1, so
# 10.4 is 104 ticks). Example 7's "tradable volume" column there contradicts its own cumulative columns
# (min(2, 5) printed as 5); its chosen prices 10.0 and 10.2 are what rules 0–3 give, and what we assert.
DOC_EXAMPLES = [
    ("1 maximum volume", [(BUY, 10, 2), (SELL, 8, 2), (BUY, 8, 2), (SELL, 7, 1)], 0, 8, 3),
    (
        "2 minimum imbalance",
        [(BUY, 12, 2), (BUY, 11, 2), (BUY, 9, 5), (SELL, 8, 2), (SELL, 7, 5), (BUY, 6, 2), (SELL, 5, 5)],
        0,
        7,
        9,
    ),
    ("3 buy pressure", [(BUY, 104, 6), (SELL, 103, 3), (SELL, 99, 2)], 100, 104, 5),
    ("4 buy pressure, reference inside", [(BUY, 108, 6), (SELL, 103, 3), (SELL, 99, 2)], 100, 105, 5),
    ("5 sell pressure", [(BUY, 101, 2), (BUY, 97, 3), (SELL, 96, 6)], 100, 96, 5),
    ("6 sell pressure, reference inside", [(BUY, 101, 2), (BUY, 97, 3), (SELL, 94, 6)], 100, 95, 5),
    ("7 no pressure", [(BUY, 102, 2), (SELL, 100, 3), (BUY, 98, 3), (SELL, 94, 2)], 100, 100, 2),
    ("7b no pressure, clamped", [(BUY, 102, 2), (SELL, 100, 3), (BUY, 98, 3), (SELL, 94, 2)], 105, 102, 2),
]


@pytest.mark.parametrize(
    ("name", "book", "last", "price", "volume"), DOC_EXAMPLES, ids=[e[0] for e in DOC_EXAMPLES]
)
def test_okexchain_docs_examples(
    name: str, book: list[tuple[int, int, int]], last: int, price: int, volume: int
) -> None:
    orders = [(side, p, q, i) for i, (side, p, q) in enumerate(book)]
    assert clearing_price(make_book(orders), last) == (price, volume)
    assert reference_price(orders, last) == (price, volume)


# --- reference price: rounding, first auction, clamping --------------------------------------------

# Two candidates 1 and 200 with equal volume 5 and imbalance +1 (buy pressure) or -1 (sell pressure).
BUY_PRESSURE = make_book([(BUY, 200, 6, 0), (SELL, 1, 5, 1)])
SELL_PRESSURE = make_book([(BUY, 200, 5, 0), (SELL, 1, 6, 1)])


@pytest.mark.parametrize(
    ("book", "last", "price"),
    [
        (BUY_PRESSURE, 10, 11),  # 10.5 rounds half up to 11
        (BUY_PRESSURE, 30, 32),  # 31.5 -> 32
        (BUY_PRESSURE, 19, 20),  # 19.95 -> 20
        (BUY_PRESSURE, 1, 1),  # 1.05 -> 1
        (SELL_PRESSURE, 10, 10),  # 9.5 rounds half up to 10
        (SELL_PRESSURE, 30, 29),  # 28.5 -> 29
        (SELL_PRESSURE, 21, 20),  # 19.95 -> 20
        (BUY_PRESSURE, 0, 100),  # first auction: midpoint (1 + 200) // 2
        (SELL_PRESSURE, 0, 100),
        (BUY_PRESSURE, 500, 200),  # reference above the survivors: clamped to the highest
        (SELL_PRESSURE, 1_000_000, 200),
    ],
)
def test_reference_price_rounding_first_auction_and_clamp(book: Book, last: int, price: int) -> None:
    assert clearing_price(book, last) == (price, 5)


def test_nothing_crosses() -> None:
    book = make_book([(BUY, 9, 5, 0), (SELL, 10, 5, 1)])
    result = run_auction(book, 10)
    assert (result.price, result.volume, result.filled.tolist()) == (0, 0, [0, 0])
    assert clearing_price(make_book([]), 7) == (0, 0)
    assert run_many([], []) == []


# --- refusals --------------------------------------------------------------------------------------


def good() -> Book:
    return make_book([(BUY, 10, 5, 0), (SELL, 9, 5, 1)])


@pytest.mark.parametrize(
    ("book", "error", "reason"),
    [
        (replace(good(), price=good().price.astype(np.int32)), MalformedBookError,
         "book 0: price must be a 1-d int64 array, got int32"),
        (replace(good(), side=good().side.astype(np.int64)), MalformedBookError,
         "side must be a 1-d int8 array"),
        (replace(good(), quantity=good().quantity.reshape(1, 2)), MalformedBookError,
         "quantity must be a 1-d int64 array, got int64 2-d array"),
        (replace(good(), priority=good().priority[:1]), MalformedBookError,
         "priority has 1 entries, side has 2"),
        (replace(good(), price=[10, 9]), MalformedBookError, "price must be a 1-d int64 array, got list"),
        (make_book([(BUY, 10, 5, 0), (3, 9, 5, 1)]), MalformedBookError, "book 0: order 1: side 3, must be"),
        (make_book([(BUY, 0, 5, 0)]), BoundsError, "order 0: price 0 is not positive"),
        (make_book([(BUY, 1, 5, 0), (SELL, 2, -4, 1)]), BoundsError, "order 1: quantity -4 is not positive"),
        (make_book([(BUY, MAX_PRICE_TICKS + 1, 5, 0)]), BoundsError, f"exceeds the bound {MAX_PRICE_TICKS}"),
        (make_book([(SELL, 1, MAX_QUANTITY_LOTS + 1, 0)]), BoundsError, "quantity 1000000001 exceeds"),
    ],
)  # fmt: skip
def test_malformed_or_out_of_bounds_books_are_refused(
    book: Book, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason) as caught:
        run_auction(book, 0)
    assert isinstance(caught.value, OKChainError)


def test_the_failing_book_is_named_in_a_block() -> None:
    with pytest.raises(BoundsError, match="book 2: order 0: price 0"):
        run_many([good(), make_book([]), make_book([(SELL, 0, 1, 0)])], [0, 0, 0])


@pytest.mark.parametrize(
    ("last", "step", "reason"),
    [
        (-1, 500, "last price -1 outside"),
        (MAX_PRICE_TICKS + 1, 500, "outside"),
        (5, 10_001, "reference step"),
    ],
)
def test_bad_last_price_or_step_is_refused(last: int, step: int, reason: str) -> None:
    with pytest.raises(BoundsError, match=reason):
        clearing_price(good(), last, step)


def test_non_integer_parameters_are_refused_not_truncated() -> None:
    with pytest.raises(MalformedBookError, match=r"book 0: last price must be an integer, got 10\.5"):
        run_auction(good(), 10.5)
    with pytest.raises(MalformedBookError, match="book 0: quantity decimals must be an integer"):
        settle(good(), run_auction(good(), 0), 2, 2.0)
    with pytest.raises(MalformedBookError, match="fee must be an integer"):
        settle(good(), run_auction(good(), 0), 2, 2, 0.5)


def test_last_prices_must_match_books() -> None:
    with pytest.raises(MalformedBookError, match="1 last prices for 2 books"):
        run_many([good(), good()], [0])


def test_overflow_bounds_hold() -> None:
    assert MAX_PRICE_TICKS * MAX_QUANTITY_LOTS <= INT64_MAX  # price x quantity, c x filled, refunds, fees
    assert MAX_ORDERS * MAX_QUANTITY_LOTS <= INT64_MAX  # cumulative lot sums over a whole block
    assert MAX_PRICE_TICKS < 2**auction._PRICE_BITS  # (pair, price) sort keys


# --- settlement ------------------------------------------------------------------------------------


def check_settlement(book: Book, result: Auction, p: int, q: int, fee_bps: int) -> None:
    s = settle(book, result, p, q, fee_bps)
    base_unit, quote_unit = 10 ** (18 - q), 10 ** (18 - p - q)
    assert (s.base_unit, s.quote_unit) == (base_unit, quote_unit)
    c = result.price
    for i, ((side, limit, quantity, _), f) in enumerate(zip(rows(book), result.filled.tolist(), strict=True)):
        assert s.deal_quote[i] == c * f
        assert 0 <= s.fee_frac[i] < 10_000
        fee = s.fee_in_base_units(i, side == BUY)
        if side == BUY:
            assert s.refund_quote[i] == (limit - c) * f
            assert s.locked_left[i] == limit * (quantity - f)
            assert s.deal_quote[i] + s.refund_quote[i] + s.locked_left[i] == limit * quantity
            assert fee == f * base_unit * fee_bps // 10_000
            assert to_base_units(s.fee[i : i + 1], base_unit, s.fee_frac[i : i + 1]) == [fee]
        else:
            assert s.refund_quote[i] == 0
            assert s.locked_left[i] + f == quantity
            assert fee == c * f * quote_unit * fee_bps // 10_000
    assert to_base_units(s.deal_quote, quote_unit) == [int(d) * quote_unit for d in s.deal_quote]


decimals = st.integers(0, 18).flatmap(lambda p: st.tuples(st.just(p), st.integers(0, 18 - p)))
fees = st.sampled_from([0, 1, 10, 30, 9_999, 10_000])


@given(book=wide_books, last=st.integers(0, MAX_PRICE_TICKS), pq=decimals, fee_bps=fees)
def test_settlement_is_exact_at_the_bounds(book: Book, last: int, pq: tuple[int, int], fee_bps: int) -> None:
    check_settlement(book, run_auction(book, last), *pq, fee_bps)


@given(book=books(), last=lasts, pq=decimals, fee_bps=fees)
def test_settlement_is_exact_on_small_books(book: Book, last: int, pq: tuple[int, int], fee_bps: int) -> None:
    check_settlement(book, run_auction(book, last), *pq, fee_bps)


def test_settlement_of_extreme_orders() -> None:
    top = make_book(
        [(BUY, MAX_PRICE_TICKS, MAX_QUANTITY_LOTS, 0), (SELL, MAX_PRICE_TICKS, MAX_QUANTITY_LOTS, 1)]
    )
    result = run_auction(top, MAX_PRICE_TICKS)
    assert (result.price, result.volume) == (MAX_PRICE_TICKS, MAX_QUANTITY_LOTS)
    for p, q in [(0, 0), (0, 18), (9, 9), (18, 0), (2, 14)]:
        check_settlement(top, result, p, q, 10_000)


@given(pairs=st.lists(st.tuples(books(), lasts, decimals), max_size=5), fee_bps=fees)
def test_settle_many_equals_settle_per_pair(
    pairs: list[tuple[Book, int, tuple[int, int]]], fee_bps: int
) -> None:
    bks = [b for b, _, _ in pairs]
    results = run_many(bks, [last for _, last, _ in pairs])
    many = settle_many(bks, results, [pq[0] for *_, pq in pairs], [pq[1] for *_, pq in pairs], fee_bps)
    for book, result, (_, _, (p, q)), got in zip(bks, results, pairs, many, strict=True):
        alone = settle(book, result, p, q, fee_bps)
        assert (got.base_unit, got.quote_unit) == (alone.base_unit, alone.quote_unit)
        for name in ("deal_quote", "refund_quote", "fee", "fee_frac", "locked_left"):
            assert getattr(got, name).tobytes() == getattr(alone, name).tobytes()


@given(pairs=st.lists(st.tuples(books(), lasts, decimals), max_size=5), fee_bps=fees)
def test_run_block_equals_run_many_then_settle_many(
    pairs: list[tuple[Book, int, tuple[int, int]]], fee_bps: int
) -> None:
    bks, last = [b for b, _, _ in pairs], [x for _, x, _ in pairs]
    ps, qs = [pq[0] for *_, pq in pairs], [pq[1] for *_, pq in pairs]
    auctions = run_many(bks, last)
    settlements = settle_many(bks, auctions, ps, qs, fee_bps)
    block = run_block(bks, last, ps, qs, fee_bps)
    assert len(block) == len(pairs)
    for (a, s), want_a, want_s in zip(block, auctions, settlements, strict=True):
        assert (a.price, a.volume, a.filled.tobytes()) == (
            want_a.price,
            want_a.volume,
            want_a.filled.tobytes(),
        )
        assert (s.base_unit, s.quote_unit) == (want_s.base_unit, want_s.quote_unit)
        for name in ("deal_quote", "refund_quote", "fee", "fee_frac", "locked_left"):
            assert getattr(s, name).tobytes() == getattr(want_s, name).tobytes()


@pytest.mark.parametrize(
    ("p", "q", "fee_bps", "reason"),
    [(10, 9, 10, "price decimals 10 \\+ quantity decimals 9"), (-1, 2, 10, "outside"), (2, 2, 10_001, "fee")],
)
def test_bad_settlement_parameters_are_refused(p: int, q: int, fee_bps: int, reason: str) -> None:
    book = good()
    with pytest.raises(BoundsError, match=reason):
        settle(book, run_auction(book, 0), p, q, fee_bps)


def test_settlement_needs_the_auction_of_the_same_book() -> None:
    other = run_auction(make_book([(BUY, 1, 1, 0)]), 0)
    with pytest.raises(MalformedBookError, match="book 0: auction fills do not match the book"):
        settle(good(), other, 2, 2)
    narrow = Auction(0, 0, np.zeros(2, np.int32))
    with pytest.raises(MalformedBookError, match="book 1: auction fills do not match the book"):
        settle_many([good(), good()], [run_auction(good(), 0), narrow], [2, 2], [2, 2])
    overfilled = Auction(9, 6, np.array([6, 5], np.int64))
    with pytest.raises(BoundsError, match=r"book 0: order 0: filled 6 outside 0\.\.5"):
        settle(good(), overfilled, 2, 2)
    with pytest.raises(BoundsError, match="clearing price -1 outside"):
        settle(good(), Auction(-1, 0, np.zeros(2, np.int64)), 2, 2)
    with pytest.raises(MalformedBookError, match="1 auctions for 2 books"):
        settle_many([good(), good()], [narrow], [2, 2], [2, 2])
    with pytest.raises(MalformedBookError, match="2 books, 1 price decimals"):
        run_block([good(), good()], [0, 0], [2], [2, 2])
