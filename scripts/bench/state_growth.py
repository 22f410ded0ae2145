#!/usr/bin/env python3
"""Disk use and memory of a node's state over many blocks, with pruning at a retention window.

In-process on real LevelDB, the node's own path per block: signed transfers → solo block → finalize_block →
commit (state, tree nodes, version history, block, results, index in one batch), with the pruner running on
a worker thread as in ``Node._prune_forever``. Transfers go between existing accounts, so the live state
keeps its size and anything that grows is history the retention window should bound. Every ``--every``
blocks it samples the database size on disk and the process RSS; the table shows both stay flat once the
window is full (bounded caches: ``tree_cache_nodes``, ``state_cache_entries``).

    .venv/bin/python scripts/bench/state_growth.py [--blocks 10000] [--txs 50] [--retention 100]
"""

import argparse
import json
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from okchain.app import Application
from okchain.consensus import solo
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.state import blockstore, versions
from okchain.state.leveldb import LevelDB
from okchain.state.pruning import Pruner
from okchain.tx.envelope import build_tx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from report import recover_rate  # scripts/bench is on sys.path when run as a script

from tests.helpers.chain import CHAIN_ID, make_genesis

GAS = 50_000


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def prune_worker(pruner: Pruner, stop: threading.Event) -> None:
    while not stop.is_set():
        if pruner.run(16) >= pruner.target():
            stop.wait(0.05)


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    rng = random.Random(11)
    keys = [AccountKey((i + 1).to_bytes(32, "big")) for i in range(args.accounts)]
    validator = ValidatorKey(bytes(32))
    db = LevelDB(tmp / "db")
    app = Application(
        db,
        make_genesis(keys, validator),
        tree_cache_size=args.tree_cache,
        state_cache_size=args.state_cache,
    )
    pruner = Pruner(db, args.retention)
    stop = threading.Event()
    worker = threading.Thread(target=prune_worker, args=(pruner, stop), daemon=True)
    worker.start()
    nonces = [0] * args.accounts
    last_commit = blockstore.commit_at(db, app.last.height)
    samples = []
    t0 = time.perf_counter()
    for height in range(1, args.blocks + 1):
        txs = []
        for sender in rng.sample(range(args.accounts), args.txs):
            to = keys[rng.randrange(args.accounts)].address
            txs.append(
                build_tx(
                    keys[sender],
                    chain_id=CHAIN_ID,
                    nonce=nonces[sender],
                    msgs=[Transfer(to, "okt", 1)],
                    gas_limit=GAS,
                    fee=GAS,
                )
            )
            nonces[sender] += 1
        tip = solo.ChainTip(
            app.chain_id, app.last, app.validators_hash, app.next_validators_hash, last_commit
        )
        block, last_commit = solo.decide(tip, txs, app.last.time_ns + 1_000_000_000, validator)
        finalized = app.finalize_block(block, last_commit)
        assert all(r.ok for r in finalized.results), [r.log for r in finalized.results if not r.ok]
        app.commit()
        if height % args.every == 0:
            sample = {
                "height": height,
                "earliest": versions.earliest_height(db),
                "disk_mib": disk_bytes(tmp / "db") / 2**20,
                "rss_mib": rss_bytes() / 2**20,
                "elapsed_s": time.perf_counter() - t0,
            }
            samples.append(sample)
            print(
                f"{height:>8} {sample['earliest']:>9} {sample['disk_mib']:>10.1f} {sample['rss_mib']:>9.1f} "
                f"{sample['elapsed_s']:>9.1f}",
                flush=True,
            )
    stop.set()
    worker.join()
    db.close()
    half = samples[len(samples) // 2 :]
    span = half[-1]["height"] - half[0]["height"] or 1
    return {
        "config": vars(args) | {"out": str(args.out)},
        "samples": samples,
        "summary": {
            "blocks": args.blocks,
            "txs_per_block": args.txs,
            "retention": args.retention,
            "disk_mib_final": samples[-1]["disk_mib"],
            "disk_kib_per_block_second_half": (half[-1]["disk_mib"] - half[0]["disk_mib"]) * 1024 / span,
            "disk_mib_max": max(s["disk_mib"] for s in samples),
            "rss_mib_second_half_min": min(s["rss_mib"] for s in half),
            "rss_mib_second_half_max": max(s["rss_mib"] for s in half),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "blocks_per_s": args.blocks / samples[-1]["elapsed_s"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--txs", type=int, default=50, help="transfers per block")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--retention", type=int, default=100, help="heights kept; 0 = archive (no pruning)")
    parser.add_argument("--every", type=int, default=500, help="sample every N blocks")
    parser.add_argument("--tree-cache", type=int, default=1_000_000)
    parser.add_argument("--state-cache", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench-results/state_growth.json"))
    args = parser.parse_args()
    print(f"{'height':>8} {'earliest':>9} {'disk MiB':>10} {'RSS MiB':>9} {'elapsed s':>9}")
    with tempfile.TemporaryDirectory(prefix="state-growth-") as tmp:
        result = run(args, Path(tmp))
    s = result["summary"]
    print(
        f"disk: final {s['disk_mib_final']:.1f} MiB, max {s['disk_mib_max']:.1f} MiB, second half "
        f"{s['disk_kib_per_block_second_half']:+.2f} KiB/block; RSS second half "
        f"{s['rss_mib_second_half_min']:.0f}-{s['rss_mib_second_half_max']:.0f} MiB, "
        f"peak {s['peak_rss_mib']:.0f} MiB; "
        f"{s['blocks_per_s']:.0f} blocks/s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result["secp256k1_recover_per_s"] = rate = recover_rate()
    print(f"secp256k1 recoveries per second on one core, this run: {rate:,.0f}")
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
