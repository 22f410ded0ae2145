"""Duplicate-vote evidence: built from two conflicting signed votes, verifiable by anyone, refused with a
reason when anything about it is wrong, and encoded canonically (one offence, one hash)."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okchain._pb.consensus.v1 import consensus_pb2
from okchain.consensus.evidence import DuplicateVoteEvidence, EvidenceError
from okchain.consensus.messages import ConsensusDecodeError, InvalidMessage, Vote, VoteType
from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.crypto.ed25519 import ValidatorKey, validator_address

CHAIN = "okchain-test-1"
KEY = ValidatorKey(b"\x07" * 32)
OTHER = ValidatorKey(b"\x08" * 32)
A, B = b"\xaa" * 32, b"\xbb" * 32


def signed(
    block: bytes,
    *,
    key: ValidatorKey = KEY,
    height: int = 10,
    round_: int = 2,
    vote_type: VoteType = VoteType.PRECOMMIT,
    time_ns: int = 1,
) -> Vote:
    v = Vote(vote_type, height, round_, block, time_ns, validator_address(key.public_key), b"")
    return v.signed(key.sign(v.sign_bytes(CHAIN)))


def test_valid_evidence_verifies_in_either_order() -> None:
    ev = DuplicateVoteEvidence.from_votes(signed(B), signed(A), 30, 100)
    assert ev.vote_a.block_hash == A and ev.vote_b.block_hash == B
    assert ev == DuplicateVoteEvidence.from_votes(signed(A), signed(B), 30, 100)
    assert ev.verify(CHAIN, KEY.public_key, 30, 100) is None
    assert ev.height == 10 and ev.validator_address == validator_address(KEY.public_key)
    nil = DuplicateVoteEvidence.from_votes(
        signed(A, vote_type=VoteType.PREVOTE), signed(b"", vote_type=VoteType.PREVOTE), 1, 1
    )
    assert nil.vote_a.is_nil and nil.verify(CHAIN, KEY.public_key, 1, 1) is None
    assert DuplicateVoteEvidence.decode(ev.encode()) == ev
    assert ev.hash() == DuplicateVoteEvidence.decode(ev.encode()).hash() != nil.hash()


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (signed(A), signed(A, time_ns=2), "same block"),
        (signed(A), signed(B, height=11), "different heights"),
        (signed(A), signed(B, round_=3), "different rounds"),
        (signed(A), signed(B, vote_type=VoteType.PREVOTE), "different types"),
        (signed(A), signed(B, key=OTHER), "different validators"),
        (signed(A), signed(B).signed(b""), "must be signed"),
    ],
)
def test_non_conflicting_votes_are_refused(a: Vote, b: Vote, reason: str) -> None:
    with pytest.raises(EvidenceError, match=reason):
        DuplicateVoteEvidence.from_votes(a, b, 1, 3)


def test_verification_refuses_with_reasons() -> None:
    ev = DuplicateVoteEvidence.from_votes(signed(A), signed(B), 30, 100)
    bad_sig = bytearray(ev.vote_b.signature)
    bad_sig[0] ^= 1
    tampered = replace(ev, vote_b=ev.vote_b.signed(bytes(bad_sig)))
    assert "second vote's signature" in tampered.verify(CHAIN, KEY.public_key, 30, 100)
    # Moving a signed vote to another block invalidates its signature.
    moved = replace(ev, vote_a=replace(ev.vote_a, block_hash=b"\x01" * 32))
    assert "first vote's signature" in moved.verify(CHAIN, KEY.public_key, 30, 100)
    assert "signature" in ev.verify("other-chain", KEY.public_key, 30, 100)
    assert "signature" in ev.verify(CHAIN, OTHER.public_key, 30, 100)  # key does not match the address
    assert "claims power 30, the validator had 31 at height 10" in ev.verify(CHAIN, KEY.public_key, 31, 100)
    assert "claims total power 100" in ev.verify(CHAIN, KEY.public_key, 30, 90)
    swapped = replace(ev, vote_a=ev.vote_b, vote_b=ev.vote_a)
    assert "canonical order" in swapped.verify(CHAIN, KEY.public_key, 30, 100)
    same = replace(ev, vote_b=ev.vote_a)
    assert "same block" in same.verify(CHAIN, KEY.public_key, 30, 100)
    later = replace(ev, vote_b=signed(B, height=11))
    assert "different heights" in later.verify(CHAIN, KEY.public_key, 30, 100)
    with pytest.raises(EvidenceError, match="at most the total"):
        DuplicateVoteEvidence.from_votes(signed(A), signed(B), 101, 100)


def test_decode_refuses_malformed_evidence() -> None:
    ev = DuplicateVoteEvidence.from_votes(signed(A), signed(B), 30, 100)
    swapped = replace(ev, vote_a=ev.vote_b, vote_b=ev.vote_a)
    with pytest.raises(ConsensusDecodeError, match="canonical order"):
        DuplicateVoteEvidence.decode(swapped.encode())
    with pytest.raises(ConsensusDecodeError, match="two votes"):
        DuplicateVoteEvidence.decode(
            consensus_pb2.DuplicateVoteEvidence(vote_a=ev.vote_a.to_proto()).SerializeToString()
        )
    with pytest.raises(ConsensusDecodeError, match="canonically"):
        DuplicateVoteEvidence.decode(ev.encode() + b"\x28\x01")
    with pytest.raises(ConsensusDecodeError, match="invalid vote"):
        bad = ev.to_proto()
        bad.vote_b.block_hash = b"\x01"
        DuplicateVoteEvidence.decode(bad.SerializeToString())


@given(st.binary(max_size=300))
def test_decode_never_raises_anything_else(raw: bytes) -> None:
    try:
        ev = DuplicateVoteEvidence.decode(raw)
    except ConsensusDecodeError:
        return
    assert ev.encode() == raw


def test_a_nil_vote_cannot_be_recast_as_a_second_vote() -> None:
    """Nil is written as 32 zero bytes in the sign bytes, so a vote for the all-zero hash would carry the
    nil vote's valid signature: such votes do not exist, so one signed nil vote cannot be made evidence."""
    nil = signed(b"")
    with pytest.raises(InvalidMessage, match="reserved"):
        replace(nil, block_hash=bytes(32))
    forged = nil.to_proto()
    forged.block_hash = bytes(32)
    with pytest.raises(ConsensusDecodeError, match="reserved"):
        Vote.decode(forged.SerializeToString())


def test_verify_against_the_set_of_the_height() -> None:
    vset = ValidatorSet.genesis(
        [
            ConsensusValidator.from_pub_key(KEY.public_key, 30),
            ConsensusValidator.from_pub_key(OTHER.public_key, 70),
        ]
    )
    ev = DuplicateVoteEvidence.from_votes(signed(A), signed(B), 30, 100)
    assert ev.verify_in(CHAIN, vset) is None
    assert "claims power 30" in ev.verify_in(
        CHAIN, vset.update([ConsensusValidator.from_pub_key(KEY.public_key, 40)])
    )
    stranger = ValidatorKey(b"\x09" * 32)
    alone = ValidatorSet.genesis([ConsensusValidator.from_pub_key(stranger.public_key, 100)])
    assert "is not in the set of height 10" in ev.verify_in(CHAIN, alone)
