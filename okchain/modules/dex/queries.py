"""Read-only DEX views for wallets and explorers over one committed snapshot (``StateQuery.dex``)."""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from okchain.modules.dex import candles as cd
from okchain.modules.dex import keeper as k
from okchain.modules.dex.messages import format_decimal, format_order_id
from okchain.state import schema
from okchain.state.store import KVReader


@dataclass(frozen=True, slots=True)
class OrderView:
    id: str
    owner: bytes
    pair: str
    side: int
    price: str
    quantity: str
    filled: str
    status: str
    height: int
    closed_height: int

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class Level:
    price: str
    quantity: str
    orders: int


@dataclass(frozen=True, slots=True)
class DealView:
    height: int
    time_ns: int
    order_id: str
    side: int
    price: str
    quantity: str


def price_text(pair: k.Pair, ticks: int) -> str:
    return format_decimal(ticks * pair.tick_atto)


def quantity_text(pair: k.Pair, lots: int) -> str:
    return format_decimal(lots * pair.base_unit)


# Order records one listing call may read: a filter that skips a long closed history returns a page token
# (possibly with an empty page) instead of reading the address's whole history in one public request.
MAX_SCAN = 10_000


def _deal_row(raw: bytes) -> cd.DealRow:
    d = np.frombuffer(raw, k.DEAL)[0]
    return int(d["height"]), int(d["time_ns"]), int(d["price"]), int(d["volume"])


class DexReader:
    def __init__(self, reader: KVReader, now_ns: int) -> None:
        self._reader = reader
        self._now_ns = now_ns
        self._pairs: dict[int, k.Pair] = {}
        self._chunk: tuple[tuple[int, int], k.OrderRows] | None = None  # the last one read: ids come in order

    def _pair(self, pair_id: int) -> k.Pair:
        pair = self._pairs.get(pair_id)
        if pair is None:
            pair = self._pairs[pair_id] = k.get_pair(self._reader, pair_id)
        return pair

    def pair(self, name: str) -> k.Pair | None:
        return k.find_pair(self._reader, name)

    def pair_count(self) -> int:
        return k.pair_count(self._reader)

    def pairs(self, start: int = 0, end: int | None = None) -> list[k.Pair]:
        """Pairs ``start`` up to ``end`` (exclusive; None: the last) by id, so a page reads only its own."""
        stop = self.pair_count() if end is None else end
        return [self._pair(i) for i in range(start, stop)]

    def order(self, oid: int) -> OrderView | None:
        height, seq = k.split_id(oid)
        where = (height, seq // k.ORDERS_PER_CHUNK)
        if self._chunk is not None and self._chunk[0] == where:
            rows = self._chunk[1]
        else:
            rows = np.frombuffer(self._reader.get(schema.dex_orders(*where)) or b"", k.ORDER)
            self._chunk = (where, rows)
        row = seq % k.ORDERS_PER_CHUNK
        if row >= len(rows):
            return None
        r = rows[row]
        pair = self._pair(int(r["pair"]))
        filled = int(r["filled"])
        return OrderView(
            format_order_id(oid),
            r["owner"].tobytes(),
            pair.name,
            int(r["side"]),
            price_text(pair, int(r["price"])),
            quantity_text(pair, int(r["quantity"])),
            quantity_text(pair, filled),
            k.status_name(int(r["status"]), filled),
            height,
            int(r["closed"]),
        )

    def orders(self, owner: bytes, state: str, start: int, limit: int) -> tuple[list[OrderView], int | None]:
        """``owner``'s orders from id ``start`` (inclusive), oldest first, filtered by ``state`` ("", "open",
        "closed"); returns at most ``limit`` and the id the next page starts at (None on the last page).
        At most ``MAX_SCAN`` records are read per call, so a page may hold fewer matches and still a token."""
        out: list[OrderView] = []
        for scanned, oid in enumerate(k.address_orders(self._reader, owner, start)):
            if len(out) == limit or scanned == MAX_SCAN:
                return out, oid
            view = self.order(oid)
            if view is None or (state == "open" and not view.open) or (state == "closed" and view.open):
                continue
            out.append(view)
        return out, None

    def depth(self, pair: k.Pair, levels: int) -> tuple[list[Level], list[Level]]:
        rows = k.load_book(self._reader, pair.id).rows
        sides = []
        for side, best_first in ((1, -1), (2, 1)):
            mine = rows[rows["side"] == side]
            prices, index, counts = np.unique(mine["price"], return_inverse=True, return_counts=True)
            totals = np.zeros(len(prices), np.int64)
            np.add.at(totals, index, mine["remaining"])
            order = np.arange(len(prices))[::best_first][:levels]
            sides.append(
                [
                    Level(
                        price_text(pair, int(prices[i])), quantity_text(pair, int(totals[i])), int(counts[i])
                    )
                    for i in order.tolist()
                ]
            )
        return sides[0], sides[1]

    def _deal_rows(self, pair: k.Pair) -> Iterator[cd.DealRow]:
        for _, raw in self._reader.iterate(schema.dex_deal_prefix(pair.id)):
            yield _deal_row(raw)

    def _fills(self, pair: k.Pair, row: cd.DealRow, out: list[DealView], limit: int) -> None:
        """Append the fills of one block's deal ``row`` to ``out`` until it holds ``limit``."""
        height, time_ns, price, _ = row
        chunk = 0
        while len(out) < limit:
            raw = self._reader.get(schema.dex_fills(pair.id, height, chunk))
            if raw is None:
                break
            for f in np.frombuffer(raw, k.FILL)[: limit - len(out)]:
                out.append(
                    DealView(
                        height,
                        time_ns,
                        format_order_id(int(f["id"])),
                        int(f["side"]),
                        price_text(pair, price),
                        quantity_text(pair, int(f["filled"])),
                    )
                )
            chunk += 1

    def deals(self, pair: k.Pair, limit: int) -> list[DealView]:
        """The latest ``limit`` fills, newest block first."""
        out: list[DealView] = []
        for row in self._deal_rows(pair):
            if len(out) >= limit:
                break
            self._fills(pair, row, out, limit)
        return out

    def deals_at(self, pair: k.Pair, height: int, limit: int) -> list[DealView]:
        """At most ``limit`` fills of the pair's auction in block ``height`` (none if it did not trade)."""
        raw = self._reader.get(schema.dex_deal(pair.id, height))
        out: list[DealView] = []
        if raw is not None:
            self._fills(pair, _deal_row(raw), out, limit)
        return out

    def ticker(self, pair: k.Pair) -> cd.Ticker:
        return cd.ticker(self._deal_rows(pair), pair.last_price, self._now_ns)

    def candles(self, pair: k.Pair, interval: str, limit: int) -> list[cd.Candle]:
        return cd.candles(self._deal_rows(pair), interval, limit)
