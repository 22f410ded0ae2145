#!/usr/bin/env python3
"""Benchmark ``okchaind genesis migrate`` and ``verify`` on a synthetic 1,000,000-holder snapshot.

Targets from the migration issue: migrate ≤ 20 s wall and ≤ 1 GiB peak RSS. Each step runs as its own
child process and is reaped with ``os.wait4`` so every step gets its own peak RSS (``RUSAGE_CHILDREN``
would report the maximum over all children so far).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from report import recover_rate  # scripts/bench is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[2]
TARGET_MIGRATE_SECONDS = 20.0
TARGET_MIGRATE_RSS_MIB = 1024.0


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    seconds: float
    peak_rss_mib: float


def run_step(name: str, argv: list[str]) -> Step:
    """Run one child to completion, failing loudly, and return its wall time and own peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{name} failed with exit code {child.returncode}: {' '.join(argv)}")
    return Step(name, seconds, usage.ru_maxrss / 1024)  # Linux reports KiB


def run(holders: int, fmt: str, seed: int, workdir: Path) -> dict[str, object]:
    snapshot, genesis = workdir / "okb-snapshot.csv", workdir / "genesis.json"
    cli = [sys.executable, "-m", "okchain.cli.main", "genesis"]
    generate = [sys.executable, "scripts/make_okb_snapshot.py", "--holders", str(holders), "--format", fmt]
    steps = [
        run_step("generate", [*generate, "--seed", str(seed), "--out", str(snapshot)]),
        run_step(
            "migrate",
            [*cli, "migrate", "--snapshot", str(snapshot), "--chain-id", "okchain-bench-1",
             "--genesis-time", "2026-11-25T00:00:00Z", "--out", str(genesis)],
        ),
        run_step("verify", [*cli, "verify", "--snapshot", str(snapshot), str(genesis)]),
    ]  # fmt: skip
    migrate = steps[1]
    return {
        "benchmark": "genesis_migrate",
        "holders": holders,
        "format": fmt,
        "seed": seed,
        "snapshot_bytes": snapshot.stat().st_size,
        "genesis_bytes": genesis.stat().st_size,
        "steps": [asdict(s) for s in steps],
        "targets": {
            "migrate_seconds": TARGET_MIGRATE_SECONDS,
            "migrate_peak_rss_mib": TARGET_MIGRATE_RSS_MIB,
        },
        "meets_targets": migrate.seconds <= TARGET_MIGRATE_SECONDS
        and migrate.peak_rss_mib <= TARGET_MIGRATE_RSS_MIB,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }


def print_table(result: dict[str, object]) -> None:
    print(f"genesis migrate benchmark: {result['holders']:,} holders, {result['format']} format")
    print(f"{'step':<10} {'seconds':>9} {'peak RSS MiB':>13}")
    steps = result["steps"]
    assert isinstance(steps, list)
    for step in steps:
        print(f"{step['name']:<10} {step['seconds']:>9.2f} {step['peak_rss_mib']:>13.1f}")
    print(
        f"snapshot {result['snapshot_bytes']:,} bytes, genesis {result['genesis_bytes']:,} bytes; "
        f"targets (migrate <= {TARGET_MIGRATE_SECONDS:.0f} s, <= {TARGET_MIGRATE_RSS_MIB:.0f} MiB): "
        f"{'met' if result['meets_targets'] else 'NOT met'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--holders", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("etherscan", "plain"), default="etherscan")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "genesis_migrate.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="okchain-genesis-bench-") as tmp:
        result = run(args.holders, args.format, args.seed, Path(tmp))
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result["secp256k1_recover_per_s"] = rate = recover_rate()
    print(f"secp256k1 recoveries per second on one core, this run: {rate:,.0f}")
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if result["meets_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
