"""The switch: listens, dials, authenticates and admits peers, routes channel messages to reactors, bans
misbehaving peers, keeps persistent peers connected, and discovers peers through seeds and PEX."""

import dataclasses
import functools
import ipaddress
import logging
from collections.abc import Callable
from typing import Any

import trio
from google.protobuf.message import DecodeError

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.addrbook import AddressBook
from okchain.p2p.bans import AttemptWindow, BanList
from okchain.p2p.channels import ChannelId, ChannelSpec, Reactor
from okchain.p2p.config import P2PConfig
from okchain.p2p.conn import SecretConnection, handshake
from okchain.p2p.errors import HandshakeError, P2PError, PeerMisbehaved
from okchain.p2p.keys import NodeKey, PeerAddress, check_node_id, parse_host_port
from okchain.p2p.peer import MAX_MONIKER, PROTOCOL_VERSION, Disconnect, NodeInfo, Peer

__all__ = ["ChannelId", "ChannelSpec", "Reactor", "Switch"]

log = logging.getLogger(__name__)

MAX_PEX_ADDRS = 100  # addresses in one PEX answer; a peer sending more is banned
MAX_HOST_CHARS = 255
ATTEMPT_WINDOW_S = 60.0  # inbound connection attempts are counted over this long
PEX_SPEC = ChannelSpec(ChannelId.PEX, priority=1, max_message_bytes=64 * 1024, send_queue=8)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Switch:
    def __init__(self, node_key: NodeKey, config: P2PConfig, *, network: str, moniker: str = "") -> None:
        self.node_key = node_key
        self.node_id = node_key.node_id
        self.config = config
        self.network = network
        self.moniker = moniker
        self._channels: dict[int, tuple[ChannelSpec, Reactor | None]] = {ChannelId.PEX: (PEX_SPEC, None)}
        self._reactors: list[Reactor] = []
        self._peers: dict[str, Peer] = {}
        self._bans = BanList(config.ban_list)
        self._attempts = AttemptWindow(ATTEMPT_WINDOW_S, 2 * config.max_inbound_per_minute + 1)
        self._persistent = tuple(a for a in config.persistent_peers if a.node_id != self.node_id)
        self._persistent_ids = {a.node_id for a in self._persistent}
        self._book = AddressBook(config.address_book, own_id=self.node_id)
        for address in self._persistent:
            self._book.add(address, replace=True)
        self._dialing: set[str] = set()
        self._pending_inbound = 0
        self._pex_asked: set[str] = set()  # peers we sent a PEX request and await an answer from
        self._pex_answered: dict[str, float] = {}  # peer -> when we last answered its request
        self._seed_peers: set[str] = set()
        self._last_seed_round: float | None = None
        self._pex_wake = trio.Event()
        self._nursery: trio.Nursery | None = None
        self._port = 0

    # ---- public API -------------------------------------------------------------------------------------

    def add_reactor(self, reactor: Reactor) -> None:
        """Register a reactor's channels (before ``run``); a channel id already taken is a P2PError."""
        specs = list(reactor.channels())
        for spec in specs:
            if spec.id in self._channels:
                raise P2PError(f"channel {ChannelId(spec.id).name} is registered twice")
        for spec in specs:
            self._channels[spec.id] = (spec, reactor)
        self._reactors.append(reactor)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Listen, keep persistent peers dialled, ask seeds, exchange addresses; ``started(port)``."""
        host, port = parse_host_port(self.config.listen)
        try:
            listeners = await trio.open_tcp_listeners(port, host=host)
        except OSError as exc:
            raise P2PError(f"cannot listen on {self.config.listen}: {exc.strerror or exc}") from None
        self._port = listeners[0].socket.getsockname()[1]
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(trio.serve_listeners, self._handle_inbound, listeners)
                for address in self._persistent:
                    nursery.start_soon(self._keep_dialling, address)
                if self.config.pex:
                    nursery.start_soon(self._discovery)
                elif self.config.seeds:
                    log.warning("seeds are ignored: peer exchange (pex) is off")
                log.info("p2p node %s listening on %s:%d", self.node_id, host, self._port)
                task_status.started(self._port)
        finally:
            self._nursery = None
            self._book.save()

    @property
    def listen_port(self) -> int:
        return self._port

    def peers(self) -> list[str]:
        """Connected node ids, sorted."""
        return sorted(self._peers)

    def peer_info(self, peer: str) -> NodeInfo | None:
        p = self._peers.get(peer)
        return p.info if p is not None else None

    def try_send(self, peer: str, channel: ChannelId, message: bytes) -> bool:
        """Queue a message for one peer without blocking; False if not connected or its queue is full."""
        self._check_channel(channel)
        p = self._peers.get(peer)
        return p is not None and p.try_send(channel, message)

    def broadcast(self, channel: ChannelId, message: bytes) -> None:
        """``try_send`` to every connected peer."""
        self._check_channel(channel)
        for p in list(self._peers.values()):
            p.try_send(channel, message)

    def stop_peer(self, peer: str, reason: str, *, ban: bool = False) -> None:
        """Disconnect a peer (and ban it for ``ban_seconds`` if asked)."""
        p = self._peers.get(peer)
        if p is not None:
            p.close(reason, ban=ban)
        elif ban:
            self._ban(peer, None, reason)

    def is_banned(self, peer_or_host: str) -> bool:
        return self._bans.is_banned(peer_or_host)

    async def dial(self, address: PeerAddress) -> None:
        """Connect to ``address`` now (the switch must be running); returns once the peer is admitted.
        Raises HandshakeError / P2PError with the reason it was refused."""
        if self._nursery is None:
            raise P2PError("the switch is not running")
        peer = await self._connect(address)
        self._nursery.start_soon(self._run_peer, peer)

    # ---- connections ------------------------------------------------------------------------------------

    def _check_channel(self, channel: ChannelId) -> None:
        if channel not in self._channels:
            raise ValueError(f"channel 0x{int(channel):02x} has no reactor")

    def _node_info(self) -> NodeInfo:
        return NodeInfo(
            node_id=self.node_id,
            listen_port=self._port,
            network=self.network,
            version=PROTOCOL_VERSION,
            channels=bytes(sorted(self._channels)),
            moniker=self.moniker[:MAX_MONIKER],
        )

    async def _upgrade(
        self, stream: trio.abc.Stream, *, endpoint: str, expected: str | None
    ) -> tuple[SecretConnection, NodeInfo]:
        """Handshake and NodeInfo exchange under the handshake timeout; HandshakeError on any failure."""
        outbound = expected is not None
        timeout = self.config.handshake_timeout_s
        try:
            with trio.fail_after(timeout):
                conn = await handshake(stream, self.node_key)
                got = conn.remote_node_id
                if got == self.node_id:
                    raise HandshakeError(f"peer at {endpoint} is this node (self-connection)")
                if expected is not None and got != expected:
                    raise HandshakeError(f"peer at {endpoint} has node id {got}, expected {expected}")
                if outbound:
                    await conn.send(self._node_info().encode())
                    info = self._check_info(NodeInfo.decode(await conn.receive()), got, endpoint)
                    if info.refusal:
                        raise HandshakeError(f"peer {got} at {endpoint} refused us: {info.refusal}")
                else:  # the dialer speaks first and learns from our answer whether we refuse it
                    info = NodeInfo.decode(await conn.receive())
                    try:
                        refusal = self._inbound_refusal(self._check_info(info, got, endpoint), endpoint)
                    except HandshakeError as exc:
                        refusal = str(exc)
                    await conn.send(dataclasses.replace(self._node_info(), refusal=refusal or "").encode())
                    if refusal is not None:
                        raise HandshakeError(f"refused {got}@{endpoint}: {refusal}")
        except trio.TooSlowError:
            raise HandshakeError(f"handshake with {endpoint} timed out after {timeout:g} s") from None
        except HandshakeError:
            raise
        except (P2PError, trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise HandshakeError(f"handshake with {endpoint} failed: {exc}") from None
        return conn, info

    def _check_info(self, info: NodeInfo, got: str, endpoint: str) -> NodeInfo:
        if info.node_id != got:
            raise HandshakeError(f"peer at {endpoint} claims node id {info.node_id} but its key is {got}")
        if info.network != self.network:
            raise HandshakeError(f"peer {got} is on network {info.network!r}, we are on {self.network!r}")
        if info.version.split(".")[0] != PROTOCOL_VERSION.split(".")[0]:
            raise HandshakeError(f"peer {got} speaks {info.version!r}, we speak {PROTOCOL_VERSION!r}")
        return info

    def _inbound_refusal(self, info: NodeInfo, host: str) -> str | None:
        """Why a peer that dialled us may not join: first whether it dials too often, then the common rules.

        Each attempt costs us a handshake, so a peer reconnecting in a loop is refused past
        ``max_inbound_per_minute`` attempts and banned past twice that. Counted per node id and per host,
        so fresh node ids from one address do not escape, except for loopback, which every local process
        shares. Counted once per connection, here, where the node id is known and refusing is polite."""
        limit = self.config.max_inbound_per_minute
        ident = info.node_id
        if limit > 0 and not self.is_banned(ident) and not self.is_banned(host):
            now = trio.current_time()
            keys = [ident] if _is_loopback(host) else [ident, host]
            count = max(self._attempts.hit(key, now) for key in keys)
            if count > 2 * limit:
                self._ban(ident, host, f"reconnected {count} times within {ATTEMPT_WINDOW_S:g} s")
                return f"peer {ident} is banned: reconnecting more than {2 * limit} times a minute"
            if count > limit:
                return f"more than {limit} inbound connections a minute from {ident}@{host}"
        return self._refusal(info, False, host)[0]

    def _refusal(self, info: NodeInfo, outbound: bool, host: str) -> tuple[str | None, Peer | None]:
        """Why an authenticated peer may not join (or None), and the duplicate connection it replaces."""
        ident = info.node_id
        if ident == self.node_id:
            return "self-connection", None
        if self.is_banned(ident) or self.is_banned(host):
            return f"peer {ident} is banned", None
        persistent = ident in self._persistent_ids
        if not outbound and not persistent:
            inbound = sum(1 for p in self._peers.values() if not p.outbound and not p.persistent)
            if inbound >= self.config.max_inbound:
                return f"inbound peer limit {self.config.max_inbound} reached", None
        existing = self._peers.get(ident)
        if existing is None:
            return None, None
        # Both sides keep the connection dialled by the lower node id, so a simultaneous dial converges.
        lower = min(self.node_id, ident)
        new_preferred = (self.node_id if outbound else ident) == lower
        old_preferred = (self.node_id if existing.outbound else ident) == lower
        if old_preferred or not new_preferred:
            return f"already connected to {ident}", None
        return None, existing

    def _admit(self, conn: SecretConnection, info: NodeInfo, *, outbound: bool, host: str) -> Peer:
        """Register an authenticated peer and tell the reactors; P2PError if refused."""
        reason, replaced = self._refusal(info, outbound, host)
        if replaced is not None:
            self._deregister(replaced, "replaced by a connection dialled by the lower node id")
        if reason is not None:
            raise P2PError(f"refused {info.node_id}@{host}: {reason}")
        specs = {cid: spec for cid, (spec, _) in self._channels.items()}
        peer = Peer(
            conn,
            info,
            specs,
            functools.partial(self._deliver, info.node_id),
            outbound=outbound,
            persistent=info.node_id in self._persistent_ids,
            remote_host=host,
            send_rate=self.config.send_rate,
            recv_rate=self.config.recv_rate,
            idle_timeout_s=self.config.idle_timeout_s,
        )
        self._peers[peer.node_id] = peer
        log.info("peer %s@%s connected (%s)", peer.node_id, host, "outbound" if outbound else "inbound")
        if info.listen_port:
            self._book.add(PeerAddress(peer.node_id, host, info.listen_port), replace=True)
        self._book.mark_good(peer.node_id)
        for reactor in self._reactors:
            self._notify(peer, reactor.peer_added)
        if outbound and self.config.pex:
            self._request_addresses(peer.node_id)
        return peer

    def _notify(self, peer: Peer, callback: Callable[[str], None]) -> None:
        try:
            callback(peer.node_id)
        except Exception as exc:
            log.exception("reactor callback failed for peer %s", peer.node_id)
            peer.close(f"reactor failed: {exc!r}")

    def _deregister(self, peer: Peer, reason: str) -> None:
        if self._peers.get(peer.node_id) is not peer:
            return
        peer.close(reason)
        del self._peers[peer.node_id]
        self._pex_asked.discard(peer.node_id)
        self._pex_answered.pop(peer.node_id, None)
        self._seed_peers.discard(peer.node_id)
        for reactor in self._reactors:
            try:
                reactor.peer_removed(peer.node_id)
            except Exception:
                log.exception("reactor peer_removed failed for peer %s", peer.node_id)

    async def _run_peer(self, peer: Peer) -> Disconnect:
        outcome = Disconnect("switch stopped", False)
        try:
            outcome = await peer.run()
        finally:
            self._deregister(peer, outcome.reason)
            if outcome.ban:
                self._ban(peer.node_id, peer.remote_host, outcome.reason)
            log.info("peer %s disconnected: %s", peer.node_id, outcome.reason)
        return outcome

    def _ban(self, peer: str, host: str | None, reason: str) -> None:
        """Refuse ``peer`` (and its IP unless loopback, which every local process shares) for a while."""
        self._bans.ban(
            [peer] if host is None or _is_loopback(host) else [peer, host], self.config.ban_seconds
        )
        self._book.remove(peer)
        log.warning("banned peer %s for %g s: %s", peer, self.config.ban_seconds, reason)

    async def _handle_inbound(self, stream: trio.SocketStream) -> None:
        try:
            host = str(stream.socket.getpeername()[0])
        except OSError:
            await trio.aclose_forcefully(stream)
            return
        if self.is_banned(host) or self._pending_inbound >= max(self.config.max_inbound, 1):
            await trio.aclose_forcefully(stream)
            return
        self._pending_inbound += 1
        try:
            conn, info = await self._upgrade(stream, endpoint=host, expected=None)
            peer = self._admit(conn, info, outbound=False, host=host)
        except P2PError as exc:
            log.info("inbound connection from %s refused: %s", host, exc)
            await trio.aclose_forcefully(stream)
            return
        finally:
            self._pending_inbound -= 1
        await self._run_peer(peer)

    async def _connect(self, address: PeerAddress) -> Peer:
        """Dial, authenticate (refusing a different node id) and admit; P2PError with the reason."""
        ident = address.node_id
        if ident == self.node_id:
            raise P2PError(f"refusing to dial {address}: it is this node (self-connection)")
        if ident in self._dialing:
            raise P2PError(f"already dialling {ident}")
        if ident in self._peers:
            raise P2PError(f"already connected to {ident}")
        if self.is_banned(ident):
            raise P2PError(f"peer {ident} is banned")
        self._dialing.add(ident)
        try:
            try:
                with trio.fail_after(self.config.handshake_timeout_s):
                    stream = await trio.open_tcp_stream(address.host, address.port)
            except (OSError, trio.TooSlowError) as exc:
                self._book.mark_failed(ident, trio.current_time())
                raise P2PError(f"cannot connect to {address}: {exc or 'timed out'}") from None
            try:
                conn, info = await self._upgrade(stream, endpoint=address.endpoint, expected=ident)
                return self._admit(conn, info, outbound=True, host=address.host)
            except P2PError as exc:
                if "self-connection" in str(exc):
                    self._book.remove(ident)
                else:
                    self._book.mark_failed(ident, trio.current_time())
                await trio.aclose_forcefully(stream)
                raise
        finally:
            self._dialing.discard(ident)

    async def _keep_dialling(self, address: PeerAddress) -> None:
        """Keep a persistent peer connected: re-dial with capped exponential backoff, forever."""
        backoff = self.config.dial_backoff_s
        while True:
            existing = self._peers.get(address.node_id)
            if existing is not None:
                await existing.done.wait()
                backoff = self.config.dial_backoff_s
            elif self.is_banned(address.node_id):
                await trio.sleep(self._bans.remaining(address.node_id))
                continue
            elif address.node_id not in self._dialing:
                try:
                    peer = await self._connect(address)
                except P2PError as exc:
                    log.info("persistent peer %s: %s; retrying in %g s", address, exc, backoff)
                else:
                    backoff = self.config.dial_backoff_s
                    await self._run_peer(peer)
            await trio.sleep(backoff)
            backoff = min(backoff * 2, self.config.max_dial_backoff_s)

    # ---- routing ----------------------------------------------------------------------------------------

    def _deliver(self, peer: str, channel: int, message: bytes) -> None:
        spec, reactor = self._channels[channel]
        if reactor is None:
            self._pex_receive(peer, message)
            return
        try:
            reactor.receive(spec.id, peer, message)
        except PeerMisbehaved:
            raise
        except Exception as exc:
            log.exception("reactor for channel %s failed on a message from %s", spec.id.name, peer)
            raise P2PError(f"reactor for channel {spec.id.name} failed: {exc!r}") from exc

    # ---- peer exchange ----------------------------------------------------------------------------------

    def _request_addresses(self, peer: str) -> None:
        if peer in self._pex_asked:
            return
        message = p2p_pb2.PexMessage(request=p2p_pb2.PexRequest()).SerializeToString()
        if self.try_send(peer, ChannelId.PEX, message):
            self._pex_asked.add(peer)

    def _pex_receive(self, peer: str, message: bytes) -> None:
        if not self.config.pex:
            return
        try:
            msg = p2p_pb2.PexMessage.FromString(message)
        except DecodeError as exc:
            raise PeerMisbehaved(f"malformed PEX message: {exc}") from None
        kind = msg.WhichOneof("sum")
        if kind == "request":
            now = trio.current_time()
            last = self._pex_answered.get(peer)
            if last is not None and now - last < self.config.pex_interval_s / 2:
                return  # asked again too soon: ignored, so a peer cannot make us do work in a loop
            self._pex_answered[peer] = now
            sample = self._book.sample(MAX_PEX_ADDRS, exclude={peer})
            answer = p2p_pb2.PexAddrs(
                addrs=[p2p_pb2.PeerAddress(node_id=a.node_id, host=a.host, port=a.port) for a in sample]
            )
            self.try_send(peer, ChannelId.PEX, p2p_pb2.PexMessage(addrs=answer).SerializeToString())
        elif kind == "addrs":
            if peer not in self._pex_asked:
                raise PeerMisbehaved("sent PEX addresses we did not ask for")
            self._pex_asked.discard(peer)
            if len(msg.addrs.addrs) > MAX_PEX_ADDRS:
                raise PeerMisbehaved(f"sent {len(msg.addrs.addrs)} PEX addresses, more than {MAX_PEX_ADDRS}")
            for entry in msg.addrs.addrs:
                address = self._pex_address(entry)
                if not self.is_banned(address.node_id):
                    self._book.add(address)
            if peer in self._seed_peers:
                self.stop_peer(peer, "seed answered")
            self._pex_wake.set()
        else:
            raise PeerMisbehaved("empty PEX message")

    @staticmethod
    def _pex_address(entry: p2p_pb2.PeerAddress) -> PeerAddress:
        try:
            check_node_id(entry.node_id)
        except P2PError as exc:
            raise PeerMisbehaved(f"bad PEX address: {exc}") from None
        host = entry.host
        if not host or len(host) > MAX_HOST_CHARS or any(c.isspace() or c in "@/" for c in host):
            raise PeerMisbehaved(f"bad PEX address host {host[:64]!r}")
        if not 0 < entry.port < 65536:
            raise PeerMisbehaved(f"bad PEX address port {entry.port}")
        return PeerAddress(entry.node_id, host, entry.port)

    async def _discovery(self) -> None:
        """Every PEX interval (or when new addresses arrive): fill outbound slots from the address book,
        ask a peer for more addresses, ask the seeds when the book is short; save the book."""
        while True:
            self._fill_outbound()
            now = trio.current_time()
            if len(self._book) < self.config.max_outbound:
                if self.config.seeds and (
                    self._last_seed_round is None or now - self._last_seed_round >= self.config.pex_interval_s
                ):
                    self._last_seed_round = now
                    for seed in self.config.seeds:
                        self._spawn(self._ask_seed, seed)
                candidates = [p for p in self._peers if p not in self._pex_asked]
                if candidates:
                    self._request_addresses(min(candidates, key=lambda p: self._pex_answered.get(p, 0.0)))
            self._book.save()
            with trio.move_on_after(self.config.pex_interval_s):
                await self._pex_wake.wait()
            self._pex_wake = trio.Event()

    def _spawn(self, fn: Callable[[PeerAddress], Any], address: PeerAddress) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(fn, address)

    def _fill_outbound(self) -> None:
        outbound = sum(1 for p in self._peers.values() if p.outbound and not p.persistent)
        slots = self.config.max_outbound - outbound - len(self._dialing - self._persistent_ids)
        if slots <= 0:
            return
        exclude = set(self._peers) | self._dialing | self._persistent_ids | {self.node_id}
        exclude |= self._bans.active()
        for address in self._book.dial_candidates(exclude, trio.current_time(), slots):
            self._spawn(self._dial_and_run, address)

    async def _dial_and_run(self, address: PeerAddress) -> None:
        try:
            peer = await self._connect(address)
        except P2PError as exc:
            log.info("dial %s: %s", address, exc)
            return
        await self._run_peer(peer)

    async def _ask_seed(self, address: PeerAddress) -> None:
        """Connect to a seed, ask for addresses, disconnect once it answered (or after ``seed_wait_s``)."""
        if address.node_id in self._peers:
            self._request_addresses(address.node_id)
            return
        try:
            peer = await self._connect(address)
        except P2PError as exc:
            log.info("seed %s: %s", address, exc)
            return
        self._seed_peers.add(peer.node_id)
        self._request_addresses(peer.node_id)
        with trio.move_on_after(self.config.seed_wait_s):
            await self._run_peer(peer)
