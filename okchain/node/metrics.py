"""Prometheus metrics of a running node, served over HTTP (``metrics_listen`` in config.toml; off when empty).

``MetricsServer`` is a frontend like the gRPC server: the composition root builds it around the node and it
reaches the node only through ``NodeAPI``. Each server has its own ``CollectorRegistry`` (never the process
global one), so several nodes in one test process do not collide.

Two kinds of values:

- per block (block interval from header times, txs per block, commit duration, txs committed, whether
  this validator's precommit is in the block's last commit): observed on the trio thread by a commit
  observer the node calls after each commit;
- current state (heights, round, peers, mempool, signature-pool queue, DB size): read when Prometheus
  scrapes, the node's parts on its trio thread (one ``trio.from_thread.run_sync``), the DB size by walking
  the data folder on the scraping thread.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import WSGIServer

import trio
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from okchain import __version__
from okchain.errors import OKChainError
from okchain.node.api import NodeAPI
from okchain.types.block import Block

NS = "okchain"
INTERVAL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)
TXS_BUCKETS = (0.0, 1.0, 10.0, 100.0, 500.0, 1_000.0, 5_000.0, 10_000.0, 50_000.0)
COMMIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STOP_JOIN_S = 5.0


class MetricsError(OKChainError):
    """The metrics endpoint cannot be served (bad address, port taken)."""


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) → (host, port); port 0 binds any free port."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise MetricsError(f"metrics_listen must be host:port, got {listen!r}")
    return host.strip("[]"), int(port)


def dir_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (0 if it is gone); files vanishing mid-walk are skipped."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


@dataclass(frozen=True, slots=True)
class Sample:
    """The node's current values, read on its trio thread."""

    height: int
    last_block_time_ns: int
    consensus_height: int
    consensus_round: int
    peers: int
    catching_up: bool
    is_validator: bool
    mempool_txs: int
    mempool_bytes: int
    signature_queue: int


def sample(node: NodeAPI) -> Sample:
    status = node.status()
    last = node.app.last
    return Sample(
        height=last.height,
        last_block_time_ns=last.time_ns,
        consensus_height=status.consensus_height,
        consensus_round=status.consensus_round,
        peers=status.peers,
        catching_up=status.catching_up,
        is_validator=status.is_validator,
        mempool_txs=len(node.mempool),
        mempool_bytes=node.mempool.size_bytes,
        signature_queue=status.signature_queue,
    )


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{NS}_{name}", doc, value=value)


class NodeCollector(Collector):
    """Current values, gathered when scraped."""

    def __init__(self, node: NodeAPI, token: trio.lowlevel.TrioToken, data_dir: Path) -> None:
        self._node = node
        self._token = token
        self._data_dir = data_dir
        self._info = {
            "chain_id": node.app.chain_id,
            "moniker": node.config.moniker,
            "node_id": node.status().node_id,
            "version": __version__,
        }

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily(f"{NS}_node", "The node's identity (value 1).")
        info.add_metric([], self._info)
        yield info
        try:
            s = trio.from_thread.run_sync(sample, self._node, trio_token=self._token)
        except (trio.RunFinishedError, trio.Cancelled):
            s = None  # the node is stopping: only what needs no trio thread
        if s is not None:
            yield _gauge("height", "Latest committed block height.", s.height)
            yield _gauge(
                "last_block_timestamp_seconds",
                "Header time of the latest committed block (Unix seconds).",
                s.last_block_time_ns / 1e9,
            )
            yield _gauge("consensus_height", "Height the consensus machine is deciding.", s.consensus_height)
            yield _gauge("consensus_round", "Round of the height being decided.", s.consensus_round)
            yield _gauge("peers", "Connected p2p peers.", s.peers)
            yield _gauge("catching_up", "1 while block sync is catching up with peers.", int(s.catching_up))
            yield _gauge("is_validator", "1 if this node's key is in the validator set.", int(s.is_validator))
            yield _gauge("mempool_txs", "Transactions in the mempool.", s.mempool_txs)
            yield _gauge("mempool_bytes", "Bytes of the transactions in the mempool.", s.mempool_bytes)
            yield _gauge(
                "signature_pool_queue",
                "Signatures handed to the signature pool's worker processes and not recovered yet.",
                s.signature_queue,
            )
        yield _gauge("db_size_bytes", "Size on disk of the node's data folder.", dir_size(self._data_dir))


class BlockMetrics:
    """Per-block metrics, observed once per committed block (on the node's trio thread)."""

    def __init__(
        self,
        registry: CollectorRegistry,
        last_block_time_ns: int,
        validator_address: bytes,
        is_validator: Callable[[], bool],
    ) -> None:
        self.interval = Histogram(
            f"{NS}_block_interval_seconds",
            "Header time between consecutive committed blocks.",
            buckets=INTERVAL_BUCKETS,
            registry=registry,
        )
        self.txs = Histogram(
            f"{NS}_block_txs", "Transactions per committed block.", buckets=TXS_BUCKETS, registry=registry
        )
        self.commit = Histogram(
            f"{NS}_block_commit_seconds",
            "Wall time to execute and write a decided block.",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        self.committed_txs = Counter(
            f"{NS}_committed_txs", "Transactions committed since the node started.", registry=registry
        )
        self.blocks = Counter(
            f"{NS}_committed_blocks", "Blocks committed since the node started.", registry=registry
        )
        self.signed = Counter(
            f"{NS}_validator_signed_blocks",
            "Blocks whose commit (in the next block's last_commit) carries this validator's precommit.",
            registry=registry,
        )
        self.missed = Counter(
            f"{NS}_validator_missed_blocks",
            "Blocks whose commit lacks this validator's precommit while it was a validator.",
            registry=registry,
        )
        self._last_time_ns = last_block_time_ns
        self._address = validator_address
        self._is_validator = is_validator

    def observe(self, block: Block, seconds: float) -> None:
        time_ns = block.header.time_ns
        self.interval.observe(max(0, time_ns - self._last_time_ns) / 1e9)
        self._last_time_ns = time_ns
        self.txs.observe(len(block.txs))
        self.commit.observe(seconds)
        self.committed_txs.inc(len(block.txs))
        self.blocks.inc()
        commit = block.last_commit
        if commit is not None and self._is_validator():
            signers = {sig.validator_address for sig in commit.signatures}
            (self.signed if self._address in signers else self.missed).inc()


class MetricsServer:
    """The ``/metrics`` endpoint of one node, on the address ``metrics_listen`` names."""

    def __init__(self, node: NodeAPI, token: trio.lowlevel.TrioToken) -> None:
        self._listen = node.config.metrics_listen
        self._host, self._port = parse_listen(self._listen)
        self.registry = CollectorRegistry()
        self.registry.register(NodeCollector(node, token, node.home.data_dir.parent))
        self.blocks = BlockMetrics(
            self.registry,
            node.app.last.time_ns,
            node.validator_address,
            lambda: node.status().is_validator,
        )
        self._node = node
        self._server: WSGIServer | None = None
        self.port = 0  # bound by start()

    def start(self) -> str:
        try:
            server, thread = start_http_server(self._port, self._host, registry=self.registry)
        except OSError as exc:
            raise MetricsError(f"cannot listen for metrics on {self._listen}: {exc}") from exc
        self._server, self._thread = server, thread
        self.port = server.server_port
        self._node.commit_observers.append(self.blocks.observe)
        return f"metrics listening on http://{self._listen.rpartition(':')[0]}:{self.port}/metrics"

    def stop(self) -> None:
        if self.blocks.observe in self._node.commit_observers:
            self._node.commit_observers.remove(self.blocks.observe)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(STOP_JOIN_S)
            self._server = None
