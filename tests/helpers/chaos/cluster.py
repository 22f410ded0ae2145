"""The chaos runner's network: ``okchaind testnet``'s four validators and a full node, every p2p link
through ``LinkProxy``, one node's data folder on a small tmpfs it can fill, and the restarts that never
take a manual step: the same ``okchaind start`` as the first time."""

import contextlib
import errno
import os
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from okchain.node.config import NodeConfig
from okchain.node.home import Home
from tests.helpers.chaos.procs import Proc, descendants, identity
from tests.helpers.chaos.proxy import Link, LinkProxy
from tests.helpers.localnet import FAST_TIMEOUTS, Localnet, LocalnetProcess, create_localnet, free_port_base

USERNS_ENV = "OKCHAIN_CHAOS_USERNS"  # set when the runner re-executed itself in a user + mount namespace
DISK_BYTES = 512 * 1024 * 1024
CRASH_ENV = "OKCHAIN_TEST_CRASH_AT"


def p2p_port(node: LocalnetProcess) -> int:
    return int(node.spec.p2p.rsplit(":", 1)[1])


class Cluster:
    def __init__(self, directory: Path, block_time_ms: int) -> None:
        settings: dict[str, Any] = {"pex": False, **FAST_TIMEOUTS}  # peers are the proxies, nothing else
        specs = create_localnet(directory, 4, full_nodes=1, block_time_ms=block_time_ms, **settings)
        count = len(specs)
        base = free_port_base(count * (count - 1))
        self.links: list[Link] = [(i, j) for i in range(count) for j in range(count) if i != j]
        self.ports = {link: base + k for k, link in enumerate(self.links)}
        for i, spec in enumerate(specs):  # node i reaches node j only through the proxy of link (i, j)
            peers = ",".join(
                f"{specs[j].node_id}@127.0.0.1:{self.ports[(i, j)]}" for j in range(count) if j != i
            )
            path = Home(directory / spec.home).config_file
            path.write_text(replace(NodeConfig.load(path), persistent_peers=peers).to_toml())
        self.net = Localnet(directory)
        self.nodes = self.net.nodes
        self.proxy = LinkProxy({(i, j): (self.ports[(i, j)], p2p_port(self.nodes[j])) for i, j in self.links})
        self.paused: set[str] = set()
        self.seen: set[Proc] = set()  # every node process and descendant the run started
        self.disk_node = self.nodes[3]
        self.disk = self._mount_disk(directory / self.disk_node.spec.home / "data")

    @staticmethod
    def _mount_disk(data: Path) -> Path | None:
        """A tmpfs over the disk node's data folder, when the runner is in its own mount namespace."""
        if not os.environ.get(USERNS_ENV):
            return None
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(data)], check=True)
        return data

    def start(self) -> None:
        self.proxy.start()
        self.net.start(self.nodes)
        for node in self.nodes:
            self._record(node)

    def index(self, node: LocalnetProcess) -> int:
        return self.nodes.index(node)

    def responsive(self) -> list[LocalnetProcess]:
        """Running and not paused: the nodes a client can reach now."""
        return [n for n in self.nodes if n.running and n.name not in self.paused]

    def top(self) -> int:
        heights = []
        for n in self.responsive():
            with contextlib.suppress(Exception):
                heights.append(n.height())
        return max(heights, default=0)

    def _record(self, node: LocalnetProcess) -> None:
        assert node.process.proc is not None
        pid = node.process.proc.pid
        if (me := identity(pid)) is not None:
            self.seen |= {me, *descendants(pid)}

    def kill(self, node: LocalnetProcess) -> None:
        """SIGKILL (a paused node too), after noting its children, which must die with it."""
        self._record(node)
        node.process.kill()
        self.paused.discard(node.name)

    def pause(self, node: LocalnetProcess, stop: bool) -> None:
        assert node.process.proc is not None
        node.process.proc.send_signal(signal.SIGSTOP if stop else signal.SIGCONT)
        (self.paused.add if stop else self.paused.discard)(node.name)

    def restart(self, node: LocalnetProcess, crash_at: str = "") -> None:
        """Start the node again with the command it started with (plus a crash point, which it may die at
        before it serves: then it is not waited for)."""
        node.process.env = {CRASH_ENV: crash_at} if crash_at else {}
        node.process.spawn()
        if crash_at:
            return
        node.process.wait_healthy(90)
        self._record(node)

    def wait_exit(self, node: LocalnetProcess, timeout: float) -> int | None:
        assert node.process.proc is not None
        try:
            return node.process.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def fill_disk(self) -> Path:
        """Write a file into the tmpfs until the filesystem is full."""
        assert self.disk is not None
        filler = self.disk / "chaos-filler"
        chunk = b"\0" * (1 << 20)
        with filler.open("wb", buffering=0) as out:
            while chunk:
                try:
                    out.write(chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    chunk = chunk[: len(chunk) // 2] if len(chunk) > 512 else b""
        return filler

    def stop(self) -> dict[str, int | None]:
        """SIGTERM every node at once; each one's exit status (None: not stopped within 30 s)."""
        for node in self.nodes:
            assert node.process.proc is not None
            node.process.proc.terminate()
        return {node.name: self.wait_exit(node, 30) for node in self.nodes}

    def close(self) -> None:
        """Leave nothing running, whatever state the run ended in."""
        for node in self.nodes:
            if node.running:
                self.pause(node, stop=False)
        self.net.close()
        self.proxy.close()
        deadline = time.monotonic() + 5
        while self.disk is not None and time.monotonic() < deadline:
            if subprocess.run(["umount", str(self.disk)], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
