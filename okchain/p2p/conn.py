"""The secret connection: an authenticated, encrypted byte-frame stream over TCP.

Modelled on CometBFT's ``p2p/conn/secret_connection.go`` with a simpler frame. Handshake: both sides send
an ephemeral X25519 public key; HKDF-SHA256 over the shared secret, with a transcript hash binding both
ephemeral keys in sorted order, yields two 32-byte frame keys (the side with the lower ephemeral key
receives with the first) and a 32-byte challenge; each side then sends, encrypted, its ed25519 node key and
its signature over the challenge. A man in the middle cannot sign a challenge bound to keys it replaced.

Frame: ``len (4 bytes, big endian) || ChaCha20-Poly1305(key, nonce = 4 zero bytes || counter (8 bytes,
little endian), plaintext, aad = len)``. The counter is per direction and increments per frame, so a
replayed, dropped, reordered or tampered frame fails authentication; the length is authenticated as
associated data and capped before anything is read, so an oversized frame ends the connection before any
allocation. Overhead: 20 bytes per frame.
"""

import struct

import trio
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from google.protobuf.message import DecodeError

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.crypto.ed25519 import verify
from okchain.crypto.hashing import sha256
from okchain.p2p.errors import FrameError, HandshakeError, P2PError
from okchain.p2p.keys import NodeKey, node_id

LABEL = b"okchain/p2p/v1/secret-connection"
MAX_FRAME = 64 * 1024  # plaintext bytes per frame; larger messages are split by the peer layer
TAG = 16
_LEN = struct.Struct(">I")
_NONCE_PREFIX = b"\x00" * 4
_MAX_COUNTER = 2**64 - 1


class ConnectionClosed(P2PError):
    """The remote side closed the TCP connection."""


class _Reader:
    """Exact-length reads over a trio stream, keeping what arrives beyond the current read."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self._stream = stream
        self._buf = bytearray()

    async def read_exactly(self, n: int) -> bytes:
        while len(self._buf) < n:
            data = await self._stream.receive_some(max(65536, n - len(self._buf)))
            if not data:
                raise ConnectionClosed("connection closed by the peer")
            self._buf += data
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


def _nonce(counter: int) -> bytes:
    if counter > _MAX_COUNTER:
        raise FrameError("frame counter exhausted; reconnect")
    return _NONCE_PREFIX + counter.to_bytes(8, "little")


class SecretConnection:
    """Encrypted frames in both directions; ``remote_public_key`` is the peer's authenticated node key."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        reader: _Reader,
        send_key: bytes,
        recv_key: bytes,
        max_frame: int = MAX_FRAME,
    ) -> None:
        self.stream = stream
        self._reader = reader
        self._send = ChaCha20Poly1305(send_key)
        self._recv = ChaCha20Poly1305(recv_key)
        self._send_counter = 0
        self._recv_counter = 0
        self.max_frame = max_frame
        self.remote_public_key = b""
        self.bytes_sent = 0
        self.bytes_received = 0

    @property
    def remote_node_id(self) -> str:
        return node_id(self.remote_public_key)

    def seal(self, plaintext: bytes) -> bytes:
        """One encrypted frame (header included), consuming a send counter value."""
        if len(plaintext) > self.max_frame:
            raise ValueError(f"frame of {len(plaintext)} bytes exceeds the limit of {self.max_frame}")
        header = _LEN.pack(len(plaintext))
        sealed = self._send.encrypt(_nonce(self._send_counter), plaintext, header)
        self._send_counter += 1
        return header + sealed

    async def send_frames(self, frames: list[bytes]) -> None:
        """Send already sealed frames in one write."""
        data = b"".join(frames)
        await self.stream.send_all(data)
        self.bytes_sent += len(data)

    async def send(self, plaintext: bytes) -> None:
        await self.send_frames([self.seal(plaintext)])

    async def receive(self) -> bytes:
        """The next frame's plaintext; FrameError if it is oversized or fails authentication."""
        header = await self._reader.read_exactly(_LEN.size)
        (length,) = _LEN.unpack(header)
        if length > self.max_frame:
            raise FrameError(f"frame of {length} bytes exceeds the limit of {self.max_frame}")
        sealed = await self._reader.read_exactly(length + TAG)
        try:
            plaintext = self._recv.decrypt(_nonce(self._recv_counter), sealed, header)
        except InvalidTag:
            raise FrameError(
                f"frame {self._recv_counter} failed authentication (tampered, replayed or reordered)"
            ) from None
        self._recv_counter += 1
        self.bytes_received += _LEN.size + len(sealed)
        return plaintext

    async def aclose(self) -> None:
        await trio.aclose_forcefully(self.stream)


def derive_secrets(shared: bytes, local_eph: bytes, remote_eph: bytes) -> tuple[bytes, bytes, bytes]:
    """(receive key, send key, challenge) from the X25519 shared secret and both ephemeral keys."""
    lo, hi = sorted((local_eph, remote_eph))
    transcript = sha256(LABEL + lo + hi)
    okm = HKDF(algorithm=hashes.SHA256(), length=96, salt=None, info=LABEL + transcript).derive(shared)
    first, second, challenge = okm[:32], okm[32:64], okm[64:]
    if local_eph == lo:
        return first, second, challenge
    return second, first, challenge


async def handshake(stream: trio.abc.Stream, key: NodeKey, *, max_frame: int = MAX_FRAME) -> SecretConnection:
    """Run the key exchange and authentication; the caller bounds it with a timeout."""
    reader = _Reader(stream)
    ephemeral = X25519PrivateKey.generate()
    local_eph = ephemeral.public_key().public_bytes_raw()
    try:
        await stream.send_all(local_eph)
        remote_eph = await reader.read_exactly(32)
    except (trio.BrokenResourceError, ConnectionClosed, OSError) as exc:
        raise HandshakeError(f"connection lost during the key exchange: {exc}") from None
    if remote_eph == local_eph:
        raise HandshakeError("peer echoed our ephemeral key")
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(remote_eph))
    except ValueError:
        raise HandshakeError("peer sent a low-order ephemeral key (all-zero shared secret)") from None
    recv_key, send_key, challenge = derive_secrets(shared, local_eph, remote_eph)
    conn = SecretConnection(stream, reader, send_key, recv_key, max_frame)
    auth = p2p_pb2.AuthSig(pub_key=key.public_key, signature=key.sign(challenge))
    try:
        await conn.send(auth.SerializeToString())
        remote = p2p_pb2.AuthSig.FromString(await conn.receive())
    except (trio.BrokenResourceError, ConnectionClosed, OSError) as exc:
        raise HandshakeError(f"connection lost during authentication: {exc}") from None
    except (FrameError, DecodeError) as exc:
        raise HandshakeError(f"bad authentication message: {exc}") from None
    if len(remote.pub_key) != 32:
        raise HandshakeError(f"peer node key has {len(remote.pub_key)} bytes, expected 32")
    if not verify(remote.pub_key, challenge, remote.signature):
        raise HandshakeError("peer signature over the handshake challenge is invalid")
    conn.remote_public_key = bytes(remote.pub_key)
    return conn
