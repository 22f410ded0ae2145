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

import random
from collections import deque
from typing import Any

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
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.sim.app import CounterState
from okchain.sim.checker import Checker
from okchain.sim.faults import byzantine_proposal, byzantine_vote, halves, plan_faults
from okchain.sim.model import (
    CHAIN_ID,
    GOSSIP_NS,
    SECOND,
    CachedVerifier,
    CommitMsg,
    Message,
    Node,
    SimConfig,
    SimResult,
    Status,
    describe,
    message_key,
)
from okchain.sim.network import CRASH, GOSSIP, GST, RESTART, STALL, TIMER, Network
from okchain.types.block import Block, Commit

STATS = (
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
)


class Simulator:
    """One seeded run. ``run()`` returns a ``SimResult``; nothing here raises on a violation."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.stats: dict[str, int] = dict.fromkeys(STATS, 0)
        self.net = Network(config.gst_ns, self.rng, self.stats)
        self.verifier = CachedVerifier()
        self.checker = Checker(config, self.net, self.verifier, self._validators_at, self.stats)
        self.trace: deque[tuple[int, int, Event | str]] = deque(maxlen=config.trace_len)
        # (sender, receiver, message key) the receiver accepted: the network tells the sender, as a TCP ack
        # plus CometBFT's HasVote would, so gossip does not resend it.
        self.acked: set[tuple[int, int, tuple[Any, ...]]] = set()
        self._make_validators()
        plan_faults(config, self.rng, self.nodes, self.genesis, self.net, self.stats)
        self.gst_heights: dict[int, int] = {}

    @property
    def now(self) -> int:
        return self.net.now

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
        weights = tuple((v.pub_key, v.power) for v in vals)
        genesis_state = CounterState(CHAIN_ID, self.genesis.hash(), weights)
        self.nodes = [
            Node(i, k, validator_address(k.public_key), None, MemorySignerStore(), MemoryWAL(), genesis_state)
            for i, k in enumerate(keys)
        ]
        self.by_address = {node.address: node for node in self.nodes}

    def run(self) -> SimResult:
        for node in self.nodes:
            self._start_node(node)
            self.net.push(self.rng.randrange(GOSSIP_NS), GOSSIP, node.index, None)
        self.net.push(self.config.gst_ns, GST, -1, None)
        deadline = self.config.gst_ns + self.config.liveness_ns
        while not self.checker.violations:
            event = self.net.advance(deadline)
            if event is None:
                break
            kind, index, payload = event
            self._dispatch(kind, self.nodes[index] if index >= 0 else None, payload)
            if self.gst_heights and self._live_enough():
                break
        self.checker.final_checks(
            self.nodes, self.gst_heights, bool(self.gst_heights) and self._live_enough()
        )
        honest = [x for x in self.nodes if x.byzantine is None]
        return SimResult(
            self.config.seed,
            tuple(sorted(self.config.faults)),
            len(self.nodes),
            len(self.nodes) - len(honest),
            max((x.state.height for x in honest), default=0),
            self.now,
            self.config.gst_ns,
            self.checker.violations,
            [f"{t / SECOND:9.3f}s n{i} {describe(what)}" for t, i, what in self.trace],
            self.stats,
        )

    def _live_enough(self) -> bool:
        return all(
            x.state.height >= self.gst_heights[x.index] + self.config.heights
            for x in self.nodes
            if x.byzantine is None
        )

    def _dispatch(self, kind: int, node: Node | None, payload: Any) -> None:
        if kind == GST:
            self.gst_heights = {x.index: x.state.height for x in self.nodes}
            return
        assert node is not None
        if kind == CRASH:
            if payload:
                node.crash_at_commit = node.up
                self._note(node, "will crash at its next commit")
            else:
                self._crash(node)
            return
        if kind == RESTART:
            self._restart(node)
            return
        if kind == STALL:
            node.stalled_until = payload
            self.stats["stalls"] += 1
            self._note(node, f"stalls until {payload / SECOND:.3f}s")
            return
        if kind == GOSSIP:
            self.net.push(self.now + GOSSIP_NS, GOSSIP, node.index, None)
        if not node.up:
            return
        if self.now < node.stalled_until:
            if kind == GOSSIP:
                return
            self.net.push(node.stalled_until, kind, node.index, payload)
            return
        if kind == GOSSIP:
            self._gossip(node)
        elif kind == TIMER:
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
            else (lambda b: node.state.problem(b, self.verifier)),
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
            self.checker.violation(f"recovery: n{node.index} cannot replay its WAL: {exc}")
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
            self.net.push(
                self.now + action.info.duration_ns,
                TIMER,
                node.index,
                (node.incarnation, TimeoutElapsed(action.info)),
            )
        elif isinstance(action, ScheduleCommitDelay):
            self.net.push(
                self.now + action.duration_ns,
                TIMER,
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
            block = node.state.build(node.address, valid=valid)
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
            self.checker.check_evidence(
                node, action.evidence, self.by_address.get(action.evidence.validator_address)
            )

    def _sign(self, node: Node, action: SignVote | SignProposal) -> Vote | Proposal | None:
        """Honest nodes sign through their SafeSigner (which may refuse); byzantine ones sign anything."""
        if node.byzantine is not None:
            if isinstance(action, SignVote):
                vote, equivocation = byzantine_vote(node, node.byzantine, action.vote, self.rng, self.now)
                if equivocation is not None:
                    self.checker.equivocation_sent(equivocation)
                return vote
            return byzantine_proposal(node, node.byzantine, action.proposal, self.rng, self.now)
        assert node.signer is not None
        try:
            if isinstance(action, SignVote):
                return node.signer.sign_vote(CHAIN_ID, action.vote)
            return node.signer.sign_proposal(CHAIN_ID, action.proposal)
        except DoubleSignRefused as exc:
            self.stats["signer_refusals"] += 1
            self._note(node, f"signer refused: {exc}")
            return None

    def _apply(self, node: Node, block: Block, commit: Commit) -> None:
        if node.byzantine is None:
            self.checker.honest_commit(node, block, commit)
        node.state = node.state.apply(block, commit)
        node.commits[block.header.height] = CommitMsg(block, commit)

    # --- network ---
    def _broadcast(self, node: Node, message: Proposal | Vote | Block) -> None:
        peers = [x.index for x in self.nodes if x.index != node.index]
        twins = node.splits.get(message.signature) if not isinstance(message, Block) else None
        if twins is None:
            for peer in peers:
                self._send(node.index, peer, message)
            return
        half = set(halves(self.nodes, peers, self.rng))
        for peer in peers:
            if peer in half:
                self._send(node.index, peer, message)
            else:
                for twin in twins:
                    self._send(node.index, peer, twin)

    def _send(self, src: int, dst: int, message: Message) -> None:
        self.net.send(src, dst, message)

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
            if isinstance(message, Vote):
                self.checker.vote_accepted(node, message)

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

    def _note(self, node: Node, what: Event | str) -> None:
        self.trace.append((self.now, node.index, what))


def run_seed(config: SimConfig) -> SimResult:
    return Simulator(config).run()
