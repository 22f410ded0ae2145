"""A test-only byzantine mode: a node that signs a conflicting precommit, so tests can watch a real
network catch a double signer and tombstone it.

Start a node with ``OKCHAIN_TEST_EQUIVOCATE_WHEN=<path>`` in its environment: once a file exists at that
path, at its next precommit for a block it also signs a nil precommit of the same height and round with its
raw key (bypassing the double-sign guard) and sends it to its peers, once. Never set it on a node whose
stake matters.
"""

import os
from dataclasses import replace
from pathlib import Path

from okchain.consensus.messages import Vote
from okchain.crypto.ed25519 import ValidatorKey
from okchain.types.vote import VoteType

ENV = "OKCHAIN_TEST_EQUIVOCATE_WHEN"


class Equivocator:
    def __init__(self, key: ValidatorKey, trigger: Path) -> None:
        self._key = key
        self._trigger = trigger
        self._done = False

    @classmethod
    def from_env(cls, key: ValidatorKey) -> "Equivocator | None":
        raw = os.environ.get(ENV, "")
        return cls(key, Path(raw)) if raw else None

    def conflict(self, chain_id: str, vote: Vote) -> Vote | None:
        """A nil precommit conflicting with our own ``vote``, once, after the trigger file appeared."""
        if self._done or vote.vote_type != VoteType.PRECOMMIT or vote.is_nil or not self._trigger.exists():
            return None
        self._done = True
        nil = replace(vote, block_hash=b"", signature=b"")
        return nil.signed(self._key.sign(nil.sign_bytes(chain_id)))
