"""``scripts/chaos``: faults against a live localnet under load, bounded by a count of kills and by time,
every choice drawn from one seed, then the checks of ``checks.py``, a table and a JSON report.

The runner re-executes itself in a user and mount namespace (``unshare -rm``, no root needed) so it can
give one node's data folder a small tmpfs to fill; where that is not allowed the disk faults are skipped and
the report says so. Exit status 0 = no failure.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from okchain.crypto.hd import account_from_mnemonic
from tests.helpers.chain import DEV_MNEMONIC
from tests.helpers.chaos import checks
from tests.helpers.chaos.cluster import USERNS_ENV, Cluster
from tests.helpers.chaos.faults import Faults, Tally
from tests.helpers.chaos.load import Load, list_market
from tests.helpers.localnet import LocalnetProcess

# Hardhat accounts 4..9 of the test mnemonic: funded by the bundled snapshot, not staked by the testnet.
SENDERS = 6
WEIGHTS = {"kill": 5, "crash": 2, "pause": 2, "partition": 1, "link": 2}
SHORT_PLAN = ("kill", "crash", "pause", "partition", "link", "disk")
PROGRESS_TIMEOUT_S = 90


@dataclass(frozen=True, slots=True)
class Options:
    seed: int
    kills: int
    max_seconds: float
    disk_every: int  # kills between disk-full events (0: none)
    short: bool
    block_time_ms: int
    directory: Path
    remove: bool  # the folder is the runner's own temporary one
    json_out: Path | None


def plan(opts: Options, rng: random.Random, tally: Tally, disk: bool) -> str | None:
    """The next fault, or None when the run is over; ``disk``: a disk can be filled (the short plan records
    a disk fault that cannot as skipped)."""
    if opts.short:
        done = len(tally.events)
        return SHORT_PLAN[done] if done < len(SHORT_PLAN) else None
    if tally.kills >= opts.kills:
        return None
    if disk and opts.disk_every and tally.kills >= (tally.disk_full + 1) * opts.disk_every:
        return "disk"
    return rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]


def expect_progress(cluster: Cluster, tally: Tally) -> None:
    """After each healed fault the chain must move on by itself."""
    start = cluster.top()
    deadline = time.monotonic() + PROGRESS_TIMEOUT_S
    while cluster.top() <= start:
        if time.monotonic() > deadline:
            tally.failures.append(
                f"no block after height {start} for {PROGRESS_TIMEOUT_S}s after {tally.events[-1:]}"
            )
            return
        time.sleep(0.2)


def settle(cluster: Cluster, tally: Tally) -> int:
    """Every node up and at one height; returns a height all have committed."""
    cluster.proxy.heal()
    for node in cluster.nodes:
        if not node.running:
            tally.failures.append(f"{node.name} was down at the end")
            cluster.restart(node)
    top = cluster.top()
    deadline = time.monotonic() + 180
    while lagging := [n for n in cluster.nodes if not _reached(n, top + 2)]:
        if time.monotonic() > deadline:
            tally.failures += [
                f"{n.name} did not reach height {top + 2}\n{cluster.net.log_tail(n)}" for n in lagging
            ]
            break
        time.sleep(0.5)
    return top


def _reached(node: LocalnetProcess, height: int) -> bool:
    try:
        return node.height() >= height
    except grpc.RpcError:
        return False


def run(opts: Options) -> dict[str, Any]:
    rng = random.Random(opts.seed)
    tally = Tally()
    senders = [account_from_mnemonic(DEV_MNEMONIC, path=f"m/44'/60'/0'/0/{4 + i}") for i in range(SENDERS)]
    started = time.monotonic()
    cluster = Cluster(opts.directory / "net", opts.block_time_ms)
    load: Load | None = None
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        phases[name] = round(time.monotonic() - started - sum(phases.values()), 1)

    try:
        cluster.start()
        pair = list_market(cluster.nodes[0], senders[0], senders)
        load = Load(senders, pair, cluster.responsive, opts.seed)
        load.start()
        phase("setup")
        faults = Faults(cluster, rng, tally, hold_scale=0.5 if opts.short else 1.0)
        while time.monotonic() - started < opts.max_seconds and (
            fault := plan(opts, rng, tally, cluster.disk is not None)
        ):
            faults.by_name[fault]()
            expect_progress(cluster, tally)
        load.stop()
        phase("faults")
        top = settle(cluster, tally)
        tally.failures += checks.same_chain(cluster.net, cluster.nodes, top)
        tally.failures += checks.committed_on_chain(cluster.nodes, load.committed)
        for name, code in cluster.stop().items():
            if code != 0:
                tally.failures.append(f"{name} exited {code} on SIGTERM")
        tally.failures += checks.books(cluster.net.directory, cluster.nodes)
    finally:
        if load is not None:
            load.stop()
        cluster.close()
    tally.failures += checks.no_orphans(opts.directory, cluster.seen)
    phase("checks")
    return {
        "seed": opts.seed,
        "directory": str(opts.directory),
        "seconds": round(time.monotonic() - started, 1),
        "phases_s": phases,
        "disk_faults": "tmpfs in a user namespace" if cluster.disk else "unavailable (no user namespaces)",
        "height": top,
        **tally.counts(),
        "txs": load.counts,
        "failures": tally.failures,
        "events": tally.events,
    }


def table(report: dict[str, Any]) -> str:
    rows = [
        ("seed", report["seed"]),
        (
            "duration",
            f"{report['seconds']} s ({', '.join(f'{k} {v}' for k, v in report['phases_s'].items())})",
        ),
        ("SIGKILLs (runner)", report["kills"]),
        ("crash-point deaths (mid-commit)", report["crash_points"]),
        ("restarts (no manual step)", report["restarts"]),
        ("SIGSTOP/SIGCONT pauses", report["pauses"]),
        ("partitions", report["partitions"]),
        ("link cuts / slow links", report["link_faults"]),
        ("disk-full events", f"{report['disk_full']} ({report['disk_faults']})"),
        ("blocks", report["height"]),
        (
            "txs sent / committed / failed in block",
            "{sent} / {committed} / {failed_in_block}".format(**report["txs"]),
        ),
        ("txs rejected / unanswered", "{rejected} / {unanswered}".format(**report["txs"])),
        ("failures", len(report["failures"])),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"| {'what':<{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {name:<{width}} | {value} |" for name, value in rows]
    return "\n".join([*lines, *(f"FAILURE: {f}" for f in report["failures"])])


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(prog="scripts/chaos", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--seed", type=int, default=None, help="reproduce a run's choice of faults (default: random)"
    )
    p.add_argument("--kills", type=int, default=100, help="stop after this many SIGKILLs (default 100)")
    p.add_argument("--max-seconds", type=float, default=1800, help="stop injecting faults after this long")
    p.add_argument("--disk-every", type=int, default=25, help="a disk-full event every N kills (0: none)")
    p.add_argument(
        "--short", action="store_true", help="one fault of each kind, ≲60 s (the test suite's run)"
    )
    p.add_argument("--block-time-ms", type=int, default=300)
    p.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one, removed)")
    p.add_argument("--json", type=Path, default=None, help="write the report here")
    p.add_argument("--remove", action="store_true", help=argparse.SUPPRESS)  # --dir is a temporary folder
    a = p.parse_args(argv)
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(2**32)
    directory = a.dir or Path(tempfile.mkdtemp(prefix="okchain-chaos-"))
    remove = a.remove or a.dir is None
    return Options(
        seed, a.kills, a.max_seconds, a.disk_every, a.short, a.block_time_ms, directory, remove, a.json
    )


def reexec_in_namespace(argv: list[str]) -> None:
    """Run again as root of a fresh user + mount namespace, where mounting a tmpfs needs no privilege."""
    if os.environ.get(USERNS_ENV) or shutil.which("unshare") is None:
        return
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        return
    os.environ[USERNS_ENV] = "1"
    os.execvp("unshare", ["unshare", "-rm", sys.executable, "-m", "tests.helpers.chaos", *argv])


def main(argv: list[str]) -> int:
    opts = parse(argv)
    if opts.disk_every or opts.short:
        again = [
            "--seed",
            str(opts.seed),
            "--dir",
            str(opts.directory),
            *(["--remove"] if opts.remove else []),
        ]
        reexec_in_namespace([*argv, *again])
    print(f"chaos seed {opts.seed} in {opts.directory} (reproduce with --seed {opts.seed})", flush=True)
    report = run(opts)  # an exception leaves the folder and its logs for a look
    if opts.remove and not report["failures"]:
        shutil.rmtree(opts.directory, ignore_errors=True)
    elif report["failures"]:
        print(f"node logs kept in {opts.directory}")
    print(table(report))
    if opts.json_out is not None:
        opts.json_out.write_text(json.dumps(report, indent=1) + "\n")
    return 1 if report["failures"] else 0
