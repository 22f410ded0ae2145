"""The chaos runner's verdict once the faults are over: one chain on every node, every tx a node reported
committed on every node at that height, the books balanced in every node's database, and no process of the
run left. Each check returns what failed, in words naming the node and height."""

import os
import time
from collections.abc import Sequence
from pathlib import Path

import grpc

from okchain._pb.node.v1 import query_pb2
from okchain.modules.bank import keeper as bank
from okchain.modules.distribution.keeper import REWARDS_POOL
from okchain.node.home import Home
from okchain.state.leveldb import LevelDB
from tests.helpers.app import balances
from tests.helpers.chaos.load import Committed
from tests.helpers.chaos.procs import Proc, alive
from tests.helpers.distribution import undistributed
from tests.helpers.localnet import Localnet, LocalnetProcess
from tests.helpers.staking import check_invariants

MAX_LISTED = 10  # failures of one kind named one by one; the rest are counted


def _listed(what: str, problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED:
        return problems
    return [*problems[:MAX_LISTED], f"... and {len(problems) - MAX_LISTED} more {what}"]


def same_chain(net: Localnet, nodes: Sequence[LocalnetProcess], top: int) -> list[str]:
    try:
        net.assert_same_chain(nodes, range(1, top + 1))
    except (AssertionError, grpc.RpcError) as exc:
        return [str(exc)]
    return []


def committed_on_chain(nodes: Sequence[LocalnetProcess], committed: Sequence[Committed]) -> list[str]:
    problems = []
    for c in committed:
        for n in nodes:
            try:
                got = n.tx.GetTx(query_pb2.GetTxRequest(hash=c.tx_hash), timeout=10)
            except grpc.RpcError as exc:
                problems.append(
                    f"{n.name}: tx {c.tx_hash.hex()[:16]} (committed at {c.height}): {exc.code().name}"
                )
                continue
            if got.height != c.height:
                problems.append(
                    f"{n.name}: tx {c.tx_hash.hex()[:16]} at height {got.height}, reported {c.height}"
                )
    return _listed("txs", problems)


def books(directory: Path, nodes: Sequence[LocalnetProcess]) -> list[str]:
    """In each stopped node's database: Σ balances = supply for every denom (module accounts hold what is
    staked, locked in orders or owed as rewards), the staking books, and the rewards pool."""
    problems = []
    for n in nodes:
        db = LevelDB(Home(directory / n.spec.home).data_dir)
        try:
            totals: dict[str, int] = {}
            for (_, denom), amount in balances(db).items():
                totals[denom] = totals.get(denom, 0) + amount
            for denom, total in sorted(totals.items()):
                if total != bank.get_supply(db, denom):
                    problems.append(
                        f"{n.name}: Σ {denom} balances {total} != supply {bank.get_supply(db, denom)}"
                    )
            check_invariants(db)
            pool = bank.get_balance(db, REWARDS_POOL, "okt")
            if pool != undistributed(db):
                problems.append(f"{n.name}: rewards pool {pool} != undistributed rewards {undistributed(db)}")
        except AssertionError as exc:
            problems.append(f"{n.name}: staking books: {exc}")
        finally:
            db.close()
    return problems


def _ancestors() -> set[int]:
    """This process and those above it (the runner's own command line names the run's folder)."""
    found, pid = set(), os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return found


def _holding(directory: Path) -> list[int]:
    """Processes other than the runner whose command line names the run's folder."""
    found, mine = [], _ancestors()
    for entry in os.listdir("/proc"):
        try:
            if not entry.isdigit() or int(entry) in mine:
                continue
            if str(directory).encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except OSError:
            continue
    return found


def _describe(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:2]
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} (state {state[0]}, parent {state[1]}: {args[:200]})"


def no_orphans(directory: Path, seen: set[Proc], grace_s: float = 15) -> list[str]:
    """Once every node is stopped, none of its processes (workers, resource trackers) is left."""
    deadline = time.monotonic() + grace_s
    while (left := alive(seen)) or _holding(directory):
        if time.monotonic() > deadline:
            pids = sorted({pid for pid, _ in left} | set(_holding(directory)))
            return [f"processes left after every node stopped: {', '.join(map(_describe, pids))}"]
        time.sleep(0.2)
    return []
