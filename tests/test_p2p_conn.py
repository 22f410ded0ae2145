"""Node keys, peer addresses and the secret connection: handshake, authentication and frame integrity."""

import json
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.conn import MAX_FRAME, SecretConnection, derive_secrets, handshake
from okchain.p2p.errors import FrameError, HandshakeError, P2PError
from okchain.p2p.keys import NodeKey, node_id, parse_peer_address, parse_peer_list


def run(main: Callable[[], Awaitable[None]], timeout: float = 10) -> None:
    async def bounded() -> None:
        with trio.fail_after(timeout):
            await main()

    trio.run(bounded)


async def connected_pair(a_key: NodeKey, b_key: NodeKey) -> tuple[SecretConnection, SecretConnection]:
    left, right = trio.testing.memory_stream_pair()
    conns: dict[str, SecretConnection] = {}

    async def side(name: str, stream: trio.abc.Stream, key: NodeKey) -> None:
        conns[name] = await handshake(stream, key)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(side, "a", left, a_key)
        nursery.start_soon(side, "b", right, b_key)
    return conns["a"], conns["b"]


def test_node_key_file_round_trip_and_no_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "config" / "node_key.json"
    key = NodeKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data == {"type": "ed25519", "pub_key": key.public_key.hex(), "seed": key.seed.hex()}
    assert NodeKey.load_or_create(path) == key
    with pytest.raises(P2PError, match="already exists"):
        NodeKey.generate().save(path)
    assert NodeKey.load(path) == key
    path.write_text(json.dumps({**data, "pub_key": NodeKey.generate().public_key.hex()}))
    with pytest.raises(P2PError, match="does not match"):
        NodeKey.load(path)


def test_node_id_is_truncated_sha256_of_the_public_key() -> None:
    key = NodeKey(bytes(range(32)))
    import hashlib

    assert key.node_id == hashlib.sha256(key.public_key).hexdigest()[:40]
    assert node_id(key.public_key) == key.node_id
    assert len(key.node_id) == 40 and key.node_id == key.node_id.lower()


def test_parse_peer_address() -> None:
    ident = NodeKey(bytes(32)).node_id
    address = parse_peer_address(f" {ident}@127.0.0.1:26656 ")
    assert (address.node_id, address.host, address.port) == (ident, "127.0.0.1", 26656)
    assert str(address) == f"{ident}@127.0.0.1:26656"
    v6 = parse_peer_address(f"{ident}@[::1]:1")
    assert v6.host == "::1" and str(v6) == f"{ident}@[::1]:1"
    assert parse_peer_list(f"{ident}@a:1, ,{ident}@b:2") == (
        parse_peer_address(f"{ident}@a:1"),
        parse_peer_address(f"{ident}@b:2"),
    )
    for bad, reason in [
        ("127.0.0.1:26656", "node_id@host:port"),
        (f"{ident[:-1]}@h:1", "40 lowercase hex"),
        (f"{ident.upper()}@h:1", "40 lowercase hex"),
        (f"{ident}@h", "host:port"),
        (f"{ident}@h:99999", "bad port"),
        (f"{ident}@h:0", "port 0"),
        (f"{ident}@:5", "host:port"),
    ]:
        with pytest.raises(P2PError, match=reason):
            parse_peer_address(bad)


def test_handshake_authenticates_both_node_keys_and_frames_flow_both_ways() -> None:
    a_key, b_key = NodeKey.generate(), NodeKey.generate()

    async def main() -> None:
        a, b = await connected_pair(a_key, b_key)
        assert a.remote_public_key == b_key.public_key and a.remote_node_id == b_key.node_id
        assert b.remote_public_key == a_key.public_key and b.remote_node_id == a_key.node_id
        for i in range(3):
            await a.send(b"ping %d" % i)
            assert await b.receive() == b"ping %d" % i
            await b.send(b"pong %d" % i)
            assert await a.receive() == b"pong %d" % i
        big = bytes(range(256)) * (MAX_FRAME // 256)
        await a.send(big)
        assert await b.receive() == big

    run(main)


def test_derived_keys_mirror_each_other() -> None:
    shared, e1, e2 = b"s" * 32, b"\x01" * 32, b"\x02" * 32
    recv1, send1, challenge1 = derive_secrets(shared, e1, e2)
    recv2, send2, challenge2 = derive_secrets(shared, e2, e1)
    assert (recv1, send1, challenge1) == (send2, recv2, challenge2)
    assert len({recv1, send1, challenge1}) == 3


async def _corrupt_and_expect(mangle: Callable[[SecretConnection], list[bytes]]) -> str:
    a, b = await connected_pair(NodeKey.generate(), NodeKey.generate())
    for chunk in mangle(a):
        await a.stream.send_all(chunk)
    await a.stream.aclose()
    with pytest.raises(FrameError) as info:
        while True:
            await b.receive()
    return str(info.value)


def test_tampered_frame_fails_authentication() -> None:
    def tamper(a: SecretConnection) -> list[bytes]:
        frame = bytearray(a.seal(b"hello world"))
        frame[7] ^= 0x01
        return [bytes(frame)]

    async def main() -> None:
        assert "failed authentication" in await _corrupt_and_expect(tamper)

    run(main)


def test_replayed_frame_fails_authentication() -> None:
    async def main() -> None:
        a, b = await connected_pair(NodeKey.generate(), NodeKey.generate())
        frame = a.seal(b"pay 1 okt")
        await a.stream.send_all(frame)
        assert await b.receive() == b"pay 1 okt"
        await a.stream.send_all(frame)
        with pytest.raises(FrameError, match="failed authentication"):
            await b.receive()

    run(main)


def test_reordered_frames_fail_authentication() -> None:
    def reorder(a: SecretConnection) -> list[bytes]:
        first, second = a.seal(b"first"), a.seal(b"second")
        return [second, first]

    async def main() -> None:
        assert "failed authentication" in await _corrupt_and_expect(reorder)

    run(main)


def test_dropped_frame_fails_authentication() -> None:
    def drop(a: SecretConnection) -> list[bytes]:
        a.seal(b"lost")
        return [a.seal(b"after the lost one")]

    async def main() -> None:
        await _corrupt_and_expect(drop)

    run(main)


def test_oversized_frame_is_refused_before_reading_it() -> None:
    def oversized(a: SecretConnection) -> list[bytes]:
        return [(MAX_FRAME + 1).to_bytes(4, "big")]  # no body follows: the length alone ends it

    async def main() -> None:
        assert f"exceeds the limit of {MAX_FRAME}" in await _corrupt_and_expect(oversized)
        a, _ = await connected_pair(NodeKey.generate(), NodeKey.generate())
        with pytest.raises(ValueError, match="exceeds the limit"):
            a.seal(bytes(MAX_FRAME + 1))

    run(main)


@settings(max_examples=40, deadline=None)
@given(
    position=st.integers(min_value=4, max_value=4 + 11 + 16 - 1), bit=st.integers(min_value=0, max_value=7)
)
def test_any_flipped_bit_in_a_sealed_frame_is_detected(position: int, bit: int) -> None:
    def flip(a: SecretConnection) -> list[bytes]:
        frame = bytearray(a.seal(b"hello world"))
        frame[position] ^= 1 << bit
        return [bytes(frame)]

    async def main() -> None:
        await _corrupt_and_expect(flip)

    run(main)


async def _server_handshake_against(client: Callable[[trio.abc.Stream], Awaitable[None]]) -> str:
    left, right = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(client, right)
        with pytest.raises(HandshakeError) as info:
            await handshake(left, NodeKey.generate())
        nursery.cancel_scope.cancel()
    return str(info.value)


def test_low_order_ephemeral_key_is_refused() -> None:
    async def zero_key(stream: trio.abc.Stream) -> None:
        await stream.send_all(bytes(32))
        await trio.sleep_forever()

    async def main() -> None:
        assert "low-order" in await _server_handshake_against(zero_key)

    run(main)


def test_signature_over_a_different_challenge_is_refused() -> None:
    """A peer (e.g. a man in the middle relaying keys) that cannot sign this session's challenge fails."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

    liar = NodeKey.generate()

    async def forger(stream: trio.abc.Stream) -> None:
        eph = X25519PrivateKey.generate()
        mine = eph.public_key().public_bytes_raw()
        await stream.send_all(mine)
        theirs = b""
        while len(theirs) < 32:
            theirs += await stream.receive_some(32 - len(theirs))
        recv_key, send_key, _challenge = derive_secrets(
            eph.exchange(X25519PublicKey.from_public_bytes(theirs)), mine, theirs
        )
        conn = SecretConnection(stream, _NullReader(), send_key, recv_key)
        auth = p2p_pb2.AuthSig(pub_key=liar.public_key, signature=liar.sign(b"some other challenge"))
        await conn.send(auth.SerializeToString())
        await trio.sleep_forever()

    async def main() -> None:
        assert "signature over the handshake challenge is invalid" in await _server_handshake_against(forger)

    run(main)


class _NullReader:
    async def read_exactly(self, n: int) -> bytes:
        await trio.sleep_forever()
        raise AssertionError


def test_peer_closing_during_handshake_is_a_handshake_error() -> None:
    async def hang_up(stream: trio.abc.Stream) -> None:
        await stream.aclose()

    async def main() -> None:
        assert "connection lost" in await _server_handshake_against(hang_up)

    run(main)
