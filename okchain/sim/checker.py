"""The invariants a run must keep, checked as it goes and at its end; a violation is recorded with the
simulated time, never raised, so the run reports its seed and trace.

Agreement: no two honest nodes commit different blocks at one height. Validity: honest nodes commit only
blocks valid for their tip, each with a commit of +2/3 valid signatures. Evidence: every reported piece
verifies and none accuses an honest validator, and every equivocation sent after GST whose two votes two
honest nodes held long enough for gossip is caught. Liveness: after GST every honest node commits
``heights`` more blocks within ``liveness_ns``.
"""

from collections.abc import Callable

from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import Vote
from okchain.consensus.proposer import ValidatorSet
from okchain.sim.model import (
    CHAIN_ID,
    GOSSIP_NS,
    MAX_DELAY_NS,
    SECOND,
    CachedVerifier,
    Equivocation,
    Node,
    SimConfig,
)
from okchain.sim.network import Network
from okchain.types.block import Block, Commit
from okchain.types.vote import VoteType


class Checker:
    def __init__(
        self,
        config: SimConfig,
        clock: Network,
        verifier: CachedVerifier,
        validators_at: Callable[[int], ValidatorSet],
        stats: dict[str, int],
    ) -> None:
        self._config = config
        self._clock = clock
        self._verifier = verifier
        self._validators_at = validators_at
        self._stats = stats
        self.violations: list[str] = []
        self._decided: dict[int, bytes] = {}
        self._committed_at: dict[tuple[int, int], int] = {}  # (honest node, height) -> when it committed it
        self._equivocations: list[Equivocation] = []
        self._honest_got: dict[
            bytes, list[tuple[int, int]]
        ] = {}  # equivocating vote's signature -> (node, when)
        self._watched: set[bytes] = set()
        self._caught: set[tuple[bytes, int, int, VoteType]] = set()

    def violation(self, text: str) -> None:
        self.violations.append(f"[{self._clock.now / SECOND:.3f}s] {text}")

    def honest_commit(self, node: Node, block: Block, commit: Commit) -> None:
        """Validity and agreement of a block an honest ``node`` is about to commit."""
        height = block.header.height
        problem = node.state.problem(block, self._verifier)
        if problem is not None:
            self.violation(f"validity: n{node.index} committed an invalid block at {height}: {problem}")
        self.check_commit(node, block, commit)
        first = self._decided.setdefault(height, block.hash)
        if first != block.hash:
            self.violation(
                f"agreement: n{node.index} committed {block.hash.hex()[:12]} at height {height}, "
                f"another honest node committed {first.hex()[:12]}"
            )
        self._committed_at.setdefault((node.index, height), self._clock.now)

    def check_commit(self, node: Node, block: Block, commit: Commit) -> None:
        vals = self._validators_at(block.header.height)
        power = 0
        signers = {sig.validator_address for sig in commit.signatures}
        if len(signers) != len(commit.signatures):
            self.violation(f"validity: n{node.index} commit at {commit.height} lists a validator twice")
            return
        for sig in commit.signatures:
            v = vals.by_address(sig.validator_address)
            vote = Vote.in_commit(commit, sig)
            if v is None or not self._verifier(v.pub_key, vote.sign_bytes(CHAIN_ID), sig.signature):
                self.violation(f"validity: n{node.index} commit at {commit.height} has a bad signature")
                return
            power += v.power
        if power < vals.quorum or commit.block_hash != block.hash:
            self.violation(f"validity: n{node.index} commit at {commit.height} lacks +2/3 for the block")

    def check_evidence(self, node: Node, ev: DuplicateVoteEvidence, accused: Node | None) -> None:
        """Evidence ``node`` reported against ``accused`` (None: no validator has that address)."""
        vals = self._validators_at(ev.height)
        v = vals.by_address(ev.validator_address)
        if v is None or accused is None:
            self.violation(f"evidence: n{node.index} accuses {ev.validator_address.hex()}, not a validator")
            return
        reason = ev.verify(CHAIN_ID, v.pub_key, v.power, vals.total_power)
        if reason:
            self.violation(f"evidence: n{node.index} reported invalid evidence: {reason}")
        if accused.byzantine is None:
            self.violation(
                f"evidence: honest validator n{accused.index} double-signed at {ev.height}/{ev.vote_a.round}"
            )
        if node.byzantine is None:
            self._stats["evidence"] += 1
            self._caught.add((ev.validator_address, ev.height, ev.vote_a.round, ev.vote_a.vote_type))

    def equivocation_sent(self, equivocation: Equivocation) -> None:
        self._equivocations.append(equivocation)
        self._watched.update(equivocation.signatures)
        self._stats["equivocations"] += 1

    def vote_accepted(self, node: Node, vote: Vote) -> None:
        """Note when an honest node came to hold one of the equivocating votes."""
        if node.byzantine is None and vote.signature in self._watched:
            self._honest_got.setdefault(vote.signature, []).append((node.index, self._clock.now))

    def final_checks(self, nodes: list[Node], gst_heights: dict[int, int], live: bool) -> None:
        """Liveness (``live``: every honest node committed enough after GST), then uncaught equivocations."""
        if self.violations:
            return
        config = self._config
        if not live:
            behind = {
                f"n{x.index}": x.state.height
                for x in nodes
                if x.byzantine is None and x.state.height < gst_heights.get(x.index, 0) + config.heights
            }
            self.violation(
                f"liveness: {config.liveness_ns / SECOND:.0f}s after GST some honest nodes have not "
                f"committed {config.heights} more blocks: heights {behind}"
            )
            return
        for e in self._equivocations:
            first, second = (self._honest_got.get(sig, []) for sig in e.signatures)
            if not first or not second:
                continue  # one of the two votes never reached an honest node: nobody can tell
            self._stats["equivocations_seen"] += 1
            together = self._held_together(e.key[1], first, second)
            if config.gst_ns <= e.sent_at and together is not None and e.key not in self._caught:
                address, height, round_, vote_type = e.key
                self.violation(
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
        now = self._clock.now
        for a, since_a in first:
            for b, since_b in second:
                until = min(self._committed_at.get((x, height + 1), now) for x in (a, b))
                if until - max(since_a, since_b) >= needed:
                    return a, b
        return None
