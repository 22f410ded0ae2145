"""Errors of the p2p layer; each names the peer and what it did wrong."""

from okchain.errors import OKChainError


class P2PError(OKChainError):
    """Root of every p2p error."""


class HandshakeError(P2PError):
    """The key exchange, authentication or NodeInfo exchange failed; the connection is closed."""


class FrameError(P2PError):
    """A frame failed authentication (tampered, replayed, reordered) or is oversized: the connection ends."""


class PeerMisbehaved(P2PError):
    """Raised by a reactor's ``receive`` for malformed input: the switch disconnects and bans the peer."""
