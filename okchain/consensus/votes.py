"""Vote sets: the votes of one (height, round, type) with voting-power tallies per block hash.

A validator's first vote in a set decides whether it counts toward "+2/3 of anything" (the wait timeouts).
A later vote for a different block hash is an equivocation: it is returned with the first one (the caller
turns the pair into evidence) and still counted toward its own block's tally, as the paper counts
messages: a correct process may need it to see a proof-of-lock another correct process saw, and with less
than 1/3 faulty power two different blocks still cannot both reach +2/3. Each validator adds to a block's
tally at most once, and at most ``MAX_BLOCKS_PER_VALIDATOR`` blocks per set (bounded memory). A vote for
the same block hash with other bytes (a re-signed timestamp) is a duplicate.
"""

from dataclasses import dataclass
from enum import Enum

from okchain.consensus.messages import Vote
from okchain.consensus.proposer import ValidatorSet
from okchain.types.block import Commit, CommitSig
from okchain.types.vote import VoteType

MAX_BLOCKS_PER_VALIDATOR = 4


class AddOutcome(Enum):
    ADDED = "added"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class AddResult:
    outcome: AddOutcome
    existing: Vote | None = None  # the validator's first vote, on DUPLICATE or CONFLICT
    counted: bool = False  # the vote added to its block's tally


class VoteSet:
    """Votes of one type in one round of one height. The caller has checked signature and membership."""

    __slots__ = ("_blocks_of", "_by_hash", "_power", "_votes", "round", "total", "validators", "vote_type")

    def __init__(self, validators: ValidatorSet, round_: int, vote_type: VoteType) -> None:
        self.validators = validators
        self.round = round_
        self.vote_type = vote_type
        self._votes: dict[bytes, Vote] = {}
        self._power: dict[bytes, int] = {}
        self._by_hash: dict[bytes, list[Vote]] = {}
        self._blocks_of: dict[bytes, list[bytes]] = {}  # validator -> block hashes it voted for, in order
        self.total = 0

    def add(self, vote: Vote, power: int) -> AddResult:
        address = vote.validator_address
        existing = self._votes.get(address)
        blocks = self._blocks_of.setdefault(address, [])
        if vote.block_hash in blocks:
            return AddResult(AddOutcome.DUPLICATE, existing)
        counted = len(blocks) < MAX_BLOCKS_PER_VALIDATOR
        if counted:
            blocks.append(vote.block_hash)
            self._power[vote.block_hash] = self._power.get(vote.block_hash, 0) + power
            self._by_hash.setdefault(vote.block_hash, []).append(vote)
        if existing is not None:
            return AddResult(AddOutcome.CONFLICT, existing, counted)
        self._votes[address] = vote
        self.total += power
        return AddResult(AddOutcome.ADDED, None, True)

    def holds(self, vote: Vote) -> bool:
        """This exact vote is already counted (cheap: lets gossip repeats skip the signature check)."""
        return vote in self._by_hash.get(vote.block_hash, ())

    def get(self, address: bytes) -> Vote | None:
        """The validator's first vote in this set."""
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

    def commit(self, height: int, block_hash: bytes) -> Commit:
        """The commit these precommits make for ``block_hash``: every counted one, in address order."""
        sigs = tuple(
            CommitSig(v.validator_address, v.time_ns, v.signature) for v in self.votes_for(block_hash)
        )
        return Commit(height, self.round, block_hash, sigs)

    def all_votes(self) -> list[Vote]:
        """Every counted vote (equivocations included), by block hash in arrival order."""
        return [v for votes in self._by_hash.values() for v in votes]


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
