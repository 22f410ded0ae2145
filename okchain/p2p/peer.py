"""One connected peer: channel queues multiplexed over a secret connection, keepalive, rate limits.

Each peer has one writer task that fills frames from its channel queues, highest priority first (a long
message is split across frames, so a vote overtakes a backlog of mempool traffic at the next frame), one
reader task that reassembles messages per channel and hands them to the switch, and one pinger. A slow
peer only fills its own queues.
"""

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import trio
from google.protobuf.message import DecodeError

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.channels import ChannelSpec
from okchain.p2p.conn import TAG, SecretConnection
from okchain.p2p.errors import FrameError, P2PError, PeerMisbehaved
from okchain.p2p.keys import check_node_id

log = logging.getLogger(__name__)

PACKET_OVERHEAD = 24  # protobuf tags and lengths around one PacketMsg inside a Frame, rounded up
FRAME_OVERHEAD = 4 + TAG
MAX_MONIKER = 64
MAX_VERSION = 64
MAX_NETWORK = 64
MAX_REFUSAL = 256
PROTOCOL_VERSION = "okchain-p2p/1"


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What a node says about itself after the handshake."""

    node_id: str
    listen_port: int
    network: str
    version: str
    channels: bytes
    moniker: str
    refusal: str = ""  # a listener's reason for refusing the dialer (then it closes the connection)

    def encode(self) -> bytes:
        return p2p_pb2.NodeInfo(
            node_id=self.node_id,
            listen_port=self.listen_port,
            network=self.network,
            version=self.version,
            channels=self.channels,
            moniker=self.moniker,
            refusal=self.refusal,
        ).SerializeToString()

    @classmethod
    def decode(cls, data: bytes) -> "NodeInfo":
        """Parse and bound a peer's NodeInfo; P2PError with the reason if malformed."""
        try:
            msg = p2p_pb2.NodeInfo.FromString(data)
        except DecodeError as exc:
            raise P2PError(f"malformed NodeInfo: {exc}") from None
        check_node_id(msg.node_id)
        if msg.listen_port > 65535:
            raise P2PError(f"NodeInfo listen port {msg.listen_port} out of range")
        for name, value, limit in (
            ("network", msg.network, MAX_NETWORK),
            ("version", msg.version, MAX_VERSION),
            ("moniker", msg.moniker, MAX_MONIKER),
            ("refusal", msg.refusal, MAX_REFUSAL),
        ):
            if len(value) > limit:
                raise P2PError(f"NodeInfo {name} longer than {limit} characters")
        if len(msg.channels) > 256:
            raise P2PError("NodeInfo lists more than 256 channels")
        return cls(
            msg.node_id,
            msg.listen_port,
            msg.network,
            msg.version,
            bytes(msg.channels),
            msg.moniker,
            msg.refusal,
        )


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Why a peer connection ended; ``ban`` when the peer misbehaved."""

    reason: str
    ban: bool


class TokenBucket:
    """Bytes/s limiter: a caller takes what it used and sleeps off any debt, so over any window of T seconds
    at most ``burst + rate × T`` bytes (plus one frame) pass. ``rate`` 0 = unlimited."""

    def __init__(self, rate: int, burst: int | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(rate // 10, 1)
        self._tokens = float(self.burst)
        self._last = trio.current_time()

    async def take(self, n: int) -> None:
        if self.rate <= 0:
            return
        now = trio.current_time()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate) - n
        self._last = now
        if self._tokens < 0:
            await trio.sleep(-self._tokens / self.rate)


class _SendChannel:
    __slots__ = ("current", "offset", "queue", "spec")

    def __init__(self, spec: ChannelSpec) -> None:
        self.spec = spec
        self.queue: deque[bytes] = deque()
        self.current: bytes | None = None
        self.offset = 0

    def queued(self) -> int:
        return len(self.queue) + (self.current is not None)


class Peer:
    """A live connection to one authenticated peer. ``deliver(channel, message)`` is called on the trio
    thread for each whole inbound message; it may raise PeerMisbehaved."""

    def __init__(
        self,
        conn: SecretConnection,
        info: NodeInfo,
        channels: Mapping[int, ChannelSpec],
        deliver: Callable[[int, bytes], None],
        *,
        outbound: bool,
        persistent: bool,
        remote_host: str,
        send_rate: int,
        recv_rate: int,
        idle_timeout_s: float,
    ) -> None:
        self.conn = conn
        self.info = info
        self.node_id = info.node_id
        self.outbound = outbound
        self.persistent = persistent
        self.remote_host = remote_host
        self._deliver = deliver
        self._specs = dict(channels)
        # Only channels the peer has: a node running fewer services (one state-syncing, say) is not sent
        # messages it would take for abuse. Inbound, every channel of ours is accepted.
        self._send = {cid: _SendChannel(spec) for cid, spec in channels.items() if cid in info.channels}
        self._order = sorted(self._send.values(), key=lambda c: -c.spec.priority)
        self._recv_bufs: dict[int, bytearray] = {cid: bytearray() for cid in channels}
        self._send_bucket = TokenBucket(send_rate, max(send_rate // 10, conn.max_frame + FRAME_OVERHEAD))
        self._recv_bucket = TokenBucket(recv_rate, max(recv_rate // 10, conn.max_frame + FRAME_OVERHEAD))
        self._idle_timeout_s = idle_timeout_s
        self._wake = trio.Event()
        self._ping_due = False
        self._pong_due = False
        self._outcome: Disconnect | None = None
        self._scope: trio.CancelScope | None = None
        self.done = trio.Event()

    def try_send(self, channel: int, message: bytes) -> bool:
        ch = self._send.get(channel)
        if ch is None or self._outcome is not None:
            return False
        if len(message) > ch.spec.max_message_bytes:
            raise ValueError(
                f"message of {len(message)} bytes exceeds channel 0x{channel:02x} limit of "
                f"{ch.spec.max_message_bytes}"
            )
        if ch.queued() >= ch.spec.send_queue:
            return False
        ch.queue.append(message)
        self._wake.set()
        return True

    def close(self, reason: str, *, ban: bool = False) -> None:
        """End the connection (idempotent; the first reason wins, except that a ban always sticks: a reactor
        may prove a lie only after the liar's connection began to close)."""
        if self._outcome is None or (ban and not self._outcome.ban):
            self._outcome = Disconnect(reason, ban)
        if self._scope is not None:
            self._scope.cancel()

    async def run(self) -> Disconnect:
        """Run until the connection ends; returns why."""
        try:
            async with trio.open_nursery() as nursery:
                self._scope = nursery.cancel_scope
                if self._outcome is not None:
                    nursery.cancel_scope.cancel()
                nursery.start_soon(self._guard, self._read_loop)
                nursery.start_soon(self._guard, self._write_loop)
                nursery.start_soon(self._guard, self._ping_loop)
        finally:
            with trio.CancelScope(shield=True):
                await self.conn.aclose()
            self.done.set()
        return self._outcome or Disconnect("connection closed", False)

    async def _guard(self, loop: Callable[[], Awaitable[None]]) -> None:
        try:
            await loop()
        except (PeerMisbehaved, FrameError) as exc:
            self.close(str(exc), ban=True)
        except (P2PError, trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self.close(str(exc) or type(exc).__name__)
        except Exception as exc:
            log.exception("peer %s: unexpected error", self.node_id)
            self.close(f"internal error: {exc!r}")

    async def _ping_loop(self) -> None:
        interval = max(self._idle_timeout_s / 3, 0.01)
        while True:
            await trio.sleep(interval)
            self._ping_due = True
            self._wake.set()

    async def _write_loop(self) -> None:
        while True:
            plaintext = self._next_frame()
            if plaintext is None:
                self._wake = trio.Event()
                await self._wake.wait()
                continue
            sealed = self.conn.seal(plaintext)
            await self._send_bucket.take(len(sealed))
            with trio.move_on_after(self._idle_timeout_s) as scope:
                await self.conn.send_frames([sealed])
            if scope.cancelled_caught:  # a peer that stopped reading only pins a writer this long
                raise P2PError(
                    f"peer took more than {self._idle_timeout_s:g} s to take one frame (not reading)"
                )

    def _next_frame(self) -> bytes | None:
        """Fill one frame from the channel queues, highest priority first; None when nothing is due."""
        packets: list[p2p_pb2.Packet] = []
        if self._pong_due:
            packets.append(p2p_pb2.Packet(pong=p2p_pb2.Pong()))
            self._pong_due = False
        if self._ping_due:
            packets.append(p2p_pb2.Packet(ping=p2p_pb2.Ping()))
            self._ping_due = False
        budget = self.conn.max_frame - 8 * len(packets) - PACKET_OVERHEAD
        for ch in self._order:
            while budget > PACKET_OVERHEAD and (ch.current is not None or ch.queue):
                if ch.current is None:
                    ch.current = ch.queue.popleft()
                    ch.offset = 0
                end = min(len(ch.current), ch.offset + budget - PACKET_OVERHEAD)
                eof = end == len(ch.current)
                data = ch.current[ch.offset : end] if ch.offset or not eof else ch.current
                packets.append(p2p_pb2.Packet(msg=p2p_pb2.PacketMsg(channel=ch.spec.id, eof=eof, data=data)))
                budget -= len(data) + PACKET_OVERHEAD
                if eof:
                    ch.current = None
                else:
                    ch.offset = end
        if not packets:
            return None
        return p2p_pb2.Frame(packets=packets).SerializeToString()

    async def _read_loop(self) -> None:
        while True:
            with trio.move_on_after(self._idle_timeout_s) as scope:
                plaintext = await self.conn.receive()
            if scope.cancelled_caught:
                raise P2PError(f"peer silent for {self._idle_timeout_s:g} s (idle timeout)")
            await self._recv_bucket.take(len(plaintext) + FRAME_OVERHEAD)
            try:
                frame = p2p_pb2.Frame.FromString(plaintext)
            except DecodeError as exc:
                raise PeerMisbehaved(f"malformed frame: {exc}") from None
            for packet in frame.packets:
                if self._outcome is not None:
                    return  # stopped by a reactor: the rest of the frame is not delivered
                kind = packet.WhichOneof("sum")
                if kind == "msg":
                    self._receive_packet(packet.msg)
                elif kind == "ping":
                    self._pong_due = True
                    self._wake.set()
                elif kind is None:
                    raise PeerMisbehaved("empty packet")

    def _receive_packet(self, msg: p2p_pb2.PacketMsg) -> None:
        spec = self._specs.get(msg.channel)
        if spec is None:
            raise PeerMisbehaved(f"message on unknown channel 0x{msg.channel:02x}")
        buf = self._recv_bufs[msg.channel]
        if len(buf) + len(msg.data) > spec.max_message_bytes:
            raise PeerMisbehaved(
                f"message on channel {spec.id.name} exceeds its limit of {spec.max_message_bytes} bytes"
            )
        if not msg.eof:
            buf += msg.data
            return
        if buf:
            buf += msg.data
            message = bytes(buf)
            buf.clear()
        else:
            message = msg.data
        self._deliver(msg.channel, message)
