"""Double-sign protection: a validator never signs two different messages for one height/round/step.

The signer remembers the last height/round/step it signed, with the exact sign bytes and signature, and
persists that through a ``SignerStore`` *before* a signature is handed out; so even a crash right after
signing cannot make it forget. Asked again for the same height/round/step it returns the old signature if
the message is the same (or differs only in its timestamp — then the old timestamp is put back, since the
old signature covers it), and refuses anything else, as it refuses any height/round/step that goes back.

This module is pure policy plus an in-memory store for the simulator (a simulated crash keeps the store
object); the node's durable store is ``okchain.node.signer_file.FileSignerStore``.
"""

import struct
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol

from okchain.consensus.messages import ConsensusError, Proposal, Step, Vote
from okchain.crypto.ed25519 import ValidatorKey, validator_address

_TIME = struct.Struct(">q")


class SignerError(ConsensusError):
    """The signer cannot sign (wrong key for the message, unreadable state)."""


class DoubleSignRefused(SignerError):
    """Signing would conflict with something this validator already signed."""


@dataclass(frozen=True, slots=True)
class SignerState:
    """The last message signed: its height/round/step, exact sign bytes and signature."""

    height: int
    round: int
    step: Step
    sign_bytes: bytes
    signature: bytes


class Verdict(Enum):
    SIGN = "sign"
    REUSE = "reuse"  # hand out the previous signature (and timestamp) again
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reason: str = ""  # why it was refused


def _time_of(sign_bytes: bytes) -> int:
    """Both vote and proposal sign bytes end with the i64 timestamp (see ``okchain.consensus.messages``)."""
    return int(_TIME.unpack(sign_bytes[-_TIME.size :])[0])


def check(last: SignerState | None, height: int, round_: int, step: Step, sign_bytes: bytes) -> Decision:
    """May a message at (height, round_, step) with these sign bytes be signed, given the last one?"""
    if last is None:
        return Decision(Verdict.SIGN)
    new, old = (height, round_, int(step)), (last.height, last.round, int(last.step))
    if new > old:
        return Decision(Verdict.SIGN)
    if new < old:
        return Decision(
            Verdict.REFUSE,
            f"height/round/step {height}/{round_}/{step.name} is behind the last signed "
            f"{last.height}/{last.round}/{last.step.name}",
        )
    if sign_bytes[: -_TIME.size] == last.sign_bytes[: -_TIME.size]:  # same message, maybe another time
        return Decision(Verdict.REUSE)
    return Decision(
        Verdict.REFUSE,
        f"already signed a different {step.name.lower()} message at height {height} round {round_}",
    )


class SignerStore(Protocol):
    def load(self) -> SignerState | None:
        """The last saved state; ``None`` only if nothing was ever signed. Raises if it cannot be read."""

    def save(self, state: SignerState) -> None:
        """Persist ``state``; it must survive a crash once this returns."""


class MemorySignerStore:
    """Signer state in memory, for the simulator: a simulated crash keeps this object."""

    def __init__(self) -> None:
        self._state: SignerState | None = None

    def load(self) -> SignerState | None:
        return self._state

    def save(self, state: SignerState) -> None:
        self._state = state


class SafeSigner:
    """Signs votes and proposals with ``key``, refusing to double-sign (state kept in ``store``)."""

    def __init__(self, key: ValidatorKey, store: SignerStore) -> None:
        self._key = key
        self._address = validator_address(key.public_key)
        self._store = store
        self._last = store.load()

    @property
    def last(self) -> SignerState | None:
        return self._last

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote:
        signature, time_ns = self._sign(
            vote.validator_address, vote.height, vote.round, vote.step, vote.sign_bytes(chain_id)
        )
        return replace(vote, time_ns=time_ns, signature=signature)

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        signature, time_ns = self._sign(
            proposal.proposer_address,
            proposal.height,
            proposal.round,
            Step.PROPOSE,
            proposal.sign_bytes(chain_id),
        )
        return replace(proposal, time_ns=time_ns, signature=signature)

    def _sign(
        self, address: bytes, height: int, round_: int, step: Step, sign_bytes: bytes
    ) -> tuple[bytes, int]:
        """(signature, timestamp the signature covers)."""
        if address != self._address:
            raise SignerError(f"message names validator {address.hex()}, this key is {self._address.hex()}")
        decision = check(self._last, height, round_, step, sign_bytes)
        if decision.verdict is Verdict.REFUSE:
            raise DoubleSignRefused(decision.reason)
        last = self._last
        if decision.verdict is Verdict.REUSE and last is not None:
            return last.signature, _time_of(last.sign_bytes)
        signature = self._key.sign(sign_bytes)
        state = SignerState(height, round_, step, sign_bytes, signature)
        self._store.save(state)  # durable before the signature can leave the node
        self._last = state
        return signature, _time_of(sign_bytes)
