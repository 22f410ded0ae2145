"""What goes into the consensus machine (events) and what comes out of it (actions).

The machine never does I/O: the shell (the node, or the simulator) turns actions into effects and feeds
the outcomes back as events. Signing is an action whose answer is the signed message fed back as an
ordinary ``VoteReceived``/``ProposalReceived``, so own and peers' messages take one path. The shell carries
out a handle() call's actions in order: an own message's ``WriteWAL(sync=True)`` comes before its
``Broadcast``.
"""

from dataclasses import dataclass

from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import Proposal, TimeoutInfo, Vote
from okchain.consensus.proposer import ValidatorSet
from okchain.consensus.wal import RecordKind, WALRecord
from okchain.types.block import Block, Commit
from okchain.types.refusal import Refusal

# --- events (inputs) ---


@dataclass(frozen=True, slots=True)
class ProposalReceived:
    proposal: Proposal


@dataclass(frozen=True, slots=True)
class VoteReceived:
    vote: Vote


@dataclass(frozen=True, slots=True)
class BlockReceived:
    """A proposed block's content; accepted only if a proposal or vote of the height names its hash."""

    block: Block


@dataclass(frozen=True, slots=True)
class CommitReceived:
    """A decided block with its commit (catch-up for a node that missed the round). The commit is checked
    whole (+2/3 valid precommit signatures, of any round) and decides on its own; its precommits are also
    counted like gossiped votes (which may yield evidence)."""

    block: Block
    commit: Commit


@dataclass(frozen=True, slots=True)
class TimeoutElapsed:
    info: TimeoutInfo


@dataclass(frozen=True, slots=True)
class CommitDelayElapsed:
    """The pause after a commit is over: round 0 of ``height`` starts."""

    height: int


@dataclass(frozen=True, slots=True)
class BlockBuilt:
    """The shell's answer to ``BuildBlock`` (in the node: the app's prepare_proposal)."""

    height: int
    round: int
    block: Block


@dataclass(frozen=True, slots=True)
class BlockApplied:
    """The shell committed the decided block of ``height``. ``next_validators`` is the next height's base
    set with its priorities already carried (``None``: the same validators, ``base.increment(1)``)."""

    height: int
    next_validators: ValidatorSet | None = None


Event = (
    ProposalReceived
    | VoteReceived
    | BlockReceived
    | CommitReceived
    | TimeoutElapsed
    | CommitDelayElapsed
    | BlockBuilt
    | BlockApplied
)

# --- actions (outputs) ---


@dataclass(frozen=True, slots=True)
class Broadcast:
    message: Proposal | Vote | Block


@dataclass(frozen=True, slots=True)
class WriteWAL:
    """Append ``record``; ``sync`` records (own messages, end of height) must be fsynced before the next
    action is carried out."""

    record: WALRecord
    sync: bool


@dataclass(frozen=True, slots=True)
class ScheduleTimeout:
    info: TimeoutInfo


@dataclass(frozen=True, slots=True)
class ScheduleCommitDelay:
    height: int
    duration_ns: int


@dataclass(frozen=True, slots=True)
class SignVote:
    vote: Vote  # unsigned


@dataclass(frozen=True, slots=True)
class SignProposal:
    proposal: Proposal  # unsigned


@dataclass(frozen=True, slots=True)
class BuildBlock:
    height: int
    round: int


@dataclass(frozen=True, slots=True)
class ApplyBlock:
    block: Block
    commit: Commit


@dataclass(frozen=True, slots=True)
class ReportEvidence:
    evidence: DuplicateVoteEvidence


@dataclass(frozen=True, slots=True)
class BlockRefused:
    """A proposed or committed block failed validation (judged once per block): the operator's log line
    names the proposer and the rule it broke."""

    height: int
    round: int
    block_hash: bytes
    proposer: str
    refusal: Refusal


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input the machine refused, with the reason (for logs and peer scoring)."""

    reason: str


Action = (
    Broadcast
    | WriteWAL
    | ScheduleTimeout
    | ScheduleCommitDelay
    | SignVote
    | SignProposal
    | BuildBlock
    | ApplyBlock
    | ReportEvidence
    | BlockRefused
    | Rejected
)


def replay_event(record: WALRecord) -> Event | None:
    """The event a WAL record stands for on replay (``None`` for the end-of-height marker)."""
    kind = record.kind
    if kind in (RecordKind.MESSAGE_PROPOSAL, RecordKind.OWN_PROPOSAL):
        return ProposalReceived(Proposal.decode(record.payload))
    if kind in (RecordKind.MESSAGE_VOTE, RecordKind.OWN_VOTE):
        return VoteReceived(Vote.decode(record.payload))
    if kind == RecordKind.MESSAGE_BLOCK:
        return BlockReceived(Block.decode(record.payload))
    if kind == RecordKind.TIMEOUT:
        return TimeoutElapsed(TimeoutInfo.decode(record.payload))
    return None
