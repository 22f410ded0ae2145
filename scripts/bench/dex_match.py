#!/usr/bin/env python3
"""The DEX matching engine on whole blocks, fills and locked-fund bookkeeping included: ``run_block`` =
``run_many`` (clearing prices, price/time-priority fills) + the settlement arithmetic of ``settle_many``
(quote paid, refunds at the clearing price, 0.1 % fees on each side, what stays locked), with the books
checked and concatenated once. ``run_many`` then ``settle_many`` as two calls is timed too.

Two block shapes: 1,000,000 orders across 10 pairs, and 10,000 pairs x 100 orders. Each pair's limit prices
are normal around its mid price (sd 0.2 %, buys centred 0.05 % below mid, sells 0.05 % above, so a large
share of the book crosses), quantities log-normal (median 20 lots, 1..10**6), priorities ``height << 24 |
position`` of orders placed over many blocks. Mid prices: 100,000 ticks for the 10 big pairs, log-uniform in
10**3..10**6 ticks for the small ones. The data is generated before the clock starts (it is state loading,
the dex module's work).

Where the time goes: the engine's stages run one at a time on the same input (checks + concatenation, price
levels, rules 0–3, fills, per-pair results, settlement). Price levels come from a dense tick array when the
block's price ranges are narrow, else from a sort; "levels by sort" forces the sort to show its cost. Best of
``--repeat`` runs, as wall time and as this thread's CPU time (steadier on a shared host).

    .venv/bin/python scripts/bench/dex_match.py [--repeat 7] [--out bench-results/dex_match.json]
"""

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
from report import recover_rate  # scripts/bench is on sys.path when run as a script

from okchain.modules.dex import auction as engine
from okchain.modules.dex.auction import BUY, Book, run_block, run_many, settle_many

PRICE_DECIMALS, QUANTITY_DECIMALS = 4, 8


def make_block(mids: np.ndarray, per_pair: int, seed: int) -> list[Book]:
    rng = np.random.default_rng(seed)
    books = []
    for mid in mids.tolist():
        side = rng.integers(1, 3, per_pair).astype(np.int8)
        centre = np.where(side == BUY, mid * 0.9995, mid * 1.0005)
        price = np.clip(np.rint(rng.normal(centre, mid * 0.002)), 1, engine.MAX_PRICE_TICKS).astype(np.int64)
        quantity = np.clip(rng.lognormal(3.0, 1.5, per_pair), 1, 10**6).astype(np.int64)
        seq = np.arange(per_pair, dtype=np.int64)
        priority = ((1 + seq // 5_000) << 24) | (seq % 5_000)
        books.append(Book(side, price, quantity, priority))
    return books


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, float, float]:
    """(best wall s, median wall s, best CPU s) over ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.thread_time() - c0)
    return min(walls), statistics.median(walls), min(cpus)


def check(books: list[Book], auctions: list[engine.Auction]) -> int:
    """Every auction balanced and within the books; returns total lots traded."""
    for book, a in zip(books, auctions, strict=True):
        buys = book.side == BUY
        assert int(a.filled[buys].sum()) == int(a.filled[~buys].sum()) == a.volume
        assert (a.filled >= 0).all() and (a.filled <= book.quantity).all()
        assert (
            a.volume == 0
            or ((a.filled == 0) | np.where(buys, book.price >= a.price, book.price <= a.price)).all()
        )
    return sum(a.volume for a in auctions)


def measure(name: str, books: list[Book], lasts: list[int], repeat: int) -> dict[str, Any]:
    n = sum(len(b.side) for b in books)
    ps, qs = [PRICE_DECIMALS] * len(books), [QUANTITY_DECIMALS] * len(books)
    auctions = run_many(books, lasts)
    volume = check(books, auctions)
    fingerprint = b"".join(a.filled.tobytes() for a in auctions)
    settle_many(books, auctions, ps, qs)

    wall, median, cpu = best_of(repeat, lambda: run_block(books, lasts, ps, qs))
    separate = best_of(repeat, lambda: settle_many(books, run_many(books, lasts), ps, qs))
    assert b"".join(a.filled.tobytes() for a, _ in run_block(books, lasts, ps, qs)) == fingerprint, (
        "not deterministic"
    )

    orders = engine._concat(books)
    last = np.array(lasts, dtype=np.int64)[orders.pairs]
    levels = engine._levels(orders)
    clearing = engine._clear(levels, last, engine.DEFAULT_REFERENCE_STEP_BPS)
    filled = engine._allocate(orders, clearing)
    dense = levels.is_level is not None
    stages = {
        "checks+concat": lambda: engine._concat(books),
        "levels (dense)" if dense else "levels (sort)": lambda: engine._levels(orders),
        "rules 0-3": lambda: engine._clear(levels, last, engine.DEFAULT_REFERENCE_STEP_BPS),
        "fills": lambda: engine._allocate(orders, clearing),
        "per-pair results": lambda: engine._auctions(orders, clearing, len(books)),
        "settlement": lambda: engine._settle(orders, auctions, filled, ps, qs, engine.DEFAULT_FEE_BPS),
    }
    phase = {key: best_of(repeat, fn)[2] for key, fn in stages.items()}
    phase["per-pair results"] -= phase["fills"]  # _auctions allocates the fills too
    if dense:
        with patch.object(engine, "_DENSE_TICKS_PER_ORDER", 0):
            phase["levels by sort (forced)"] = best_of(repeat, lambda: engine._levels(orders))[2]
    return {
        "shape": name,
        "orders": n,
        "pairs": len(books),
        "lots_traded": volume,
        "filled_orders": int(sum(int(np.count_nonzero(a.filled)) for a in auctions)),
        "levels": "dense ticks" if dense else "sorted",
        "engine_wall_s": wall,
        "engine_wall_median_s": median,
        "engine_cpu_s": cpu,
        "orders_per_s_wall": n / wall,
        "orders_per_s_cpu": n / cpu,
        "run_many_then_settle_many_wall_s": separate[0],
        "run_many_then_settle_many_cpu_s": separate[2],
        "phase_cpu_s": phase,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--big", type=int, nargs=2, default=[10, 100_000], metavar=("PAIRS", "ORDERS_PER_PAIR")
    )
    parser.add_argument(
        "--small", type=int, nargs=2, default=[10_000, 100], metavar=("PAIRS", "ORDERS_PER_PAIR")
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/dex_match.json"))
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    shapes = [
        (f"{args.big[0]} x {args.big[1]:,}", args.big, np.full(args.big[0], 100_000)),
        (f"{args.small[0]:,} x {args.small[1]}", args.small, np.rint(10 ** rng.uniform(3, 6, args.small[0]))),
    ]
    results = []
    for seed, (name, (_, per_pair), mids) in enumerate(shapes):
        books = make_block(mids.astype(np.int64), per_pair, seed)
        results.append(measure(name, books, [int(m) for m in mids], args.repeat))

    print(
        "engine = run_block (run_many + settlement in one pass); best of",
        args.repeat,
        "runs; CPU = thread CPU",
    )
    print(
        f"{'block':<16}{'orders':>11}{'filled':>9}{'levels':>13}{'wall ms':>9}{'CPU ms':>8}"
        f"{'orders/s (wall)':>17}{'(CPU)':>13}"
    )
    for r in results:
        print(
            f"{r['shape']:<16}{r['orders']:>11,}{r['filled_orders']:>9,}{r['levels']:>13}"
            f"{r['engine_wall_s'] * 1e3:>9.1f}"
            f"{r['engine_cpu_s'] * 1e3:>8.1f}{r['orders_per_s_wall']:>17,.0f}{r['orders_per_s_cpu']:>13,.0f}"
        )
    for r in results:
        print(
            f"  {r['shape']}: run_many then settle_many as two calls: "
            f"{r['run_many_then_settle_many_wall_s'] * 1e3:.1f} ms wall, "
            f"{r['run_many_then_settle_many_cpu_s'] * 1e3:.1f} ms CPU"
        )
    print("where the time goes (CPU ms, each stage alone):")
    for r in results:
        print(f"  {r['shape']}: " + ", ".join(f"{k} {v * 1e3:.1f}" for k, v in r["phase_cpu_s"].items()))
    host = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine()}
    rate = recover_rate()
    print(f"secp256k1 recoveries per second on one core, this run: {rate:,.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"host": host, "repeat": args.repeat, "secp256k1_recover_per_s": rate, "results": results}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
