"""The faults the chaos runner injects, one at a time, each healed before the next: SIGKILL and restart,
SIGKILL at a commit's crash point, SIGSTOP/SIGCONT, a partition, a cut or slow link, a full disk."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.helpers.chaos.cluster import Cluster
from tests.helpers.localnet import LocalnetProcess

CRASH_POINTS = ("commit-before-write", "commit-after-write")


@dataclass
class Tally:
    kills: int = 0  # SIGKILLs sent by the runner
    crash_points: int = 0  # nodes that killed themselves at a commit's crash point
    pauses: int = 0
    partitions: int = 0
    link_faults: int = 0  # one link cut, or one node's links slowed
    disk_full: int = 0
    restarts: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


class Faults:
    def __init__(self, cluster: Cluster, rng: random.Random, tally: Tally, hold_scale: float = 1.0) -> None:
        self.hold_scale = hold_scale  # the short run holds each fault for less time
        self.cluster = cluster
        self.rng = rng
        self.tally = tally
        self.started = time.monotonic()
        self.by_name: dict[str, Callable[[], None]] = {
            "kill": self.kill,
            "crash": self.crash,
            "pause": self.pause,
            "partition": self.partition,
            "link": self.link,
            "disk": self.disk,
        }

    def _event(self, fault: str, node: str, **detail: Any) -> None:
        event = {"t": round(time.monotonic() - self.started, 2), "fault": fault, "node": node, **detail}
        self.tally.events.append(event)
        print(" ".join(f"{k}={v}" for k, v in event.items()), flush=True)  # a long run shows it is alive

    def _hold(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high) * self.hold_scale

    def _victim(self) -> LocalnetProcess:
        return self.rng.choice(self.cluster.nodes)

    def _restart(self, node: LocalnetProcess, crash_at: str = "") -> bool:
        try:
            self.cluster.restart(node, crash_at)
        except RuntimeError as exc:
            self.tally.failures.append(f"{node.name} did not come back by itself: {str(exc)[-2000:]}")
            return False
        self.tally.restarts += not crash_at
        return True

    def kill(self) -> None:
        node = self._victim()
        self.cluster.kill(node)
        self.tally.kills += 1
        down = self._hold(0, 2)
        self._event("kill", node.name, down_s=round(down, 2))
        time.sleep(down)
        self._restart(node)

    def crash(self) -> None:
        """SIGKILL a node, restart it to die at a crash point of a commit a few heights on, then restart it
        for good."""
        node = self._victim()
        point = f"{self.rng.choice(CRASH_POINTS)}:{self.cluster.top() + self.rng.randint(2, 4)}"
        self.cluster.kill(node)
        self.tally.kills += 1
        if not self._restart(node, crash_at=point):
            return
        code = self.cluster.wait_exit(node, 45)
        reached = code is not None
        if reached:
            self.tally.crash_points += 1
        else:
            self.cluster.kill(node)
            self.tally.kills += 1
        self._event("crash", node.name, point=point, reached=reached)
        self._restart(node)

    def pause(self) -> None:
        node = self._victim()
        hold = self._hold(1, 4)
        self.cluster.pause(node, stop=True)
        self.tally.pauses += 1
        self._event("pause", node.name, hold_s=round(hold, 2))
        time.sleep(hold)
        self.cluster.pause(node, stop=False)

    def partition(self) -> None:
        order = list(range(len(self.cluster.nodes)))
        self.rng.shuffle(order)
        side = set(order[: self.rng.choice((1, 2))])
        crossing = [(i, j) for i, j in self.cluster.links if (i in side) != (j in side)]
        hold = self._hold(2, 5)
        self.cluster.proxy.set_links(crossing, cut=True)
        self.tally.partitions += 1
        self._event(
            "partition", ",".join(self.cluster.nodes[i].name for i in sorted(side)), hold_s=round(hold, 2)
        )
        time.sleep(hold)
        self.cluster.proxy.heal()

    def link(self) -> None:
        """Cut the link between two nodes, or slow every link of one node."""
        a, b = self.rng.sample(range(len(self.cluster.nodes)), 2)
        hold = self._hold(2, 5)
        if self.rng.random() < 0.5:
            self.cluster.proxy.set_links([(a, b), (b, a)], cut=True)
            detail: dict[str, Any] = {"cut": self.cluster.nodes[b].name}
        else:
            delay = self.rng.uniform(0.05, 0.3)
            self.cluster.proxy.set_links([link for link in self.cluster.links if a in link], delay_s=delay)
            detail = {"delay_ms": round(delay * 1000)}
        self.tally.link_faults += 1
        self._event("link", self.cluster.nodes[a].name, hold_s=round(hold, 2), **detail)
        time.sleep(hold)
        self.cluster.proxy.heal()

    def disk(self) -> None:
        """Fill the disk node's filesystem: it must stop by itself (not limp on, not corrupt its state), and
        come back with the same command once there is room again."""
        node = self.cluster.disk_node
        if self.cluster.disk is None:
            self._event("disk", node.name, skipped="no user namespace to mount a tmpfs in")
            return
        self.cluster.pause(node, stop=False)
        before = node.height()
        filler = self.cluster.fill_disk()
        self.tally.disk_full += 1
        code = self.cluster.wait_exit(node, 30)
        log = node.process.log.read_text(errors="replace").splitlines()
        reason = next((line for line in reversed(log) if line.startswith("error: ")), "")
        self._event("disk", node.name, height=before, exit_code=code, reason=reason[:300])
        if code is None:
            self.tally.failures.append(f"{node.name} kept running for 30 s on a full disk (height {before})")
            self.cluster.kill(node)
        elif code == 0 or "No space left on device" not in reason:
            self.tally.failures.append(
                f"{node.name} stopped on a full disk with {code} without saying so: {reason!r}"
            )
        filler.unlink()
        self._restart(node)
