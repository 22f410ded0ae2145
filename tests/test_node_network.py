"""Several real nodes in one trio run: each its own home and LevelDB, real loopback sockets, the real
switch with encrypted connections, the consensus, mempool and evidence reactors."""

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import grpc
import trio

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.hashing import sha256
from okchain.modules.bank.messages import Transfer
from okchain.node.api import NodeAPI
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.node import Node
from okchain.p2p.switch import ChannelId
from okchain.rpc.server import GrpcServer
from okchain.state import blockstore
from okchain.tx.envelope import build_tx
from tests.helpers.node import FAST, KEYS, make_homes, wait_for_height


def _config(peers: list[Node]) -> NodeConfig:
    """Persistent peers = the running ``peers``; our own p2p port is left to the OS (port 0)."""
    return dataclasses.replace(
        FAST,
        persistent_peers=",".join(f"{n.node_key.node_id}@127.0.0.1:{n.switch.listen_port}" for n in peers),
    )


async def _launch(
    nursery: trio.Nursery, homes: list[Home], running: Sequence[Node] = ()
) -> tuple[list[Node], list[trio.CancelScope]]:
    """Start a node per home, one after another, each dialling every node already running: ports are bound
    by the OS as each starts, never reserved ahead (another process on this box could take them)."""
    nodes: list[Node] = []
    scopes = []
    for home in homes:
        node = Node(home, _config([*running, *nodes]))
        scopes.append(await _start(nursery, node))
        nodes.append(node)
    return nodes, scopes


# Each running node's gRPC server, to find the port it bound.
SERVERS: dict[NodeAPI, GrpcServer] = {}


def _grpc(node: NodeAPI, token: trio.lowlevel.TrioToken) -> GrpcServer:
    SERVERS[node] = GrpcServer(node, token)
    return SERVERS[node]


def _node_info(node: Node) -> query_pb2.NodeInfoResponse:
    with grpc.insecure_channel(f"127.0.0.1:{SERVERS[node].port}") as channel:
        return query_pb2_grpc.NodeServiceStub(channel).NodeInfo(query_pb2.NodeInfoRequest(), timeout=10)


def _restart(node: Node) -> Node:
    return Node(node.home, node.config)


async def _start(nursery: trio.Nursery, node: Node) -> trio.CancelScope:
    scope = trio.CancelScope()

    async def run(task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with scope:
            await node.run(frontends=(_grpc,), handle_signals=False, task_status=task_status)

    await nursery.start(run)
    return scope


def _assert_same_chain(nodes: list[Node], up_to: int) -> None:
    for height in range(1, up_to + 1):
        blocks = {blockstore.block_at(n.db, height).hash for n in nodes}  # type: ignore[union-attr]
        assert len(blocks) == 1, f"nodes disagree at height {height}"
        results = {blockstore.results_at(n.db, height).app_hash for n in nodes}  # type: ignore[union-attr]
        assert len(results) == 1, f"app hashes differ after height {height}"


def _transfer(nonce: int, amount: int) -> bytes:
    return build_tx(
        KEYS[0],
        chain_id=FAST_CHAIN,
        nonce=nonce,
        msgs=[Transfer(KEYS[1].address, "okt", amount)],
        gas_limit=200_000,
        fee=10**15,
    )


FAST_CHAIN = "okchain-test-1"


def test_four_validators_agree_and_commit_a_gossiped_tx(tmp_path: Path) -> None:
    homes = make_homes(tmp_path, 4)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nodes, _ = await _launch(nursery, homes)
            await wait_for_height(nodes, 3)
            raw = _transfer(0, 12345)
            assert nodes[2].add_many([raw])[0].result.ok  # like BroadcastTxs on node 2's gRPC
            with trio.fail_after(20):
                while any(n.app.query().tx(sha256(raw)) is None for n in nodes):
                    await trio.sleep(0.05)
            top = max(n.app.last.height for n in nodes)
            await wait_for_height(nodes, top)
            _assert_same_chain(nodes, top)
            first = [blockstore.block_at(nodes[0].db, h) for h in range(1, top + 1)]
            assert len({b.header.proposer_address for b in first if b is not None}) > 1  # it rotates
            info = await trio.to_thread.run_sync(_node_info, nodes[1])
            assert info.peers == 3 and info.is_validator and not info.catching_up
            assert info.node_id == nodes[1].node_key.node_id and info.p2p_port == nodes[1].switch.listen_port
            assert info.latest_height >= top and info.consensus_height >= info.latest_height + 1
            assert info.validator_address == nodes[1].validator_address
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_chain_goes_on_without_one_validator_and_it_catches_up_on_return(tmp_path: Path) -> None:
    """3 of 4 equal validators are > 2/3: the chain continues while one is down; restarted a few heights
    later it catches up (block sync at start: peers are ahead) and takes part again."""
    homes = make_homes(tmp_path, 4)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nodes, scopes = await _launch(nursery, homes)
            await wait_for_height(nodes, 2)
            scopes[3].cancel()
            stopped_at = nodes[3].app.last.height
            live = nodes[:3]
            await wait_for_height(live, stopped_at + 5)
            back = _restart(nodes[3])
            await _start(nursery, back)
            target = max(n.app.last.height for n in live) + 2
            await wait_for_height([*live, back], target)
            _assert_same_chain([*live, back], target)
            # it takes part again: a later block is proposed by it (the proposer rotates over all four)
            resumed = back.app.last.height
            with trio.fail_after(20):
                while not any(
                    b is not None and b.header.proposer_address == back.validator_address
                    for b in (
                        blockstore.block_at(live[0].db, h)
                        for h in range(resumed, live[0].app.last.height + 1)
                    )
                ):
                    await trio.sleep(0.05)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_full_node_follows_the_validators(tmp_path: Path) -> None:
    homes = make_homes(tmp_path, 3, full_nodes=1)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nodes, _ = await _launch(nursery, homes)
            assert [n.is_validator for n in nodes] == [True, True, True, False]
            await wait_for_height(nodes, 4)
            _assert_same_chain(nodes, 4)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_chain_goes_on_while_one_validator_is_cut_off(tmp_path: Path) -> None:
    """Everything one validator sends is dropped for a while (it still hears the others): the other three
    keep committing, and once its messages flow again it is back in step."""
    homes = make_homes(tmp_path, 4)
    cut_off = True

    async def main() -> None:
        nonlocal cut_off
        async with trio.open_nursery() as nursery:
            nodes, _ = await _launch(nursery, homes)
            muted = nodes[3].switch
            real_send, real_broadcast = muted.try_send, muted.broadcast

            def try_send(peer: str, channel: ChannelId, message: bytes) -> bool:
                return True if cut_off else real_send(peer, channel, message)

            def broadcast(channel: ChannelId, message: bytes) -> None:
                if not cut_off:
                    real_broadcast(channel, message)

            muted.try_send = try_send  # type: ignore[method-assign]
            muted.broadcast = broadcast  # type: ignore[method-assign]
            muted_from = max(n.app.last.height for n in nodes)
            await wait_for_height(nodes[:3], muted_from + 5)
            cut_off = False
            target = max(n.app.last.height for n in nodes) + 2
            await wait_for_height(nodes, target)
            _assert_same_chain(nodes, target)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_late_full_node_block_syncs_then_follows_consensus(tmp_path: Path) -> None:
    homes = make_homes(tmp_path, 3, full_nodes=1)
    synced: list[int] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            validators, _ = await _launch(nursery, homes[:3])
            await wait_for_height(validators, 15)
            late = Node(homes[3], _config(validators))
            sync = late.blocksync.sync

            async def counting_sync() -> int:
                assert late.status().catching_up
                synced.append(await sync())
                return synced[-1]

            late.blocksync.sync = counting_sync  # type: ignore[method-assign]
            await _start(nursery, late)  # returns once consensus runs, i.e. after the sync
            assert synced and synced[0] >= 15 and not late.status().catching_up
            target = max(n.app.last.height for n in validators) + 3
            await wait_for_height([*validators, late], target)
            _assert_same_chain([*validators, late], target)
            nursery.cancel_scope.cancel()

    trio.run(main)


def _deafen(node: Node) -> list[bool]:
    """Drop everything ``node`` receives on the consensus channel while the returned flag is set."""
    deaf = [False]
    hear = node.consensus_reactor.receive

    def receive(channel: ChannelId, peer: str, message: bytes) -> None:
        if not deaf[0]:
            hear(channel, peer, message)

    node.consensus_reactor.receive = receive  # type: ignore[method-assign]
    return deaf


def test_running_node_that_missed_heights_catches_up_by_commits(tmp_path: Path) -> None:
    """A validator hears nothing on the consensus channel for a few heights (fewer than the block-sync
    threshold): once it hears again, peers send it each missed block with its commit and it follows,
    without block sync."""
    homes = make_homes(tmp_path, 4)
    synced: list[int] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nodes, _ = await _launch(nursery, homes)
            node = nodes[3]
            deaf = _deafen(node)

            async def no_sync() -> int:
                synced.append(node.app.last.height)
                return node.app.last.height

            node.blocksync.sync = no_sync  # type: ignore[method-assign]
            await wait_for_height(nodes, 2)
            deaf[0] = True
            missed_from = node.app.last.height
            await wait_for_height(nodes[:3], missed_from + 5)
            assert node.app.last.height <= missed_from + 1
            deaf[0] = False
            target = max(n.app.last.height for n in nodes) + 2
            await wait_for_height(nodes, target)
            _assert_same_chain(nodes, target)
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert not synced


def test_running_node_far_behind_switches_back_to_block_sync(tmp_path: Path) -> None:
    """Deaf on the consensus channel while the others move more than ``blocksync_switch_back_blocks``
    ahead, a running validator stops its machine, block-syncs, and then takes part in consensus again."""
    homes = make_homes(tmp_path, 4)
    synced: list[int] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nodes, _ = await _launch(nursery, homes)
            node = nodes[3]
            deaf = _deafen(node)
            sync = node.blocksync.sync

            async def counting_sync() -> int:
                synced.append(await sync())
                return synced[-1]

            node.blocksync.sync = counting_sync  # type: ignore[method-assign]
            await wait_for_height(nodes, 2)
            deaf[0] = True
            behind_from = node.app.last.height
            await wait_for_height(nodes[:3], behind_from + FAST.blocksync_switch_back_blocks + 3)
            with trio.fail_after(20):
                while not synced:
                    await trio.sleep(0.05)
            deaf[0] = False
            assert synced[0] > behind_from + FAST.blocksync_switch_back_blocks
            target = max(n.app.last.height for n in nodes) + 2
            await wait_for_height(nodes, target)
            _assert_same_chain(nodes, target)
            nursery.cancel_scope.cancel()

    trio.run(main)
