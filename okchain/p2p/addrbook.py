"""The address book: peers we may dial, learnt from config, connections and PEX; bounded, saved as JSON.

Every entry a peer can make us store is bounded: the book holds at most ``max_size`` addresses (a new one
replaces the entry with most failed dials once full), and an address that keeps failing is forgotten.
"""

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from okchain.durable import atomic_replace
from okchain.p2p.errors import P2PError
from okchain.p2p.keys import PeerAddress, parse_peer_address

log = logging.getLogger(__name__)

MAX_FAILURES = 5  # consecutive failed dials before an address is dropped


@dataclass(slots=True)
class _Entry:
    address: PeerAddress
    failures: int = 0
    next_dial: float = 0.0  # trio clock time before which we do not dial it again


class AddressBook:
    def __init__(self, path: Path | None, *, own_id: str, max_size: int = 1000) -> None:
        self.path = path
        self.own_id = own_id
        self.max_size = max_size
        self._entries: dict[str, _Entry] = {}
        self._dirty = False
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text())
            addresses = [parse_peer_address(text) for text in data["addresses"]]
        except (OSError, ValueError, KeyError, TypeError, P2PError) as exc:
            log.warning("ignoring unreadable address book %s: %s", path, exc)
            return
        for address in addresses[: self.max_size]:
            self.add(address)
        self._dirty = False

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, node_id: str) -> bool:
        return node_id in self._entries

    def addresses(self) -> list[PeerAddress]:
        return [e.address for e in self._entries.values()]

    def add(self, address: PeerAddress, *, replace: bool = False) -> bool:
        """Remember an address; False if refused. A known node id keeps its address unless ``replace`` (the
        address comes from our config or the peer's own authenticated connection), so a PEX answer cannot
        redirect a peer we know to a junk host, which would fail until the book forgets the peer."""
        if address.node_id == self.own_id or not 0 < address.port < 65536:
            return False
        entry = self._entries.get(address.node_id)
        if entry is not None:
            if replace and entry.address != address:
                entry.address = address
                self._dirty = True
            return True
        if len(self._entries) >= self.max_size:
            worst = max(self._entries.values(), key=lambda e: e.failures)
            if worst.failures == 0:
                return False
            del self._entries[worst.address.node_id]
        self._entries[address.node_id] = _Entry(address)
        self._dirty = True
        return True

    def remove(self, node_id: str) -> None:
        if self._entries.pop(node_id, None) is not None:
            self._dirty = True

    def mark_good(self, node_id: str) -> None:
        entry = self._entries.get(node_id)
        if entry is not None:
            entry.failures = 0
            entry.next_dial = 0.0

    def mark_failed(self, node_id: str, now: float) -> None:
        """A dial failed: back off exponentially, forget the address after ``MAX_FAILURES``."""
        entry = self._entries.get(node_id)
        if entry is None:
            return
        entry.failures += 1
        if entry.failures >= MAX_FAILURES:
            self.remove(node_id)
        else:
            entry.next_dial = now + 2.0**entry.failures

    def dial_candidates(self, exclude: set[str], now: float, n: int) -> list[PeerAddress]:
        """Up to ``n`` addresses worth dialling now, fewest failures first, random among equals."""
        ready = [e for e in self._entries.values() if e.address.node_id not in exclude and e.next_dial <= now]
        random.shuffle(ready)
        ready.sort(key=lambda e: e.failures)
        return [e.address for e in ready[:n]]

    def sample(self, n: int, exclude: set[str]) -> list[PeerAddress]:
        """A random sample of at most ``n`` addresses to answer a PEX request."""
        pool = [e.address for e in self._entries.values() if e.address.node_id not in exclude]
        return random.sample(pool, min(n, len(pool)))

    def save(self) -> None:
        """Write the book atomically if it changed (no-op without a path)."""
        if self.path is None or not self._dirty:
            return
        body = json.dumps({"addresses": [str(a) for a in self.addresses()]}, indent=1)
        try:
            atomic_replace(self.path, (body + "\n").encode())
        except OSError as exc:
            log.warning("cannot write address book %s: %s", self.path, exc)
            return
        self._dirty = False
