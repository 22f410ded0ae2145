"""Bans that outlive a restart: a peer that misbehaved stays refused until its ban ends, even by a node
restarted in between, so restarting a victim is no way round a ban.

Bans are kept in wall-clock time (trio's clock starts again with every run) in ``<home>/data/bans.json``,
written at each new ban (they are rare, and a node may be killed right after one); bans that ended are dropped
when the file is read and when the list is full. An unreadable file is ignored with a warning, like the
address book: losing bans must never keep a node from starting.
"""

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from okchain.durable import atomic_replace

log = logging.getLogger(__name__)

MAX_BANS = 10_000


class BanList:
    def __init__(
        self, path: Path | None, *, max_size: int = MAX_BANS, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.max_size = max_size
        self._clock = clock
        self._until: dict[str, float] = {}  # node id or IP -> wall-clock time the ban ends
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text())
            bans = {str(k): float(v) for k, v in data["bans"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable ban list %s: %s", path, exc)
            return
        now = self._clock()
        live = [(k, t) for k, t in bans.items() if t > now]
        self._until = dict(live[len(live) - self.max_size :] if len(live) > self.max_size else live)

    def __len__(self) -> int:
        return len(self._until)

    def is_banned(self, key: str) -> bool:
        until = self._until.get(key)
        return until is not None and until > self._clock()

    def remaining(self, key: str) -> float:
        """Seconds until the ban of ``key`` ends (0 when it is not banned)."""
        return max(0.0, self._until.get(key, 0.0) - self._clock())

    def active(self) -> set[str]:
        now = self._clock()
        return {k for k, t in self._until.items() if t > now}

    def ban(self, keys: list[str], seconds: float) -> None:
        """Refuse ``keys`` (a node id, and an IP if any) for ``seconds`` from now, and save the list."""
        now = self._clock()
        if len(self._until) + len(keys) > self.max_size:
            self._until = {k: t for k, t in self._until.items() if t > now}
            while self._until and len(self._until) + len(keys) > self.max_size:  # forget the oldest
                del self._until[next(iter(self._until))]
        for key in keys:
            self._until.pop(key, None)  # re-inserted last: the newest ban is the last forgotten
            self._until[key] = now + seconds
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            atomic_replace(self.path, (json.dumps({"bans": self._until}, indent=1) + "\n").encode())
        except OSError as exc:
            log.warning("cannot write ban list %s: %s", self.path, exc)


MAX_TRACKED = 10_000  # node ids and hosts whose recent connection attempts are counted


class AttemptWindow:
    """Connection attempts per key (node id or host) over the last ``window_s`` seconds of the caller's
    clock (trio's: pure bookkeeping, no wall clock). A peer reconnecting in a loop makes us repeat a
    handshake each time, so past a limit it is refused and past a second one banned.

    Bounded: a key holds at most ``cap`` times, and past ``max_keys`` keys the least recently seen go first
    (a flood of fresh node ids from one host is still counted under the host)."""

    def __init__(self, window_s: float, cap: int, *, max_keys: int = MAX_TRACKED) -> None:
        self.window_s = window_s
        self.cap = max(cap, 1)
        self.max_keys = max_keys
        self._times: dict[str, deque[float]] = {}

    def __len__(self) -> int:
        return len(self._times)

    def hit(self, key: str, now: float) -> int:
        """Record an attempt by ``key`` at ``now``; how many it made within the window, this one included."""
        times = self._times.pop(key, None)  # re-inserted last: the most recently seen is the last forgotten
        if times is None:
            times = deque(maxlen=self.cap)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        times.append(now)
        self._times[key] = times
        while len(self._times) > self.max_keys:
            del self._times[next(iter(self._times))]
        return len(times)
