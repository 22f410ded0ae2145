"""In-process nodes for the node tests: homes sharing one genesis with N validators, run inside trio."""

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import trio

from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisValidator
from okchain.genesis.migrate import migrate_snapshot
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.node import Node
from okchain.p2p.keys import NodeKey
from okchain.p2p.switch import ChannelId, ChannelSpec, Switch
from tests.helpers.chain import CHAIN_ID, funded_keys, write_snapshot

KEYS = funded_keys(8)

FAST = NodeConfig(
    block_time_ms=100,
    timeout_propose_ms=1_000,
    timeout_prevote_ms=300,
    timeout_precommit_ms=300,
    timeout_delta_ms=200,
    signature_workers=0,  # no worker processes in unit tests
    grpc_listen="127.0.0.1:0",
    p2p_listen="127.0.0.1:0",
    pex=False,
)


def make_homes(
    directory: Path, validators: int, *, full_nodes: int = 0, keys: list[AccountKey] = KEYS
) -> list[Home]:
    """``validators`` validator homes plus ``full_nodes`` homes whose key is in no genesis set."""
    vkeys = [ValidatorKey(bytes([i + 1]) * 32) for i in range(validators + full_nodes)]
    snapshot = directory / "snapshot.csv"
    write_snapshot(snapshot, keys)
    genesis = directory / "genesis.json"
    migrate_snapshot(
        snapshot,
        CHAIN_ID,
        genesis,
        validators=[GenesisValidator(f"v{i}", k.public_key, 10) for i, k in enumerate(vkeys[:validators])],
    )
    homes = []
    for i, key in enumerate(vkeys):
        home = Home(directory / f"node{i}")
        home.genesis_file.parent.mkdir(parents=True)
        home.genesis_file.write_bytes(genesis.read_bytes())
        home.write_validator_key(key)
        home.config_file.write_text(FAST.to_toml())
        homes.append(home)
    return homes


async def wait_for_height(nodes: list[Node], height: int, timeout_s: float = 20.0) -> None:
    with trio.fail_after(timeout_s):
        while min(n.app.last.height for n in nodes) < height:
            await trio.sleep(0.02)


def run_to_height(node: Node, height: int) -> None:
    """Run ``node`` (no signal handlers) until it has committed ``height``, then stop it."""

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(lambda task_status: node.run(handle_signals=False, task_status=task_status))
            await wait_for_height([node], height)
            nursery.cancel_scope.cancel()

    trio.run(main)


def config(**changes: object) -> NodeConfig:
    return dataclasses.replace(FAST, **changes)  # type: ignore[arg-type]


VALIDATOR = ValidatorKey(bytes([1]) * 32)  # make_homes' first validator key


class Probe:
    """A reactor on the node's channels that records every message and peer."""

    def __init__(self) -> None:
        self.peers: list[str] = []
        self.received: list[tuple[ChannelId, bytes]] = []

    def channels(self) -> Sequence[ChannelSpec]:
        return [
            ChannelSpec(ChannelId.CONSENSUS, 10, 32 * 1024 * 1024),
            ChannelSpec(ChannelId.MEMPOOL, 3, 4 * 1024 * 1024),
            ChannelSpec(ChannelId.EVIDENCE, 5, 1024 * 1024),
            ChannelSpec(ChannelId.BLOCKSYNC, 3, 32 * 1024 * 1024),
        ]

    def peer_added(self, peer: str) -> None:
        self.peers.append(peer)

    def peer_removed(self, peer: str) -> None:
        self.peers.remove(peer)

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        self.received.append((channel, message))

    def on(self, channel: ChannelId) -> list[bytes]:
        return [m for c, m in self.received if c == channel]


def _probe_switch(node: Node, port: int) -> tuple[Switch, Probe]:
    config = NodeConfig(
        p2p_listen="127.0.0.1:0", persistent_peers=f"{node.node_key.node_id}@127.0.0.1:{port}", pex=False
    )
    switch = Switch(NodeKey.generate(), config.p2p_config(None), network=CHAIN_ID)
    probe = Probe()
    switch.add_reactor(probe)
    return switch, probe


async def _connected(switch: Switch, node: Node) -> str:
    with trio.fail_after(10):
        while node.node_key.node_id not in switch.peers():
            await trio.sleep(0.02)
    return node.node_key.node_id


async def disconnected(switch: Switch, node: Node) -> None:
    with trio.fail_after(10):
        while node.node_key.node_id in switch.peers():
            await trio.sleep(0.02)


def run_with_probes(node: Node, probes: int, body: object) -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(lambda task_status: node.run(handle_signals=False, task_status=task_status))
            made = [_probe_switch(node, node.switch.listen_port) for _ in range(probes)]
            for switch, _ in made:
                await nursery.start(switch.run)
            for switch, _ in made:
                await _connected(switch, node)
            await body(made)  # type: ignore[operator]
            nursery.cancel_scope.cancel()

    trio.run(main)


def single_node(tmp_path: Path) -> Node:
    (home,) = make_homes(tmp_path, 1)
    return Node(home, dataclasses.replace(FAST, block_time_ms=300))
