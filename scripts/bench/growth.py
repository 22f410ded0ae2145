#!/usr/bin/env python3
"""Bounded growth of a long-running chain with DEX traffic: disk, memory and DEX history rows per block.

In-process on real LevelDB through the application door, the node's own path per block: signed txs → solo
block → ``finalize_block`` → ``commit``, with the pruner on a worker thread at the block retention window
(as ``Node._prune_forever`` runs it). Every block carries transfers and DEX traffic on one pair: orders
placed around a fixed mid price (about a third cross, so most blocks trade), cancels of the bench's own
orders from earlier blocks, and expiries of what rests ``dex_order_expiry_blocks``. The DEX block end
deletes the history of the height ``dex_history_blocks`` back (orders, address index, journal, deals,
fills); the pruner drops blocks, results, indexes and version history older than the retention window.

Every ``--every`` blocks it samples the database size on disk, the process RSS and the number of DEX state
keys; the summary compares the second half of the run with its first sample after both windows filled.
``--dex-history 0`` keeps all DEX history (the growth this bounds).

    .venv/bin/python scripts/bench/growth.py [--blocks 4000] [--orders 20] [--dex-history 200]
"""

import argparse
import dataclasses
import json
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from okchain.app import Application, FinalizedBlock
from okchain.consensus import solo
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc
from okchain.modules.bank.messages import MultiSend, Output, Transfer
from okchain.modules.dex.messages import CancelOrders, ListPair, OrderSpec, PlaceOrders, Side, parse_order_id
from okchain.modules.token.messages import IssueToken
from okchain.state import blockstore, schema, versions
from okchain.state.leveldb import LevelDB
from okchain.state.pruning import Pruner
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.params import OKT_DENOM

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from report import recover_rate  # scripts/bench is on sys.path when run as a script
from state_growth import disk_bytes, rss_bytes

from tests.helpers.chain import CHAIN_ID, make_genesis

GAS = 400_000
ONE = 10**18
MID_TICKS = 10_000  # 100.00 quote per base at 2 price decimals


def dex_keys(db: LevelDB) -> int:
    return sum(1 for _ in db.iterate(schema.DEX))


def prune_worker(pruner: Pruner, stop: threading.Event) -> None:
    while not stop.is_set():
        if pruner.run(16) >= pruner.target():
            stop.wait(0.05)


class Bench:
    """The application, its block production, and the bench's own view of the orders it may cancel."""

    def __init__(self, args: argparse.Namespace, path: Path) -> None:
        self.args = args
        self.rng = random.Random(7)
        self.keys = [AccountKey((i + 1).to_bytes(32, "big")) for i in range(args.accounts)]
        self.validator = ValidatorKey(bytes(32))
        doc = make_genesis(self.keys, self.validator, 10**9 * ONE)
        params = dataclasses.replace(
            doc.header.params,
            dex_order_expiry_blocks=args.expiry,
            dex_history_blocks=args.dex_history,
            dex_fee_per_block=10**9,
            dex_list_fee=ONE,
            token_issue_fee=ONE,
        )
        self.params = params
        self.db = LevelDB(path)
        self.app = Application(
            self.db,
            GenesisDoc(dataclasses.replace(doc.header, params=params), doc.accounts),
            tree_cache_size=args.tree_cache,
            state_cache_size=args.state_cache,
        )
        self.last_commit = blockstore.commit_at(self.db, self.app.last.height)
        self.nonces = [0] * args.accounts
        self.placed: list[tuple[int, int, int]] = []  # (height, trader, first order id) the bench placed
        self.by_address = {bytes(k.address): i for i, k in enumerate(self.keys)}
        self.pair = ""
        self.failed = 0

    def tx(self, sender: int, msgs: list[Msg], gas: int = GAS) -> bytes:
        raw = build_tx(
            self.keys[sender], chain_id=CHAIN_ID, nonce=self.nonces[sender], msgs=msgs, gas_limit=gas, fee=gas
        )
        self.nonces[sender] += 1
        return raw

    def block(self, txs: list[bytes]) -> FinalizedBlock:
        app = self.app
        tip = solo.ChainTip(
            app.chain_id, app.last, app.validators_hash, app.next_validators_hash, self.last_commit
        )
        block, self.last_commit = solo.decide(tip, txs, app.last.time_ns + 1_000_000_000, self.validator)
        finalized = app.finalize_block(block, self.last_commit)
        app.commit()
        return finalized

    def setup(self) -> None:
        """One token, one pair against OKT, and every trader holding the token."""
        issued = self.block([self.tx(0, [IssueToken("base", "BASE", 10**10 * ONE, False)])]).results[0]
        assert issued.ok, issued.log
        denom = dict(issued.events[0].attributes)["denom"]
        listed = self.block([self.tx(0, [ListPair(denom, OKT_DENOM, 2, 2, 10**16)])]).results[0]
        assert listed.ok, listed.log
        self.pair = f"{denom}_{OKT_DENOM}"
        for start in range(1, len(self.keys), 1_000):
            outputs = tuple(Output(k.address, denom, 10**6 * ONE) for k in self.keys[start : start + 1_000])
            sent = self.block([self.tx(0, [MultiSend(outputs)], gas=8_000_000)]).results[0]
            assert sent.ok, sent.log

    def _orders(self) -> PlaceOrders:
        specs = []
        for _ in range(self.args.per_tx):
            side = self.rng.choice((Side.BUY, Side.SELL))
            offset = int(self.rng.gauss(-30 if side == Side.BUY else 30, 40))
            ticks = max(1, MID_TICKS + offset)
            lots = self.rng.randint(1, 100)
            specs.append(OrderSpec(self.pair, side, ticks * 10**16, lots * 10**16))
        return PlaceOrders(tuple(specs))

    def traffic(self, height: int) -> list[bytes]:
        """This block's txs: orders and transfers from distinct traders, and cancels of orders placed in
        recent blocks (some already filled: those txs fail, paying their fee, as real ones do)."""
        args, rng = self.args, self.rng
        senders = rng.sample(range(1, len(self.keys)), args.orders + args.txs)
        txs = [self.tx(s, [self._orders()]) for s in senders[: args.orders]]
        recent = [p for p in self.placed if height - p[0] < self.params.dex_order_expiry_blocks]
        self.placed = recent
        for _ in range(min(args.cancels, len(recent))):  # a cancel is signed by the orders' owner
            _, owner, first = recent.pop(rng.randrange(len(recent)))
            ids = tuple(first + i for i in range(rng.randint(1, args.per_tx)))
            txs.append(self.tx(owner, [CancelOrders(ids)]))
        for sender in senders[args.orders :]:
            to = self.keys[rng.randrange(len(self.keys))].address
            txs.append(self.tx(sender, [Transfer(to, OKT_DENOM, 1)]))
        return txs

    def record(self, height: int, finalized: FinalizedBlock, order_txs: int) -> None:
        for i, result in enumerate(finalized.results):
            if not result.ok:
                self.failed += 1
            elif i < order_txs:
                first = parse_order_id(dict(result.events[0].attributes)["first_id"])
                assert first is not None
                self.placed.append((height, self._sender_of(finalized, i), first))

    def _sender_of(self, finalized: FinalizedBlock, index: int) -> int:
        return self.by_address[bytes(finalized.results[index].signer)]


def sample(bench: Bench, path: Path, height: int, t0: float) -> dict[str, Any]:
    s = {
        "height": height,
        "earliest_block": versions.earliest_height(bench.db),
        "dex_keys": dex_keys(bench.db),
        "disk_mib": disk_bytes(path) / 2**20,
        "rss_mib": rss_bytes() / 2**20,
        "elapsed_s": time.perf_counter() - t0,
    }
    print(
        f"{height:>8} {s['earliest_block']:>9} {s['dex_keys']:>9} {s['disk_mib']:>9.1f} {s['rss_mib']:>8.1f} "
        f"{s['elapsed_s']:>9.1f}",
        flush=True,
    )
    return s


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    bench = Bench(args, tmp / "db")
    bench.setup()
    pruner = Pruner(bench.db, args.retention)
    stop = threading.Event()
    worker = threading.Thread(target=prune_worker, args=(pruner, stop), daemon=True)
    worker.start()
    samples = []
    t0 = time.perf_counter()
    for _ in range(args.blocks):
        height = bench.app.last.height + 1
        txs = bench.traffic(height)
        finalized = bench.block(txs)
        bench.record(height, finalized, args.orders)
        if height % args.every == 0:
            samples.append(sample(bench, tmp / "db", height, t0))
    stop.set()
    worker.join()
    bench.db.close()
    return {
        "config": vars(args) | {"out": str(args.out)},
        "samples": samples,
        "summary": summary(args, bench, samples),
    }


def summary(args: argparse.Namespace, bench: Bench, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Growth over the run's second half, or from the first sample after both windows filled if that is
    later (the caches warm up over the first half: ``tree_cache_size``, ``state_cache_size`` entries)."""
    filled = max(args.retention, args.dex_history, args.expiry) + samples[0]["height"] - args.every
    start = max(filled, samples[len(samples) // 2]["height"] - 1)
    late = [s for s in samples if s["height"] > start]
    late = late if len(late) >= 2 else samples[-2:]
    span = late[-1]["height"] - late[0]["height"] or 1
    return {
        "blocks": args.blocks,
        "order_txs_per_block": args.orders,
        "orders_per_tx": args.per_tx,
        "cancel_txs_per_block": args.cancels,
        "transfers_per_block": args.txs,
        "dex_history_blocks": args.dex_history,
        "dex_order_expiry_blocks": args.expiry,
        "block_retention": args.retention,
        "failed_txs": bench.failed,
        "measured_from_height": late[0]["height"],
        "dex_keys_first": late[0]["dex_keys"],
        "dex_keys_final": samples[-1]["dex_keys"],
        "dex_keys_per_block_after_fill": (late[-1]["dex_keys"] - late[0]["dex_keys"]) / span,
        "disk_mib_final": samples[-1]["disk_mib"],
        "disk_mib_max": max(s["disk_mib"] for s in samples),
        "disk_kib_per_block_after_fill": (late[-1]["disk_mib"] - late[0]["disk_mib"]) * 1024 / span,
        "rss_mib_after_fill_min": min(s["rss_mib"] for s in late),
        "rss_mib_after_fill_max": max(s["rss_mib"] for s in late),
        "rss_kib_per_block_after_fill": (late[-1]["rss_mib"] - late[0]["rss_mib"]) * 1024 / span,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "blocks_per_s": args.blocks / samples[-1]["elapsed_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--blocks", type=int, default=4_000)
    parser.add_argument("--orders", type=int, default=20, help="order txs per block")
    parser.add_argument("--per-tx", type=int, default=5, help="orders per order tx")
    parser.add_argument("--cancels", type=int, default=5, help="cancel txs per block")
    parser.add_argument("--txs", type=int, default=20, help="transfers per block")
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--expiry", type=int, default=100, help="dex_order_expiry_blocks")
    parser.add_argument("--dex-history", type=int, default=200, help="dex_history_blocks; 0 keeps all")
    parser.add_argument("--retention", type=int, default=100, help="block heights kept; 0 = archive")
    parser.add_argument("--every", type=int, default=250, help="sample every N blocks")
    parser.add_argument("--tree-cache", type=int, default=200_000)
    parser.add_argument("--state-cache", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "growth.json")
    args = parser.parse_args()
    print(f"{'height':>8} {'earliest':>9} {'dex keys':>9} {'disk MiB':>9} {'RSS MiB':>8} {'elapsed s':>9}")
    with tempfile.TemporaryDirectory(prefix="growth-") as tmp:
        result = run(args, Path(tmp))
    s = result["summary"]
    print(
        f"second half, both windows filled (from height {s['measured_from_height']}): DEX keys "
        f"{s['dex_keys_first']} -> {s['dex_keys_final']} ({s['dex_keys_per_block_after_fill']:+.2f}/block)"
    )
    print(
        f"disk {s['disk_kib_per_block_after_fill']:+.2f} KiB/block (final {s['disk_mib_final']:.1f} MiB, "
        f"max {s['disk_mib_max']:.1f}); RSS {s['rss_mib_after_fill_min']:.0f}-"
        f"{s['rss_mib_after_fill_max']:.0f} MiB ({s['rss_kib_per_block_after_fill']:+.1f} KiB/block), "
        f"peak {s['peak_rss_mib']:.0f} MiB"
    )
    print(f"{s['failed_txs']} txs failed (cancels of filled orders); {s['blocks_per_s']:.1f} blocks/s")
    result["secp256k1_recover_per_s"] = rate = recover_rate()
    print(f"secp256k1 recoveries per second on one core, this run: {rate:,.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
