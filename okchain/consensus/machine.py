"""The Tendermint consensus state machine (Buchman, Kwon, Milosevic 2018, Algorithm 1), pure.

``ConsensusMachine.handle(event, now_ns) -> list[Action]`` is deterministic: the same events with the same
times give the same actions. The time is the shell's clock passed in, never read. After every event the
machine re-evaluates the algorithm's ``upon`` rules for the current height and round until none fires, so
the order in which messages arrive changes timing only, never which rule applies.

Rules (paper line numbers):
- 11 StartRound: the round's proposer (``ValidatorSet.proposer_at(round)`` of the height's base set)
  proposes its valid block with its POL round, or asks the shell to build one (``BuildBlock``).
- 22/28 prevote the proposal if it is valid and not against our lock (a lock is overridden by a POL
  from round ``vr >= locked_round``: the proof-of-lock change); otherwise prevote nil.
- 34/47 +2/3 prevotes (precommits) for anything start the prevote (precommit) wait timeout.
- 36 +2/3 prevotes for the valid proposal: lock it and precommit it (if still at prevote); it becomes the
  valid block either way, to be re-proposed in later rounds.
- 44 +2/3 nil prevotes: precommit nil.
- 49 +2/3 precommits of one round for a block we hold and find valid: decide (``ApplyBlock`` with the
  ``Commit`` of those precommits). Like CometBFT this needs the block, not the proposal, which lets a node
  that missed the round catch up from a ``CommitReceived``.
- 55 round skip: the paper's f+1 rule: when validators with more than 1/3 of the power have voted in a
  later round, jump to it (at least one honest validator is there).
- 57/61/65 timeouts: propose -> prevote nil, prevote wait -> precommit nil, precommit wait -> next round.

On a decision the machine writes the END_HEIGHT marker (synced) before ``ApplyBlock``: a crash before the
block is committed replays the height's records and decides it again. After ``BlockApplied`` it waits the
commit delay and starts round 0 of the next height, whose base validator set is the current one
incremented once (priorities carry over).

Inputs are checked before they touch any state: messages for another height, an unknown validator, a
proposal from a validator that is not the round's proposer, a bad signature, or a block whose txs do not
match its header (the hash covers only the header) are refused with a ``Rejected`` action. The previous
height's vote sets are kept so a late conflicting vote still yields evidence. A validator's second vote
for a different block in one (height, round, type) becomes ``DuplicateVoteEvidence`` (``ReportEvidence``
and ``ConsensusMachine.evidence``) and, as in the paper, still counts toward its own block (see votes.py
for why that is safe and needed).
"""

from collections.abc import Callable
from enum import IntEnum

from okchain.consensus.config import ConsensusConfig
from okchain.consensus.events import (
    Action,
    ApplyBlock,
    BlockApplied,
    BlockBuilt,
    BlockReceived,
    BlockRefused,
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
)
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import InvalidMessage, Proposal, Step, TimeoutInfo, Vote
from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.consensus.votes import AddOutcome, HeightVotes
from okchain.consensus.wal import RecordKind, WALRecord, end_height_record
from okchain.crypto import ed25519
from okchain.types.block import Block, Commit, body_problem
from okchain.types.commit_check import commit_problem
from okchain.types.refusal import Refusal, RefusalCode
from okchain.types.vote import VoteType

Verifier = Callable[[bytes, bytes, bytes], bool]
"""(public key, message, signature) -> valid? The node uses ed25519.verify; the simulator a cached one."""

Validity = Callable[[Block], Refusal | None]
"""``None`` if the block may be voted for, else why not (in the node: ``Application.process_proposal``)."""

MAX_ROUNDS_AHEAD = 64
"""Messages for rounds further ahead are refused: bounds the vote sets a peer can make us allocate."""


class Phase(IntEnum):
    NEW_HEIGHT = 0  # waiting out the commit delay before round 0
    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3
    COMMIT = 4  # decided; waiting for BlockApplied


_IN_ROUND = (Phase.PROPOSE, Phase.PREVOTE, Phase.PRECOMMIT)


class ConsensusMachine:
    """One validator's (or observer's, with ``address=None``) view of consensus at its current height."""

    def __init__(
        self,
        *,
        chain_id: str,
        height: int,
        validators: ValidatorSet,
        address: bytes | None,
        validate: Validity,
        config: ConsensusConfig | None = None,
        verify: Verifier = ed25519.verify,
    ) -> None:
        self.chain_id = chain_id
        self.address = address
        self.config = config or ConsensusConfig()
        self._validate = validate
        self._verify = verify
        self.evidence: list[DuplicateVoteEvidence] = []
        self._evidence_keys: set[tuple[bytes, int, int, VoteType]] = set()
        self._prev: tuple[ValidatorSet, HeightVotes] | None = None
        self._enter_height(height, validators)

    def _enter_height(self, height: int, validators: ValidatorSet) -> None:
        self.height = height
        self.validators = validators
        self.round = 0
        self.phase = Phase.NEW_HEIGHT
        self.locked: Block | None = None
        self.locked_round = -1
        self.valid: Block | None = None
        self.valid_round = -1
        self.decision: tuple[Block, Commit] | None = None
        self._proposals: dict[int, Proposal] = {}
        self._blocks: dict[bytes, Block] = {}
        self._validity: dict[bytes, Refusal | None] = {}
        self._votes = HeightVotes(validators)
        self._proposers: dict[int, bytes] = {}
        self._commit_rounds: dict[int, bytes] = {}
        self._proven: Commit | None = None  # a verified commit received whole (catch-up)
        self._fired: set[str] = set()  # once-per-round rules already fired in the current round

    # --- read-only views for the shell and tests ---
    def proposal(self, round_: int) -> Proposal | None:
        return self._proposals.get(round_)

    def votes(self) -> HeightVotes:
        return self._votes

    def known_messages(self) -> list[Proposal | Vote | Block]:
        """Everything accepted at this height (proposals with their blocks, then votes by round), and the
        previous height's votes, for the shell's gossip to peers that may have missed them (the late votes
        are what lets a peer catch an equivocation in the round that decided)."""
        out: list[Proposal | Vote | Block] = []
        if self._prev is not None:
            out.extend(_all_votes(self._prev[1]))
        for round_ in sorted(self._proposals):
            proposal = self._proposals[round_]
            out.append(proposal)
            block = self._blocks.get(proposal.block_hash)
            if block is not None:
                out.append(block)
        out.extend(_all_votes(self._votes))
        return out

    def proposer(self, round_: int) -> bytes:
        """Address of the proposer of ``round_`` at the current height."""
        address = self._proposers.get(round_)
        if address is None:
            address = self._proposers[round_] = self.validators.proposer_at(round_).address
        return address

    # --- entry points ---
    def start(self, now_ns: int) -> list[Action]:
        """Enter round 0 of the current height right away (node start; no commit delay)."""
        out: list[Action] = []
        if self.phase == Phase.NEW_HEIGHT:
            self._start_round(0, now_ns, out)
            self._progress(now_ns, out)
        return out

    def handle(self, event: Event, now_ns: int) -> list[Action]:
        out: list[Action] = []
        if isinstance(event, VoteReceived):
            self._on_vote(event.vote, out)
        elif isinstance(event, ProposalReceived):
            self._on_proposal(event.proposal, out)
        elif isinstance(event, BlockReceived):
            self._on_block(event.block, out)
        elif isinstance(event, CommitReceived):
            self._on_commit(event.block, event.commit, out)
        elif isinstance(event, TimeoutElapsed):
            self._on_timeout(event.info, now_ns, out)
        elif isinstance(event, CommitDelayElapsed):
            if event.height == self.height and self.phase == Phase.NEW_HEIGHT:
                self._start_round(0, now_ns, out)
        elif isinstance(event, BlockBuilt):
            self._on_block_built(event, now_ns, out)
        else:
            self._on_block_applied(event, out)
        self._progress(now_ns, out)
        return out

    # --- inputs ---
    def _on_vote(self, vote: Vote, out: list[Action]) -> None:
        if vote.height == self.height - 1 and self._prev is not None:
            self._on_previous_height_vote(vote, out)
            return
        counted = self._votes.peek(vote.round, vote.vote_type) if vote.height == self.height else None
        if counted is not None and counted.holds(vote):
            return  # the same vote again (gossip); checked before the signature to stay cheap
        checked = self._check_vote(vote)
        if isinstance(checked, str):
            out.append(Rejected(checked))
        else:
            self._count_vote(vote, checked, out)

    def _check_vote(self, vote: Vote, *, in_commit: bool = False) -> ConsensusValidator | str:
        """The voter if ``vote`` is for this height, from a validator, with a good signature; else why not.
        A commit's precommits may be of any round: +2/3 of them are a proof, and a commit fills one set."""
        if vote.height != self.height:
            return f"vote for height {vote.height}; consensus is at height {self.height}"
        if not in_commit and vote.round > self.round + MAX_ROUNDS_AHEAD:
            return f"vote for round {vote.round} is more than {MAX_ROUNDS_AHEAD} rounds ahead"
        validator = self.validators.by_address(vote.validator_address)
        if validator is None:
            return f"vote from {vote.validator_address.hex()}: not a validator at height {self.height}"
        if not self._verify(validator.pub_key, vote.sign_bytes(self.chain_id), vote.signature):
            return f"bad signature on {_describe(vote)}"
        return validator

    def _count_vote(self, vote: Vote, validator: ConsensusValidator, out: list[Action]) -> None:
        result = self._votes.add(vote, validator.power)
        if result.outcome is AddOutcome.CONFLICT:
            assert result.existing is not None
            self._record_evidence(result.existing, vote, validator.power, self.validators.total_power, out)
        if not result.counted:
            return
        own = vote.validator_address == self.address
        out.append(
            WriteWAL(WALRecord(RecordKind.OWN_VOTE if own else RecordKind.MESSAGE_VOTE, vote.encode()), own)
        )
        if own:
            out.append(Broadcast(vote))
        if (
            vote.vote_type == VoteType.PRECOMMIT
            and vote.block_hash
            and vote.round not in self._commit_rounds
            and self._votes.get(vote.round, VoteType.PRECOMMIT).has_quorum_for(vote.block_hash)
        ):
            self._commit_rounds[vote.round] = vote.block_hash

    def last_commit(self, decided: Commit) -> Commit:
        """``decided`` (the commit that decided the previous height) with every precommit for its block in
        its round received since, as CometBFT's LastCommit: a validator whose precommit arrived a moment
        after the first +2/3 still counts as signing (for rewards and the downtime window)."""
        counted = None if self._prev is None else self._prev[1].peek(decided.round, VoteType.PRECOMMIT)
        if counted is None or decided.height != self.height - 1:
            return decided
        extended = counted.commit(decided.height, decided.block_hash)
        return extended if len(extended.signatures) > len(decided.signatures) else decided

    def _on_previous_height_vote(self, vote: Vote, out: list[Action]) -> None:
        """Late votes of the height just decided: they extend the next block's last commit and catch
        equivocation."""
        assert self._prev is not None
        validators, votes = self._prev
        validator = validators.by_address(vote.validator_address)
        if validator is None or vote.round > MAX_ROUNDS_AHEAD + max(votes.rounds(), default=0):
            return
        counted = votes.peek(vote.round, vote.vote_type)
        if counted is not None and counted.holds(vote):
            return
        if not self._verify(validator.pub_key, vote.sign_bytes(self.chain_id), vote.signature):
            out.append(Rejected(f"bad signature on {_describe(vote)}"))
            return
        result = votes.add(vote, validator.power)
        if result.outcome is AddOutcome.CONFLICT:
            assert result.existing is not None
            self._record_evidence(result.existing, vote, validator.power, validators.total_power, out)

    def _record_evidence(self, a: Vote, b: Vote, power: int, total: int, out: list[Action]) -> None:
        key = (a.validator_address, a.height, a.round, a.vote_type)
        if key in self._evidence_keys:
            return
        self._evidence_keys.add(key)
        evidence = DuplicateVoteEvidence.from_votes(a, b, power, total)
        self.evidence.append(evidence)
        out.append(ReportEvidence(evidence))

    def _on_proposal(self, proposal: Proposal, out: list[Action]) -> None:
        if proposal.height != self.height:
            out.append(
                Rejected(f"proposal for height {proposal.height}; consensus is at height {self.height}")
            )
            return
        if proposal.round > self.round + MAX_ROUNDS_AHEAD:
            out.append(Rejected(f"proposal for round {proposal.round} is too far ahead"))
            return
        proposer = self.proposer(proposal.round)
        if proposal.proposer_address != proposer:
            out.append(
                Rejected(
                    f"proposal for {self.height}/{proposal.round} from {proposal.proposer_address.hex()}; "
                    f"the round's proposer is {proposer.hex()}"
                )
            )
            return
        existing = self._proposals.get(proposal.round)
        if existing == proposal:
            return
        validator = self.validators.by_address(proposer)
        assert validator is not None
        if not self._verify(validator.pub_key, proposal.sign_bytes(self.chain_id), proposal.signature):
            out.append(Rejected(f"bad signature on the proposal for {self.height}/{proposal.round}"))
            return
        if existing is not None:
            out.append(
                Rejected(
                    f"second proposal for {self.height}/{proposal.round} from {proposer.hex()} "
                    f"(block {proposal.block_hash.hex()[:12]}); the first one "
                    f"({existing.block_hash.hex()[:12]}) stands"
                )
            )
            return
        self._proposals[proposal.round] = proposal
        if proposer != self.address:
            out.append(WriteWAL(WALRecord(RecordKind.MESSAGE_PROPOSAL, proposal.encode()), False))
            return
        block = self._blocks.get(proposal.block_hash)
        out.append(WriteWAL(WALRecord(RecordKind.OWN_PROPOSAL, proposal.encode()), block is None))
        if block is not None:
            out.append(WriteWAL(WALRecord(RecordKind.MESSAGE_BLOCK, block.encode()), True))
        out.append(Broadcast(proposal))
        if block is not None:
            out.append(Broadcast(block))

    def _on_block(self, block: Block, out: list[Action]) -> None:
        if block.header.height != self.height:
            out.append(
                Rejected(f"block of height {block.header.height}; consensus is at height {self.height}")
            )
            return
        block_hash = block.hash
        if block_hash in self._blocks:
            return
        problem = body_problem(block)
        if problem is not None:
            out.append(Rejected(str(problem)))
            return
        if not self._named(block_hash):
            out.append(
                Rejected(
                    f"block {block_hash.hex()[:12]} is named by no proposal or vote of height {self.height}"
                )
            )
            return
        self._blocks[block_hash] = block
        out.append(WriteWAL(WALRecord(RecordKind.MESSAGE_BLOCK, block.encode()), False))

    def _named(self, block_hash: bytes) -> bool:
        if any(p.block_hash == block_hash for p in self._proposals.values()):
            return True
        return any(
            vs.power_for(block_hash) > 0
            for r in self._votes.rounds()
            for vs in (self._votes.peek(r, VoteType.PREVOTE), self._votes.peek(r, VoteType.PRECOMMIT))
            if vs is not None
        )

    def _on_commit(self, block: Block, commit: Commit, out: list[Action]) -> None:
        """A commit is a proof on its own: an exact commit, +2/3 of the power signed it (the one rule of
        ``commit_problem``). Once it checks out whole, its votes
        are also counted (and checked for equivocation), but the decision does not depend on them: an
        equivocating validator may have shown us a different precommit than the one in the commit."""
        if commit.height != self.height or block.header.height != self.height:
            out.append(Rejected(f"commit for height {commit.height}; consensus is at height {self.height}"))
            return
        if block.hash != commit.block_hash:
            out.append(Rejected("commit names a different block than the one it came with"))
            return
        problem = body_problem(block) or commit_problem(
            self.chain_id,
            self.height,
            block.hash,
            commit,
            [(v.pub_key, v.power) for v in self.validators.validators],
            self._verify,
        )
        if problem is not None:
            out.append(Rejected(f"commit for height {self.height}: {problem}"))
            return
        if self.phase == Phase.COMMIT:
            return
        checked_votes: list[tuple[Vote, ConsensusValidator]] = []
        for sig in commit.signatures:
            try:
                vote = Vote.in_commit(commit, sig)
            except InvalidMessage as exc:
                out.append(Rejected(f"malformed commit signature: {exc}"))
                return
            checked = self._check_vote(vote, in_commit=True)
            if isinstance(checked, str):
                out.append(Rejected(f"commit for height {self.height}: {checked}"))
                return
            checked_votes.append((vote, checked))
        for vote, validator in checked_votes:
            self._count_vote(vote, validator, out)
        if block.hash not in self._blocks:
            self._blocks[block.hash] = block
            out.append(WriteWAL(WALRecord(RecordKind.MESSAGE_BLOCK, block.encode()), False))
        self._proven = commit

    def _on_timeout(self, info: TimeoutInfo, now_ns: int, out: list[Action]) -> None:
        if info.height != self.height or info.round != self.round:
            return  # stale: the machine moved on
        if info.step == Step.PROPOSE and self.phase == Phase.PROPOSE:
            out.append(WriteWAL(WALRecord(RecordKind.TIMEOUT, info.encode()), False))
            self._report_missing_block(out)
            self._vote(VoteType.PREVOTE, b"", now_ns, out)
            self.phase = Phase.PREVOTE
        elif info.step == Step.PREVOTE and self.phase == Phase.PREVOTE:
            out.append(WriteWAL(WALRecord(RecordKind.TIMEOUT, info.encode()), False))
            self._vote(VoteType.PRECOMMIT, b"", now_ns, out)
            self.phase = Phase.PRECOMMIT
        elif info.step == Step.PRECOMMIT and self.phase in _IN_ROUND:
            out.append(WriteWAL(WALRecord(RecordKind.TIMEOUT, info.encode()), False))
            self._start_round(self.round + 1, now_ns, out)

    def _report_missing_block(self, out: list[Action]) -> None:
        """A proposal whose block never came (withheld, or of another height than its proposal)."""
        proposal = self._proposals.get(self.round)
        if proposal is not None and proposal.block_hash not in self._blocks:
            reason = "the proposal's block did not arrive before the propose timeout"
            missing = Refusal(RefusalCode.BLOCK_MISSING, reason)
            proposer = proposal.proposer_address.hex()
            out.append(BlockRefused(self.height, self.round, proposal.block_hash, proposer, missing))

    def _on_block_built(self, event: BlockBuilt, now_ns: int, out: list[Action]) -> None:
        block = event.block
        if (
            event.height != self.height
            or event.round != self.round
            or self.phase != Phase.PROPOSE
            or self.address is None
            or self.proposer(self.round) != self.address
            or self.round in self._proposals
        ):
            out.append(Rejected(f"built block for {event.height}/{event.round} is no longer wanted"))
            return
        if block.header.height != self.height:
            out.append(Rejected(f"built block has height {block.header.height}, wanted {self.height}"))
            return
        self._blocks[block.hash] = block
        proposal = Proposal(self.height, self.round, -1, block.hash, now_ns, self.address, b"")
        out.append(SignProposal(proposal))

    def _on_block_applied(self, event: BlockApplied, out: list[Action]) -> None:
        if self.phase != Phase.COMMIT or event.height != self.height:
            out.append(Rejected(f"block {event.height} applied, but height {self.height} is not decided"))
            return
        self._prev = (self.validators, self._votes)
        nxt = event.next_validators if event.next_validators is not None else self.validators.increment(1)
        self._enter_height(self.height + 1, nxt)
        out.append(ScheduleCommitDelay(self.height, self.config.commit_delay_ns))

    # --- the rules ---
    def _progress(self, now_ns: int, out: list[Action]) -> None:
        while not self._try_decide(out) and self.phase in _IN_ROUND:
            target = self._skip_target()
            if target is not None:
                self._start_round(target, now_ns, out)
            elif not self._round_rules(now_ns, out):
                return

    def _try_decide(self, out: list[Action]) -> bool:
        if self.phase == Phase.COMMIT:
            return False
        for commit in self._commits():
            block = self._blocks.get(commit.block_hash)
            if block is None or self._invalid_reason(block, out):
                continue  # a committed invalid block means > 1/3 faulty power: refuse and halt
            self.phase = Phase.COMMIT
            self.decision = (block, commit)
            out.append(WriteWAL(end_height_record(self.height), True))
            out.append(ApplyBlock(block, commit))
            return True
        return False

    def _commits(self) -> list[Commit]:
        """Commits we can make from our vote sets, then a received one."""
        commits = []
        for round_, block_hash in self._commit_rounds.items():
            commits.append(self._votes.get(round_, VoteType.PRECOMMIT).commit(self.height, block_hash))
        if self._proven is not None:
            commits.append(self._proven)
        return commits

    def _skip_target(self) -> int | None:
        total = self.validators.total_power
        later = [r for r in self._votes.rounds() if r > self.round and self._votes.round_power(r) * 3 > total]
        return max(later) if later else None

    def _round_rules(self, now_ns: int, out: list[Action]) -> bool:
        """Fire the first enabled rule of the current round; True if the state moved."""
        r = self.round
        proposal = self._proposals.get(r)
        block = self._blocks.get(proposal.block_hash) if proposal is not None else None
        prevotes = self._votes.get(r, VoteType.PREVOTE)
        if self.phase == Phase.PROPOSE and proposal is not None and block is not None:
            bh = proposal.block_hash
            unlocked = self.locked is None or self.locked.hash == bh
            pol = self._votes.peek(proposal.pol_round, VoteType.PREVOTE) if proposal.pol_round >= 0 else None
            if proposal.pol_round == -1 or (pol is not None and pol.has_quorum_for(bh)):
                justified = unlocked or (pol is not None and self.locked_round <= proposal.pol_round)
                ok = justified and not self._invalid_reason(block, out)
                self._vote(VoteType.PREVOTE, bh if ok else b"", now_ns, out)
                self.phase = Phase.PREVOTE
                return True
            # else wait for the POL (or the propose timeout); the precommit wait below may still start
        if self.phase == Phase.PREVOTE and "prevote-wait" not in self._fired and prevotes.has_quorum_any():
            self._fired.add("prevote-wait")
            self._schedule(Step.PREVOTE, out)
        if (
            self.phase in (Phase.PREVOTE, Phase.PRECOMMIT)
            and proposal is not None
            and block is not None
            and "polka" not in self._fired
            and prevotes.has_quorum_for(proposal.block_hash)
            and not self._invalid_reason(block, out)
        ):
            self._fired.add("polka")
            if self.phase == Phase.PREVOTE:
                self.locked, self.locked_round = block, r
                self._vote(VoteType.PRECOMMIT, proposal.block_hash, now_ns, out)
                self.phase = Phase.PRECOMMIT
            self.valid, self.valid_round = block, r
            return True
        if self.phase == Phase.PREVOTE and prevotes.has_quorum_for(b""):
            self._vote(VoteType.PRECOMMIT, b"", now_ns, out)
            self.phase = Phase.PRECOMMIT
            return True
        if "precommit-wait" not in self._fired and self._votes.get(r, VoteType.PRECOMMIT).has_quorum_any():
            self._fired.add("precommit-wait")
            self._schedule(Step.PRECOMMIT, out)
        return False

    def _start_round(self, round_: int, now_ns: int, out: list[Action]) -> None:
        self.round = round_
        self.phase = Phase.PROPOSE
        self._fired = set()
        self._schedule(Step.PROPOSE, out)
        if self.address is None or self.proposer(round_) != self.address or round_ in self._proposals:
            return
        if self.valid is not None:
            proposal = Proposal(
                self.height, round_, self.valid_round, self.valid.hash, now_ns, self.address, b""
            )
            out.append(SignProposal(proposal))
        else:
            out.append(BuildBlock(self.height, round_))

    def _schedule(self, step: Step, out: list[Action]) -> None:
        duration = self.config.timeout_ns(step, self.round)
        out.append(ScheduleTimeout(TimeoutInfo(self.height, self.round, step, duration)))

    def _vote(self, vote_type: VoteType, block_hash: bytes, now_ns: int, out: list[Action]) -> None:
        """Our vote. A precommit for a block is timed after the block, however late our clock: the next
        block's time is the median of these times and must pass this block's."""
        if vote_type == VoteType.PRECOMMIT and block_hash:
            now_ns = max(now_ns, self._blocks[block_hash].header.time_ns + 1)
        if self.address is not None and self.validators.by_address(self.address) is not None:
            out.append(
                SignVote(Vote(vote_type, self.height, self.round, block_hash, now_ns, self.address, b""))
            )

    def _invalid_reason(self, block: Block, out: list[Action]) -> Refusal | None:
        """The block's refusal, judged once per block; the first judgement of a bad block is reported."""
        block_hash = block.hash
        if block_hash in self._validity:
            return self._validity[block_hash]
        refusal = self._validity[block_hash] = self._validate(block)
        if refusal is not None:
            proposer = block.header.proposer_address.hex()
            out.append(BlockRefused(block.header.height, self.round, block_hash, proposer, refusal))
        return refusal


def _all_votes(votes: HeightVotes) -> list[Vote]:
    sets = (votes.peek(r, t) for r in votes.rounds() for t in (VoteType.PREVOTE, VoteType.PRECOMMIT))
    return [v for vs in sets if vs is not None for v in vs.all_votes()]


def _describe(vote: Vote) -> str:
    kind = "prevote" if vote.vote_type == VoteType.PREVOTE else "precommit"
    target = vote.block_hash.hex()[:12] if vote.block_hash else "nil"
    return f"{kind} {vote.height}/{vote.round} for {target} from {vote.validator_address.hex()}"
