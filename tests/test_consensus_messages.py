"""Consensus messages: sign-byte vectors, ed25519 vectors, canonical codec and refusal of junk."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okchain._pb.consensus.v1 import consensus_pb2
from okchain.consensus.messages import (
    ConsensusDecodeError,
    InvalidMessage,
    Proposal,
    Step,
    TimeoutInfo,
    Vote,
    VoteType,
)
from okchain.crypto.ed25519 import ValidatorKey, validator_address

# RFC 8032 section 7.1, TEST 1.
RFC_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_EMPTY_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
CHAIN = "okchain-test-1"
TIME = 0x0102030405060708
KEY = ValidatorKey(RFC_SEED)
ADDR = validator_address(RFC_PUB)


def _vote(**kw: object) -> Vote:
    fields: dict[str, object] = {
        "vote_type": VoteType.PREVOTE,
        "height": 5,
        "round": 1,
        "block_hash": bytes([0x11]) * 32,
        "time_ns": TIME,
        "validator_address": ADDR,
        "signature": b"",
    }
    fields.update(kw)
    return Vote(**fields)  # type: ignore[arg-type]


def _proposal(**kw: object) -> Proposal:
    fields: dict[str, object] = {
        "height": 5,
        "round": 1,
        "pol_round": 0,
        "block_hash": bytes([0x22]) * 32,
        "time_ns": TIME,
        "proposer_address": ADDR,
        "signature": b"",
    }
    fields.update(kw)
    return Proposal(**fields)  # type: ignore[arg-type]


def test_rfc8032_vector_through_validator_key() -> None:
    assert KEY.public_key == RFC_PUB
    assert KEY.sign(b"") == RFC_EMPTY_SIG


def test_vote_sign_bytes_fixed_layout() -> None:
    expected = bytes.fromhex(
        "6f6b636861696e2f766f74652f76310a"  # "okchain/vote/v1\n"
        "0e"
        + CHAIN.encode().hex()  # chain id length 14, chain id
        + "0000000000000005"  # height u64
        "00000001"  # round u32
        "01"  # type: prevote
        + "11" * 32  # block hash
        + "0102030405060708"  # time i64
    )
    assert _vote().sign_bytes(CHAIN) == expected
    nil = _vote(block_hash=b"", vote_type=VoteType.PRECOMMIT).sign_bytes(CHAIN)
    assert nil == expected[:-41] + b"\x02" + bytes(32) + expected[-8:]


def test_proposal_sign_bytes_fixed_layout() -> None:
    expected = bytes.fromhex(
        "6f6b636861696e2f70726f706f73616c2f76310a"  # "okchain/proposal/v1\n"
        "0e" + CHAIN.encode().hex() + "0000000000000005"  # height u64
        "00000001"  # round u32
        "00000000"  # pol_round i32
         + "22" * 32 + "0102030405060708"
    )
    assert _proposal().sign_bytes(CHAIN) == expected
    no_pol = _proposal(pol_round=-1).sign_bytes(CHAIN)
    assert no_pol[-44:-40] == b"\xff\xff\xff\xff"


# Signatures with the RFC 8032 key over the two sign-byte vectors above, made once with OpenSSL (the
# `cryptography` package), an ed25519 implementation independent of the libsodium one the node uses.
VOTE_SIG = bytes.fromhex(
    "84a867809aae860191d0d82f881d3020cbc2f8627a0af8c69451eb4f4d6571d3d675b95c62fc68a8e3e3491bbeb4c327875ef935a733fbbf6a5a8f1df3e9f303"
)
PROPOSAL_SIG = bytes.fromhex(
    "25a078c6a8e1895c8f96545613bc40855dd8b50ec9a274176c0f28b9bd5403d6194b4e95df25dcbb2d65d944c98ba386365ab094540c65bf1f0e3f14c27d3908"
)


def test_signature_vectors_and_verification() -> None:
    vote = _vote()
    assert KEY.sign(vote.sign_bytes(CHAIN)) == VOTE_SIG
    signed = vote.signed(VOTE_SIG)
    assert signed.verify(CHAIN, RFC_PUB)
    assert not signed.verify("other-chain", RFC_PUB)
    assert not vote.verify(CHAIN, RFC_PUB), "unsigned vote verifies"
    assert not signed.signed(bytes(64)).verify(CHAIN, RFC_PUB)

    proposal = _proposal()
    assert KEY.sign(proposal.sign_bytes(CHAIN)) == PROPOSAL_SIG
    assert proposal.signed(PROPOSAL_SIG).verify(CHAIN, RFC_PUB)
    # A key that does not match the claimed address is refused even with its own valid signature.
    other = ValidatorKey(bytes(32))
    forged = proposal.signed(other.sign(proposal.sign_bytes(CHAIN)))
    assert not forged.verify(CHAIN, other.public_key)


def test_vote_wire_bytes_hand_encoded() -> None:
    vote = _vote(vote_type=VoteType.PRECOMMIT, time_ns=100)
    expected = bytes.fromhex(
        "0802"  # field 1 varint: type 2
        "1005"  # field 2: height 5
        "1801"  # field 3: round 1
        "2220"
        + "11"
        * 32  # field 4 bytes[32]: block hash
        + "2864"  # field 5: time 100
        "3214" + ADDR.hex()  # field 6 bytes[20]: validator address; empty signature is omitted
    )
    assert vote.encode() == expected
    assert Vote.decode(expected) == vote


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_vote().encode() + bytes.fromhex("4001"), "canonical"),  # unknown field 8
        (_vote().encode() + bytes.fromhex("1005"), "canonical"),  # repeated height
        (bytes.fromhex("1005") + _vote().encode(), "canonical"),  # misordered
        (_vote().encode()[:-3], "not a Vote"),  # truncated
        (_vote(height=1).encode().replace(b"\x10\x01", b"\x10\x81\x00", 1), "canonical"),  # long varint
        (_vote().encode().replace(b"\x08\x01", b"\x08\x03", 1), "vote type"),
        (_vote().encode().replace(b"\x08\x01", b"", 1), "vote type"),
        (_vote().encode().replace(b"\x10\x05", b"", 1), "height"),
        (
            consensus_pb2.Vote(type=1, height=5, block_hash=b"\x01" * 31).SerializeToString(),
            "block hash",
        ),
    ],
)
def test_vote_decode_refuses_junk(raw: bytes, reason: str) -> None:
    with pytest.raises(ConsensusDecodeError, match=reason):
        Vote.decode(raw)


def test_field_ranges_refused_on_construction() -> None:
    with pytest.raises(InvalidMessage, match="block hash"):
        _vote(block_hash=b"\x01" * 31)
    with pytest.raises(InvalidMessage, match="height"):
        _vote(height=0)
    with pytest.raises(InvalidMessage, match="address"):
        _vote(validator_address=b"\x01" * 19)
    with pytest.raises(InvalidMessage, match="signature"):
        _vote(signature=b"\x01" * 63)
    with pytest.raises(InvalidMessage, match="pol_round"):
        _proposal(pol_round=1)
    with pytest.raises(InvalidMessage, match="pol_round"):
        _proposal(pol_round=-2)
    with pytest.raises(InvalidMessage, match="block hash"):
        _proposal(block_hash=b"")
    with pytest.raises(InvalidMessage, match="reserved"):
        _vote(block_hash=bytes(32))  # would share the nil vote's sign bytes
    with pytest.raises(InvalidMessage, match="not all zero"):
        _proposal(block_hash=bytes(32))
    with pytest.raises(InvalidMessage, match="duration"):
        TimeoutInfo(1, 0, Step.PROPOSE, -1)
    with pytest.raises(InvalidMessage, match="chain id"):
        _vote().sign_bytes("x" * 256)


def test_timeout_refuses_unknown_step() -> None:
    raw = TimeoutInfo(3, 2, Step.PRECOMMIT, 10**9).encode()
    assert TimeoutInfo.decode(raw) == TimeoutInfo(3, 2, Step.PRECOMMIT, 10**9)
    with pytest.raises(ConsensusDecodeError, match="step"):
        TimeoutInfo.decode(raw.replace(b"\x18\x03", b"\x18\x04"))


heights = st.integers(1, 2**63 - 1)
rounds = st.integers(0, 2**31 - 1)
times = st.integers(-(2**63), 2**63 - 1)
addrs = st.binary(min_size=20, max_size=20)
sigs = st.one_of(st.just(b""), st.binary(min_size=64, max_size=64))
hashes = st.binary(min_size=32, max_size=32).filter(any)

votes = st.builds(
    Vote, st.sampled_from(VoteType), heights, rounds, st.one_of(st.just(b""), hashes), times, addrs, sigs
)
proposals = rounds.flatmap(
    lambda r: st.builds(Proposal, heights, st.just(r), st.integers(-1, r - 1), hashes, times, addrs, sigs)
)
timeouts = st.builds(TimeoutInfo, heights, rounds, st.sampled_from(Step), st.integers(0, 2**63 - 1))


@given(votes)
def test_vote_roundtrip(v: Vote) -> None:
    assert Vote.decode(v.encode()) == v


@given(proposals)
def test_proposal_roundtrip(p: Proposal) -> None:
    assert Proposal.decode(p.encode()) == p


@given(timeouts)
def test_timeout_roundtrip(t: TimeoutInfo) -> None:
    assert TimeoutInfo.decode(t.encode()) == t


@given(st.binary(max_size=200))
def test_decoders_never_raise_anything_else(raw: bytes) -> None:
    for cls in (Vote, Proposal, TimeoutInfo):
        try:
            msg = cls.decode(raw)  # type: ignore[attr-defined]
        except ConsensusDecodeError:
            continue
        assert msg.encode() == raw


@given(st.one_of(votes, proposals, timeouts), st.data())
def test_mutated_encodings_are_refused_or_canonical(
    msg: Vote | Proposal | TimeoutInfo, data: st.DataObject
) -> None:
    """Flip, insert or delete bytes of a valid encoding: decoding either refuses with
    ConsensusDecodeError or yields a message whose encoding is exactly the mutated bytes."""
    raw = bytearray(msg.encode())
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        at = data.draw(st.integers(0, len(raw)))
        if op == "insert":
            raw[at:at] = bytes([data.draw(st.integers(0, 255))])
        elif raw and at < len(raw):
            if op == "flip":
                raw[at] ^= data.draw(st.integers(1, 255))
            else:
                del raw[at]
    try:
        back = type(msg).decode(bytes(raw))
    except ConsensusDecodeError:
        return
    assert back.encode() == bytes(raw)
