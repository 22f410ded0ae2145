"""Duplicate-vote evidence: one validator signed two different blocks at the same height, round and type.

Anyone holding the validator's public key and its power at that height can check the evidence; nothing in
it has to be trusted. The two votes are kept in one canonical order (smaller block hash first, nil = empty
sorts first) so a given offence has exactly one encoding and one hash, whichever order it was seen in.
"""

from dataclasses import dataclass

from okchain._pb.consensus.v1 import consensus_pb2
from okchain.consensus.messages import ConsensusDecodeError, ConsensusError, Vote, parse_canonical
from okchain.consensus.proposer import ValidatorSet
from okchain.crypto.hashing import sha256


class EvidenceError(ConsensusError, ValueError):
    """Two votes that do not make valid duplicate-vote evidence; the message says why."""


def conflict_problem(a: Vote, b: Vote) -> str | None:
    """``None`` if ``a`` and ``b`` are a double sign (ignoring signatures' validity), else why not."""
    if a.validator_address != b.validator_address:
        return (
            f"votes are from different validators "
            f"({a.validator_address.hex()} and {b.validator_address.hex()})"
        )
    if a.height != b.height:
        return f"votes are for different heights ({a.height} and {b.height})"
    if a.round != b.round:
        return f"votes are for different rounds ({a.round} and {b.round})"
    if a.vote_type != b.vote_type:
        return f"votes are of different types ({a.vote_type.name} and {b.vote_type.name})"
    if a.block_hash == b.block_hash:
        return "votes are for the same block"
    if not a.signature or not b.signature:
        return "both votes must be signed"
    return None


@dataclass(frozen=True, slots=True)
class DuplicateVoteEvidence:
    vote_a: Vote  # the smaller block hash
    vote_b: Vote
    validator_power: int  # the validator's voting power at the votes' height
    total_power: int  # the validator set's total power at that height

    @classmethod
    def from_votes(cls, a: Vote, b: Vote, power: int, total: int) -> "DuplicateVoteEvidence":
        problem = conflict_problem(a, b)
        if problem:
            raise EvidenceError(f"not duplicate-vote evidence: {problem}")
        if not 0 < power <= total:
            raise EvidenceError(f"validator power {power} must be positive and at most the total {total}")
        first, second = (a, b) if a.block_hash < b.block_hash else (b, a)
        return cls(first, second, power, total)

    @property
    def height(self) -> int:
        return self.vote_a.height

    @property
    def validator_address(self) -> bytes:
        return self.vote_a.validator_address

    def _shape_problem(self) -> str | None:
        problem = conflict_problem(self.vote_a, self.vote_b)
        if problem:
            return problem
        if not self.vote_a.block_hash < self.vote_b.block_hash:
            return "votes are not in canonical order (smaller block hash first)"
        if not 0 < self.validator_power <= self.total_power:
            return (
                f"validator power {self.validator_power} must be positive "
                f"and at most the total {self.total_power}"
            )
        return None

    def verify(self, chain_id: str, pub_key: bytes, power_at_height: int, total_at_height: int) -> str | None:
        """``None`` if this is valid evidence against the validator with ``pub_key``, else the reason.

        ``power_at_height``/``total_at_height`` come from the verifier's own record of the validator set at
        the votes' height, never from the evidence.
        """
        problem = self._shape_problem()
        if problem:
            return problem
        if self.validator_power != power_at_height:
            return (
                f"evidence claims power {self.validator_power}, "
                f"the validator had {power_at_height} at height {self.height}"
            )
        if self.total_power != total_at_height:
            return (
                f"evidence claims total power {self.total_power}, "
                f"the set had {total_at_height} at height {self.height}"
            )
        for name, vote in (("first", self.vote_a), ("second", self.vote_b)):
            if not vote.verify(chain_id, pub_key):
                return f"{name} vote's signature is not valid for this validator's key"
        return None

    def verify_in(self, chain_id: str, validators: ValidatorSet) -> str | None:
        """``verify`` against the validator set of the votes' height (key, power and total from it)."""
        validator = validators.by_address(self.validator_address)
        if validator is None:
            return f"validator {self.validator_address.hex()} is not in the set of height {self.height}"
        return self.verify(chain_id, validator.pub_key, validator.power, validators.total_power)

    def to_proto(self) -> consensus_pb2.DuplicateVoteEvidence:
        return consensus_pb2.DuplicateVoteEvidence(
            vote_a=self.vote_a.to_proto(),
            vote_b=self.vote_b.to_proto(),
            validator_power=self.validator_power,
            total_power=self.total_power,
        )

    def encode(self) -> bytes:
        return self.to_proto().SerializeToString(deterministic=True)

    @classmethod
    def decode(cls, raw: bytes) -> "DuplicateVoteEvidence":
        """Canonical bytes of well-formed evidence (signatures are checked by ``verify``)."""
        p = parse_canonical(raw, consensus_pb2.DuplicateVoteEvidence(), "DuplicateVoteEvidence")
        if not p.HasField("vote_a") or not p.HasField("vote_b"):
            raise ConsensusDecodeError("duplicate-vote evidence must carry two votes")
        ev = cls(Vote.from_proto(p.vote_a), Vote.from_proto(p.vote_b), p.validator_power, p.total_power)
        problem = ev._shape_problem()
        if problem:
            raise ConsensusDecodeError(f"invalid duplicate-vote evidence: {problem}")
        return ev

    def hash(self) -> bytes:
        return sha256(self.encode())
