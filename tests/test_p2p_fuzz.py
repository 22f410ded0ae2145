"""Fuzzing the decoders that read from the network: whatever a peer sends, the switch delivers it, ignores
it or disconnects the peer — it never crashes, and a well-behaved peer is still served afterwards."""

import logging

import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_p2p_switch import msg_frame, raw_peer, run, start, until

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.conn import ConnectionClosed
from okchain.p2p.errors import P2PError
from okchain.p2p.keys import NodeKey
from okchain.p2p.peer import NodeInfo
from okchain.p2p.switch import ChannelId

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
