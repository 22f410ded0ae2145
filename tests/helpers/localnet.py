"""A localnet of real ``okchaind start`` processes for tests and benchmarks: made by ``okchaind testnet``,
driven over gRPC, with checks whose failures name the node and height that differed."""

import json
import random
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.cli.testnet_cmd import LocalnetNode, load_manifest
from okchain.crypto.address import to_checksum
from okchain.crypto.secp import AccountKey
from okchain.modules.dex.messages import ListPair
from okchain.modules.token.messages import IssueToken
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.params import ChainParams
from tests.helpers.chain import OKT
from tests.helpers.processes import NodeProcess, okchaind

# Short heights for tests: a dead proposer costs ~0.6 s of round 0 instead of 3 s.
FAST_TIMEOUTS = {
    "timeout_propose_ms": 600,
    "timeout_prevote_ms": 200,
    "timeout_precommit_ms": 200,
    "timeout_delta_ms": 100,
}

CHAIN_ID = "okchain-localnet-1"
TX_GAS = 400_000

# A block of a few thousand transfers with their results outgrows gRPC's default 4 MiB receive limit; the
# node sends up to 4 x grpc_max_message_bytes.
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]


def ephemeral_ports_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_base(count: int) -> int:
    """A base port with ``count`` consecutive loopback ports free right now. The localnet's ports are fixed in
    its configs before the nodes bind them, so they are taken below the kernel's ephemeral range: other tests'
    port-0 binds and outgoing connections draw from that range and cannot grab them in between."""
    first, last = 10_000, ephemeral_ports_start() - count
    for _ in range(200):
        base = random.randrange(first, last)
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports in {first}..{last + count}")


def create_localnet(
    directory: Path,
    validators: int,
    *,
    full_nodes: int = 0,
    block_time_ms: int = 250,
    snapshot: Path | None = None,
    chain_id: str = CHAIN_ID,
    params: ChainParams | None = None,
    **config: Any,
) -> list[LocalnetNode]:
    """``okchaind testnet`` on free ports (with chain ``params`` if given), then override ``config``
    settings in every node's config.toml."""
    count = validators + full_nodes
    base = free_port_base(2 * count)
    extra = ["--snapshot", str(snapshot)] if snapshot else []
    if params is not None:
        params_file = directory.parent / f"{directory.name}-params.json"
        params_file.write_text(json.dumps(params.to_json()))
        extra += ["--params", str(params_file)]
    okchaind(
        "testnet", "--validators", str(validators), "--full-nodes", str(full_nodes),
        "--output", str(directory), "--chain-id", chain_id, "--block-time-ms", str(block_time_ms),
        "--base-p2p-port", str(base), "--base-grpc-port", str(base + count), *extra,
    )  # fmt: skip
    nodes = load_manifest(directory)
    if config:
        for node in nodes:
            path = Home(directory / node.home).config_file
            path.write_text(replace(NodeConfig.load(path), **config).to_toml())
    return nodes


@dataclass
class LocalnetProcess:
    """One localnet node as a process plus its gRPC stubs."""

    spec: LocalnetNode
    process: NodeProcess
    channel: grpc.Channel

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def running(self) -> bool:
        return self.process.proc is not None and self.process.proc.poll() is None

    @property
    def node(self) -> Any:
        return query_pb2_grpc.NodeServiceStub(self.channel)

    @property
    def tx(self) -> Any:
        return query_pb2_grpc.TxServiceStub(self.channel)

    @property
    def query(self) -> Any:
        return query_pb2_grpc.QueryServiceStub(self.channel)

    def info(self) -> Any:
        return self.node.NodeInfo(query_pb2.NodeInfoRequest(), timeout=5)

    def height(self) -> int:
        return int(self.info().latest_height)

    def block(self, height: int) -> Any:
        return self.node.BlockByHeight(query_pb2.BlockByHeightRequest(height=height), timeout=10)

    def send(
        self, key: AccountKey, msgs: list[Msg], chain_id: str = CHAIN_ID
    ) -> query_pb2.BroadcastTxResponse:
        """Sign with the nonce this node expects next and wait until the tx is committed successfully."""
        account = self.query.Account(query_pb2.AccountRequest(address=to_checksum(key.address)), timeout=10)
        raw = build_tx(
            key,
            chain_id=chain_id,
            nonce=account.pending_nonce,
            msgs=msgs,
            gas_limit=TX_GAS,
            fee=TX_GAS * 10**9,
        )
        request = query_pb2.BroadcastTxRequest(
            tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=20_000
        )
        resp: query_pb2.BroadcastTxResponse = self.tx.BroadcastTx(request, timeout=30)
        assert resp.committed and resp.result.code == 0, f"{self.name}: {resp}"
        return resp


def issue_and_list(node: LocalnetProcess, issuer: AccountKey, symbol: str, supply: int) -> str:
    """Issue a token from ``issuer`` and list it against OKT; the pair's name."""
    issued = node.send(issuer, [IssueToken(symbol, f"{symbol} token", supply, False)])
    denom = next(
        a.value
        for e in issued.result.events
        if e.type == "issue_token"
        for a in e.attributes
        if a.key == "denom"
    )
    node.send(issuer, [ListPair(denom, "okt", 2, 1, OKT // 10)])
    return f"{denom}_okt"


class Localnet:
    """Processes for the homes in ``directory``; nothing starts until asked."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.nodes: list[LocalnetProcess] = []
        for spec in load_manifest(directory):
            port = int(spec.grpc.rsplit(":", 1)[1])
            proc = NodeProcess(directory / spec.home, port, directory / f"{spec.name}.log", p2p_listen=None)
            channel = grpc.insecure_channel(proc.target, options=CHANNEL_OPTIONS)
            self.nodes.append(LocalnetProcess(spec, proc, channel))

    @property
    def validators(self) -> list[LocalnetProcess]:
        return [n for n in self.nodes if n.spec.validator]

    def live(self) -> list[LocalnetProcess]:
        return [n for n in self.nodes if n.running]

    def start(self, nodes: Iterable[LocalnetProcess]) -> None:
        """Boot side by side, then wait until each serves gRPC."""
        started = list(nodes)
        for n in started:
            n.process.spawn()
        for n in started:
            n.process.wait_healthy()

    def kill(self, node: LocalnetProcess) -> None:
        node.process.kill()

    def close(self) -> None:
        """SIGTERM every live node; SIGKILL one that has not stopped within 20 s."""
        for n in self.live():
            assert n.process.proc is not None
            n.process.proc.terminate()
        for n in self.nodes:
            if n.process.proc is not None:
                try:
                    n.process.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    n.process.proc.kill()
                    n.process.proc.wait()
            n.channel.close()

    def log_tail(self, node: LocalnetProcess, lines: int = 30) -> str:
        text = node.process.log.read_text() if node.process.log.exists() else ""
        return f"--- {node.name} log (last {lines} lines) ---\n" + "\n".join(text.splitlines()[-lines:])

    def wait_for(
        self, what: str, ready: Callable[[], bool], timeout: float, nodes: Sequence[LocalnetProcess] = ()
    ) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                tails = "\n".join(self.log_tail(n) for n in nodes or self.live())
                raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tails}")
            time.sleep(0.1)

    def heights(self, nodes: Sequence[LocalnetProcess]) -> dict[str, int]:
        return {n.name: n.height() for n in nodes}

    def common_height(self, nodes: Sequence[LocalnetProcess]) -> int:
        """A height every node in ``nodes`` has committed (waits until the slowest reaches the fastest)."""
        top = max(self.heights(nodes).values())
        self.wait_height(top, nodes)
        return top

    def wait_height(self, height: int, nodes: Sequence[LocalnetProcess], timeout: float = 30) -> None:
        self.wait_for(
            f"height {height} on {[n.name for n in nodes]}",
            lambda: all(h >= height for h in self.heights(nodes).values()),
            timeout,
            nodes,
        )

    def assert_same_chain(self, nodes: Sequence[LocalnetProcess], heights: Iterable[int]) -> None:
        """Every node has the same block hash, header and resulting app hash at each height."""
        for height in heights:
            seen: dict[tuple[bytes, bytes], list[str]] = {}
            for n in nodes:
                r = n.block(height)
                seen.setdefault((r.block_hash, r.results.app_hash), []).append(n.name)
            if len(seen) != 1:
                detail = "; ".join(
                    f"{names}: block {bh.hex()[:16]} app hash after {ah.hex()[:16]}"
                    for (bh, ah), names in seen.items()
                )
                raise AssertionError(f"nodes disagree at height {height}: {detail}")
