"""Validator signature checks kept off the consensus path.

The consensus reactor verifies incoming votes, proposals and commits in batches on worker threads (pynacl
releases the GIL) and records the answers here; the machine and the application are handed ``verify``,
which answers from the record and only computes on a miss (the node's own messages, catch-up replays).
Every node checks the same gossip many times (relays, commits repeating precommits), so one record serves
all of them. Bounded: the oldest answers are forgotten first.
"""

from collections import OrderedDict
from collections.abc import Sequence

import trio

from okchain.crypto import ed25519

SignedItem = tuple[bytes, bytes, bytes]
"""(public key, message, signature)"""


class VerifyCache:
    def __init__(self, capacity: int = 200_000) -> None:
        self._capacity = capacity
        self._known: OrderedDict[SignedItem, bool] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def verify(self, pub_key: bytes, message: bytes, signature: bytes) -> bool:
        item = (pub_key, message, signature)
        ok = self._known.get(item)
        if ok is None:
            ok = ed25519.verify(pub_key, message, signature)
            self._remember(item, ok)
        return ok

    async def verify_many(self, items: Sequence[SignedItem]) -> list[bool]:
        """Check ``items`` on a worker thread (only those not already known); call from the trio thread."""
        todo = [item for item in dict.fromkeys(items) if item not in self._known]
        if todo:
            answers = await trio.to_thread.run_sync(_verify_all, todo)
            for item, ok in zip(todo, answers, strict=True):
                self._remember(item, ok)
        return [self.verify(*item) for item in items]

    def _remember(self, item: SignedItem, ok: bool) -> None:
        self._known[item] = ok
        if len(self._known) > self._capacity:
            self._known.popitem(last=False)


def _verify_all(items: Sequence[SignedItem]) -> list[bool]:
    return [ed25519.verify(pub, message, signature) for pub, message, signature in items]
