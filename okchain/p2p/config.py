"""The switch's settings: listen address, peers, limits and timers, in the units the switch uses."""

from dataclasses import dataclass
from pathlib import Path

from okchain.p2p.keys import PeerAddress


@dataclass(frozen=True, slots=True)
class P2PConfig:
    listen: str
    persistent_peers: tuple[PeerAddress, ...]
    seeds: tuple[PeerAddress, ...]
    pex: bool
    max_inbound: int
    max_outbound: int
    send_rate: int  # bytes/s per peer, 0 = unlimited
    recv_rate: int
    handshake_timeout_s: float
    idle_timeout_s: float
    ban_seconds: float
    address_book: Path | None  # <home>/data/addrbook.json, or None (tests)
    ban_list: Path | None = None  # <home>/data/bans.json, or None (tests): bans then end with the process
    pex_interval_s: float = 30.0  # how often we ask a peer for addresses and try to fill outbound slots
    dial_backoff_s: float = 0.5  # first re-dial delay of a persistent peer, doubling up to the cap
    max_dial_backoff_s: float = 30.0
    seed_wait_s: float = 10.0  # how long a seed connection may stay open waiting for its answer
    max_inbound_per_minute: int = 30  # dials per node id (and non-loopback host); twice this bans; 0 = off
