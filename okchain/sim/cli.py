"""``scripts/sim``: run the consensus simulator over many seeds, print a summary, write JSON.

    scripts/sim --seeds 200                      # seeds 0..199, each with its own mix of faults
    scripts/sim --seed 1234 --faults crash,byzantine --validators 7    # rerun one seed, trace on failure
    scripts/sim --attacks                        # the >= 1/3 byzantine scenarios (expected loss)

Per seed, the fault mix (unless ``--faults`` fixes it) and the validator count (unless ``--validators``
fixes it) are drawn from the seed, so any seed reruns exactly with the same arguments. The exit status is
1 if any invariant was violated (or an attack was not observed).
"""

import argparse
import json
import multiprocessing
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from okchain.sim.attacks import run_attack
from okchain.sim.model import FAULTS, SimConfig, SimResult
from okchain.sim.simulator import run_seed


def config_for(seed: int, faults: str, validators: int, heights: int) -> SimConfig:
    """The run a seed stands for: ``faults='mix'`` draws a fault subset from the seed."""
    rng = random.Random(f"mix/{seed}")
    if faults == "mix":
        chosen = frozenset(f for f in FAULTS if rng.random() < 0.4)
    elif faults in ("", "none"):
        chosen = frozenset()
    else:
        chosen = frozenset(f.strip() for f in faults.split(",") if f.strip())
    n = validators or rng.randint(4, 10)
    return SimConfig(seed=seed, validators=n, heights=heights, faults=chosen)


def _run(config: SimConfig) -> SimResult:
    return run_seed(config)


class _Serial:
    """The in-process stand-in for a worker pool (``--jobs 1``)."""

    def __enter__(self) -> "_Serial":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def imap(
        self, fn: Callable[[SimConfig], SimResult], items: list[SimConfig], chunksize: int
    ) -> Iterator[SimResult]:
        return map(fn, items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/sim", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=100, help="run seeds start..start+N-1")
    parser.add_argument("--start", type=int, default=0, help="first seed of --seeds")
    parser.add_argument("--seed", type=int, help="run this one seed (prints the trace on failure)")
    parser.add_argument("--validators", type=int, default=0, help="validator count (default: 4-10 per seed)")
    parser.add_argument("--faults", default="mix", help=f"comma list of {','.join(FAULTS)}, 'none' or 'mix'")
    parser.add_argument("--heights", type=int, default=3, help="blocks every honest node commits after GST")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--attacks", action="store_true", help="run the >= 1/3 byzantine scenarios instead")
    parser.add_argument("--out", type=Path, default=Path("bench-results/sim.json"))
    args = parser.parse_args(argv)
    if args.attacks:
        return _attacks(args)
    seeds = [args.seed] if args.seed is not None else list(range(args.start, args.start + args.seeds))
    configs = [config_for(s, args.faults, args.validators, args.heights) for s in seeds]
    started = time.perf_counter()
    results: list[SimResult] = []
    with multiprocessing.get_context("spawn").Pool(args.jobs) if args.jobs > 1 else _Serial() as pool:
        for result in pool.imap(_run, configs, chunksize=8):
            results.append(result)
            if len(results) % 1000 == 0:
                bad = sum(not r.ok for r in results)
                print(
                    f"{len(results)} seeds, {bad} failed, {time.perf_counter() - started:.0f}s",
                    file=sys.stderr,
                )
    wall = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(
            r.report() if args.seed is not None or len(failed) <= 5 else r.report().split("\nlast events")[0]
        )
    summary = _summary(results, wall, args)
    width = max(map(len, summary))
    for key, value in summary.items():
        print(f"{key:<{width}}  {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 1 if failed else 0


def _summary(results: list[SimResult], wall: float, args: argparse.Namespace) -> dict[str, object]:
    faults: Counter[str] = Counter()
    injected: Counter[str] = Counter()
    for r in results:
        faults.update(r.faults or ("none",))
        injected.update({k: v for k, v in r.stats.items() if v})
    heights = sum(r.heights for r in results)
    return {
        "seeds_run": len(results),
        "seed_range": f"{results[0].seed}..{results[-1].seed}" if results else "",
        "fault_mix": args.faults,
        "runs_per_fault": dict(sorted(faults.items())),
        "faults_injected": {
            k: injected[k]
            for k in (
                "dropped",
                "duplicated",
                "partitions",
                "crashes",
                "commit_crashes",
                "stalls",
                "equivocations",
                "equivocations_seen",
            )
            if k in injected
        },
        "evidence_caught": injected["evidence"],
        "signer_refusals": injected["signer_refusals"],
        "wal_records_replayed": injected["replayed_records"],
        "violations": sum(len(r.violations) for r in results),
        "failed_seeds": [r.seed for r in results if not r.ok],
        "simulated_heights": heights,
        "simulated_seconds": round(sum(r.sim_time_ns for r in results) / 1e9, 1),
        "max_seconds_after_gst": round(max((r.sim_time_ns - r.gst_ns for r in results), default=0) / 1e9, 2),
        "wall_seconds": round(wall, 2),
        "heights_per_wall_second": round(heights / wall, 1) if wall else 0,
        "jobs": args.jobs,
    }


def _attacks(args: argparse.Namespace) -> int:
    """Each attack must show its loss on every seed: a fork for 'fork', no block at all for 'halt'."""
    n = args.seeds if args.seed is None else 1
    seeds = [args.seed] if args.seed is not None else list(range(args.start, args.start + n))
    missing = []
    for name, expected in (("fork", "agreement"), ("halt", "liveness")):
        observed = 0
        for seed in seeds:
            r = run_attack(name, seed)
            if any(expected in v for v in r.violations) and (name == "fork" or r.heights == 0):
                observed += 1
            else:
                missing.append(
                    f"{name} seed {seed}: expected an {expected} loss, got {r.violations or 'none'}"
                )
        print(f"{name:<6} {observed}/{len(seeds)} seeds show the expected {expected} loss")
    for line in missing:
        print(line)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
