"""Rules of the Tendermint state machine, one at a time, on four validators of power 1 (quorum 3, f+1 = 2).

A small shell (``Shell``) plays the node's part: it signs through a SafeSigner and feeds the signed message
back, builds blocks with the simulator's counter app and records every action, so each test drives the
machine only with the events a real node would see.
"""

from dataclasses import replace

import pytest

from okchain.consensus.config import SECOND_NS, ConsensusConfig
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
from okchain.consensus.machine import MAX_ROUNDS_AHEAD, ConsensusMachine, Phase
from okchain.consensus.messages import Proposal, Step, TimeoutInfo, Vote
from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.consensus.signer import DoubleSignRefused, MemorySignerStore, SafeSigner
from okchain.consensus.wal import MemoryWAL, RecordKind, WALRecord, records_after_end_height
from okchain.crypto import ed25519
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.sim.app import CounterState
from okchain.types.block import Block, Commit, CommitSig
from okchain.types.refusal import Refusal
from okchain.types.vote import VoteType

CHAIN = "okchain-machine-test"
KEYS = [ValidatorKey(bytes([i + 1]) * 32) for i in range(4)]
KEY_OF = {validator_address(k.public_key): k for k in KEYS}
VALS = ValidatorSet.genesis(
    [ConsensusValidator(validator_address(k.public_key), k.public_key, 1) for k in KEYS]
)
GENESIS = CounterState(CHAIN, VALS.hash(), tuple((v.pub_key, v.power) for v in VALS.validators))


def judge(b: Block) -> Refusal | None:
    """The stand-in app's rules, with real signature checks."""
    return GENESIS.problem(b, ed25519.verify)


PV, PC = VoteType.PREVOTE, VoteType.PRECOMMIT


def proposer(round_: int, vals: ValidatorSet = VALS) -> bytes:
    return vals.proposer_at(round_).address


def others(*exclude: bytes) -> list[bytes]:
    return [v.address for v in VALS.validators if v.address not in exclude]


def vote(address: bytes, vote_type: VoteType, round_: int, block_hash: bytes, height: int = 1) -> Vote:
    v = Vote(vote_type, height, round_, block_hash, 1000 + round_, address, b"")
    return v.signed(KEY_OF[address].sign(v.sign_bytes(CHAIN)))


def proposal(round_: int, block: Block, pol_round: int = -1, height: int = 1) -> Proposal:
    p = Proposal(height, round_, pol_round, block.hash, 1000, proposer(round_), b"")
    return p.signed(KEY_OF[p.proposer_address].sign(p.sign_bytes(CHAIN)))


def block(salt: int = 0, valid: bool = True) -> Block:
    return GENESIS.build(proposer(0), valid=valid, salt=salt)


class Shell:
    """Signs (through SafeSigner), builds and loops signed messages back, like the node does."""

    def __init__(self, address: bytes, store: MemorySignerStore | None = None) -> None:
        self.address = address
        self.store = store or MemorySignerStore()
        self.signer = SafeSigner(KEY_OF[address], self.store)
        self.machine = ConsensusMachine(
            chain_id=CHAIN, height=1, validators=VALS, address=address, validate=judge
        )
        self.log: list[Action] = []
        self.wal: list[WALRecord] = []
        self.memory_wal = MemoryWAL()
        self.now = 5 * SECOND_NS
        self.refused: list[str] = []

    def start(self) -> list[Action]:
        return self._run(self.machine.start(self.now))

    def feed(self, *events: Event) -> list[Action]:
        out: list[Action] = []
        for event in events:
            out += self._run(self.machine.handle(event, self.now))
        return out

    def _run(self, actions: list[Action]) -> list[Action]:
        out = list(actions)
        pending = list(actions)
        while pending:
            action = pending.pop(0)
            self.log.append(action)
            follow: Event | None = None
            try:
                if isinstance(action, SignVote):
                    follow = VoteReceived(self.signer.sign_vote(CHAIN, action.vote))
                elif isinstance(action, SignProposal):
                    follow = ProposalReceived(self.signer.sign_proposal(CHAIN, action.proposal))
            except DoubleSignRefused as exc:
                self.refused.append(str(exc))
            if isinstance(action, BuildBlock):
                follow = BlockBuilt(action.height, action.round, GENESIS.build(self.address))
            if isinstance(action, WriteWAL):
                self.wal.append(action.record)
                self.memory_wal.append(action.record, action.sync)
            if follow is not None:
                more = self.machine.handle(follow, self.now)
                out += more
                pending += more
        return out

    def my_votes(self, vote_type: VoteType) -> list[Vote]:
        return [a.vote for a in self.log if isinstance(a, SignVote) and a.vote.vote_type == vote_type]


def of(actions: list[Action], kind: type) -> list:  # type: ignore[type-arg]
    return [a for a in actions if isinstance(a, kind)]


def timeouts(actions: list[Action]) -> list[TimeoutInfo]:
    return [a.info for a in of(actions, ScheduleTimeout)]


ME = next(a for a in others(proposer(0)) if a not in (proposer(1), proposer(2)))


# --- proposer rotation and timeouts ---


def test_round_proposers_follow_the_priority_algorithm_and_carry_across_heights() -> None:
    m = Shell(ME).machine
    for r in range(8):
        assert m.proposer(r) == VALS.increment(r).proposer.address
    assert {m.proposer(r) for r in range(4)} == {v.address for v in VALS.validators}  # equal power: each once
    s = Shell(ME)
    s.start()
    b = block()
    s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
    for a in others(ME)[:2]:
        s.feed(VoteReceived(vote(a, PV, 0, b.hash)))
    s.feed(*(VoteReceived(vote(a, PC, 0, b.hash)) for a in others(ME)[:2]))
    s.feed(BlockApplied(1))
    assert s.machine.height == 2
    assert s.machine.validators == VALS.increment(1)
    assert s.machine.proposer(0) == VALS.increment(1).proposer.address


def test_proposer_builds_a_block_and_broadcasts_the_signed_proposal_after_the_wal() -> None:
    s = Shell(proposer(0))
    actions = s.start()
    assert of(actions, BuildBlock) == [BuildBlock(1, 0)]
    kinds = [(type(a).__name__, getattr(getattr(a, "record", None), "kind", None)) for a in actions]
    own = kinds.index(("WriteWAL", RecordKind.OWN_PROPOSAL))
    first_broadcast = next(i for i, a in enumerate(actions) if isinstance(a, Broadcast))
    assert own < first_broadcast
    sent = [a.message for a in of(actions, Broadcast)]
    assert isinstance(sent[0], Proposal) and sent[0].pol_round == -1 and isinstance(sent[1], Block)
    assert sent[0].block_hash == sent[1].hash
    assert s.machine.phase == Phase.PREVOTE  # it prevoted its own valid block at once
    assert s.my_votes(PV)[0].block_hash == sent[1].hash


def test_timeouts_grow_per_round_with_the_default_durations() -> None:
    s = Shell(ME)
    assert timeouts(s.start()) == [TimeoutInfo(1, 0, Step.PROPOSE, 3 * SECOND_NS)]
    cfg = ConsensusConfig()
    assert [cfg.timeout_ns(Step.PROPOSE, r) for r in range(3)] == [
        3_000_000_000,
        3_500_000_000,
        4_000_000_000,
    ]
    assert cfg.timeout_ns(Step.PREVOTE, 2) == cfg.timeout_ns(Step.PRECOMMIT, 2) == 2 * SECOND_NS
    # propose timeout: prevote nil
    s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PROPOSE, 3 * SECOND_NS)))
    assert s.my_votes(PV)[-1].block_hash == b""
    # +2/3 prevotes for anything starts the prevote wait; it ends in a nil precommit
    got = s.feed(*(VoteReceived(vote(a, PV, 0, block(salt=i).hash)) for i, a in enumerate(others(ME)[:2])))
    assert TimeoutInfo(1, 0, Step.PREVOTE, SECOND_NS) in timeouts(got)
    s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PREVOTE, SECOND_NS)))
    assert s.my_votes(PC)[-1].block_hash == b"" and s.machine.phase == Phase.PRECOMMIT
    # +2/3 precommits for anything starts the precommit wait; it moves to round 1 with longer timeouts
    got = s.feed(*(VoteReceived(vote(a, PC, 0, b"")) for a in others(ME)[:2]))
    assert TimeoutInfo(1, 0, Step.PRECOMMIT, SECOND_NS) in timeouts(got)
    got = s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PRECOMMIT, SECOND_NS)))
    assert (s.machine.round, s.machine.phase) == (1, Phase.PROPOSE)
    assert TimeoutInfo(1, 1, Step.PROPOSE, 3_500_000_000) in timeouts(got)
    # stale timeouts are ignored
    assert s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PROPOSE, 3 * SECOND_NS))) == []
    assert s.machine.round == 1


# --- the happy path, commit and the next height ---


def test_commit_on_two_thirds_precommits_then_commit_delay_then_next_height() -> None:
    s = Shell(ME)
    s.start()
    b = block()
    s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
    assert s.my_votes(PV)[-1].block_hash == b.hash
    s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(ME)[:2]))
    assert (s.machine.locked_round, s.machine.valid_round) == (0, 0)
    assert s.my_votes(PC)[-1].block_hash == b.hash
    got = s.feed(VoteReceived(vote(others(ME)[0], PC, 0, b.hash)))
    assert of(got, ApplyBlock) == []  # 2 of 3 needed
    got = s.feed(VoteReceived(vote(others(ME)[1], PC, 0, b.hash)))
    (apply,) = of(got, ApplyBlock)
    assert apply.block == b
    commit = apply.commit
    assert (commit.height, commit.round, commit.block_hash) == (1, 0, b.hash)
    signers = [sig.validator_address for sig in commit.signatures]
    assert signers == sorted(signers) and set(signers) == {ME, *others(ME)[:2]}
    for sig in commit.signatures:
        v = Vote(PC, 1, 0, b.hash, sig.time_ns, sig.validator_address, sig.signature)
        assert v.verify(CHAIN, KEY_OF[sig.validator_address].public_key)
    end = got.index(WriteWAL(WALRecord(RecordKind.END_HEIGHT, (1).to_bytes(8, "big")), True))
    assert end < got.index(apply)
    got = s.feed(BlockApplied(1))
    assert of(got, ScheduleCommitDelay) == [ScheduleCommitDelay(2, SECOND_NS)]
    assert (s.machine.height, s.machine.phase, s.machine.locked_round) == (2, Phase.NEW_HEIGHT, -1)
    got = s.feed(CommitDelayElapsed(2))
    assert (s.machine.round, s.machine.phase) == (0, Phase.PROPOSE)
    assert timeouts(got) == [TimeoutInfo(2, 0, Step.PROPOSE, 3 * SECOND_NS)]


def test_invalid_block_gets_a_nil_prevote() -> None:
    s = Shell(ME)
    s.start()
    bad = block(valid=False)
    assert judge(bad)
    s.feed(ProposalReceived(proposal(0, bad)), BlockReceived(bad))
    assert s.my_votes(PV)[-1].block_hash == b""
    # and +2/3 prevotes for it do not make us lock or precommit it
    s.feed(*(VoteReceived(vote(a, PV, 0, bad.hash)) for a in others(ME)))
    assert s.machine.locked is None and s.my_votes(PC) == []


def test_two_thirds_nil_prevotes_give_a_nil_precommit() -> None:
    s = Shell(ME)
    s.start()
    s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PROPOSE, 3 * SECOND_NS)))
    s.feed(*(VoteReceived(vote(a, PV, 0, b"")) for a in others(ME)[:2]))
    assert s.my_votes(PC)[-1].block_hash == b"" and s.machine.phase == Phase.PRECOMMIT


# --- locking, unlocking on a later POL, re-proposal ---


def _locked_on(b: Block) -> Shell:
    """A validator locked on ``b`` in round 0 that then moved to round 1 (the round 0 commit failed)."""
    s = Shell(ME)
    s.start()
    s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
    s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(ME)[:2]))
    assert (s.machine.locked, s.machine.locked_round) == (b, 0)
    s.feed(*(VoteReceived(vote(a, PC, 0, b"")) for a in others(ME)[:2]))
    s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PRECOMMIT, SECOND_NS)))
    assert s.machine.round == 1
    return s


def test_a_locked_validator_prevotes_nil_for_another_block_without_a_newer_pol() -> None:
    b, c = block(), block(salt=1)
    s = _locked_on(b)
    s.feed(ProposalReceived(proposal(1, c)), BlockReceived(c))
    assert s.my_votes(PV)[-1] == replace(s.my_votes(PV)[-1], round=1, block_hash=b"")
    assert s.machine.locked == b


def test_a_locked_validator_prevotes_its_locked_block_again() -> None:
    b = block()
    s = _locked_on(b)
    s.feed(ProposalReceived(proposal(1, b, pol_round=0)), BlockReceived(b))
    assert s.my_votes(PV)[-1].block_hash == b.hash and s.my_votes(PV)[-1].round == 1


def test_unlock_on_a_later_pol_and_lock_on_the_new_block() -> None:
    b, c = block(), block(salt=1)
    s = _locked_on(b)
    # round 1: the others prevote c (a POL for c at round 1, later than our lock at round 0)
    s.feed(TimeoutElapsed(TimeoutInfo(1, 1, Step.PROPOSE, 3_500_000_000)))
    s.feed(*(VoteReceived(vote(a, PV, 1, c.hash)) for a in others(ME)))
    s.feed(TimeoutElapsed(TimeoutInfo(1, 1, Step.PREVOTE, 1_500_000_000)))
    s.feed(*(VoteReceived(vote(a, PC, 1, b"")) for a in others(ME)))
    s.feed(TimeoutElapsed(TimeoutInfo(1, 1, Step.PRECOMMIT, 1_500_000_000)))
    assert s.machine.round == 2 and s.machine.locked == b
    # round 2: c re-proposed with pol_round 1 >= locked_round 0: we prevote it, then lock on it
    s.feed(ProposalReceived(proposal(2, c, pol_round=1)), BlockReceived(c))
    assert s.my_votes(PV)[-1].block_hash == c.hash
    s.feed(*(VoteReceived(vote(a, PV, 2, c.hash)) for a in others(ME)[:2]))
    assert (s.machine.locked, s.machine.locked_round) == (c, 2)
    assert s.my_votes(PC)[-1].block_hash == c.hash


def test_a_pol_round_proposal_waits_for_the_pol_before_prevoting() -> None:
    b, c = block(), block(salt=1)
    s = _locked_on(b)
    got = s.feed(ProposalReceived(proposal(1, c, pol_round=0)), BlockReceived(c))
    assert of(got, SignVote) == [] and s.machine.phase == Phase.PROPOSE  # no POL for c at round 0
    s.feed(TimeoutElapsed(TimeoutInfo(1, 1, Step.PROPOSE, 3_500_000_000)))
    assert s.my_votes(PV)[-1].block_hash == b""


def test_the_valid_block_is_re_proposed_with_its_pol_round() -> None:
    b = block()
    p1 = proposer(1)
    s = Shell(p1)
    s.start()
    s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
    s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(p1)[:2]))
    assert s.machine.valid == b
    s.feed(*(VoteReceived(vote(a, PC, 0, b"")) for a in others(p1)[:2]))
    got = s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PRECOMMIT, SECOND_NS)))
    assert of(got, BuildBlock) == []
    (sign,) = of(got, SignProposal)
    assert (sign.proposal.round, sign.proposal.pol_round, sign.proposal.block_hash) == (1, 0, b.hash)


# --- round skip (the paper's f+1 rule) ---


def test_skip_to_a_later_round_when_more_than_a_third_of_the_power_is_there() -> None:
    s = Shell(ME)
    s.start()
    a1, a2 = others(ME)[:2]
    s.feed(VoteReceived(vote(a1, PV, 3, b"")))
    assert s.machine.round == 0  # 1/4 of the power is not more than 1/3
    got = s.feed(VoteReceived(vote(a2, PC, 3, b"")))
    assert s.machine.round == 3
    assert TimeoutInfo(1, 3, Step.PROPOSE, 4_500_000_000) in timeouts(got)


# --- refusals ---


def test_messages_for_other_heights_unknown_validators_or_bad_signatures_are_refused() -> None:
    s = Shell(ME)
    s.start()
    outsider = ValidatorKey(bytes([99]) * 32)
    stranger = Vote(PV, 1, 0, b"", 1, validator_address(outsider.public_key), b"")
    stranger = stranger.signed(outsider.sign(stranger.sign_bytes(CHAIN)))
    forged = replace(vote(others(ME)[0], PV, 0, b""), signature=bytes(64))
    b = block()
    wrong_proposer = Proposal(1, 0, -1, b.hash, 1, others(proposer(0))[0], b"")
    wrong_proposer = wrong_proposer.signed(
        KEY_OF[wrong_proposer.proposer_address].sign(wrong_proposer.sign_bytes(CHAIN))
    )
    cases = {
        "vote for height 5": VoteReceived(vote(others(ME)[0], PV, 0, b"", height=5)),
        "not a validator": VoteReceived(stranger),
        "bad signature": VoteReceived(forged),
        "the round's proposer is": ProposalReceived(wrong_proposer),
        "named by no proposal or vote": BlockReceived(b),
        "proposal for height 2": ProposalReceived(proposal(0, b, height=2)),
    }
    for reason, event in cases.items():
        got = s.feed(event)
        assert [type(a) for a in got] == [Rejected], reason
        assert reason in got[0].reason  # type: ignore[union-attr]
    assert s.machine.votes().get(0, PV).total == 0 and s.machine.proposal(0) is None


# --- equivocation and evidence ---


def test_every_equivocation_yields_valid_evidence_once() -> None:
    s = Shell(ME)
    s.start()
    liar = others(ME)[0]
    b = block()
    s.feed(VoteReceived(vote(liar, PV, 0, b.hash)))
    got = s.feed(VoteReceived(vote(liar, PV, 0, b"")))
    (report,) = of(got, ReportEvidence)
    ev = report.evidence
    assert ev.verify(CHAIN, KEY_OF[liar].public_key, 1, 4) is None
    assert (ev.vote_a.block_hash, ev.vote_b.block_hash) == (b"", b.hash)
    assert s.feed(VoteReceived(vote(liar, PV, 0, b""))) == []  # the same offence again: nothing new
    assert s.machine.evidence == [ev]
    # the equivocator is counted once toward "+2/3 of anything", but toward each of its blocks
    tally = s.machine.votes().get(0, PV)
    assert tally.total == 1 and tally.power_for(b"") == tally.power_for(b.hash) == 1


def test_late_votes_of_the_previous_height_still_yield_evidence() -> None:
    s = Shell(ME)
    s.start()
    b = block()
    s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
    s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(ME)[:2]))
    s.feed(*(VoteReceived(vote(a, PC, 0, b.hash)) for a in others(ME)[:2]))
    s.feed(BlockApplied(1))
    got = s.feed(VoteReceived(vote(others(ME)[0], PC, 0, b"")))
    (report,) = of(got, ReportEvidence)
    assert (
        report.evidence.height == 1
        and report.evidence.verify(CHAIN, KEY_OF[others(ME)[0]].public_key, 1, 4) is None
    )


def test_a_late_precommit_extends_the_next_blocks_last_commit() -> None:
    """The first +2/3 decides; a precommit arriving during the commit delay still joins the last commit
    the next proposer includes, so that validator counts as signing."""
    s = Shell(ME)
    s.start()
    b = block()
    s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
    s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(ME)[:2]))
    (apply,) = of(s.feed(*(VoteReceived(vote(a, PC, 0, b.hash)) for a in others(ME)[:2])), ApplyBlock)
    decided = apply.commit
    s.feed(BlockApplied(1))
    assert s.machine.last_commit(decided) == decided  # nothing arrived late yet
    late = others(ME)[2]
    s.feed(VoteReceived(vote(late, PC, 0, b.hash)))
    extended = s.machine.last_commit(decided)
    assert [sig.validator_address for sig in extended.signatures] == sorted([ME, *others(ME)])
    assert (extended.height, extended.round, extended.block_hash) == (decided.height, 0, b.hash)
    s.feed(
        VoteReceived(vote(others(ME)[0], PC, 0, b""))
    )  # a late nil precommit (an equivocation) adds nothing
    assert s.machine.last_commit(decided) == extended


# --- catch-up from a commit ---


def test_a_received_commit_decides_even_if_an_equivocator_showed_us_another_vote() -> None:
    s = Shell(ME)
    s.start()
    b = block()
    liar, a2, a3 = others(ME)
    s.feed(VoteReceived(vote(liar, PC, 2, b"")))  # what the liar showed us
    sigs = tuple(
        CommitSig(v.validator_address, v.time_ns, v.signature)
        for v in sorted((vote(x, PC, 2, b.hash) for x in (liar, a2, a3)), key=lambda v: v.validator_address)
    )
    commit = Commit(1, 2, b.hash, sigs)
    short = Commit(1, 2, b.hash, sigs[:2])
    assert "needs more than 2/3" in of(s.feed(CommitReceived(b, short)), Rejected)[0].reason
    got = s.feed(CommitReceived(b, commit))
    assert of(got, ApplyBlock) == [ApplyBlock(b, commit)]
    assert len(of(got, ReportEvidence)) == 1


# --- own messages, WAL, replay, signer ---


def test_own_votes_are_written_to_the_wal_synced_before_they_are_broadcast() -> None:
    s = Shell(ME)
    s.start()
    got = s.feed(TimeoutElapsed(TimeoutInfo(1, 0, Step.PROPOSE, 3 * SECOND_NS)))
    (my_vote,) = [a.message for a in of(got, Broadcast)]
    wal = WriteWAL(WALRecord(RecordKind.OWN_VOTE, my_vote.encode()), True)
    assert got.index(wal) < got.index(Broadcast(my_vote))
    assert (
        WriteWAL(
            WALRecord(RecordKind.TIMEOUT, TimeoutInfo(1, 0, Step.PROPOSE, 3 * SECOND_NS).encode()), False
        )
        in got
    )


def test_replay_of_the_wal_puts_a_fresh_machine_back_in_its_round() -> None:
    b, c = block(), block(salt=1)
    s = _locked_on(b)
    s.feed(ProposalReceived(proposal(1, c)), BlockReceived(c))  # prevote nil (locked on b)
    s.feed(VoteReceived(vote(others(ME)[0], PV, 1, c.hash)))
    before = s.machine
    restarted = Shell(ME, store=s.store)  # the signer state survives the crash; the machine does not
    restarted.start()
    for record in records_after_end_height(s.wal, 0):
        event = replay_event(record)
        assert event is not None
        restarted.feed(event)
    after = restarted.machine
    assert (
        (after.height, after.round, after.phase)
        == (before.height, before.round, before.phase)
        == (1, 1, Phase.PREVOTE)
    )
    assert (after.locked, after.locked_round, after.valid_round) == (b, 0, 0)
    assert after.votes().get(1, PV).total == before.votes().get(1, PV).total == 2
    assert after.known_messages() == before.known_messages()


def test_replay_after_a_torn_tail_keeps_everything_up_to_the_last_own_vote() -> None:
    b, c = block(), block(salt=1)
    s = _locked_on(b)
    s.feed(ProposalReceived(proposal(1, c)), BlockReceived(c))  # own nil prevote: synced
    s.feed(*(VoteReceived(vote(a, PV, 1, c.hash)) for a in others(ME)[:2]))  # peers' votes: not synced
    crashed = s.memory_wal.crashed(unsynced_bytes_kept=30)  # the OS flushed part of one frame
    assert crashed.cut_error and len(crashed.records()) < len(s.wal)
    restarted = Shell(ME, store=s.store)
    restarted.start()
    for record in records_after_end_height(crashed.records(), 0):
        event = replay_event(record)
        assert event is not None
        restarted.feed(event)
    m = restarted.machine
    assert (m.round, m.phase, m.locked, m.locked_round) == (1, Phase.PREVOTE, b, 0)
    own = s.machine.votes().get(1, PV).get(ME)
    assert own is not None and own.block_hash == b""
    assert m.votes().get(1, PV).get(ME) == own  # our own vote survived, with the same signature
    # replaying round 0 makes the machine ask for its round-0 votes again: the signer refuses (they are in
    # the WAL already); nothing at round 1 conflicts with what was signed before the crash
    assert restarted.refused
    assert all(r.endswith("is behind the last signed 1/1/PREVOTE") for r in restarted.refused)


def test_signing_again_after_a_restart_goes_through_the_safe_signer() -> None:
    s = Shell(proposer(0))
    s.start()
    first = s.machine.proposal(0)
    assert first is not None
    # restart with the same signer state and an empty WAL: the new block (another time) must not be signed
    restarted = Shell(proposer(0), store=s.store)
    restarted.now += SECOND_NS
    restarted.start()
    assert restarted.machine.proposal(0) is None
    assert restarted.refused == ["height/round/step 1/0/PROPOSE is behind the last signed 1/0/PREVOTE"]
    # a conflicting prevote at the same height/round/step is refused too
    with pytest.raises(DoubleSignRefused):
        restarted.signer.sign_vote(CHAIN, Vote(PV, 1, 0, b"", 1, proposer(0), b""))


def test_the_machine_is_deterministic() -> None:
    def run() -> list[Action]:
        s = Shell(ME)
        out = s.start()
        b = block()
        out += s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
        out += s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(ME)))
        out += s.feed(*(VoteReceived(vote(a, PC, 0, b.hash)) for a in others(ME)))
        return out

    assert run() == run()


def test_an_observer_follows_consensus_without_signing_or_proposing() -> None:
    m = ConsensusMachine(chain_id=CHAIN, height=1, validators=VALS, address=None, validate=judge)
    b = block()
    out = m.start(0)
    out += m.handle(ProposalReceived(proposal(0, b)), 0) + m.handle(BlockReceived(b), 0)
    for vote_type in (PV, PC):
        for a in others()[:3]:
            out += m.handle(VoteReceived(vote(a, vote_type, 0, b.hash)), 0)
    assert not of(out, SignVote) and not of(out, SignProposal) and not of(out, BuildBlock)
    assert [a.block for a in of(out, ApplyBlock)] == [b]


def test_the_shell_can_hand_over_the_next_heights_validator_set() -> None:
    s = Shell(ME)
    s.start()
    b = block()
    s.feed(ProposalReceived(proposal(0, b)), BlockReceived(b))
    s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(ME)[:2]))
    s.feed(*(VoteReceived(vote(a, PC, 0, b.hash)) for a in others(ME)[:2]))
    heavier = VALS.increment(1).update([ConsensusValidator(ME, KEY_OF[ME].public_key, 5)])
    s.feed(BlockApplied(1, heavier))
    assert s.machine.validators is heavier and s.machine.validators.quorum == 6
    assert s.feed(BlockApplied(1)) == [Rejected("block 1 applied, but height 2 is not decided")]


# --- a block's body must match the header that names it ---


def test_a_block_whose_txs_do_not_match_its_header_cannot_hide_the_real_one() -> None:
    """The block hash covers only the header: a peer can send the named header with other txs. Taken first
    and cached under the hash, it made the real block be ignored, so an honest validator prevoted nil and
    could never decide the block +2/3 committed."""
    b = block()
    forged = replace(b, txs=(b"counter=7",))
    assert forged.hash == b.hash and judge(forged)
    s = Shell(ME)
    s.start()
    s.feed(ProposalReceived(proposal(0, b)))
    (refused,) = of(s.feed(BlockReceived(forged)), Rejected)
    assert "txs hash" in refused.reason
    s.feed(BlockReceived(b))
    assert s.my_votes(PV)[-1].block_hash == b.hash
    s.feed(*(VoteReceived(vote(a, PV, 0, b.hash)) for a in others(ME)[:2]))
    got = s.feed(*(VoteReceived(vote(a, PC, 0, b.hash)) for a in others(ME)[:2]))
    assert [a.block for a in of(got, ApplyBlock)] == [b]


def test_a_commit_with_a_forged_block_body_is_refused_and_the_real_one_decides() -> None:
    b = block()
    forged = replace(b, txs=(b"counter=7",))
    sigs = tuple(
        CommitSig(v.validator_address, v.time_ns, v.signature)
        for v in sorted((vote(x, PC, 0, b.hash) for x in others(ME)), key=lambda v: v.validator_address)
    )
    commit = Commit(1, 0, b.hash, sigs)
    s = Shell(ME)
    s.start()
    got = s.feed(CommitReceived(forged, commit))
    assert of(got, ApplyBlock) == [] and "txs hash" in of(got, Rejected)[0].reason
    assert of(s.feed(CommitReceived(b, commit)), ApplyBlock) == [ApplyBlock(b, commit)]


def test_precommit_wait_starts_on_two_thirds_precommits_even_while_a_proposal_waits_for_its_pol() -> None:
    """Paper line 47 holds in every step: +2/3 precommits of the round schedule the precommit timeout. A
    proposal waiting for its POL (line 28) must not keep that rule from firing."""
    b, c = block(), block(salt=1)
    s = _locked_on(b)
    s.feed(ProposalReceived(proposal(1, c, pol_round=0)), BlockReceived(c))
    assert s.machine.phase == Phase.PROPOSE  # no POL for c at round 0: waiting
    got = s.feed(*(VoteReceived(vote(a, PC, 1, b"")) for a in others(ME)))
    assert timeouts(got) == [TimeoutInfo(1, 1, Step.PRECOMMIT, 1_500_000_000)]
    got = s.feed(TimeoutElapsed(TimeoutInfo(1, 1, Step.PRECOMMIT, 1_500_000_000)))
    assert s.machine.round == 2


def test_a_valid_commit_from_a_round_far_ahead_still_decides() -> None:
    """+2/3 signatures prove a commit whatever its round: the bound on rounds ahead guards the vote sets
    peers can make us allocate, and must not refuse the proof a node that fell behind catches up with."""
    b = block()
    far = MAX_ROUNDS_AHEAD + 6
    sigs = tuple(
        CommitSig(v.validator_address, v.time_ns, v.signature)
        for v in sorted((vote(x, PC, far, b.hash) for x in others(ME)), key=lambda v: v.validator_address)
    )
    commit = Commit(1, far, b.hash, sigs)
    s = Shell(ME)
    s.start()
    assert of(s.feed(CommitReceived(b, commit)), ApplyBlock) == [ApplyBlock(b, commit)]
    # a lone vote that far ahead is still refused
    other = Shell(ME)
    other.start()
    (refused,) = of(other.feed(VoteReceived(vote(others(ME)[0], PC, far, b.hash))), Rejected)
    assert "rounds ahead" in refused.reason
