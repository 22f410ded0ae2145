"""A deterministic discrete-event simulation of validators running the pure consensus machine.

Everything random comes from ``random.Random(seed)``: validator keys and powers, message delays, drops,
duplicates, partitions, crashes, stalls and which validators are byzantine. The same seed replays the same
run exactly, so a failure is reproduced with ``scripts/sim --seed S``.

The model. Faults are injected only before GST (``gst_ns``); afterwards every message between live nodes
arrives within ``MAX_DELAY_NS`` (duplicates may still happen). Nodes gossip: own messages are broadcast
when signed, and every ``GOSSIP_NS`` each node re-sends the messages of its height (and the previous
height's votes) that a peer has not yet accepted (the network tells the sender, as a TCP ack plus
CometBFT's HasVote would) and its height, so a peer that is behind gets the decided block with its commit
(block sync). A crash loses the machine and the unsynced tail of the WAL (possibly mid-frame); the
committed chain (LevelDB) and the signer state survive, and the restarted node replays the WAL after its
last END_HEIGHT. Half the crashes strike between a decision's synced END_HEIGHT marker and the block's
commit, so the replay must decide that height again. A stalled node keeps its state but handles nothing
until it resumes. Byzantine validators (below 1/3 of the power) sign outside the safe
signer: they send conflicting votes and proposals to two halves of the network and propose and vote for
invalid blocks.

Invariants, checked as the run goes: agreement (no two honest nodes commit different blocks at one
height), validity (honest nodes commit only blocks valid for their tip, each with a commit of +2/3 valid
signatures), every reported evidence verifies and none accuses an honest validator, liveness (after GST
every honest node commits ``heights`` more blocks within ``liveness_ns``), and every equivocation sent
after GST whose two votes were held by two honest nodes that both kept gossiping them (a node drops a
height's votes once it commits the next height) for two gossip rounds is caught as evidence by some honest
node. (A vote that reached no honest node, e.g. one that arrived while every receiver was still a height
behind and was refused, or votes whose holders all moved on before a gossip round, cannot be caught by
anyone.) A failed run
reports its seed, the violations and the last ``trace_len`` events.
"""

import heapq
import random
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from okchain.consensus.config import ConsensusConfig
from okchain.consensus.events import (
    Action,
    ApplyBlock,
    BlockApplied,
    BlockBuilt,
    BlockReceived,
    Broadcast,
    BuildBlock,
    CommitDelayElapsed,
    CommitReceived,
    Event,
    ProposalReceived,
    Rejected,
    ReportEvidence,
    ScheduleCommitDelay,
    ScheduleTimeout,
    SignProposal,
    SignVote,
    TimeoutElapsed,
    VoteReceived,
    WriteWAL,
    replay_event,
)
from okchain.consensus.machine import ConsensusMachine
from okchain.consensus.messages import Proposal, Vote
from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.consensus.signer import DoubleSignRefused, MemorySignerStore, SafeSigner
from okchain.consensus.wal import MemoryWAL, WALError, records_after_end_height
from okchain.crypto import ed25519
from okchain.crypto.ed25519 import ValidatorKey, validator_address
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


class Simulator:
    """One seeded run. ``run()`` returns a ``SimResult``; nothing here raises on a violation."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.now = 0
        self._queue: list[tuple[int, int, int, int, Any]] = []
        self._seq = 0
        self.verifier = CachedVerifier()
        self.violations: list[str] = []
        self.trace: deque[tuple[int, int, Event | str]] = deque(maxlen=config.trace_len)
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "sent",
                "dropped",
                "duplicated",
                "delivered",
                "rejected",
                "crashes",
                "commit_crashes",
                "stalls",
                "partitions",
                "equivocations",
                "equivocations_seen",
                "evidence",
                "signer_refusals",
                "replayed_records",
            ),
            0,
        )
        self.decided: dict[int, bytes] = {}
        self.acked: set[tuple[int, int, tuple[Any, ...]]] = set()
        self.partitions: list[tuple[int, int, frozenset[int]]] = []
        self.drop_per_mille = 0
        self.dup_per_mille = 0
        self.max_fault_delay_ns = 0
        self.jitter_ns = 0
        self.equivocations: list[Equivocation] = []
        self.honest_got: dict[
            bytes, list[tuple[int, int]]
        ] = {}  # equivocating vote's signature -> (node, when)
        self.committed_at: dict[tuple[int, int], int] = {}  # (honest node, height) -> when it committed it
        self._watched: set[bytes] = set()
        self.caught: set[tuple[bytes, int, int, VoteType]] = set()
        self._make_validators()
        self._plan_faults()
        self.gst_heights: dict[int, int] = {}

    # --- set-up ---
    def _make_validators(self) -> None:
        n = self.config.validators
        keys = [ValidatorKey(self.rng.randbytes(32)) for _ in range(n)]
        powers = list(self.config.powers) or [self.rng.randint(1, 10) for _ in range(n)]
        vals = sorted(
            (
                ConsensusValidator(validator_address(k.public_key), k.public_key, p)
                for k, p in zip(keys, powers, strict=True)
            ),
            key=lambda v: v.address,
        )
        self.genesis = ValidatorSet.genesis(vals)
        self.base_sets = [self.genesis]  # base_sets[h - 1] is height h's base set
        self.powers = {v.address: v.power for v in vals}
        genesis_state = CounterState(CHAIN_ID, self.genesis.hash())
        self.nodes = [
            Node(i, k, validator_address(k.public_key), None, MemorySignerStore(), MemoryWAL(), genesis_state)
            for i, k in enumerate(keys)
        ]
        self.by_address = {node.address: node for node in self.nodes}

    def _plan_faults(self) -> None:
        faults, gst, rng = self.config.faults, self.config.gst_ns, self.rng
        n = len(self.nodes)
        if "byzantine" in faults:
            total = self.genesis.total_power
            byz_power = 0
            for node in rng.sample(self.nodes, n):
                power = self.powers[node.address]
                if 3 * (byz_power + power) < total and n - 1 > sum(
                    x.byzantine is not None for x in self.nodes
                ):
                    flags = [rng.random() < 0.6 for _ in range(3)]
                    if not any(flags):
                        flags[rng.randrange(3)] = True
                    node.byzantine = Byzantine(*flags)
                    byz_power += power
                    if rng.random() < 0.5:
                        break
        honest = [x.index for x in self.nodes if x.byzantine is None]
        if "drop" in faults:
            self.drop_per_mille = rng.randint(50, 300)
        if "dup" in faults:
            self.dup_per_mille = rng.randint(50, 300)
        if "delay" in faults:
            self.max_fault_delay_ns = rng.randint(200, 2000) * MS
        if "reorder" in faults:
            self.jitter_ns = rng.randint(50, 500) * MS
        if "partition" in faults and n > 1:
            for _ in range(rng.randint(1, 2)):
                start = rng.randrange(0, gst - SECOND)
                end = min(gst, start + rng.randint(500, 3000) * MS)
                side = frozenset(rng.sample(range(n), rng.randint(1, n - 1)))
                self.partitions.append((start, end, side))
                self.stats["partitions"] += 1
        if "crash" in faults:
            # Half the crashes hit the window between the synced END_HEIGHT marker and the block's commit (a
            # stream of its own, so the planned crash times and every other draw stay as they were).
            at_commit = random.Random(f"commit-crash/{self.config.seed}")
            for index in rng.sample(honest, min(len(honest), rng.randint(1, 2))):
                at = rng.randrange(0, gst - SECOND)
                self._push(at, _CRASH, index, at_commit.random() < 0.5)
                self._push(min(gst, at + rng.randint(100, 3000) * MS), _RESTART, index, None)
        if "stall" in faults:
            for index in rng.sample(honest, min(len(honest), rng.randint(1, 2))):
                at = rng.randrange(0, gst - SECOND)
                self._push(at, _STALL, index, min(gst, at + rng.randint(200, 3000) * MS))

    # --- the event queue ---
    def _push(self, at: int, kind: int, node: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, kind, node, payload))

    def run(self) -> SimResult:
        for node in self.nodes:
            self._start_node(node)
            self._push(self.rng.randrange(GOSSIP_NS), _GOSSIP, node.index, None)
        self._push(self.config.gst_ns, _GST, -1, None)
        deadline = self.config.gst_ns + self.config.liveness_ns
        while self._queue and not self.violations:
            at, _, kind, index, payload = heapq.heappop(self._queue)
            if at > deadline:
                self.now = deadline
                break
            self.now = at
            self._dispatch(kind, self.nodes[index] if index >= 0 else None, payload)
            if self.gst_heights and self._live_enough():
                break
        self._final_checks()
        honest = [x for x in self.nodes if x.byzantine is None]
        return SimResult(
            self.config.seed,
            tuple(sorted(self.config.faults)),
            len(self.nodes),
            len(self.nodes) - len(honest),
            max((x.state.height for x in honest), default=0),
            self.now,
            self.config.gst_ns,
            self.violations,
            [f"{t / SECOND:9.3f}s n{i} {_describe(what)}" for t, i, what in self.trace],
            self.stats,
        )

    def _live_enough(self) -> bool:
        return all(
            x.state.height >= self.gst_heights[x.index] + self.config.heights
            for x in self.nodes
            if x.byzantine is None
        )

    def _dispatch(self, kind: int, node: Node | None, payload: Any) -> None:
        if kind == _GST:
            self.gst_heights = {x.index: x.state.height for x in self.nodes}
            return
        assert node is not None
        if kind == _CRASH:
            if payload:
                node.crash_at_commit = node.up
                self._note(node, "will crash at its next commit")
            else:
                self._crash(node)
            return
        if kind == _RESTART:
            self._restart(node)
            return
        if kind == _STALL:
            node.stalled_until = payload
            self.stats["stalls"] += 1
            self._note(node, f"stalls until {payload / SECOND:.3f}s")
            return
        if kind == _GOSSIP:
            self._push(self.now + GOSSIP_NS, _GOSSIP, node.index, None)
        if not node.up:
            return
        if self.now < node.stalled_until:
            if kind == _GOSSIP:
                return
            self._push(node.stalled_until, kind, node.index, payload)
            return
        if kind == _GOSSIP:
            self._gossip(node)
        elif kind == _TIMER:
            incarnation, event = payload
            if incarnation == node.incarnation:
                self._feed(node, event)
        else:
            self._deliver(node, payload)

    # --- nodes ---
    def _validators_at(self, height: int) -> ValidatorSet:
        while len(self.base_sets) < height:
            self.base_sets.append(self.base_sets[-1].increment(1))
        return self.base_sets[height - 1]

    def _start_node(self, node: Node) -> None:
        height = node.state.height + 1
        byz = node.byzantine
        node.machine = ConsensusMachine(
            chain_id=CHAIN_ID,
            height=height,
            validators=self._validators_at(height),
            address=node.address,
            validate=(lambda block: None)
            if byz is not None and byz.invalid_blocks
            else (lambda b: node.state.problem(b)),
            config=self.config.consensus,
            verify=self.verifier,
        )
        node.signer = SafeSigner(node.key, node.signer_store)
        self._run(node, node.machine.start(self.now), deque())

    def _crash(self, node: Node) -> None:
        if not node.up:
            return
        node.up = False
        node.incarnation += 1
        node.machine = None
        node.wal = node.wal.crashed(self.rng.randint(0, 200))
        self.acked = {a for a in self.acked if a[1] != node.index}
        self.stats["crashes"] += 1
        self._note(node, "crashes")

    def _restart(self, node: Node) -> None:
        if node.crash_at_commit:  # it committed nothing before its restart time: it crashes here instead
            node.crash_at_commit = False
            self._crash(node)
        if node.up:
            return
        node.up = True
        self._note(node, f"restarts at height {node.state.height + 1}")
        self._start_node(node)
        assert node.machine is not None
        try:
            records = records_after_end_height(node.wal.records(), node.state.height)
        except WALError as exc:
            self._violation(f"recovery: n{node.index} cannot replay its WAL: {exc}")
            return
        node.replaying = True
        for record in records:
            event = replay_event(record)
            if event is not None:
                self.stats["replayed_records"] += 1
                self._feed(node, event)
        node.replaying = False

    def _feed(self, node: Node, event: Event) -> bool:
        """Hand ``event`` to the node's machine and carry out the actions; False if it was refused."""
        assert node.machine is not None
        self._note(node, event)
        actions = node.machine.handle(event, self.now)
        return self._run(node, actions, deque())

    def _run(self, node: Node, actions: list[Action], local: deque[Event]) -> bool:
        accepted = True
        while True:
            for action in actions:
                if node.machine is None:
                    return accepted  # crashed while carrying out these actions
                if isinstance(action, Rejected):
                    accepted = False
                    self.stats["rejected"] += 1
                    self._note(node, f"  refused: {action.reason}")
                else:
                    self._carry_out(node, action, local)
            if not local or node.machine is None:
                return accepted
            event = local.popleft()
            self._note(node, event)
            actions = node.machine.handle(event, self.now)

    def _carry_out(self, node: Node, action: Action, local: deque[Event]) -> None:
        if isinstance(action, Broadcast):
            self._broadcast(node, action.message)
        elif isinstance(action, WriteWAL):
            if not node.replaying:
                node.wal.append(action.record, action.sync)
        elif isinstance(action, ScheduleTimeout):
            self._push(
                self.now + action.info.duration_ns,
                _TIMER,
                node.index,
                (node.incarnation, TimeoutElapsed(action.info)),
            )
        elif isinstance(action, ScheduleCommitDelay):
            self._push(
                self.now + action.duration_ns,
                _TIMER,
                node.index,
                (node.incarnation, CommitDelayElapsed(action.height)),
            )
        elif isinstance(action, SignVote | SignProposal):
            signed = self._sign(node, action)
            if isinstance(signed, Vote):
                local.append(VoteReceived(signed))
            elif signed is not None:
                local.append(ProposalReceived(signed))
        elif isinstance(action, BuildBlock):
            valid = node.byzantine is None or not node.byzantine.invalid_blocks or self.rng.random() < 0.5
            block = node.state.build(node.address, self.now, valid=valid)
            local.append(BlockBuilt(action.height, action.round, block))
        elif isinstance(action, ApplyBlock):
            if node.crash_at_commit:
                node.crash_at_commit = False
                self.stats["commit_crashes"] += 1
                self._crash(node)
                return
            self._apply(node, action.block, action.commit)
            local.append(BlockApplied(action.block.header.height))
        elif isinstance(action, ReportEvidence):
            self._check_evidence(node, action)

    def _sign(self, node: Node, action: SignVote | SignProposal) -> Vote | Proposal | None:
        """Honest nodes sign through their SafeSigner (which may refuse); byzantine ones sign anything."""
        if node.byzantine is not None:
            if isinstance(action, SignVote):
                return self._byzantine_vote(node, node.byzantine, action.vote)
            return self._byzantine_proposal(node, node.byzantine, action.proposal)
        assert node.signer is not None
        try:
            if isinstance(action, SignVote):
                return node.signer.sign_vote(CHAIN_ID, action.vote)
            return node.signer.sign_proposal(CHAIN_ID, action.proposal)
        except DoubleSignRefused as exc:
            self.stats["signer_refusals"] += 1
            self._note(node, f"signer refused: {exc}")
            return None

    def _byzantine_vote(self, node: Node, byz: Byzantine, vote: Vote) -> Vote:
        signed = vote.signed(node.key.sign(vote.sign_bytes(CHAIN_ID)))
        if byz.equivocate_votes and self.rng.random() < 0.7:
            other = b"" if vote.block_hash else self.rng.randbytes(32)
            twin = replace(vote, block_hash=other)
            twin = twin.signed(node.key.sign(twin.sign_bytes(CHAIN_ID)))
            node.splits[signed.signature] = (twin,)
            key = (node.address, vote.height, vote.round, vote.vote_type)
            self.equivocations.append(Equivocation(self.now, key, (signed.signature, twin.signature)))
            self._watched.update((signed.signature, twin.signature))
            self.stats["equivocations"] += 1
        return signed

    def _byzantine_proposal(self, node: Node, byz: Byzantine, proposal: Proposal) -> Proposal:
        signed = proposal.signed(node.key.sign(proposal.sign_bytes(CHAIN_ID)))
        if byz.double_propose and self.rng.random() < 0.7:
            block = node.state.build(node.address, self.now, valid=self.rng.random() < 0.5, salt=1)
            twin = replace(proposal, block_hash=block.hash, pol_round=-1)
            twin = twin.signed(node.key.sign(twin.sign_bytes(CHAIN_ID)))
            node.splits[signed.signature] = (twin, block)
        return signed

    def _apply(self, node: Node, block: Block, commit: Commit) -> None:
        height = block.header.height
        if node.byzantine is None:
            problem = node.state.problem(block)
            if problem is not None:
                self._violation(f"validity: n{node.index} committed an invalid block at {height}: {problem}")
            self._check_commit(node, block, commit)
            first = self.decided.setdefault(height, block.hash)
            if first != block.hash:
                self._violation(
                    f"agreement: n{node.index} committed {block.hash.hex()[:12]} at height {height}, "
                    f"another honest node committed {first.hex()[:12]}"
                )
            self.committed_at.setdefault((node.index, height), self.now)
        node.state = node.state.apply(block, commit)
        node.commits[height] = CommitMsg(block, commit)

    def _check_commit(self, node: Node, block: Block, commit: Commit) -> None:
        vals = self._validators_at(block.header.height)
        power = 0
        signers = {sig.validator_address for sig in commit.signatures}
        if len(signers) != len(commit.signatures):
            self._violation(f"validity: n{node.index} commit at {commit.height} lists a validator twice")
            return
        for sig in commit.signatures:
            v = vals.by_address(sig.validator_address)
            vote = Vote(
                VoteType.PRECOMMIT,
                commit.height,
                commit.round,
                commit.block_hash,
                sig.time_ns,
                sig.validator_address,
                sig.signature,
            )
            if v is None or not self.verifier(v.pub_key, vote.sign_bytes(CHAIN_ID), sig.signature):
                self._violation(f"validity: n{node.index} commit at {commit.height} has a bad signature")
                return
            power += v.power
        if power < vals.quorum or commit.block_hash != block.hash:
            self._violation(f"validity: n{node.index} commit at {commit.height} lacks +2/3 for the block")

    def _check_evidence(self, node: Node, action: ReportEvidence) -> None:
        ev = action.evidence
        vals = self._validators_at(ev.height)
        v = vals.by_address(ev.validator_address)
        if v is None:
            self._violation(f"evidence: n{node.index} accuses {ev.validator_address.hex()}, not a validator")
            return
        reason = ev.verify(CHAIN_ID, v.pub_key, v.power, vals.total_power)
        if reason:
            self._violation(f"evidence: n{node.index} reported invalid evidence: {reason}")
        if self.by_address[ev.validator_address].byzantine is None:
            self._violation(
                f"evidence: honest validator n{self.by_address[ev.validator_address].index} "
                f"double-signed at {ev.height}/{ev.vote_a.round}"
            )
        if node.byzantine is None:
            self.stats["evidence"] += 1
            self.caught.add((ev.validator_address, ev.height, ev.vote_a.round, ev.vote_a.vote_type))

    # --- network ---
    def _broadcast(self, node: Node, message: Proposal | Vote | Block) -> None:
        peers = [x.index for x in self.nodes if x.index != node.index]
        twins = node.splits.get(message.signature) if not isinstance(message, Block) else None
        if twins is None:
            for peer in peers:
                self._send(node.index, peer, message)
            return
        half = set(self._halves(node, peers))
        for peer in peers:
            if peer in half:
                self._send(node.index, peer, message)
            else:
                for twin in twins:
                    self._send(node.index, peer, twin)

    def _halves(self, node: Node, peers: list[int]) -> list[int]:
        """A random half of the peers, keeping honest peers on both sides when there are two or more."""
        honest = [p for p in peers if self.nodes[p].byzantine is None]
        self.rng.shuffle(honest)
        cut = max(1, len(honest) // 2) if len(honest) > 1 else len(honest)
        return honest[:cut] + [
            p for p in peers if self.nodes[p].byzantine is not None and self.rng.random() < 0.5
        ]

    def _send(self, src: int, dst: int, message: Message) -> None:
        rng = self.rng
        self.stats["sent"] += 1
        before_gst = self.now < self.config.gst_ns
        if before_gst:
            if self.drop_per_mille and rng.randrange(1000) < self.drop_per_mille:
                self.stats["dropped"] += 1
                return
            for start, end, side in self.partitions:
                if start <= self.now < end and (src in side) != (dst in side):
                    self.stats["dropped"] += 1
                    return
        copies = 2 if self.dup_per_mille and rng.randrange(1000) < self.dup_per_mille else 1
        self.stats["duplicated"] += copies - 1
        for _ in range(copies):
            delay = rng.randint(MIN_DELAY_NS, MAX_DELAY_NS)
            if before_gst:
                if self.max_fault_delay_ns and rng.random() < 0.3:
                    delay += rng.randint(0, self.max_fault_delay_ns)
                if self.jitter_ns:
                    delay += rng.randint(0, self.jitter_ns)
            self._push(self.now + delay, _DELIVER, dst, (src, message))

    def _deliver(self, node: Node, payload: tuple[int, Message]) -> None:
        src, message = payload
        self.stats["delivered"] += 1
        if isinstance(message, Status):
            if message.height < node.state.height + 1 and node.up:
                catch_up = node.commits.get(message.height)
                if catch_up is not None:
                    self._send(node.index, src, catch_up)
            return
        key = message_key(message)
        if (src, node.index, key) in self.acked:
            return
        event: Event
        if isinstance(message, Vote):
            event = VoteReceived(message)
        elif isinstance(message, Proposal):
            event = ProposalReceived(message)
        elif isinstance(message, Block):
            event = BlockReceived(message)
        else:
            event = CommitReceived(message.block, message.commit)
        if self._feed(node, event) and node.up:
            self.acked.add((src, node.index, key))
            if node.byzantine is None and isinstance(message, Vote) and message.signature in self._watched:
                self.honest_got.setdefault(message.signature, []).append((node.index, self.now))

    def _gossip(self, node: Node) -> None:
        assert node.machine is not None
        known = [(message_key(m), m) for m in node.machine.known_messages()]
        for peer in self.nodes:
            if peer.index == node.index:
                continue
            self._send(node.index, peer.index, Status(node.state.height + 1))
            for key, message in known:
                if (node.index, peer.index, key) not in self.acked:
                    self._send(node.index, peer.index, message)

    # --- invariants and reporting ---
    def _final_checks(self) -> None:
        if self.violations:
            return
        if not self.gst_heights or not self._live_enough():
            behind = {
                f"n{x.index}": x.state.height
                for x in self.nodes
                if x.byzantine is None
                and x.state.height < self.gst_heights.get(x.index, 0) + self.config.heights
            }
            self._violation(
                f"liveness: {self.config.liveness_ns / SECOND:.0f}s after GST some honest nodes have not "
                f"committed {self.config.heights} more blocks: heights {behind}"
            )
            return
        for e in self.equivocations:
            first, second = (self.honest_got.get(sig, []) for sig in e.signatures)
            if not first or not second:
                continue  # one of the two votes never reached an honest node: nobody can tell
            self.stats["equivocations_seen"] += 1
            together = self._held_together(e.key[1], first, second)
            if self.config.gst_ns <= e.sent_at and together is not None and e.key not in self.caught:
                address, height, round_, vote_type = e.key
                self._violation(
                    f"evidence: equivocation by {address.hex()[:12]} at {height}/{round_} "
                    f"({vote_type.name}), its votes held by honest nodes n{together[0]} and n{together[1]} "
                    "long enough for gossip, was never caught"
                )

    def _held_together(
        self, height: int, first: list[tuple[int, int]], second: list[tuple[int, int]]
    ) -> tuple[int, int] | None:
        """Two honest nodes, one holding each vote, that both kept gossiping them (a node keeps a height's
        votes until it commits the next height) for two gossip rounds plus a delivery: one of them must then
        have shown its vote to the other. Without such a pair (e.g. both moved two heights on before a gossip
        round) nobody could have caught the equivocation."""
        needed = 2 * GOSSIP_NS + MAX_DELAY_NS
        for a, since_a in first:
            for b, since_b in second:
                until = min(self.committed_at.get((x, height + 1), self.now) for x in (a, b))
                if until - max(since_a, since_b) >= needed:
                    return a, b
        return None

    def _violation(self, text: str) -> None:
        self.violations.append(f"[{self.now / SECOND:.3f}s] {text}")

    def _note(self, node: Node, what: Event | str) -> None:
        self.trace.append((self.now, node.index, what))


_DELIVER, _TIMER, _GOSSIP, _CRASH, _RESTART, _STALL, _GST = range(7)


def _describe(event: Event | str) -> str:
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


def run_seed(config: SimConfig) -> SimResult:
    return Simulator(config).run()
