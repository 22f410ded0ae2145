"""Benchmark the state tree on a real LevelDB: bulk build of a large genesis, then blocks of updates.

Each block touches ``--block-keys`` keys (of every 50: 45 balance updates, 4 new accounts, 1 deletion) the
way ``App.finalize_block``/``commit`` do: one ``update``, one synced write batch, then ``commit``. LevelDB
is opened with the node's options (okchain/state/leveldb.py). After the bulk load the database is compacted
(timed separately) unless ``--no-compact``, so blocks do not race the load's background compaction.
``update`` is reported as wall time and as the calling thread's CPU time, which is steadier on a busy host.
Each block also writes its version history (``okchain.state.versions.history_writes``: the replaced values
and nodes, so the last N heights stay queryable) into the same batch; its cost is reported separately.
The final root is checked against a fresh in-memory build of the final state.

    .venv/bin/python scripts/bench/merkle_update.py [--keys 1000000] [--block-keys 10000] [--blocks 20]
"""

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import plyvel
from report import recover_rate  # scripts/bench is on sys.path when run as a script

from okchain.state import versions
from okchain.state.merkle import SparseMerkleTree

PREFIX = b"M"


def account_key(i: int) -> bytes:
    return b"S/acct/" + i.to_bytes(20, "big")


def account_value(rng: random.Random) -> bytes:
    return rng.randbytes(40)


def write(db: Any, node_writes: dict[bytes, bytes | None]) -> None:
    with db.write_batch(transaction=True, sync=True) as batch:
        for key, node in node_writes.items():
            if node is None:
                batch.delete(key)
            else:
                batch.put(key, node)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(args: argparse.Namespace, db_path: Path) -> dict[str, Any]:
    rng = random.Random(7)
    db = plyvel.DB(
        str(db_path),
        create_if_missing=True,
        lru_cache_size=64 * 1024 * 1024,
        write_buffer_size=32 * 1024 * 1024,
    )
    tree = SparseMerkleTree(db, PREFIX, cache_size=args.cache_size)
    state = {account_key(i): account_value(rng) for i in range(args.keys)}

    t0 = time.perf_counter()
    root, node_writes = tree.build(state.items())
    t1 = time.perf_counter()
    write(db, node_writes)
    t2 = time.perf_counter()
    tree.commit(node_writes)
    t3 = time.perf_counter()
    if args.compact:
        db.compact_range()
    t4 = time.perf_counter()
    build = {
        "keys": args.keys,
        "nodes": len(node_writes),
        "build_s": t1 - t0,
        "write_s": t2 - t1,
        "commit_s": t3 - t2,
        "compact_s": t4 - t3,
    }
    del node_writes

    next_id = args.keys
    rows = []
    for height in range(1, args.blocks + 1):
        changes: dict[bytes, bytes | None] = {}
        for n, i in enumerate(rng.sample(range(next_id), args.block_keys)):
            if n % 50 == 0:
                changes[account_key(i)] = None
            elif n % 50 < 5:
                changes[account_key(next_id)] = account_value(rng)
                next_id += 1
            else:
                changes[account_key(i)] = account_value(rng)
        u0 = time.perf_counter()
        c0 = time.thread_time()
        root, node_writes = tree.update(changes)
        c1 = time.thread_time()
        u1 = time.perf_counter()
        batch: dict[bytes, bytes | None] = dict(changes)
        batch.update(node_writes)
        batch.update(versions.history_writes(height, changes, state.get, tree.replaced(node_writes)))
        h1 = time.perf_counter()
        c2 = time.thread_time()
        write(db, batch)
        u2 = time.perf_counter()
        tree.commit(node_writes)
        u3 = time.perf_counter()
        for key, value in changes.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        rows.append(
            {
                "height": height,
                "changes": len(changes),
                "node_writes": len(node_writes),
                "update_s": u1 - u0,
                "update_cpu_s": c1 - c0,
                "history_s": h1 - u1,
                "history_cpu_s": c2 - c1,
                "write_s": u2 - h1,
                "commit_s": u3 - u2,
            }
        )
    db.close()
    check_root, _ = SparseMerkleTree({}, PREFIX).build(state.items())
    if check_root != root:
        raise SystemExit(f"final root {root.hex()} differs from a fresh build {check_root.hex()}")
    updates = [r["update_s"] for r in rows]
    cpu = [r["update_cpu_s"] for r in rows]
    totals = [r["update_s"] + r["history_s"] + r["write_s"] + r["commit_s"] for r in rows]
    history = [r["history_s"] for r in rows]
    history_cpu = [r["history_cpu_s"] for r in rows]
    return {
        "host": {"python": platform.python_version(), "machine": platform.machine()},
        "config": {"cache_size": args.cache_size, "compact_after_build": args.compact},
        "build": build,
        "blocks": rows,
        "summary": {
            "block_keys": args.block_keys,
            "update_median_s": statistics.median(updates),
            "update_p90_s": percentile(updates, 0.9),
            "update_max_s": max(updates),
            "update_cpu_median_s": statistics.median(cpu),
            "history_median_s": statistics.median(history),
            "history_cpu_median_s": statistics.median(history_cpu),
            "block_total_median_s": statistics.median(totals),
            "block_total_max_s": max(totals),
            "final_root": root.hex(),
            "final_root_matches_fresh_build": True,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--block-keys", type=int, default=10_000)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--cache-size", type=int, default=1_000_000, help="tree node cache bound, in nodes")
    parser.add_argument(
        "--no-compact", dest="compact", action="store_false", help="skip compaction after load"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/merkle_update.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="merkle-bench-") as tmp:
        result = run(args, Path(tmp) / "db")

    b = result["build"]
    print(f"build: {b['keys']:,} keys -> {b['nodes']:,} nodes")
    print(f"{'tree.build s':>13} {'batch s':>8} {'commit s':>9} {'compact s':>10}")
    print(f"{b['build_s']:>13.2f} {b['write_s']:>8.2f} {b['commit_s']:>9.2f} {b['compact_s']:>10.2f}")
    columns = ["height", "changes", "writes", "update s", "cpu s", "history s", "batch s", "commit s"]
    print(" ".join(f"{name:>9}" for name in columns))
    for r in result["blocks"]:
        print(
            f"{r['height']:>9} {r['changes']:>9} {r['node_writes']:>9} {r['update_s']:>9.3f} "
            f"{r['update_cpu_s']:>9.3f} {r['history_s']:>9.3f} {r['write_s']:>9.3f} {r['commit_s']:>9.3f}"
        )
    s = result["summary"]
    print(
        f"update: median {s['update_median_s']:.3f} s (cpu {s['update_cpu_median_s']:.3f} s), "
        f"p90 {s['update_p90_s']:.3f} s, max {s['update_max_s']:.3f} s; "
        f"history median {s['history_median_s']:.3f} s (cpu {s['history_cpu_median_s']:.3f} s); "
        f"update+history+batch+commit median {s['block_total_median_s']:.3f} s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result["secp256k1_recover_per_s"] = rate = recover_rate()
    print(f"secp256k1 recoveries per second on one core, this run: {rate:,.0f}")
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
