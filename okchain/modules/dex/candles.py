"""Tickers and OHLCV candles from a pair's deal history (one clearing price and volume per traded block).

Pure functions over deal rows given newest first; time is the block time in the deal record, so every node
and every replay answers the same.
"""

from collections.abc import Iterable
from dataclasses import dataclass

INTERVALS: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3_600, "4h": 14_400, "1d": 86_400}
DAY_NS = 86_400 * 10**9

# (height, time_ns, price ticks, volume lots), newest first
DealRow = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Candle:
    open_time_s: int
    open: int
    high: int
    low: int
    close: int
    volume: int


@dataclass(frozen=True, slots=True)
class Ticker:
    last: int
    high: int
    low: int
    volume: int


def candles(deals_newest_first: Iterable[DealRow], interval: str, limit: int) -> list[Candle]:
    """The newest ``limit`` candles of ``interval`` (a key of ``INTERVALS``), newest first."""
    seconds = INTERVALS[interval]
    out: list[Candle] = []
    for _, time_ns, price, volume in deals_newest_first:
        start = time_ns // 10**9 // seconds * seconds
        if out and out[-1].open_time_s == start:
            c = out[-1]  # going back in time: this deal is earlier, so it becomes the open
            out[-1] = Candle(start, price, max(c.high, price), min(c.low, price), c.close, c.volume + volume)
            continue
        if len(out) == limit:
            break
        out.append(Candle(start, price, price, price, price, volume))
    return out


def ticker(deals_newest_first: Iterable[DealRow], last_price: int, now_ns: int) -> Ticker:
    """Last price and the high, low and volume of the deals in the 24 h up to ``now_ns`` (block time)."""
    high = low = volume = 0
    for _, time_ns, price, lots in deals_newest_first:
        if time_ns <= now_ns - DAY_NS:
            break
        high = max(high, price)
        low = price if low == 0 else min(low, price)
        volume += lots
    return Ticker(last_price, high, low, volume)
