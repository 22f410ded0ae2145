"""Vote sets: the votes of one (height, round, type) with voting-power tallies per block hash.

The first vote of a validator in a set is the one that counts; a later vote for a different block hash is
an equivocation and is returned to the caller (which turns it into evidence), never counted. A vote for
the same block hash with other bytes (a re-signed timestamp) is ignored as a duplicate.
"""

from dataclasses import dataclass
from enum import Enum

from okchain.consensus.messages import Vote
from okchain.consensus.proposer import ValidatorSet
from okchain.types.vote import VoteType


class AddOutcome(Enum):
    ADDED = "added"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class AddResult:
    outcome: AddOutcome
    existing: Vote | None = None  # the vote already counted, on DUPLICATE or CONFLICT


class VoteSet:
    """Votes of one type in one round of one height. The caller has checked signature and membership."""

    __slots__ = ("_by_hash", "_power", "_votes", "round", "total", "validators", "vote_type")

    def __init__(self, validators: ValidatorSet, round_: int, vote_type: VoteType) -> None:
        self.validators = validators
        self.round = round_
        self.vote_type = vote_type
        self._votes: dict[bytes, Vote] = {}
        self._power: dict[bytes, int] = {}
        self._by_hash: dict[bytes, list[Vote]] = {}
        self.total = 0

    def add(self, vote: Vote, power: int) -> AddResult:
        existing = self._votes.get(vote.validator_address)
        if existing is not None:
            if existing.block_hash == vote.block_hash:
                return AddResult(AddOutcome.DUPLICATE, existing)
            return AddResult(AddOutcome.CONFLICT, existing)
        self._votes[vote.validator_address] = vote
        self._power[vote.block_hash] = self._power.get(vote.block_hash, 0) + power
        self._by_hash.setdefault(vote.block_hash, []).append(vote)
        self.total += power
        return AddResult(AddOutcome.ADDED)

    def get(self, address: bytes) -> Vote | None:
        return self._votes.get(address)

    def power_for(self, block_hash: bytes) -> int:
        return self._power.get(block_hash, 0)

    def has_quorum_for(self, block_hash: bytes) -> bool:
        return self._power.get(block_hash, 0) >= self.validators.quorum

    def has_quorum_any(self) -> bool:
        """+2/3 of the power voted, for anything (the trigger of the wait timeouts)."""
        return self.total >= self.validators.quorum

    def majority(self) -> bytes | None:
        """The block hash (b"" = nil) with +2/3 of the power, if there is one."""
        quorum = self.validators.quorum
        for block_hash, power in self._power.items():
            if power >= quorum:
                return block_hash
        return None

    def votes_for(self, block_hash: bytes) -> list[Vote]:
        """The counted votes for ``block_hash``, in validator address order."""
        return sorted(self._by_hash.get(block_hash, ()), key=lambda v: v.validator_address)

    def all_votes(self) -> list[Vote]:
        """Counted votes in arrival order."""
        return list(self._votes.values())


class HeightVotes:
    """All vote sets of one height, created on first use, plus who voted at all in each round."""

    __slots__ = ("_sets", "_voters", "validators")

    def __init__(self, validators: ValidatorSet) -> None:
        self.validators = validators
        self._sets: dict[tuple[int, VoteType], VoteSet] = {}
        self._voters: dict[int, dict[bytes, int]] = {}

    def get(self, round_: int, vote_type: VoteType) -> VoteSet:
        key = (round_, vote_type)
        vs = self._sets.get(key)
        if vs is None:
            vs = self._sets[key] = VoteSet(self.validators, round_, vote_type)
        return vs

    def peek(self, round_: int, vote_type: VoteType) -> VoteSet | None:
        return self._sets.get((round_, vote_type))

    def add(self, vote: Vote, power: int) -> AddResult:
        result = self.get(vote.round, vote.vote_type).add(vote, power)
        if result.outcome is AddOutcome.ADDED:
            self._voters.setdefault(vote.round, {})[vote.validator_address] = power
        return result

    def round_power(self, round_: int) -> int:
        """Power of the distinct validators that sent any vote in ``round_``."""
        return sum(self._voters.get(round_, {}).values())

    def rounds(self) -> list[int]:
        return sorted(self._voters)
