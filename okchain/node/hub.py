"""Publish/subscribe between the node's trio thread and the server threads that stream to users.

The node publishes (committed heights, consensus steps) on its trio thread and must never wait for a
subscriber, nor let one grow its memory: each subscription is a bounded queue, and a publish that finds one
full ends that subscription with ``Overflowed`` (its events are dropped at once) rather than blocking. Server
threads (grpcio's, the HTTP gateway's) block in ``Subscription.get``. Events are small (a height, a step):
subscribers read what they show from committed LevelDB snapshots, the same way for history and live.
"""

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from okchain.errors import OKChainError
from okchain.types.block import Block


class Topic(Enum):
    COMMITS = "commits"  # events: the committed height (int), after its write batch landed
    CONSENSUS = "consensus"  # events: ConsensusStep


@dataclass(frozen=True, slots=True)
class ConsensusStep:
    height: int
    round: int
    phase: int  # okchain.consensus.machine.Phase


Event = int | ConsensusStep


class HubError(OKChainError):
    """A subscription cannot start or has ended."""


class HubFull(HubError):
    """The node already serves as many subscribers as ``stream_max_subscribers`` allows."""


class Overflowed(HubError):
    """The subscriber fell a whole buffer behind and was ended."""


class HubClosed(HubError):
    """The node is stopping."""


class Subscription:
    """One subscriber's bounded queue of events of one topic; a context manager that unsubscribes."""

    def __init__(self, hub: "EventHub", topic: Topic, capacity: int) -> None:
        self.topic = topic
        self._hub = hub
        self._capacity = capacity
        self._events: deque[Event] = deque()
        self._cond = threading.Condition()
        self._ended: HubError | None = None
        self._buffering = False  # until ``start``, events are dropped: the subscriber is reading history
        # Called on the publishing thread when the subscription overflows, so a server whose thread is
        # blocked sending to a stalled client can end that call now.
        self.on_overflow: Callable[[str], None] | None = None

    def start(self) -> None:
        """Begin buffering events (a subscriber that replays history first counts towards the cap from
        ``subscribe`` but buffers only from here; it reads what committed in between from the store)."""
        with self._cond:
            self._buffering = True

    def get(self, timeout_s: float) -> Event | None:
        """The next event, or None after ``timeout_s`` without one; raises the error that ended it."""
        with self._cond:
            if not self._events and self._ended is None:
                self._cond.wait(timeout_s)
            if self._ended is not None:
                raise self._ended
            return self._events.popleft() if self._events else None

    def offer(self, event: Event) -> bool:
        """Queue ``event`` without waiting; False (and the subscription ended) if the buffer was full."""
        with self._cond:
            if self._ended is not None or not self._buffering:
                return True
            if len(self._events) < self._capacity:
                self._events.append(event)
                self._cond.notify()
                return True
        message = (
            f"subscriber too slow: {self._capacity} events waited unread (the per-subscriber buffer); "
            "resubscribe with from_height = the last height received + 1"
        )
        self.end(Overflowed(message))
        if self.on_overflow is not None:
            self.on_overflow(message)
        return False

    def end(self, error: HubError) -> None:
        """End the subscription: its queued events are dropped and ``get`` raises ``error``."""
        with self._cond:
            if self._ended is None:
                self._ended = error
            self._events.clear()
            self._cond.notify_all()

    def close(self) -> None:
        self._hub.remove(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventHub:
    """The node's subscriptions, at most ``max_subscribers`` at once, each buffering ``buffer`` events."""

    def __init__(self, max_subscribers: int, buffer: int) -> None:
        self._max = max_subscribers
        self._buffer = buffer
        self._lock = threading.Lock()
        self._subs: dict[Topic, list[Subscription]] = {topic: [] for topic in Topic}
        self._closed = False

    def subscribe(self, topic: Topic) -> Subscription:
        """A new subscription (any thread); ``HubFull`` beyond the cap, ``HubClosed`` once stopping."""
        with self._lock:
            if self._closed:
                raise HubClosed("the node is stopping")
            if self.count >= self._max:
                raise HubFull(
                    f"this node already serves {self._max} streams, its limit (stream_max_subscribers); "
                    "retry later or use another node"
                )
            sub = Subscription(self, topic, self._buffer)
            self._subs[topic].append(sub)
            return sub

    @property
    def count(self) -> int:
        return sum(len(subs) for subs in self._subs.values())

    def remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs[sub.topic]:
                self._subs[sub.topic].remove(sub)

    def publish(self, topic: Topic, event: Event) -> None:
        """Hand ``event`` to every subscriber of ``topic`` (the node's trio thread; never waits on them)."""
        with self._lock:
            subs = list(self._subs[topic])
        for sub in subs:
            if not sub.offer(event):
                self.remove(sub)

    def committed(self, block: Block, _elapsed_s: float) -> None:
        """A commit observer (``NodeAPI.commit_observers``): the block's height is in the store now."""
        self.publish(Topic.COMMITS, block.header.height)

    def stepped(self, height: int, round_: int, phase: int) -> None:
        self.publish(Topic.CONSENSUS, ConsensusStep(height, round_, phase))

    def close(self) -> None:
        """End every subscription (the node is stopping) and refuse new ones."""
        with self._lock:
            self._closed = True
            subs = [sub for topic in Topic for sub in self._subs[topic]]
            for topic in Topic:
                self._subs[topic].clear()
        for sub in subs:
            sub.end(HubClosed("the node is stopping"))
