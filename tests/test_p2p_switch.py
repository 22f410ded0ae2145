"""The switch on real loopback TCP: admission, refusals, bans, timeouts, persistent peers, priority, rates."""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.bans import AttemptWindow
from okchain.p2p.conn import MAX_FRAME, ConnectionClosed, SecretConnection, handshake
from okchain.p2p.errors import HandshakeError, P2PError
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.peer import PROTOCOL_VERSION, NodeInfo
from okchain.p2p.switch import ChannelId, ChannelSpec, Switch
from tests.helpers.p2p import (
    LIMIT,
    NETWORK,
    Recorder,
    address,
    closed_by_remote,
    config,
    msg_frame,
    raw_peer,
    run,
    start,
    until,
)


def test_persistent_peer_connects_and_messages_flow_on_each_channel() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b, rb = await start(nursery)
        a, ra = await start(nursery, persistent_peers=(address(b),))
        await until(lambda: a.peers() == [b.node_id] and b.peers() == [a.node_id])
        assert ra.added == [b.node_id] and rb.added == [a.node_id]
        assert a.peer_info(b.node_id) == NodeInfo(
            b.node_id, b.listen_port, NETWORK, PROTOCOL_VERSION, bytes([0x00, 0x20, 0x30]), "t"
        )
        big = bytes(range(256)) * (3 * MAX_FRAME // 256)  # split across several frames
        assert a.try_send(b.node_id, ChannelId.CONSENSUS, b"vote")
        assert a.try_send(b.node_id, ChannelId.MEMPOOL, big)
        b.broadcast(ChannelId.MEMPOOL, b"tx")
        await until(lambda: len(rb.received) == 2 and len(ra.received) == 1)
        assert rb.received == [(ChannelId.CONSENSUS, a.node_id, b"vote"), (ChannelId.MEMPOOL, a.node_id, big)]
        assert ra.received == [(ChannelId.MEMPOOL, b.node_id, b"tx")]
        with pytest.raises(ValueError, match="exceeds channel 0x20 limit"):
            a.try_send(b.node_id, ChannelId.CONSENSUS, bytes(LIMIT + 1))
        with pytest.raises(ValueError, match="no reactor"):
            a.try_send(b.node_id, ChannelId.EVIDENCE, b"x")
        assert not a.try_send("00" * 20, ChannelId.CONSENSUS, b"nobody")
        a.stop_peer(b.node_id, "test done")
        await until(lambda: ra.removed == [b.node_id] and rb.removed == [a.node_id])

    run(main)


def test_a_peer_is_sent_only_the_channels_it_has() -> None:
    """A node running fewer services (a state-syncing one has only PEX and the snapshot channel) is not sent
    traffic it would take for abuse; it still sends what it has."""

    async def main(nursery: trio.Nursery) -> None:
        full, on_full = await start(nursery)
        lean = Switch(NodeKey.generate(), config(persistent_peers=(address(full),)), network=NETWORK)
        on_lean = Recorder([ChannelSpec(ChannelId.MEMPOOL, priority=5, max_message_bytes=LIMIT)])
        lean.add_reactor(on_lean)
        await nursery.start(lean.run)
        await until(lambda: full.peers() == [lean.node_id] and lean.peers() == [full.node_id])
        assert not full.try_send(lean.node_id, ChannelId.CONSENSUS, b"vote")  # lean has no consensus channel
        full.broadcast(ChannelId.CONSENSUS, b"vote")
        assert full.try_send(lean.node_id, ChannelId.MEMPOOL, b"tx")
        assert lean.try_send(full.node_id, ChannelId.MEMPOOL, b"tx back")
        await until(lambda: len(on_lean.received) == 1 and len(on_full.received) == 1)
        assert on_lean.received == [(ChannelId.MEMPOOL, full.node_id, b"tx")]
        assert lean.peers() == [full.node_id]  # still connected: nothing it lacks reached it

    run(main)


def test_channel_ids_must_not_clash() -> None:
    switch = Switch(NodeKey.generate(), config(), network=NETWORK)
    switch.add_reactor(Recorder())
    with pytest.raises(P2PError, match="CONSENSUS is registered twice"):
        switch.add_reactor(Recorder([ChannelSpec(ChannelId.CONSENSUS, 1, 10)]))
    with pytest.raises(P2PError, match="PEX is registered twice"):
        switch.add_reactor(Recorder([ChannelSpec(ChannelId.PEX, 1, 10)]))


def test_dialling_a_different_node_id_than_expected_is_refused() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b, _ = await start(nursery)
        a, _ = await start(nursery)
        impostor = NodeKey.generate().node_id
        with pytest.raises(HandshakeError) as info:
            await a.dial(PeerAddress(impostor, "127.0.0.1", b.listen_port))
        assert str(info.value) == (
            f"peer at 127.0.0.1:{b.listen_port} has node id {b.node_id}, expected {impostor}"
        )
        assert a.peers() == [] and b.peers() == []

    run(main)


def test_network_mismatch_and_self_connection_are_refused() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b, _ = await start(nursery, network="other-chain")
        a, _ = await start(nursery)
        with pytest.raises(HandshakeError, match="is on network 'other-chain', we are on 'okchain-test-1'"):
            await a.dial(address(b))
        with pytest.raises(P2PError, match="self-connection"):
            await a.dial(address(a))
        with pytest.raises(HandshakeError, match=r"is this node \(self-connection\)"):
            await a.dial(PeerAddress(NodeKey.generate().node_id, "127.0.0.1", a.listen_port))
        assert a.peers() == [] and b.peers() == []

    run(main)


def test_handshake_timeout_against_a_silent_socket_both_ways() -> None:
    async def main(nursery: trio.Nursery) -> None:
        a, _ = await start(nursery, handshake_timeout_s=0.3)
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        silent_port = listeners[0].socket.getsockname()[1]

        async def hold(stream: trio.SocketStream) -> None:
            await trio.sleep_forever()

        nursery.start_soon(trio.serve_listeners, hold, listeners)
        with pytest.raises(HandshakeError, match=r"timed out after 0\.3 s"):
            await a.dial(PeerAddress(NodeKey.generate().node_id, "127.0.0.1", silent_port))
        # inbound: a client that connects and says nothing is closed after the timeout
        stream = await trio.open_tcp_stream("127.0.0.1", a.listen_port)
        started = trio.current_time()
        while await stream.receive_some(1024):
            pass  # the switch's ephemeral key, then EOF
        assert trio.current_time() - started >= 0.25

    run(main)


def test_idle_peer_is_dropped() -> None:
    async def main(nursery: trio.Nursery) -> None:
        a, ra = await start(nursery, idle_timeout_s=0.3)
        conn = await raw_peer(a.listen_port)  # never sends a frame after the handshake, not even a pong
        await until(lambda: len(a.peers()) == 1)
        await closed_by_remote(conn)
        await until(lambda: a.peers() == [] and len(ra.removed) == 1)
        assert not a.is_banned(ra.removed[0])

    run(main)


def test_pings_keep_a_quiet_connection_alive() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b, _ = await start(nursery, idle_timeout_s=0.6)
        a, _ = await start(nursery, idle_timeout_s=0.6, persistent_peers=(address(b),))
        await until(lambda: a.peers() == [b.node_id])
        await trio.sleep(1.5)  # > 2 idle timeouts without application traffic
        assert a.peers() == [b.node_id] and b.peers() == [a.node_id]

    run(main)


def test_max_inbound_is_enforced() -> None:
    async def main(nursery: trio.Nursery) -> None:
        hub, _ = await start(nursery, max_inbound=1)
        first, _ = await start(nursery)
        second, _ = await start(nursery)
        await first.dial(address(hub))
        with pytest.raises(HandshakeError, match="refused us: inbound peer limit 1 reached"):
            await second.dial(address(hub))
        assert hub.peers() == [first.node_id] and second.peers() == []

    run(main)


def _banned_after(
    send: Callable[[SecretConnection], Awaitable[None]], reason: str, delivered: int = 0
) -> None:
    """A raw peer misbehaves; the switch must close the connection, ban the node id, and refuse it again."""

    async def main(nursery: trio.Nursery) -> None:
        a, ra = await start(nursery)
        key = NodeKey.generate()
        conn = await raw_peer(a.listen_port, key)
        await until(lambda: a.peers() == [key.node_id])
        await send(conn)
        await closed_by_remote(conn)
        await until(lambda: a.peers() == [])
        assert a.is_banned(key.node_id), reason
        assert len(ra.received) == delivered
        with pytest.raises((HandshakeError, ConnectionClosed, trio.BrokenResourceError)):
            again = await raw_peer(a.listen_port, key)
            await again.receive()  # the switch closes a banned peer right after the handshake
        assert a.peers() == []

    run(main)


def test_malformed_message_gets_the_peer_banned() -> None:
    async def send(conn: SecretConnection) -> None:
        await conn.send(msg_frame(ChannelId.CONSENSUS, b"malformed"))

    _banned_after(send, "reactor raised PeerMisbehaved")


def test_unknown_channel_gets_the_peer_banned() -> None:
    async def send(conn: SecretConnection) -> None:
        await conn.send(msg_frame(0x99, b"hello"))

    _banned_after(send, "unknown channel")


def test_oversized_message_gets_the_peer_banned() -> None:
    async def send(conn: SecretConnection) -> None:
        chunk = bytes(60_000)
        for _ in range(LIMIT // len(chunk) + 1):  # never sends eof: the limit applies to the partial message
            await conn.send(msg_frame(ChannelId.MEMPOOL, chunk, eof=False))

    _banned_after(send, "oversized message")


def test_undecodable_frame_gets_the_peer_banned() -> None:
    async def send(conn: SecretConnection) -> None:
        await conn.send(b"\xff\xff\xff")

    _banned_after(send, "malformed frame")


def test_tampered_frame_gets_the_peer_banned() -> None:
    async def send(conn: SecretConnection) -> None:
        frame = bytearray(conn.seal(msg_frame(ChannelId.CONSENSUS, b"vote")))
        frame[-1] ^= 0x80
        await conn.stream.send_all(bytes(frame))

    _banned_after(send, "tampered frame")


def test_replayed_frame_ends_the_connection() -> None:
    async def send(conn: SecretConnection) -> None:
        frame = conn.seal(msg_frame(ChannelId.CONSENSUS, b"vote"))
        await conn.stream.send_all(frame + frame)

    _banned_after(send, "replayed frame", delivered=1)


def test_reordered_frames_end_the_connection() -> None:
    async def send(conn: SecretConnection) -> None:
        first = conn.seal(msg_frame(ChannelId.CONSENSUS, b"one"))
        second = conn.seal(msg_frame(ChannelId.CONSENSUS, b"two"))
        await conn.stream.send_all(second + first)

    _banned_after(send, "reordered frames")


def test_oversized_frame_ends_the_connection() -> None:
    async def send(conn: SecretConnection) -> None:
        await conn.stream.send_all((1 << 31).to_bytes(4, "big"))

    _banned_after(send, "oversized frame")


def test_a_reactor_bug_drops_the_peer_without_a_ban_and_the_switch_keeps_running() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b, rb = await start(nursery)
        a, _ = await start(nursery, persistent_peers=(address(b),))
        await until(lambda: b.peers() == [a.node_id])
        a.try_send(b.node_id, ChannelId.CONSENSUS, b"bug")
        await until(lambda: rb.removed == [a.node_id])
        assert not b.is_banned(a.node_id)
        await until(lambda: b.peers() == [a.node_id])  # a re-dials its persistent peer
        a.try_send(b.node_id, ChannelId.CONSENSUS, b"fine")
        await until(lambda: rb.received == [(ChannelId.CONSENSUS, a.node_id, b"fine")])

    run(main)


def test_stop_peer_with_ban_refuses_redial_within_the_ban_window() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b, _ = await start(nursery)
        a, _ = await start(nursery, ban_seconds=0.5)
        await a.dial(address(b))
        a.stop_peer(b.node_id, "sent an invalid vote", ban=True)
        await until(lambda: a.peers() == [])
        with pytest.raises(P2PError, match="is banned"):
            await a.dial(address(b))
        await trio.sleep(0.6)
        await a.dial(address(b))
        assert a.peers() == [b.node_id]

    run(main)


def test_a_ban_decided_while_the_peer_is_already_closing_still_bans_it() -> None:
    """A reactor may prove a lie (a forged block checked later) after the liar's connection began to close,
    for instance because it hung up at once; Peer.close kept the first, ban-less reason, so it got away."""

    async def main(nursery: trio.Nursery) -> None:
        b, _ = await start(nursery)
        a, _ = await start(nursery, ban_seconds=30.0)
        await a.dial(address(b))
        a._peers[b.node_id].close("connection closed by the peer")  # what its reader does on EOF
        a.stop_peer(b.node_id, "served a forged block", ban=True)  # the verdict, before deregistration
        await until(lambda: a.peers() == [])
        assert a.is_banned(b.node_id)

    run(main)


def test_persistent_peer_that_restarts_is_redialled() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b_key = NodeKey.generate()
        b_scope = trio.CancelScope()
        b_switch: list[Switch] = []

        async def run_b(listen: str, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
            with b_scope if not b_switch else trio.CancelScope():
                switch = Switch(b_key, config(listen=listen), network=NETWORK)
                switch.add_reactor(Recorder())
                b_switch.append(switch)
                await switch.run(task_status=task_status)

        port = await nursery.start(run_b, "127.0.0.1:0")
        a, ra = await start(nursery, persistent_peers=(PeerAddress(b_key.node_id, "127.0.0.1", port),))
        await until(lambda: a.peers() == [b_key.node_id])
        b_scope.cancel()
        await until(lambda: a.peers() == [])
        await trio.sleep(0.5)  # a keeps failing to dial while b is down
        await nursery.start(run_b, f"127.0.0.1:{port}")
        await until(lambda: a.peers() == [b_key.node_id] and b_switch[-1].peers() == [a.node_id])
        assert ra.added == [b_key.node_id, b_key.node_id] and ra.removed == [b_key.node_id]

    run(main)


def test_mutual_persistent_peers_converge_on_one_connection() -> None:
    async def main(nursery: trio.Nursery) -> None:
        a_key, b_key = NodeKey.generate(), NodeKey.generate()
        ports = []
        for _ in range(2):
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            ports.append(listeners[0].socket.getsockname()[1])
            listeners[0].socket.close()
        a_addr = PeerAddress(a_key.node_id, "127.0.0.1", ports[0])
        b_addr = PeerAddress(b_key.node_id, "127.0.0.1", ports[1])
        a, ra = await start(nursery, a_key, listen=f"127.0.0.1:{ports[0]}", persistent_peers=(b_addr,))
        b, rb = await start(nursery, b_key, listen=f"127.0.0.1:{ports[1]}", persistent_peers=(a_addr,))
        await until(lambda: a.peers() == [b.node_id] and b.peers() == [a.node_id])
        await trio.sleep(0.5)
        assert a.peers() == [b.node_id] and b.peers() == [a.node_id]
        assert len(ra.added) - len(ra.removed) == 1 and len(rb.added) - len(rb.removed) == 1
        a.try_send(b.node_id, ChannelId.CONSENSUS, b"still here")
        await until(lambda: rb.received == [(ChannelId.CONSENSUS, a.node_id, b"still here")])

    run(main)


def test_high_priority_message_overtakes_a_backlog() -> None:
    async def main(nursery: trio.Nursery) -> None:
        b, rb = await start(nursery)
        a, _ = await start(nursery, send_rate=4_000_000)
        await a.dial(address(b))
        backlog = 40
        for i in range(backlog):
            assert a.try_send(b.node_id, ChannelId.MEMPOOL, i.to_bytes(4, "big") + bytes(60_000))
        await until(lambda: len(rb.received) >= 2)  # the backlog is flowing
        a.try_send(b.node_id, ChannelId.CONSENSUS, b"vote")
        await until(lambda: len(rb.received) == backlog + 1)
        order = [channel for channel, _, _ in rb.received]
        position = order.index(ChannelId.CONSENSUS)
        assert position < backlog // 2, f"vote arrived after {position} of {backlog} queued mempool messages"

    run(main)


def test_send_rate_limit_keeps_a_flood_within_budget() -> None:
    rate = 400_000

    async def main(nursery: trio.Nursery) -> None:
        b, rb = await start(nursery)
        a, _ = await start(nursery, send_rate=rate)
        await a.dial(address(b))
        started = trio.current_time()
        for _ in range(200):
            a.try_send(b.node_id, ChannelId.MEMPOOL, bytes(10_000))  # 2 MB: 5 s at the limit
        await trio.sleep(0.8)
        elapsed = trio.current_time() - started
        budget = max(rate // 10, MAX_FRAME + 20) + rate * elapsed + MAX_FRAME
        assert rate * 0.3 <= rb.bytes <= budget, (rb.bytes, budget)
        sent = a._peers[b.node_id].conn.bytes_sent
        assert sent <= budget + 4096

    run(main)


def test_receive_rate_limit_slows_the_sender_down() -> None:
    rate = 400_000

    async def main(nursery: trio.Nursery) -> None:
        b, rb = await start(nursery, recv_rate=rate)
        a, _ = await start(nursery)
        await a.dial(address(b))
        started = trio.current_time()
        for _ in range(200):
            a.try_send(b.node_id, ChannelId.MEMPOOL, bytes(10_000))
        await trio.sleep(0.8)
        elapsed = trio.current_time() - started
        budget = max(rate // 10, MAX_FRAME + 20) + rate * elapsed + MAX_FRAME
        assert rate * 0.3 <= rb.bytes <= budget, (rb.bytes, budget)
        assert b._peers[a.node_id].conn.bytes_received <= budget + 4096

    run(main)


def test_peer_that_stops_reading_is_dropped_even_if_it_keeps_pinging() -> None:
    async def main(nursery: trio.Nursery) -> None:
        a, ra = await start(nursery, idle_timeout_s=0.5)
        key = NodeKey.generate()
        conn = await raw_peer(a.listen_port, key)
        await until(lambda: a.peers() == [key.node_id])
        ping = p2p_pb2.Frame(packets=[p2p_pb2.Packet(ping=p2p_pb2.Ping())]).SerializeToString()
        for _ in range(100):  # 25 MB: more than the loopback socket buffers hold
            a.try_send(key.node_id, ChannelId.MEMPOOL, bytes(LIMIT))
        with trio.move_on_after(5):
            while a.peers():
                await conn.send(ping)  # alive on the read side, never reading
                await trio.sleep(0.1)
        assert a.peers() == [] and ra.removed == [key.node_id]
        assert not a.is_banned(key.node_id)

    run(main)


def test_listening_on_a_taken_port_is_a_clear_error() -> None:
    async def main(nursery: trio.Nursery) -> None:
        a, _ = await start(nursery)
        with pytest.raises(P2PError, match=f"cannot listen on 127.0.0.1:{a.listen_port}: "):
            await start(nursery, listen=f"127.0.0.1:{a.listen_port}")

    run(main)


def test_p2p_config_from_node_config(tmp_path: Path) -> None:
    from okchain.node.config import NodeConfig

    ids = [NodeKey.generate().node_id for _ in range(3)]
    node = NodeConfig(
        p2p_listen="0.0.0.0:26000",
        persistent_peers=f"{ids[0]}@10.0.0.1:26656,{ids[1]}@host.example:26657",
        seeds=f"{ids[2]}@seed.example:26656",
        p2p_handshake_timeout_ms=1500,
        p2p_idle_timeout_ms=9000,
    )
    cfg = node.p2p_config(tmp_path / "addrbook.json")
    assert cfg.listen == "0.0.0.0:26000" and cfg.address_book == tmp_path / "addrbook.json"
    assert cfg.persistent_peers == (
        PeerAddress(ids[0], "10.0.0.1", 26656),
        PeerAddress(ids[1], "host.example", 26657),
    )
    assert cfg.seeds == (PeerAddress(ids[2], "seed.example", 26656),)
    assert (cfg.handshake_timeout_s, cfg.idle_timeout_s, cfg.ban_seconds) == (1.5, 9.0, 600.0)
    assert (cfg.max_inbound, cfg.max_outbound, cfg.pex, cfg.max_inbound_per_minute) == (40, 10, True, 30)
    assert NodeConfig(p2p_max_inbound_per_minute=0).p2p_config(None).max_inbound_per_minute == 0
    with pytest.raises(P2PError, match="must be node_id@host:port"):
        NodeConfig(persistent_peers="10.0.0.1:26656").p2p_config(None)


def test_a_ban_covers_the_ip_except_loopback_which_every_local_process_shares() -> None:
    async def main() -> None:
        switch = Switch(NodeKey.generate(), config(ban_seconds=0.2), network=NETWORK)
        remote, local = NodeKey.generate().node_id, NodeKey.generate().node_id
        switch._ban(remote, "203.0.113.7", "test")
        switch._ban(local, "127.0.0.1", "test")
        assert switch.is_banned(remote) and switch.is_banned("203.0.113.7")
        assert switch.is_banned(local) and not switch.is_banned("127.0.0.1")
        await trio.sleep(0.25)
        assert not switch.is_banned(remote) and not switch.is_banned("203.0.113.7")

    trio.run(main)


async def _attempt(port: int, key: NodeKey) -> tuple[SecretConnection, str]:
    """One raw inbound connection (handshake and NodeInfo); the switch's refusal, "" if it admitted us."""
    conn = await handshake(await trio.open_tcp_stream("127.0.0.1", port), key)
    info = NodeInfo(key.node_id, 0, NETWORK, PROTOCOL_VERSION, bytes([0x00, 0x20, 0x30]), "loop")
    await conn.send(info.encode())
    return conn, NodeInfo.decode(await conn.receive()).refusal


def test_a_peer_reconnecting_in_a_loop_is_refused_then_banned_while_others_carry_on() -> None:
    async def main(nursery: trio.Nursery) -> None:
        a, ra = await start(nursery, max_inbound_per_minute=3)
        good, rgood = await start(nursery, persistent_peers=(address(a),))
        await until(lambda: a.peers() == [good.node_id])
        key = NodeKey.generate()
        refusals = []
        for _ in range(9):
            conn, refusal = await _attempt(a.listen_port, key)
            refusals.append(refusal)
            if not refusal:
                await until(lambda: key.node_id in a.peers())
            await conn.aclose()
            await until(lambda: key.node_id not in a.peers())
        assert refusals[:3] == ["", "", ""]
        limited = f"more than 3 inbound connections a minute from {key.node_id}@127.0.0.1"
        assert refusals[3:6] == [limited] * 3
        assert refusals[6] == f"peer {key.node_id} is banned: reconnecting more than 6 times a minute"
        assert refusals[7:] == [f"peer {key.node_id} is banned"] * 2
        assert a.is_banned(key.node_id) and not a.is_banned("127.0.0.1")  # loopback is every local process
        assert a.peers() == [good.node_id] and good.peers() == [a.node_id]  # never dropped
        assert good.try_send(a.node_id, ChannelId.CONSENSUS, b"still here")
        a.broadcast(ChannelId.MEMPOOL, b"tx")
        await until(lambda: len(ra.received) == 1 and len(rgood.received) == 1)
        assert ra.received == [(ChannelId.CONSENSUS, good.node_id, b"still here")]
        assert rgood.received == [(ChannelId.MEMPOOL, a.node_id, b"tx")]
        assert (await _attempt(a.listen_port, NodeKey.generate()))[1] == ""  # a newcomer still gets in

    run(main)


def test_reconnects_are_counted_per_host_too_and_forgotten_after_a_minute() -> None:
    """Fresh node ids from one remote address share its count (loopback's is not kept: every local
    process shares it); attempts older than the window no longer count."""

    async def main() -> None:
        switch = Switch(NodeKey.generate(), config(max_inbound_per_minute=2), network=NETWORK)
        host = "203.0.113.7"

        def refusal(host: str) -> str | None:
            key = NodeKey.generate()
            info = NodeInfo(key.node_id, 0, NETWORK, PROTOCOL_VERSION, b"\x20", "")
            return switch._inbound_refusal(info, host)

        assert [refusal(host) for _ in range(2)] == [None, None]
        assert (refusal(host) or "").startswith("more than 2 inbound connections a minute from ")
        assert [refusal("127.0.0.1") for _ in range(5)] == [None] * 5
        refusal(host)
        assert not switch.is_banned(host)
        assert (refusal(host) or "").endswith("is banned: reconnecting more than 4 times a minute")
        assert switch.is_banned(host)

    trio.run(main)
    window = AttemptWindow(60.0, cap=5)
    assert [window.hit("peer", t) for t in (0.0, 1.0, 2.0)] == [1, 2, 3]
    assert window.hit("peer", 60.5) == 3  # the attempt at 0 s left the window
    assert window.hit("peer", 200.0) == 1
    assert [window.hit("flood", float(t)) for t in range(10)][-1] == 5  # bounded per key
    small = AttemptWindow(60.0, cap=3, max_keys=2)
    for name in ("a", "b", "c"):
        small.hit(name, 0.0)
    assert len(small) == 2 and small.hit("a", 1.0) == 1  # the least recently seen was forgotten
