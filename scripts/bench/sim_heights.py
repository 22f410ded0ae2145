#!/usr/bin/env python3
"""Simulated heights per wall-clock second: the pure consensus machine in the simulator, fault-free and
with every fault at once, for 4, 7 and 10 validators (real ed25519 signing; verification cached per
message, as every node checks the same gossip).

    .venv/bin/python scripts/bench/sim_heights.py [--seeds 10] [--heights 10]
"""

import argparse
import time
from pathlib import Path

from report import emit  # scripts/bench is on sys.path when run as a script

from okchain.sim.model import FAULTS, SimConfig
from okchain.sim.simulator import run_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--heights", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("bench-results/sim_heights.json"))
    args = parser.parse_args()
    result: dict[str, float | int | str] = {"seeds": args.seeds, "heights_after_gst": args.heights}
    for label, faults in (("clean", frozenset[str]()), ("all_faults", frozenset(FAULTS))):
        for n in (4, 7, 10):
            heights = events = 0
            started = time.perf_counter()
            cpu = time.process_time()
            for seed in range(args.seeds):
                r = run_seed(SimConfig(seed=seed, validators=n, heights=args.heights, faults=faults))
                if not r.ok:
                    raise SystemExit(r.report())
                heights += r.heights
                events += r.stats["delivered"]
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            result[f"{label}_{n}v_heights_per_s"] = heights / wall
            result[f"{label}_{n}v_heights_per_cpu_s"] = heights / cpu
            result[f"{label}_{n}v_deliveries_per_s"] = events / wall
    emit(result, args.out)


if __name__ == "__main__":
    main()
