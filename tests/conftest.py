"""Fixtures only (the hypothesis profile, gRPC channels, node process factories); helpers: tests/helpers."""

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hypothesis import settings

from okchain.crypto.secp import AccountKey
from tests.helpers.processes import NodeProcess, init_node

# Property tests check behaviour, never speed: the suite shares 2 cores with node processes, so a per-example
# deadline only turns load into flaky failures. Speed targets live in scripts/bench/.
settings.register_profile("okchain", deadline=None)
settings.load_profile("okchain")


@pytest.fixture(scope="module")
def channel(node: NodeProcess) -> Iterator[grpc.Channel]:
    """A gRPC channel to the module's ``node`` fixture."""
    with grpc.insecure_channel(node.target) as ch:
        yield ch


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[object]:
    """Build homes with ``okchaind init`` from a snapshot of funded test keys, start real node processes."""
    started: list[NodeProcess] = []

    def make(keys: list[AccountKey], *, block_time_ms: int = 200, name: str = "node") -> NodeProcess:
        node = init_node(tmp_path, keys, block_time_ms=block_time_ms, name=name)
        started.append(node)
        return node

    yield make
    for node in started:
        if node.proc is not None and node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait(timeout=30)
