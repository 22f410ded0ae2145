"""State sync, the pure part: which snapshot to fetch, and which chunk to ask of which peer when.

``rank_snapshots`` orders what peers offered: snapshots offered by at least ``min_peers`` peers first (one
peer alone may be offering a fake), newest first, then by how many peers offer them. ``ChunkFetcher``
fetches one snapshot's chunks from every peer that offers it, in parallel: at most ``per_peer`` requests
in flight to one peer and at most ``window`` chunks ahead of the next one to write (which bounds memory),
a request unanswered within ``timeout_s`` goes to another peer (its peer gets a strike, and leaves the
fetch after ``max_strikes``), a peer that served a bad chunk or says it lacks one leaves the fetch and the
chunk is asked of another. The shell checks each chunk (``SnapshotImporter.check``), bans liars and writes
chunks in order; time is passed in, so all of this is testable without a network or a clock.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class SnapshotName:
    """What names a snapshot: its height and the sha256 over its chunk list."""

    height: int
    chunks_hash: bytes


def rank_snapshots(offers: Mapping[str, Iterable[SnapshotName]], min_peers: int) -> list[SnapshotName]:
    """Snapshots offered by ``min_peers`` or more peers first, each group newest first, then by how many
    peers offer it (ties by chunks hash, so every run picks alike)."""
    count: dict[SnapshotName, int] = {}
    for names in offers.values():
        for name in set(names):
            count[name] = count.get(name, 0) + 1
    return sorted(
        count, key=lambda n: (count[n] >= min_peers, n.height, count[n], n.chunks_hash), reverse=True
    )


@dataclass(frozen=True, slots=True)
class FetchConfig:
    per_peer: int = 2  # chunk requests in flight to one peer
    window: int = 8  # chunks fetched ahead of the next one to write
    timeout_s: float = 20.0  # a request unanswered this long is asked of another peer
    max_strikes: int = 3  # time-outs after which a peer leaves this fetch


@dataclass(slots=True)
class _Request:
    peer: str
    deadline: float


@dataclass(slots=True)
class ChunkFetcher:
    """The fetch of ``chunks`` chunks from ``peers`` (any order; ``add_peer`` as more offer it)."""

    chunks: int
    peers: list[str]
    config: FetchConfig = field(default_factory=FetchConfig)
    next: int = 0  # the next chunk to write
    _ready: dict[int, bytes] = field(default_factory=dict)
    _flight: dict[int, _Request] = field(default_factory=dict)
    _strikes: dict[str, int] = field(default_factory=dict)
    _lacks: dict[str, set[int]] = field(default_factory=dict)  # peer -> chunks it must not be asked again

    def __post_init__(self) -> None:
        self.peers = sorted(set(self.peers))

    @property
    def done(self) -> bool:
        return self.next == self.chunks

    @property
    def stalled(self) -> bool:
        """No peer is left to ask for a chunk still needed."""
        return not self.done and not self.peers

    def add_peer(self, peer: str) -> None:
        if peer not in self.peers:
            self.peers = sorted({*self.peers, peer})

    def remove_peer(self, peer: str) -> None:
        """``peer`` is gone or discredited: its requests go to others."""
        self.peers = [p for p in self.peers if p != peer]
        for index in [i for i, r in self._flight.items() if r.peer == peer]:
            del self._flight[index]

    def requests(self, now: float) -> list[tuple[str, int]]:
        """(peer, chunk) requests to send now: time-outs are re-assigned, free slots filled, lowest chunk
        first to the least busy peer."""
        for index, request in list(self._flight.items()):
            if request.deadline <= now:
                del self._flight[index]
                self._strike(request.peer)
        busy = {p: 0 for p in self.peers}
        for request in self._flight.values():
            busy[request.peer] += 1
        out = []
        for index in range(self.next, min(self.chunks, self.next + self.config.window)):
            if index in self._ready or index in self._flight:
                continue
            free = [
                p
                for p in self.peers
                if busy[p] < self.config.per_peer and index not in self._lacks.get(p, ())
            ]
            if not free:
                continue
            peer = min(free, key=lambda p: (busy[p], p))
            busy[peer] += 1
            self._flight[index] = _Request(peer, now + self.config.timeout_s)
            out.append((peer, index))
        return out

    def asked(self, peer: str, index: int) -> bool:
        """Whether a chunk from ``peer`` is wanted: needed and not yet held (a late answer to a timed-out
        request is as good as the re-sent one)."""
        return self.next <= index < self.chunks and index not in self._ready and peer in self.peers

    def received(self, peer: str, index: int, data: bytes) -> None:
        """A checked, good chunk."""
        if not self.asked(peer, index):
            return
        self._ready[index] = data
        self._flight.pop(index, None)
        self._strikes.pop(peer, None)

    def refused(self, peer: str, index: int, *, lied: bool) -> None:
        """``peer`` lacks chunk ``index`` (it leaves this chunk's askers) or served a bad one (it leaves the
        fetch; the shell bans it)."""
        request = self._flight.get(index)
        if request is not None and request.peer == peer:
            del self._flight[index]
        if lied:
            self.remove_peer(peer)
        else:
            self._lacks.setdefault(peer, set()).add(index)
            if all(i in self._lacks[peer] for i in range(self.next, self.chunks)):
                self.remove_peer(peer)

    def pop_ready(self) -> tuple[int, bytes] | None:
        """The next chunk to write, once it has arrived."""
        data = self._ready.pop(self.next, None)
        if data is None:
            return None
        self.next += 1
        return self.next - 1, data

    def _strike(self, peer: str) -> None:
        self._strikes[peer] = self._strikes.get(peer, 0) + 1
        if self._strikes[peer] >= self.config.max_strikes:
            self.remove_peer(peer)
