"""Switches on loopback and raw secret connections to them, for the p2p tests."""

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
import trio

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.config import P2PConfig
from okchain.p2p.conn import ConnectionClosed, SecretConnection, handshake
from okchain.p2p.errors import FrameError, PeerMisbehaved
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.peer import PROTOCOL_VERSION, NodeInfo
from okchain.p2p.switch import ChannelId, ChannelSpec, Switch

NETWORK = "okchain-test-1"


LIMIT = 256 * 1024


def config(**overrides: Any) -> P2PConfig:
    base = P2PConfig(
        listen="127.0.0.1:0",
        persistent_peers=(),
        seeds=(),
        pex=False,
        max_inbound=10,
        max_outbound=10,
        send_rate=0,
        recv_rate=0,
        handshake_timeout_s=2.0,
        idle_timeout_s=5.0,
        ban_seconds=60.0,
        address_book=None,
        pex_interval_s=0.2,
        dial_backoff_s=0.05,
        max_dial_backoff_s=0.4,
    )
    return dataclasses.replace(base, **overrides)


class Recorder:
    """A reactor that records what it sees; ``reject`` makes receive() raise for matching payloads."""

    def __init__(self, specs: Sequence[ChannelSpec] | None = None) -> None:
        self.specs = list(
            specs
            or [
                ChannelSpec(ChannelId.CONSENSUS, priority=10, max_message_bytes=LIMIT),
                ChannelSpec(ChannelId.MEMPOOL, priority=5, max_message_bytes=LIMIT),
            ]
        )
        self.added: list[str] = []
        self.removed: list[str] = []
        self.received: list[tuple[ChannelId, str, bytes]] = []
        self.bytes = 0

    def channels(self) -> Sequence[ChannelSpec]:
        return self.specs

    def peer_added(self, peer: str) -> None:
        self.added.append(peer)

    def peer_removed(self, peer: str) -> None:
        self.removed.append(peer)

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        if message == b"malformed":
            raise PeerMisbehaved("cannot decode the message")
        if message == b"bug":
            raise RuntimeError("reactor bug")
        self.received.append((channel, peer, message))
        self.bytes += len(message)


def run(main: Callable[[trio.Nursery], Awaitable[None]], timeout: float = 15) -> None:
    async def bounded() -> None:
        with trio.fail_after(timeout):
            async with trio.open_nursery() as nursery:
                await main(nursery)
                nursery.cancel_scope.cancel()

    trio.run(bounded)


async def until(predicate: Callable[[], bool]) -> None:
    while not predicate():
        await trio.sleep(0.01)


async def start(
    nursery: trio.Nursery, key: NodeKey | None = None, network: str = NETWORK, **overrides: Any
) -> tuple[Switch, Recorder]:
    switch = Switch(key or NodeKey.generate(), config(**overrides), network=network, moniker="t")
    recorder = Recorder()
    switch.add_reactor(recorder)
    await nursery.start(switch.run)
    return switch, recorder


def address(switch: Switch) -> PeerAddress:
    return PeerAddress(switch.node_id, "127.0.0.1", switch.listen_port)


async def raw_peer(port: int, key: NodeKey | None = None, network: str = NETWORK) -> SecretConnection:
    """Connect to a switch by hand (handshake + NodeInfo) so a test can send arbitrary frames."""
    key = key or NodeKey.generate()
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    conn = await handshake(stream, key)
    info = NodeInfo(key.node_id, 0, network, PROTOCOL_VERSION, bytes([0x00, 0x20, 0x30]), "raw")
    await conn.send(info.encode())
    NodeInfo.decode(await conn.receive())
    return conn


async def closed_by_remote(conn: SecretConnection) -> None:
    """Read (and drop) frames until the switch closes the connection."""
    with pytest.raises((ConnectionClosed, FrameError, trio.BrokenResourceError)):
        while True:
            await conn.receive()


def msg_frame(channel: int, data: bytes, eof: bool = True) -> bytes:
    packet = p2p_pb2.Packet(msg=p2p_pb2.PacketMsg(channel=channel, eof=eof, data=data))
    return p2p_pb2.Frame(packets=[packet]).SerializeToString()
