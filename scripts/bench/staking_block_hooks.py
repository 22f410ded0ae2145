#!/usr/bin/env python3
"""Per-block cost of the proof-of-stake block hooks with many voters: the application's block begin
(``okchain.app.hooks.begin_block``: mint → distribution → slashing) and block end (``end_block``: DEX →
staking: matured unbondings, epoch re-ranking), over ``--blocks`` blocks, once per voter count given.

State is built through the modules' own handlers, on real LevelDB behind the application's read cache, each
block in a ``CacheKV`` over committed state as the application runs it: ``--validators`` validators, then
every voter deposits and votes for 1–3 of them (skewed, so the ranking has a head and a tail). The timed
blocks carry what a chain sees: each mints and pays the rewards, to the set that signed the previous block
(the set of a height is the active set decided two blocks before); ``--txs`` deposits, withdraws, re-votes
and reward withdrawals by random voters between the hooks (not timed; the withdraws mature within the run,
so block ends pay unbondings); an epoch every ``--epoch`` blocks; one active validator stops signing at
block 100 and is jailed for downtime (window ``--window``), unjails when its jail time is over and returns
at an epoch; another double-signs (evidence in block 500) and is tombstoned and slashed. Each hook's reads
of committed state are counted: a hook that iterated the voters would read more with more voters. The
supply and staking books are checked once at the end.

    .venv/bin/python scripts/bench/staking_block_hooks.py [--voters 1000 10000 100000] [--blocks 1000]
"""

import argparse
import hashlib
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from report import recover_rate  # scripts/bench is on sys.path when run as a script

from okchain.app.hooks import begin_block, end_block
from okchain.crypto.address import Address
from okchain.deliver import HANDLERS
from okchain.modules.bank import keeper as bank
from okchain.modules.blockinfo import BlockInfo, Misbehaviour, VoteInfo
from okchain.modules.context import ModuleError, MsgContext
from okchain.modules.distribution.messages import WithdrawRewards
from okchain.modules.slashing import keeper as slashing
from okchain.modules.slashing.messages import Unjail
from okchain.modules.staking import active
from okchain.modules.staking import keeper as staking
from okchain.modules.staking.messages import CreateValidator, Deposit, Description, Vote, Withdraw
from okchain.state.cache import CacheKV, ReadCache
from okchain.state.leveldb import LevelDB
from okchain.state.store import KVReader
from okchain.types.params import RATE_ONE, ChainParams
from tests.helpers.distribution import check_owed, check_supply
from tests.helpers.staking import check_invariants

OKT = 10**18
BLOCK_S = 3
T0 = 1_600_000_000 * 10**9  # 2020: the staking weight is above 1
DOWN_FROM, EVIDENCE_AT = 100, 500  # the absent validator stops signing; the double signer's evidence
Row = dict[str, float | int]


class Counting:
    """Committed state as the hooks see it, counting the reads that reach it (gets, and iterated items)."""

    def __init__(self, inner: KVReader) -> None:
        self.inner, self.reads = inner, 0

    def get(self, key: bytes) -> bytes | None:
        self.reads += 1
        return self.inner.get(key)

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        for item in self.inner.iterate(prefix, start):
            self.reads += 1
            yield item


def address(kind: bytes, i: int) -> Address:
    return Address(hashlib.sha256(kind + i.to_bytes(8, "big")).digest()[:20])


class Chain:
    """Committed state (LevelDB behind a read cache), the validators, and the active set of each height."""

    def __init__(self, path: Path, args: argparse.Namespace, voters: int) -> None:
        self.p = ChainParams(
            staking_epoch_blocks=args.epoch,
            staking_unbonding_seconds=20 * BLOCK_S,
            slashing_window_blocks=args.window,
            slashing_downtime_jail_seconds=200 * BLOCK_S,
        )
        self.rng = random.Random(voters)
        self.db = LevelDB(path)
        self.cache = ReadCache(self.db, 1_000_000)  # the application's default state cache
        self.state = Counting(self.cache)
        self.operators = [address(b"operator", i) for i in range(args.validators)]
        self.pubkeys = [hashlib.sha256(b"consensus" + op).digest() for op in self.operators]
        self.voters = [address(b"voter", i) for i in range(voters)]
        self.height, self.time_ns, self.slashed = 0, T0, 0
        self.sets: dict[int, dict[bytes, int]] = {}
        self.events: dict[str, int] = {}

    def deliver(self, store: CacheKV, signer: Address, msg: object) -> bool:
        """``msg`` as a tx's message, on a branch kept only if it succeeds; did it?"""
        branch = store.branch()
        try:
            HANDLERS[type(msg)](branch, MsgContext(signer, b"", self.height, self.time_ns, self.p), msg)
        except ModuleError:
            return False
        branch.merge_into(store)
        return True

    def commit(self, store: CacheKV) -> None:
        self.db.write(store.writes, sync=False)
        self.cache.apply(store.writes)
        self.sets[self.height + 2] = active.get_active(self.cache)
        self.sets.pop(self.height - 2, None)

    def build(self) -> None:
        """Fund everyone, create the validators, and deposit and vote for every voter."""
        store = CacheKV(self.cache)
        for addr in self.operators + self.voters:
            bank.mint(store, addr, "okt", 1_000_000 * OKT)
        for i, op in enumerate(self.operators):
            msg = CreateValidator(Description(f"v{i}"), self.pubkeys[i], 10**17, 5 * 10**17, 10**16)
            assert self.deliver(store, op, msg)
        weights = [1 / (i + 1) for i in range(len(self.operators))]
        for voter in self.voters:
            assert self.deliver(store, voter, Deposit(self.rng.randint(1, 1_000) * OKT))
            assert self.deliver(store, voter, Vote(self.pick(weights)))
        self.genesis_supply = bank.get_supply(store, "okt")
        active.set_active(store, active.ranked(store, self.p))
        self.commit(store)
        self.sets[1] = self.sets[2]
        by_power = sorted(self.sets[1], key=self.sets[1].__getitem__, reverse=True)
        self.absent, self.double_signer = (self.pubkeys.index(key) for key in by_power[:2])

    def pick(self, weights: list[float] | None = None) -> tuple[Address, ...]:
        return tuple(sorted(set(self.rng.choices(self.operators, weights, k=self.rng.randint(1, 3)))))

    def info(self) -> BlockInfo:
        """The next block's ``BlockInfo``: the previous height's set, every member signing but the absent
        one (from ``DOWN_FROM`` until it is jailed); the double sign's evidence at ``EVIDENCE_AT``."""
        height, absent = self.height + 1, self.pubkeys[self.absent]
        down = height >= DOWN_FROM and "jailed" not in self.events
        last = self.sets.get(self.height, {})
        votes = tuple(
            VoteInfo(key, power, not (down and key == absent)) for key, power in sorted(last.items())
        )
        if height != EVIDENCE_AT:
            return BlockInfo(height, self.time_ns, votes)
        v = staking.get_validator(self.cache, self.operators[self.double_signer])
        assert v is not None
        self.slashed += v.self_deposit * self.p.slashing_double_sign_rate // RATE_ONE
        offence = Misbehaviour(self.pubkeys[self.double_signer], self.height)
        return BlockInfo(height, self.time_ns, votes, (offence,))

    def traffic(self, store: CacheKV, txs: int) -> None:
        """Random voters' deposits, withdraws, votes and reward withdrawals; the jailed validator's unjail
        once its jail time is over."""
        for _ in range(txs):
            kind = self.rng.random()
            msg: object = (
                Deposit(self.rng.randint(1, 100) * OKT) if kind < 0.35
                else Withdraw(OKT) if kind < 0.6
                else Vote(self.pick()) if kind < 0.85
                else WithdrawRewards()
            )  # fmt: skip
            self.deliver(store, self.rng.choice(self.voters), msg)
        record = slashing.get_info(store, self.pubkeys[self.absent])
        if record and record.jailed and not record.tombstoned and record.jailed_until_ns <= self.time_ns:
            assert self.deliver(store, self.operators[self.absent], Unjail())
            self.events["unjailed"] = self.height + 1

    def block(self, txs: int) -> Row:
        """Execute and commit the next block; the hooks' times and committed-state reads."""
        info = self.info()
        self.height = info.height
        store = CacheKV(self.state)
        self.state.reads = 0
        c0, t0 = time.thread_time(), time.perf_counter()
        begin_block(store, info, self.p)
        c1, t1 = time.thread_time(), time.perf_counter()
        begin_reads = self.state.reads
        self.traffic(store, txs)
        self.time_ns += BLOCK_S * 10**9
        self.state.reads = 0
        c2, t2 = time.thread_time(), time.perf_counter()
        updates = end_block(store, self.height, self.time_ns, self.p)
        c3, t3 = time.thread_time(), time.perf_counter()
        end_reads = self.state.reads
        self.commit(store)
        self.note()
        return {"height": self.height, "begin_s": t1 - t0, "begin_cpu_s": c1 - c0, "end_s": t3 - t2,
                "end_cpu_s": c3 - c2, "begin_reads": begin_reads, "end_reads": end_reads,
                "updates": len(updates)}  # fmt: skip

    def note(self) -> None:
        """The heights the slashing story reached: jailed, unjailed, back in the set, tombstoned."""
        absent = self.pubkeys[self.absent]
        if "jailed" not in self.events and slashing.is_jailed(self.cache, absent):
            self.events["jailed"] = self.height
        if "unjailed" in self.events and "back" not in self.events and absent in self.sets[self.height + 2]:
            self.events["back"] = self.height + 2
        if "tombstoned" not in self.events and slashing.is_tombstoned(
            self.cache, self.pubkeys[self.double_signer]
        ):
            self.events["tombstoned"] = self.height

    def check(self) -> None:
        check_invariants(self.cache)
        check_supply(self.cache, self.genesis_supply, slashed=self.slashed)
        check_owed(self.cache)


def summary(voters: int, build_s: float, rows: list[Row], chain: Chain) -> dict[str, Any]:
    epoch = [r for r in rows if r["height"] % chain.p.staking_epoch_blocks == 0]
    other = [r for r in rows if r["height"] % chain.p.staking_epoch_blocks != 0]

    def us(key: str, of: list[Row] = rows) -> float:
        return statistics.median(float(r[key]) for r in of) * 1e6

    def p99(key: str) -> float:
        values = sorted(float(r[key]) for r in rows)
        return values[int(0.99 * (len(values) - 1))] * 1e6

    return {
        "voters": voters,
        "build_s": build_s,
        "blocks": len(rows),
        "begin_median_us": us("begin_s"),
        "begin_p99_us": p99("begin_s"),
        "begin_cpu_median_us": us("begin_cpu_s"),
        "end_median_us": us("end_s"),
        "end_p99_us": p99("end_s"),
        "end_cpu_median_us": us("end_cpu_s"),
        "end_epoch_median_us": us("end_s", epoch),
        "end_between_epochs_median_us": us("end_s", other),
        "begin_reads_median": statistics.median(int(r["begin_reads"]) for r in rows),
        "begin_reads_max": max(int(r["begin_reads"]) for r in rows),
        "end_reads_median_between_epochs": statistics.median(int(r["end_reads"]) for r in other),
        "end_reads_max_between_epochs": max(int(r["end_reads"]) for r in other),
        "end_reads_max_epoch": max(int(r["end_reads"]) for r in epoch),
        "set_changes": sum(1 for r in rows if r["updates"]),
        "story_heights": dict(chain.events),
    }


def measure(args: argparse.Namespace, voters: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="staking-bench-") as tmp:
        chain = Chain(Path(tmp) / "db", args, voters)
        t0 = time.perf_counter()
        chain.build()
        build_s = time.perf_counter() - t0
        print(f"{voters:,} voters: state built in {build_s:.1f} s", flush=True)
        rows = [chain.block(args.txs) for _ in range(args.blocks)]
        t1 = time.perf_counter()
        chain.check()
        print(
            f"  {args.blocks} blocks, then the books checked in {time.perf_counter() - t1:.1f} s", flush=True
        )
        assert {"jailed", "unjailed", "back", "tombstoned"} <= chain.events.keys(), chain.events
        chain.db.close()
    return summary(voters, build_s, rows, chain)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voters", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--validators", type=int, default=100)
    parser.add_argument("--blocks", type=int, default=1_000)
    parser.add_argument("--txs", type=int, default=10, help="staking and reward txs per block (not timed)")
    parser.add_argument("--epoch", type=int, default=100, help="blocks per epoch")
    parser.add_argument("--window", type=int, default=100, help="slashing window, blocks")
    parser.add_argument("--out", type=Path, default=Path("bench-results/staking_block_hooks.json"))
    args = parser.parse_args()
    results = [measure(args, n) for n in args.voters]
    columns = ("voters", "build s", "begin µs", "p99", "end µs", "p99", "epoch end µs", "reads b/e/epoch")
    print("reads: committed-state reads per block, medians of begin and of end between epochs, max at epochs")
    print(f"{args.validators} validators, {args.blocks} blocks, epoch {args.epoch}; medians per block, wall")
    print("".join(f"{c:>16}" for c in columns))
    for r in results:
        reads = f"{r['begin_reads_median']}/{r['end_reads_median_between_epochs']}/{r['end_reads_max_epoch']}"
        print(
            f"{r['voters']:>16,}{r['build_s']:>16.1f}{r['begin_median_us']:>16.0f}{r['begin_p99_us']:>16.0f}"
            f"{r['end_median_us']:>16.0f}{r['end_p99_us']:>16.0f}{r['end_epoch_median_us']:>16.0f}{reads:>16}"
        )
    first, last = results[0], results[-1]
    flat = {
        f"{hook}_median_ratio_{last['voters']}_to_{first['voters']}": last[f"{hook}_median_us"]
        / first[f"{hook}_median_us"]
        for hook in ("begin", "end", "end_epoch")
    }
    for key, value in flat.items():
        print(f"{key}: {value:.2f}")
    rate = recover_rate()
    hooks_s = (last["begin_median_us"] + last["end_median_us"]) / 1e6
    print(f"secp256k1 recoveries per second on one core, this run: {rate:,.0f}")
    print(f"begin + end per block at {last['voters']:,} voters = {hooks_s * rate:.1f} recoveries' worth")
    report = {
        "host": {"python": platform.python_version(), "machine": platform.machine()},
        "config": {k: v for k, v in vars(args).items() if k != "out"},
        "results": results,
        "flatness": flat,
        "secp256k1_recover_per_s": rate,
        "hooks_median_s_in_recoveries": hooks_s * rate,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
