"""The simulated clock and network: one queue of timed events, and links that drop, delay, duplicate,
reorder and partition messages before GST (afterwards every message arrives within ``MAX_DELAY_NS``)."""

import heapq
import random
from typing import Any

from okchain.sim.model import MAX_DELAY_NS, MIN_DELAY_NS, Message

# What a queued event is: a message arriving, a node's timer, its gossip round, a planned fault, or GST.
DELIVER, TIMER, GOSSIP, CRASH, RESTART, STALL, GST = range(7)


class Network:
    """The clock (``now``), the event queue in time order (ties in push order), and the link faults that
    ``plan_faults`` sets before the run."""

    def __init__(self, gst_ns: int, rng: random.Random, stats: dict[str, int]) -> None:
        self.now = 0
        self._queue: list[tuple[int, int, int, int, Any]] = []
        self._seq = 0
        self._gst_ns = gst_ns
        self._rng = rng
        self._stats = stats
        self.partitions: list[tuple[int, int, frozenset[int]]] = []  # (start, end, one side)
        self.drop_per_mille = 0
        self.dup_per_mille = 0
        self.max_fault_delay_ns = 0
        self.jitter_ns = 0

    def push(self, at: int, kind: int, node: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, kind, node, payload))

    def advance(self, deadline: int) -> tuple[int, int, Any] | None:
        """The next event as (kind, node index, payload), with the clock moved to its time; None when the
        queue is empty or the next event is past ``deadline`` (the clock then stops at ``deadline``)."""
        if not self._queue:
            return None
        at, _, kind, index, payload = heapq.heappop(self._queue)
        if at > deadline:
            self.now = deadline
            return None
        self.now = at
        return kind, index, payload

    def send(self, src: int, dst: int, message: Message) -> None:
        """Queue ``message``'s arrival at ``dst``: dropped, delayed or duplicated by the faults before GST."""
        rng = self._rng
        stats = self._stats
        stats["sent"] += 1
        before_gst = self.now < self._gst_ns
        if before_gst:
            if self.drop_per_mille and rng.randrange(1000) < self.drop_per_mille:
                stats["dropped"] += 1
                return
            for start, end, side in self.partitions:
                if start <= self.now < end and (src in side) != (dst in side):
                    stats["dropped"] += 1
                    return
        copies = 2 if self.dup_per_mille and rng.randrange(1000) < self.dup_per_mille else 1
        stats["duplicated"] += copies - 1
        for _ in range(copies):
            delay = rng.randint(MIN_DELAY_NS, MAX_DELAY_NS)
            if before_gst:
                if self.max_fault_delay_ns and rng.random() < 0.3:
                    delay += rng.randint(0, self.max_fault_delay_ns)
                if self.jitter_ns:
                    delay += rng.randint(0, self.jitter_ns)
            self.push(self.now + delay, DELIVER, dst, (src, message))
