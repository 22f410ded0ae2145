"""DEX state layout: chunked order records and books (only changed chunks rewritten), candles and tickers."""

import numpy as np
import pytest

from okchain.crypto.address import Address
from okchain.modules.dex import candles as cd
from okchain.modules.dex import keeper as k
from okchain.state import schema
from okchain.state.cache import CacheKV
from okchain.state.store import MemoryKV


def _orders(n: int, start: int = 0) -> np.ndarray:
    rows = np.zeros(n, k.ORDER)
    rows["owner"] = np.void(b"\x07" * 20)
    rows["price"] = np.arange(start, start + n) + 1
    rows["quantity"] = 5
    return rows


def test_order_records_span_chunks_and_are_found_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(k, "ORDERS_PER_CHUNK", 4)
    store = CacheKV(MemoryKV())
    assert k.append_orders(store, 9, _orders(3)) == 0
    assert k.append_orders(store, 9, _orders(7, 3)) == 3  # fills chunk 0, then chunks 1 and 2
    assert k.order_count(store, 9) == 10
    assert [len(store.get(schema.dex_orders(9, c)) or b"") // k.ORDER.itemsize for c in range(4)] == [
        4,
        4,
        2,
        0,
    ]
    for seq in range(10):
        rec = k.get_order(store, k.order_id(9, seq))
        assert rec is not None and int(rec["price"]) == seq + 1
    assert k.get_order(store, k.order_id(9, 10)) is None
    assert k.get_order(store, k.order_id(8, 0)) is None
    assert k.block_orders(store, 9)["price"].tolist() == list(range(1, 11))
    k.index_address(store, b"\x07" * 20, 9, 0, 3)
    k.index_address(store, b"\x07" * 20, 9, 3, 7)
    k.index_address(store, b"\x07" * 20, 11, 0, 1)
    assert list(k.address_orders(store, b"\x07" * 20, k.order_id(9, 8))) == [
        k.order_id(9, 8),
        k.order_id(9, 9),
        k.order_id(11, 0),
    ]


def _book(ids: list[int]) -> np.ndarray:
    rows = np.zeros(len(ids), k.BOOK)
    rows["id"] = ids
    rows["side"] = 1
    rows["price"] = 10
    rows["remaining"] = 3
    return rows


def _save(base: MemoryKV, book: k.StoredBook, rows: np.ndarray) -> set[bytes]:
    """Save ``rows`` over ``book`` and commit; returns the keys written."""
    store = CacheKV(base)
    k.save_book(store, book, rows)
    base.write(store.writes)
    return set(store.writes)


def test_books_rewrite_only_changed_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(k, "BOOK_ROWS_PER_CHUNK", 4)
    base = MemoryKV()
    first = list(range(100, 110))
    written = _save(base, k.load_book(base, 3), _book(first))
    assert len(written) == 4  # three chunks and the directory
    book = k.load_book(base, 3)
    assert book.starts == [100, 104, 108] and book.rows["id"].tolist() == first
    # one fill in the middle chunk rewrites that chunk only
    rows = book.rows.copy()
    rows["remaining"][5] = 1
    assert _save(base, book, rows) == {schema.dex_book_chunk(3, 104)}
    # removing a whole chunk deletes it and rewrites the directory; new orders fill the last chunk, then
    # start a new one
    book = k.load_book(base, 3)
    rows = np.concatenate([book.rows[:4], book.rows[8:], _book([200, 201, 202])])
    written = _save(base, book, rows)
    assert written == {
        schema.dex_book_chunk(3, 104),
        schema.dex_book_chunk(3, 108),
        schema.dex_book_chunk(3, 202),
        schema.dex_book_dir(3),
    }
    book = k.load_book(base, 3)
    assert book.starts == [100, 108, 202]
    assert book.rows["id"].tolist() == [100, 101, 102, 103, 108, 109, 200, 201, 202]
    assert base.get(schema.dex_book_chunk(3, 104)) is None
    _save(base, book, book.rows[:0])
    assert k.load_book(base, 3).starts == [] and base.get(schema.dex_book_dir(3)) is None


def test_pair_record_round_trip() -> None:
    pair = k.Pair(7, "xyz-a1f", "okt", 4, 3, 25, Address(b"\x01" * 20), False, 12345, 99)
    back = k.Pair.decode(pair.encode())
    assert back == pair
    assert (back.tick_atto, back.base_unit, back.quote_unit) == (10**14, 10**15, 10**11)
    assert back.name == "xyz-a1f_okt"


S = 10**9  # ns per second


def test_candles_bucket_by_block_time() -> None:
    # (height, time_ns, price, volume), newest first
    deals = [
        (9, 185 * S, 12, 1),
        (8, 130 * S, 9, 2),
        (7, 119 * S, 14, 3),
        (6, 61 * S, 11, 4),
        (5, 10 * S, 10, 5),
    ]
    minute = cd.candles(deals, "1m", 10)
    assert minute == [
        cd.Candle(180, 12, 12, 12, 12, 1),
        cd.Candle(120, 9, 9, 9, 9, 2),
        cd.Candle(60, 11, 14, 11, 14, 7),
        cd.Candle(0, 10, 10, 10, 10, 5),
    ]
    assert cd.candles(deals, "1m", 2) == minute[:2]
    five = cd.candles(deals, "5m", 10)
    assert five == [cd.Candle(0, 10, 14, 9, 12, 15)]
    assert [c.open_time_s for c in cd.candles(deals, "1d", 10)] == [0]
    assert set(cd.INTERVALS) == {"1m", "5m", "15m", "1h", "4h", "1d"}


def test_ticker_covers_the_24_hours_before_the_latest_block() -> None:
    day = cd.DAY_NS
    deals = [(3, day + 50 * S, 20, 1), (2, day + 10 * S, 30, 2), (1, 10 * S, 99, 50)]
    t = cd.ticker(deals, last_price=20, now_ns=day + 60 * S)
    assert t == cd.Ticker(20, 30, 20, 3)  # the deal at 10 s is more than 24 h old
    assert cd.ticker([], 0, day) == cd.Ticker(0, 0, 0, 0)


def test_payments_sum_runs_exactly_near_int64_limits() -> None:
    from okchain.modules.dex.endblock import _Payments

    rng = np.random.default_rng(5)
    owners = np.array([np.void(bytes([i % 3]) * 20) for i in sorted(rng.integers(0, 9, 300))], "V20")
    values = rng.integers(2**62, 2**63 - 1, 300, dtype=np.int64)
    ledger = k.Ledger()
    pay = _Payments(ledger)
    pay.credit(owners, "abc-123", values, 10**18)
    pay.debit(b"\x09" * 20, "okt", values[:5])
    expected: dict[tuple[bytes, str], int] = {}
    for o, v in zip(owners.tolist(), values.tolist(), strict=True):
        key = (bytes(o), "abc-123")
        expected[key] = expected.get(key, 0) + v * 10**18
    expected[(b"\x09" * 20, "okt")] = -sum(values[:5].tolist())
    assert ledger._paid == expected
