"""Fuzzing the decoders that read from the network: whatever a peer sends, the switch delivers it, ignores
it or disconnects the peer — it never crashes, and a well-behaved peer is still served afterwards."""

import logging

import pytest
import trio
import trio.testing
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.conn import ConnectionClosed, SecretConnection, _Reader, derive_secrets, handshake
from okchain.p2p.errors import HandshakeError, P2PError, PeerMisbehaved
from okchain.p2p.keys import NodeKey
from okchain.p2p.peer import NodeInfo
from okchain.p2p.switch import ChannelId, Switch
from tests.helpers.p2p import NETWORK, config, msg_frame, raw_peer, run, start, until

packets = st.builds(
    lambda channel, eof, data: p2p_pb2.Packet(msg=p2p_pb2.PacketMsg(channel=channel, eof=eof, data=data)),
    st.sampled_from([0x00, 0x20, 0x30, 0x38, 0x99, 2**32 - 1]),
    st.booleans(),
    st.binary(max_size=64),
) | st.sampled_from(
    [p2p_pb2.Packet(ping=p2p_pb2.Ping()), p2p_pb2.Packet(pong=p2p_pb2.Pong()), p2p_pb2.Packet()]
)
frames = st.lists(packets, max_size=6).map(lambda ps: p2p_pb2.Frame(packets=ps).SerializeToString())
pex = st.binary(max_size=64).map(lambda data: msg_frame(ChannelId.PEX, data))
payloads = st.lists(st.binary(max_size=200) | frames | pex, min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_node_info_decoder_only_raises_p2p_errors(data: bytes) -> None:
    try:
        info = NodeInfo.decode(data)
    except P2PError:
        return
    assert NodeInfo.decode(info.encode()) == info


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.lists(payloads, min_size=12, max_size=12))
def test_switch_survives_arbitrary_frames_from_authenticated_peers(sessions: list[list[bytes]]) -> None:
    errors: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = errors.append  # type: ignore[method-assign]

    async def main(nursery: trio.Nursery) -> None:
        a, ra = await start(nursery, pex=True, pex_interval_s=60.0)
        for session in sessions:
            conn = await raw_peer(a.listen_port)
            try:
                for frame in session:
                    await conn.send(frame)
            except (trio.BrokenResourceError, ConnectionClosed, OSError):
                pass  # the switch already hung up on this peer
            await conn.aclose()
        await until(lambda: a.peers() == [])
        key = NodeKey.generate()
        good = await raw_peer(a.listen_port, key)
        await good.send(msg_frame(ChannelId.CONSENSUS, b"still serving"))
        await until(lambda: (ChannelId.CONSENSUS, key.node_id, b"still serving") in ra.received)

    logging.getLogger("okchain.p2p").addHandler(handler)
    try:
        run(main, timeout=30)
    finally:
        logging.getLogger("okchain.p2p").removeHandler(handler)
    assert not errors, [r.getMessage() for r in errors]


@settings(max_examples=150, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(max_size=200)
    | st.builds(
        lambda key, sig: p2p_pb2.AuthSig(pub_key=key, signature=sig).SerializeToString(),
        st.binary(max_size=40),
        st.binary(max_size=70),
    ),
)
def test_handshake_refuses_any_ephemeral_key_and_authentication_message_with_a_handshake_error(
    ephemeral: bytes, auth: bytes
) -> None:
    """The handshake decoders (the peer's ephemeral key, its sealed AuthSig) only ever raise
    HandshakeError, whatever a peer that completed or faked the key exchange sends."""

    async def main() -> None:
        ours, theirs = trio.testing.memory_stream_pair()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_rogue_handshake, theirs, ephemeral, auth)
            with pytest.raises(HandshakeError):
                await handshake(ours, NodeKey.generate())
            nursery.cancel_scope.cancel()

    trio.run(main)


async def _rogue_handshake(stream: trio.abc.Stream, ephemeral: bytes, auth: bytes) -> None:
    """Send ``ephemeral`` as the key; if it is a usable X25519 key, seal ``auth`` as the AuthSig under the
    keys derived with a real agreement (a key of our own), then hang up."""
    private = X25519PrivateKey.generate()
    real = private.public_key().public_bytes_raw()
    reader = _Reader(stream)
    remote = await reader.read_exactly(32)
    use_real = ephemeral[0] % 2 == 0
    await stream.send_all(real if use_real else ephemeral)
    if use_real:
        shared = private.exchange(X25519PublicKey.from_public_bytes(remote))
        recv_key, send_key, _ = derive_secrets(shared, real, remote)
        conn = SecretConnection(stream, reader, send_key, recv_key)
        await conn.send(auth)
    await stream.aclose()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda ident, host, port: p2p_pb2.PeerAddress(node_id=ident, host=host, port=port),
            st.text(max_size=44) | st.just("ab" * 20),
            st.text(max_size=300),
            st.integers(0, 2**32 - 1),
        ),
        max_size=5,
    )
)
def test_pex_addresses_we_asked_for_are_stored_or_refused_as_misbehaviour(
    entries: list[p2p_pb2.PeerAddress],
) -> None:
    message = p2p_pb2.PexMessage(addrs=p2p_pb2.PexAddrs(addrs=entries)).SerializeToString()
    peer = "cd" * 20

    async def main() -> None:
        switch = Switch(NodeKey.generate(), config(pex=True), network=NETWORK)
        switch._pex_asked.add(peer)
        try:
            switch._pex_receive(peer, message)
        except PeerMisbehaved as exc:
            assert str(exc)
            return
        stored = {a.node_id: a for a in switch._book.addresses()}
        for e in entries:
            assert e.node_id in stored and 0 < stored[e.node_id].port < 65536

    trio.run(main)
