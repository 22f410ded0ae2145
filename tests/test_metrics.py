"""The Prometheus endpoint of a real node (in-process, LevelDB, HTTP on loopback): values move as blocks
commit, and two nodes in one process keep separate registries."""

import dataclasses
import functools
import socket
import urllib.request
from pathlib import Path

import pytest
import trio
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from okchain.node.api import NodeAPI
from okchain.node.metrics import BlockMetrics, MetricsError, MetricsServer, dir_size, parse_listen
from okchain.node.node import Node
from okchain.state import blockstore
from okchain.state.leveldb import LevelDB
from tests.helpers.chain import CHAIN_ID, free_port
from tests.helpers.node import config, make_homes, run_to_height

Samples = dict[str, float]


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    return {
        s.name
        + ("{" + ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) + "}" if s.labels else ""): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def run_with_metrics(nodes: list[Node], body: object) -> None:
    """Run ``nodes`` with a metrics server each; ``body(servers)`` runs once all are up."""
    servers: list[MetricsServer] = []

    def build(node: NodeAPI, token: trio.lowlevel.TrioToken) -> MetricsServer:
        server = MetricsServer(node, token)
        servers.append(server)
        return server

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            for node in nodes:
                await nursery.start(
                    lambda task_status, n=node: n.run(
                        frontends=(build,), handle_signals=False, task_status=task_status
                    )
                )
            await body(servers)  # type: ignore[operator]
            nursery.cancel_scope.cancel()

    trio.run(main)


async def scrape_until(port: int, name: str, minimum: float, timeout_s: float = 20.0) -> Samples:
    with trio.fail_after(timeout_s):
        while True:
            samples = await trio.to_thread.run_sync(scrape, port)
            if samples.get(name, -1) >= minimum:
                return samples
            await trio.sleep(0.1)


def test_metrics_move_as_blocks_commit(tmp_path: Path) -> None:
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, config(block_time_ms=100, metrics_listen="127.0.0.1:0"))

    async def body(servers: list[MetricsServer]) -> None:
        (server,) = servers
        assert server.port > 0
        first = await scrape_until(server.port, "okchain_height", 1)
        later = await scrape_until(server.port, "okchain_height", first["okchain_height"] + 3)
        assert later["okchain_height"] <= node.app.last.height
        assert later["okchain_committed_blocks_total"] >= 3
        assert later["okchain_block_txs_count"] == later["okchain_committed_blocks_total"]
        assert later["okchain_block_txs_sum"] == 0  # no txs sent
        assert later["okchain_committed_txs_total"] == 0
        # a lone validator's precommit is in every commit; the first block has no last commit
        assert later["okchain_validator_missed_blocks_total"] == 0
        assert later["okchain_validator_signed_blocks_total"] >= later["okchain_committed_blocks_total"] - 1
        # header times: every interval of a 100 ms chain is well under 5 s, and positive on average
        assert (
            later["okchain_block_interval_seconds_bucket{le=5.0}"]
            == later["okchain_block_interval_seconds_count"]
        )
        assert later["okchain_block_interval_seconds_sum"] > 0
        assert 0 < later["okchain_block_commit_seconds_sum"] < later["okchain_block_commit_seconds_count"] * 5
        assert later["okchain_consensus_height"] >= later["okchain_height"]
        assert later["okchain_consensus_round"] >= 0
        assert later["okchain_peers"] == 0
        assert later["okchain_catching_up"] == 0
        assert later["okchain_is_validator"] == 1
        assert later["okchain_mempool_txs"] == 0
        assert later["okchain_mempool_bytes"] == 0
        assert later["okchain_signature_pool_queue"] == 0
        assert later["okchain_db_size_bytes"] > 1_000
        assert later["okchain_db_size_bytes"] == pytest.approx(dir_size(home.data_dir.parent), rel=0.5)
        assert later["okchain_last_block_timestamp_seconds"] == pytest.approx(
            node.app.last.time_ns / 1e9, abs=5
        )
        info = [k for k in later if k.startswith("okchain_node_info")]
        assert len(info) == 1
        assert f"node_id={node.node_key.node_id}" in info[0]
        assert f"chain_id={CHAIN_ID}" in info[0]
        ports.append(server.port)

    ports: list[int] = []
    run_with_metrics([node], body)
    with pytest.raises(OSError):  # stopped with the node: nothing listens there any more
        scrape(ports[0])


def test_two_nodes_in_one_process_have_their_own_registries(tmp_path: Path) -> None:
    homes = make_homes(tmp_path, 2)
    # two validators of one genesis, not connected: neither commits, both serve their own values
    first = Node(homes[0], config(metrics_listen="127.0.0.1:0", moniker="first"))
    second = Node(homes[1], dataclasses.replace(first.config, moniker="second"))

    async def body(servers: list[MetricsServer]) -> None:
        assert servers[0].port != servers[1].port
        for server, node in zip(servers, (first, second), strict=True):
            samples = await trio.to_thread.run_sync(scrape, server.port)
            (info,) = (k for k in samples if k.startswith("okchain_node_info"))
            assert f"moniker={node.config.moniker}" in info
            assert f"node_id={node.node_key.node_id}" in info
            assert samples["okchain_height"] == 0
            assert samples["okchain_committed_blocks_total"] == 0

    run_with_metrics([first, second], body)


def test_a_taken_port_fails_the_start_naming_the_address(tmp_path: Path) -> None:
    (home,) = make_homes(tmp_path, 1)
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        node = Node(home, config(metrics_listen=f"127.0.0.1:{port}"))
        with pytest.raises(MetricsError, match=f"cannot listen for metrics on 127.0.0.1:{port}"):
            trio.run(functools.partial(node.run, frontends=(MetricsServer,), handle_signals=False))


@pytest.mark.parametrize("bad", ["9100", ":9100", "localhost:", "localhost:http", "127.0.0.1:70000"])
def test_bad_listen_addresses_are_refused(bad: str) -> None:
    with pytest.raises(MetricsError, match="metrics_listen must be host:port"):
        parse_listen(bad)


def test_listen_addresses_parse() -> None:
    assert parse_listen("127.0.0.1:9100") == ("127.0.0.1", 9100)
    assert parse_listen("[::1]:0") == ("::1", 0)


def test_missed_blocks_count_commits_without_our_precommit(tmp_path: Path) -> None:
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, config(block_time_ms=50))

    run_to_height(node, 3)
    db = LevelDB(home.data_dir)
    try:
        block = blockstore.block_at(db, 3)
    finally:
        db.close()
    assert block is not None and block.last_commit is not None
    ours = node.validator_address
    assert [s.validator_address for s in block.last_commit.signatures] == [ours]
    unsigned = dataclasses.replace(block, last_commit=dataclasses.replace(block.last_commit, signatures=()))
    registry = CollectorRegistry()
    validator = [True]
    metrics = BlockMetrics(registry, block.header.time_ns - 10**9, ours, lambda: validator[0])
    metrics.observe(block, 0.01)
    metrics.observe(unsigned, 0.01)
    metrics.observe(unsigned, 0.01)
    validator[0] = False  # no longer in the set: nothing to miss
    metrics.observe(unsigned, 0.01)
    assert registry.get_sample_value("okchain_validator_signed_blocks_total") == 1
    assert registry.get_sample_value("okchain_validator_missed_blocks_total") == 2
    assert registry.get_sample_value("okchain_committed_blocks_total") == 4
    assert registry.get_sample_value("okchain_block_interval_seconds_sum") == 1.0  # the later ones: 0 s
