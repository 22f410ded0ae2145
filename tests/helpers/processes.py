"""Real node processes on loopback: ``okchaind`` runs, homes made with ``okchaind init``, their lifecycle."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from okchain.crypto.secp import AccountKey
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from tests.helpers.chain import CHAIN_ID, DEV_MNEMONIC, OKT, free_port, write_snapshot


def okchaind(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okchain.cli.main", *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@dataclass
class NodeProcess:
    """A real ``okchaind start`` process with its own home and port."""

    home: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = field(default=None)
    # single-validator test nodes have no peers: any free port, never a clash; None = config.toml's (localnet)
    p2p_listen: str | None = "127.0.0.1:0"
    program: tuple[str, ...] = ("-m", "okchain.cli.main")  # what the interpreter runs (a test may swap it)
    extra_args: tuple[str, ...] = ()  # more ``okchaind start`` options
    env: dict[str, str] = field(default_factory=dict)  # more environment (a test-only mode)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.spawn()
        self.wait_healthy()

    def spawn(self) -> None:
        """Start the process without waiting for it (several nodes can then boot side by side)."""
        logf = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                *self.program,
                "start",
                "--home",
                str(self.home),
                "--grpc-listen",
                self.target,
                *(["--p2p-listen", self.p2p_listen] if self.p2p_listen else []),
                *self.extra_args,
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(self.target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"node exited with {self.proc.returncode}:\n{self.log.read_text()}")
                try:
                    resp = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if resp.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"node not healthy in {timeout}s:\n{self.log.read_text()}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(timeout=30)


def init_node(
    directory: Path, keys: list[AccountKey], *, block_time_ms: int = 200, name: str = "node"
) -> NodeProcess:
    """``okchaind init`` a home whose genesis funds ``keys`` (via a snapshot file); not started yet."""
    snapshot = directory / f"{name}-snapshot.csv"
    write_snapshot(snapshot, keys)
    home = directory / name
    okchaind(
        "init",
        "--home",
        str(home),
        "--chain-id",
        CHAIN_ID,
        "--snapshot",
        str(snapshot),
        "--block-time-ms",
        str(block_time_ms),
    )
    return NodeProcess(home, free_port(), directory / f"{name}.log")


def configure(proc: NodeProcess, **settings: object) -> NodeProcess:
    """Change settings in ``proc``'s config.toml (before it starts); returns ``proc``."""
    path = Home(proc.home).config_file
    path.write_text(replace(NodeConfig.load(path), **settings).to_toml())  # type: ignore[arg-type]
    return proc


def add_keyring_key(proc: NodeProcess, directory: Path, name: str = "alice") -> None:
    """Put the dev mnemonic's first account into ``proc``'s keyring as ``name`` (password file ``pw``)."""
    (directory / "pw").write_text("secret\n")
    (directory / "mnemonic").write_text(DEV_MNEMONIC + "\n")
    okchaind(
        "keys", "add", name, "--recover", "--mnemonic-file", str(directory / "mnemonic"),
        "--home", str(proc.home), "--password-file", str(directory / "pw"),
    )  # fmt: skip


def serve(proc: NodeProcess) -> Iterator[NodeProcess]:
    """Body of a module-scoped node fixture: start ``proc``, and after the module stop it, asserting a clean
    exit (unless a test already stopped it)."""
    proc.start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        assert proc.stop() == 0, Path(proc.log).read_text()


def unminted(amount: str | int, height: str | int) -> int:
    """An OKT supply read at ``height`` less what blocks 1..height minted: the default mint of 1 OKT per
    block, which no test node reaches the halving of."""
    return int(amount) - int(height) * OKT


def cli_json(node: NodeProcess, *args: str) -> Any:
    """An ``okchaind`` tx or query against ``node``, parsed from its JSON output; txs sign with the keyring
    that ``add_keyring_key`` filled."""
    signing = args[0] == "tx"
    extra = ["--home", str(node.home), "--password-file", str(node.home.parent / "pw")] if signing else []
    return json.loads(okchaind(*args, *extra, "--node", node.target).stdout)
