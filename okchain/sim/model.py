"""The simulation's vocabulary: its settings, the validators it runs, the messages they exchange and
the result of a run."""

from dataclasses import dataclass, field
from typing import Any

from okchain.consensus.config import ConsensusConfig
from okchain.consensus.events import (
    BlockBuilt,
    BlockReceived,
    CommitReceived,
    Event,
    ProposalReceived,
    TimeoutElapsed,
    VoteReceived,
)
from okchain.consensus.machine import ConsensusMachine
from okchain.consensus.messages import Proposal, Vote
from okchain.consensus.signer import MemorySignerStore, SafeSigner
from okchain.consensus.wal import MemoryWAL
from okchain.crypto import ed25519
from okchain.crypto.ed25519 import ValidatorKey
from okchain.sim.app import CounterState
from okchain.types.block import Block, Commit
from okchain.types.vote import VoteType

CHAIN_ID = "okchain-sim"
MS = 1_000_000
SECOND = 1_000 * MS
MIN_DELAY_NS = 1 * MS
MAX_DELAY_NS = 30 * MS
GOSSIP_NS = 400 * MS
FAULTS = ("drop", "delay", "dup", "reorder", "partition", "crash", "stall", "byzantine")


class SimulationError(Exception):
    """Wrong simulator arguments (not an invariant violation: those are reported, not raised)."""


@dataclass(frozen=True, slots=True)
class Status:
    """A node's height, sent with gossip so peers that are ahead send it the blocks it lacks."""

    height: int


@dataclass(frozen=True, slots=True)
class CommitMsg:
    block: Block
    commit: Commit


Message = Proposal | Vote | Block | Status | CommitMsg


@dataclass(frozen=True, slots=True)
class SimConfig:
    seed: int
    validators: int = 4
    heights: int = 3  # blocks every honest node must commit after GST
    faults: frozenset[str] = frozenset()
    gst_ns: int = 4 * SECOND
    liveness_ns: int = 60 * SECOND
    consensus: ConsensusConfig = field(default_factory=ConsensusConfig)
    trace_len: int = 30
    powers: tuple[int, ...] = ()  # fixed voting powers (default: 1..10 drawn from the seed)

    def __post_init__(self) -> None:
        unknown = sorted(self.faults - set(FAULTS))
        if unknown:
            raise SimulationError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
        if not 1 <= self.validators <= 64:
            raise SimulationError(f"validators must be 1..64, got {self.validators}")
        if self.heights < 1:
            raise SimulationError("heights must be at least 1")
        if self.powers and (len(self.powers) != self.validators or min(self.powers) < 1):
            raise SimulationError(f"need {self.validators} positive powers, got {self.powers}")


@dataclass(frozen=True, slots=True)
class Byzantine:
    """What a byzantine validator does (at least one of these)."""

    equivocate_votes: bool
    double_propose: bool
    invalid_blocks: bool


@dataclass(slots=True)
class Node:
    index: int
    key: ValidatorKey
    address: bytes
    byzantine: Byzantine | None
    signer_store: MemorySignerStore
    wal: MemoryWAL
    state: CounterState
    machine: ConsensusMachine | None = None
    signer: SafeSigner | None = None
    up: bool = True
    incarnation: int = 0
    stalled_until: int = 0
    replaying: bool = False
    crash_at_commit: bool = False  # the next ApplyBlock crashes it (after END_HEIGHT, before the commit)
    commits: dict[int, CommitMsg] = field(default_factory=dict)  # the block store, for lagging peers
    splits: dict[bytes, tuple[Message, ...]] = field(default_factory=dict)  # byzantine: what half B gets


@dataclass(frozen=True, slots=True)
class Equivocation:
    """Two conflicting votes a byzantine validator sent to the two halves of the network."""

    sent_at: int
    key: tuple[bytes, int, int, VoteType]  # validator, height, round, type
    signatures: tuple[bytes, bytes]


@dataclass(slots=True)
class SimResult:
    seed: int
    faults: tuple[str, ...]
    validators: int
    byzantine: int
    heights: int  # the highest height an honest node committed
    sim_time_ns: int
    gst_ns: int
    violations: list[str]
    trace: list[str]
    stats: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.violations

    def report(self) -> str:
        head = f"seed {self.seed} faults={','.join(self.faults) or 'none'} validators={self.validators}"
        if self.ok:
            return f"{head}: ok, height {self.heights}"
        lines = [f"{head}: {len(self.violations)} violation(s)", *self.violations, "last events:"]
        return "\n".join(lines + ["  " + t for t in self.trace])


class CachedVerifier:
    """ed25519 verification memoised on (key, message, signature): every node checks the same gossip."""

    def __init__(self) -> None:
        self._seen: dict[tuple[bytes, bytes, bytes], bool] = {}

    def __call__(self, pub_key: bytes, message: bytes, signature: bytes) -> bool:
        key = (pub_key, message, signature)
        ok = self._seen.get(key)
        if ok is None:
            ok = self._seen[key] = ed25519.verify(pub_key, message, signature)
        return ok


def message_key(msg: Message) -> tuple[Any, ...]:
    if isinstance(msg, Vote):
        return ("v", msg.height, msg.round, int(msg.vote_type), msg.validator_address, msg.block_hash)
    if isinstance(msg, Proposal):
        return ("p", msg.height, msg.round, msg.block_hash)
    if isinstance(msg, Block):
        return ("b", msg.hash)
    if isinstance(msg, CommitMsg):
        return ("c", msg.commit.height)
    return ("s", msg.height)


def describe(event: Event | str) -> str:
    if isinstance(event, str):
        return event
    if isinstance(event, VoteReceived):
        v = event.vote
        kind = "prevote" if v.vote_type == VoteType.PREVOTE else "precommit"
        target = v.block_hash.hex()[:8] or "nil"
        return f"{kind} {v.height}/{v.round} {target} from {v.validator_address.hex()[:8]}"
    if isinstance(event, ProposalReceived):
        p = event.proposal
        return f"proposal {p.height}/{p.round} pol {p.pol_round} {p.block_hash.hex()[:8]}"
    if isinstance(event, BlockReceived | BlockBuilt):
        return f"{type(event).__name__} {event.block.header.height} {event.block.hash.hex()[:8]}"
    if isinstance(event, CommitReceived):
        return f"commit {event.commit.height}/{event.commit.round} {event.commit.block_hash.hex()[:8]}"
    if isinstance(event, TimeoutElapsed):
        i = event.info
        return f"timeout {i.height}/{i.round} {i.step.name}"
    return repr(event)
