"""Channels and the reactor interface: what node services see of the network (whole messages per channel)."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol


class ChannelId(IntEnum):
    PEX = 0x00
    CONSENSUS = 0x20  # proposals, blocks, votes, round-state announcements, catch-up commits
    MEMPOOL = 0x30
    EVIDENCE = 0x38
    BLOCKSYNC = 0x40
    SNAPSHOT = 0x60  # state sync: snapshot offers, manifests, chunks and light blocks


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    id: ChannelId
    priority: int  # higher goes first when several channels have data queued for a peer
    max_message_bytes: int  # a larger inbound message: disconnect + ban; a larger outbound one: ValueError
    send_queue: int = 1024  # messages queued per peer; when full, try_send returns False


class Reactor(Protocol):
    """A node service that talks on some channels. Every callback runs on the trio thread and must not
    block: decode, validate cheaply, queue work for the reactor's own tasks. ``receive`` raises
    ``PeerMisbehaved(reason)`` for malformed input, which disconnects and bans the peer; any other exception
    drops the peer (logged) without stopping the switch."""

    def channels(self) -> Sequence[ChannelSpec]: ...

    def peer_added(self, peer: str) -> None: ...

    def peer_removed(self, peer: str) -> None: ...

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None: ...


class PeerSender(Protocol):
    """What a reactor needs of the ``Switch`` to talk to peers."""

    def try_send(self, peer: str, channel: ChannelId, message: bytes) -> bool: ...

    def broadcast(self, channel: ChannelId, message: bytes) -> None: ...

    def stop_peer(self, peer: str, reason: str, *, ban: bool = False) -> None: ...
