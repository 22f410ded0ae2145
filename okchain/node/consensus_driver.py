"""The consensus shell: owns the pure ``ConsensusMachine`` and carries out its actions with real effects.

Exactly the simulator's ``_carry_out`` (``okchain/sim/simulator.py``), with real I/O:

- one inbox of events (peers' messages, handed in by the consensus reactor after their signatures were
  checked) and one deadline queue of timers (``ScheduleTimeout``/``ScheduleCommitDelay``), handled one
  event at a time on the trio thread, timers first when due, so the machine sees a single ordered stream;
- the actions of one ``handle()`` call are carried out in order; a synced WAL record (own message, end of
  height) is fsynced on a worker thread and awaited before the next action (so before its ``Broadcast``),
  and signing (``SafeSigner`` over ``FileSignerStore``, which fsyncs) is awaited the same way;
- ``BuildBlock`` and ``ApplyBlock`` go to the node (reap + ``prepare_proposal``; ``Node.apply_block``);
- on start the WAL records after the last committed height's END_HEIGHT are replayed through
  ``replay_event`` (nothing is re-written to the WAL while replaying), which puts the machine back in its
  round; the signer hands out the same signatures again and refuses anything that conflicts.
"""

import heapq
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio

from okchain.consensus.events import (
    Action,
    ApplyBlock,
    BlockApplied,
    BlockBuilt,
    BlockRefused,
    Broadcast,
    BuildBlock,
    CommitDelayElapsed,
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
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.machine import ConsensusMachine
from okchain.consensus.messages import Proposal, Vote
from okchain.consensus.proposer import ValidatorSet
from okchain.consensus.signer import DoubleSignRefused, SafeSigner
from okchain.consensus.wal import WALRecord, records_after_end_height
from okchain.node.equivocate import Equivocator
from okchain.node.wal_file import FileWAL
from okchain.types.block import Block, Commit

log = logging.getLogger("okchain.consensus")

INBOX_LIMIT = 20_000
"""Events waiting for the machine; beyond this, peers' messages are dropped (gossip sends them again)."""

CHECKPOINT_EVERY = 16
"""Heights between WAL checkpoints (each rewrites the log without the finished heights)."""

Message = Proposal | Vote | Block


@dataclass(frozen=True, slots=True)
class DriverHooks:
    """What the driver needs from the node around it."""

    build_block: Callable[[int, int], Block]  # (height, round) -> a new block to propose
    before_apply: Callable[[Block], Awaitable[None]]  # wait for what applying needs (tx signers recovered)
    apply_block: Callable[[Block, Commit], None]  # commit a decided block (``Node.apply_block``)
    broadcast: Callable[[Message], None]  # send an own message to every peer
    report_evidence: Callable[[DuplicateVoteEvidence], None]
    step_changed: Callable[[], None]  # the machine's height, round or phase changed (once per input)
    validator_set: Callable[[int], ValidatorSet]  # the committed set that signs a height
    # every (height, round, phase) the machine passes through, also those one input runs through at once
    # (a lone validator goes from propose to commit in one step): for the node's consensus streams
    step_passed: Callable[[int, int, int], None]


class ConsensusDriver:
    def __init__(
        self,
        machine: ConsensusMachine,
        *,
        wal: FileWAL,
        signer: SafeSigner | None,
        committed_height: Callable[[], int],
        hooks: DriverHooks,
        equivocator: Equivocator | None = None,
    ) -> None:
        self.machine = machine
        self._equivocator = equivocator  # test-only byzantine mode (okchain/node/equivocate.py)
        self._wal = wal
        self._signer = signer
        self._committed_height = committed_height
        self._hooks = hooks
        self._inbox: deque[Event] = deque()
        self._wakeup = trio.Event()
        self._timers: list[tuple[float, int, Event]] = []
        self._seq = itertools.count()
        self._replaying = False
        self._since_checkpoint = 0
        self._decided_at = 0.0  # when the last ApplyBlock was asked for (trio clock)
        self._passed = (0, 0, -1)  # the last step handed to ``step_passed``
        self.dropped = 0  # inbox overflows
        self.rejected = 0  # inputs the machine refused

    @property
    def step(self) -> tuple[int, int, int]:
        """(height, round, phase) of the machine."""
        m = self.machine
        return m.height, m.round, int(m.phase)

    def submit(self, event: Event) -> bool:
        """Queue a (checked) event from the network; False if the inbox is full and it was dropped."""
        if len(self._inbox) >= INBOX_LIMIT:
            self.dropped += 1
            return False
        self._inbox.append(event)
        self._wakeup.set()
        return True

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start the machine, replay the WAL, then handle events and timers until cancelled."""
        records = records_after_end_height(self._wal.records(), self._committed_height())  # before new ones
        await self._run_actions(self.machine.start(time.time_ns()))
        await self._replay(records)
        task_status.started()
        while True:
            deadline = self._timers[0][0] if self._timers else math.inf
            if not self._inbox and deadline > trio.current_time():
                self._wakeup = trio.Event()
                with trio.move_on_at(deadline):
                    await self._wakeup.wait()
            if self._timers and self._timers[0][0] <= trio.current_time():
                await self.feed(heapq.heappop(self._timers)[2])
            elif self._inbox:
                await self.feed(self._inbox.popleft())
            await trio.lowlevel.checkpoint()

    async def _replay(self, records: tuple[WALRecord, ...]) -> None:
        if not records:
            return
        log.info("replaying %d WAL records of height %d", len(records), self.machine.height)
        self._replaying = True
        try:
            for record in records:
                event = replay_event(record)
                if event is not None:
                    await self.feed(event)
        finally:
            self._replaying = False

    async def feed(self, event: Event) -> bool:
        """Hand ``event`` to the machine and carry out the actions; False if the machine refused it."""
        before = self.step
        accepted = await self._run_actions(self.machine.handle(event, time.time_ns()))
        if self.step != before:
            self._hooks.step_changed()
        return accepted

    async def _run_actions(self, actions: list[Action]) -> bool:
        """The simulator's ``_run``: carry out actions in order; events they produce (signed messages,
        built and applied blocks) go back into the machine before anything else."""
        accepted = True
        local: deque[Event] = deque()
        while True:
            if self.step != self._passed:
                self._passed = self.step
                self._hooks.step_passed(*self._passed)
            for action in actions:
                if isinstance(action, Rejected):
                    accepted = False
                    self.rejected += 1
                    log.debug("consensus refused: %s", action.reason)
                else:
                    await self._carry_out(action, local)
            if not local:
                return accepted
            actions = self.machine.handle(local.popleft(), time.time_ns())

    async def _carry_out(self, action: Action, local: deque[Event]) -> None:
        if isinstance(action, Broadcast):
            self._hooks.broadcast(action.message)
        elif isinstance(action, WriteWAL):
            if self._replaying:
                return
            if action.sync:
                await trio.to_thread.run_sync(self._wal.append, action.record, True)
            else:
                self._wal.append(action.record, False)
        elif isinstance(action, ScheduleTimeout):
            self._schedule(action.info.duration_ns, TimeoutElapsed(action.info))
        elif isinstance(action, ScheduleCommitDelay):
            # The pause runs from the decision, not from the end of the block's execution (CometBFT's
            # start time = commit time + timeout_commit): applying a large block does not stretch the
            # block time as long as it takes less than the pause.
            elapsed_ns = int((trio.current_time() - self._decided_at) * 1e9)
            self._schedule(max(0, action.duration_ns - elapsed_ns), CommitDelayElapsed(action.height))
        elif isinstance(action, SignVote | SignProposal):
            signed = await self._sign(action)
            if isinstance(signed, Vote):
                local.append(VoteReceived(signed))
                conflict = self._equivocator and self._equivocator.conflict(self.machine.chain_id, signed)
                if conflict:
                    log.warning(
                        "test-only equivocation: sending a conflicting precommit at %d", signed.height
                    )
                    self._hooks.broadcast(conflict)
            elif signed is not None:
                local.append(ProposalReceived(signed))
        elif isinstance(action, BuildBlock):
            block = self._hooks.build_block(action.height, action.round)
            local.append(BlockBuilt(action.height, action.round, block))
        elif isinstance(action, ApplyBlock):
            self._decided_at = trio.current_time()
            height = action.block.header.height
            await self._hooks.before_apply(action.block)
            self._hooks.apply_block(action.block, action.commit)
            local.append(BlockApplied(height, self._hooks.validator_set(height + 1)))
            await self._maybe_checkpoint(height)
        elif isinstance(action, ReportEvidence):
            log.warning(
                "duplicate vote by %s at height %d round %d",
                action.evidence.validator_address.hex(),
                action.evidence.height,
                action.evidence.vote_a.round,
            )
            self._hooks.report_evidence(action.evidence)
        elif isinstance(action, BlockRefused):
            log.warning(
                "refused block %d/%d %s of proposer %s: [%s] %s",
                action.height,
                action.round,
                action.block_hash.hex()[:16],
                action.proposer,
                action.refusal.code,
                action.refusal.reason,
            )

    def _schedule(self, duration_ns: int, event: Event) -> None:
        heapq.heappush(self._timers, (trio.current_time() + duration_ns / 1e9, next(self._seq), event))

    async def _sign(self, action: SignVote | SignProposal) -> Vote | Proposal | None:
        """Sign through the SafeSigner on a worker thread (it fsyncs its state before answering); the
        caller awaits it, so the order of actions is kept. A refusal is logged and nothing is sent."""
        signer = self._signer
        if signer is None:
            return None
        chain_id = self.machine.chain_id
        try:
            if isinstance(action, SignVote):
                return await trio.to_thread.run_sync(signer.sign_vote, chain_id, action.vote)
            return await trio.to_thread.run_sync(signer.sign_proposal, chain_id, action.proposal)
        except DoubleSignRefused as exc:
            log.warning("signer refused: %s", exc)
            return None

    async def _maybe_checkpoint(self, height: int) -> None:
        self._since_checkpoint += 1
        if self._since_checkpoint >= CHECKPOINT_EVERY and not self._replaying:
            self._since_checkpoint = 0
            await trio.to_thread.run_sync(self._wal.checkpoint, height)
