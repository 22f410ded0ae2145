"""Consensus messages (votes, proposals, timeouts): domain types, sign bytes and canonical wire codec.

Signatures cover fixed-layout sign bytes (chain id, height, round, type, block hash, time), never the
protobuf bytes, so what is signed has exactly one encoding. Vote sign bytes are the ones the single-validator
engine already uses (``okchain.types.vote.vote_sign_bytes``); proposal sign bytes use their own domain tag,
which is what keeps a proposal signature from ever passing as a vote signature.

Blocks are not split into parts: a proposal names the block by its header hash and the whole block travels
with it (``okchain.types.block.Block``).

Decoding accepts only the canonical protobuf encoding (re-encoding must reproduce the input exactly) and
values inside the ranges checked here; anything else raises ``ConsensusDecodeError``.
"""

import struct
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import TypeVar

from google.protobuf.message import Message

from okchain._pb.consensus.v1 import consensus_pb2
from okchain.crypto import ed25519
from okchain.errors import OKChainError
from okchain.types.block import Commit, CommitSig
from okchain.types.vote import VoteType, vote_sign_bytes

PROPOSAL_DOMAIN = b"okchain/proposal/v1\n"
_PROPOSAL_LAYOUT = struct.Struct(">QIi32sq")

HASH_LEN = 32
ADDRESS_LEN = 20
SIGNATURE_LEN = 64
MAX_CHAIN_ID_LEN = 255
MAX_HEIGHT = 2**63 - 1
MAX_ROUND = 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NIL_IN_SIGN_BYTES = bytes(HASH_LEN)


class ConsensusError(OKChainError):
    """Root of consensus-layer errors."""


class InvalidMessage(ConsensusError, ValueError):
    """A consensus message with a field out of range (bad length, negative height, ...)."""


class ConsensusDecodeError(ConsensusError, ValueError):
    """Bytes that are not a canonical, well-formed consensus message."""


class Step(IntEnum):
    """Steps of a round, in order; the signer's height/round/step ordering uses these values."""

    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3


def vote_step(vote_type: VoteType) -> Step:
    """The round step at which a vote of this type is cast."""
    return Step.PREVOTE if vote_type == VoteType.PREVOTE else Step.PRECOMMIT


def _check_height_round(height: int, round_: int) -> None:
    if not 1 <= height <= MAX_HEIGHT:
        raise InvalidMessage(f"height {height} out of range 1..{MAX_HEIGHT}")
    if not 0 <= round_ <= MAX_ROUND:
        raise InvalidMessage(f"round {round_} out of range 0..{MAX_ROUND}")


def _check_common(height: int, round_: int, time_ns: int, address: bytes, signature: bytes) -> None:
    _check_height_round(height, round_)
    if not _INT64_MIN <= time_ns <= _INT64_MAX:
        raise InvalidMessage(f"time {time_ns} does not fit in int64 nanoseconds")
    if len(address) != ADDRESS_LEN:
        raise InvalidMessage(f"validator address must be {ADDRESS_LEN} bytes, got {len(address)}")
    if len(signature) not in (0, SIGNATURE_LEN):
        raise InvalidMessage(f"signature must be empty or {SIGNATURE_LEN} bytes, got {len(signature)}")


def _chain_id_prefix(domain: bytes, chain_id: str) -> bytes:
    cid = chain_id.encode()
    if not cid or len(cid) > MAX_CHAIN_ID_LEN:
        raise InvalidMessage(f"chain id must be 1..{MAX_CHAIN_ID_LEN} bytes, got {len(cid)}")
    return domain + bytes([len(cid)]) + cid


def _verify(address: bytes, pub_key: bytes, sign_bytes: bytes, signature: bytes) -> bool:
    """The key must be the one the address names, and the signature valid over the sign bytes."""
    if len(pub_key) != 32 or ed25519.validator_address(pub_key) != address:
        return False
    return ed25519.verify(pub_key, sign_bytes, signature)


_M = TypeVar("_M", bound=Message)


def parse_canonical(raw: bytes, message: _M, what: str) -> _M:
    """Parse ``raw`` into ``message``, refusing anything whose canonical re-encoding differs."""
    try:
        message.ParseFromString(raw)
    except Exception as exc:  # upb raises DecodeError, RuntimeWarning-derived and ValueError variants
        raise ConsensusDecodeError(f"not a {what} protobuf: {exc}") from exc
    message.DiscardUnknownFields()
    if message.SerializeToString(deterministic=True) != raw:
        raise ConsensusDecodeError(
            f"{what} is not canonically encoded (unknown, repeated or misordered fields)"
        )
    return message


@dataclass(frozen=True, slots=True)
class Vote:
    vote_type: VoteType
    height: int
    round: int
    block_hash: bytes  # b"" means nil
    time_ns: int
    validator_address: bytes
    signature: bytes  # b"" while unsigned

    def __post_init__(self) -> None:
        if self.vote_type not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
            raise InvalidMessage(f"unknown vote type {self.vote_type}")
        if len(self.block_hash) not in (0, HASH_LEN):
            raise InvalidMessage(f"block hash must be empty (nil) or {HASH_LEN} bytes")
        if self.block_hash == _NIL_IN_SIGN_BYTES:
            # The sign bytes write nil as 32 zero bytes: allowing this hash would let anyone turn a signed
            # nil vote into a "different" vote with the same signature (and forge double-sign evidence).
            raise InvalidMessage("an all-zero block hash is reserved: it stands for nil in sign bytes")
        _check_common(self.height, self.round, self.time_ns, self.validator_address, self.signature)

    @property
    def is_nil(self) -> bool:
        return not self.block_hash

    @property
    def step(self) -> Step:
        return vote_step(self.vote_type)

    def sign_bytes(self, chain_id: str) -> bytes:
        """See ``okchain.types.vote.vote_sign_bytes``: the layout commits are verified against."""
        _chain_id_prefix(b"", chain_id)
        return vote_sign_bytes(
            chain_id, self.height, self.round, self.vote_type, self.block_hash, self.time_ns
        )

    def verify(self, chain_id: str, pub_key: bytes) -> bool:
        return _verify(self.validator_address, pub_key, self.sign_bytes(chain_id), self.signature)

    def signed(self, signature: bytes) -> "Vote":
        return replace(self, signature=signature)

    @classmethod
    def in_commit(cls, commit: Commit, sig: CommitSig) -> "Vote":
        """The signed precommit that entry ``sig`` of ``commit`` stands for (``InvalidMessage`` if it is
        malformed)."""
        return cls(
            VoteType.PRECOMMIT,
            commit.height,
            commit.round,
            commit.block_hash,
            sig.time_ns,
            sig.validator_address,
            sig.signature,
        )

    def to_proto(self) -> consensus_pb2.Vote:
        return consensus_pb2.Vote(
            type=int(self.vote_type),  # type: ignore[arg-type]
            height=self.height,
            round=self.round,
            block_hash=self.block_hash,
            time_ns=self.time_ns,
            validator_address=self.validator_address,
            signature=self.signature,
        )

    @classmethod
    def from_proto(cls, p: consensus_pb2.Vote) -> "Vote":
        if int(p.type) not in (VoteType.PREVOTE, VoteType.PRECOMMIT):
            raise ConsensusDecodeError(f"unknown vote type {p.type}")
        try:
            return cls(
                VoteType(p.type), p.height, p.round, p.block_hash, p.time_ns, p.validator_address, p.signature
            )
        except InvalidMessage as exc:
            raise ConsensusDecodeError(f"invalid vote: {exc}") from exc

    def encode(self) -> bytes:
        return self.to_proto().SerializeToString(deterministic=True)

    @classmethod
    def decode(cls, raw: bytes) -> "Vote":
        return cls.from_proto(parse_canonical(raw, consensus_pb2.Vote(), "Vote"))


def proposal_sign_bytes(
    chain_id: str, height: int, round_: int, pol_round: int, block_hash: bytes, time_ns: int
) -> bytes:
    """domain || len(chain_id) u8 || chain_id || height u64 || round u32 || pol_round i32 || hash[32]
    || time i64.

    Big-endian throughout; the domain ``okchain/proposal/v1\\n`` stands for the message type.
    """
    return _chain_id_prefix(PROPOSAL_DOMAIN, chain_id) + _PROPOSAL_LAYOUT.pack(
        height, round_, pol_round, block_hash, time_ns
    )


@dataclass(frozen=True, slots=True)
class Proposal:
    height: int
    round: int
    pol_round: int  # -1 = no proof-of-lock round
    block_hash: bytes
    time_ns: int
    proposer_address: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if len(self.block_hash) != HASH_LEN or self.block_hash == _NIL_IN_SIGN_BYTES:
            raise InvalidMessage(f"proposal block hash must be {HASH_LEN} bytes and not all zero")
        if not -1 <= self.pol_round < self.round:
            raise InvalidMessage(f"pol_round {self.pol_round} must be -1 or below round {self.round}")
        _check_common(self.height, self.round, self.time_ns, self.proposer_address, self.signature)

    def sign_bytes(self, chain_id: str) -> bytes:
        return proposal_sign_bytes(
            chain_id, self.height, self.round, self.pol_round, self.block_hash, self.time_ns
        )

    def verify(self, chain_id: str, pub_key: bytes) -> bool:
        return _verify(self.proposer_address, pub_key, self.sign_bytes(chain_id), self.signature)

    def signed(self, signature: bytes) -> "Proposal":
        return replace(self, signature=signature)

    def encode(self) -> bytes:
        return consensus_pb2.Proposal(
            height=self.height,
            round=self.round,
            pol_round=self.pol_round,
            block_hash=self.block_hash,
            time_ns=self.time_ns,
            proposer_address=self.proposer_address,
            signature=self.signature,
        ).SerializeToString(deterministic=True)

    @classmethod
    def decode(cls, raw: bytes) -> "Proposal":
        p = parse_canonical(raw, consensus_pb2.Proposal(), "Proposal")
        try:
            return cls(
                p.height, p.round, p.pol_round, p.block_hash, p.time_ns, p.proposer_address, p.signature
            )
        except InvalidMessage as exc:
            raise ConsensusDecodeError(f"invalid proposal: {exc}") from exc


@dataclass(frozen=True, slots=True)
class TimeoutInfo:
    """A scheduled timeout; logged to the WAL when it fires so a replay takes the same path."""

    height: int
    round: int
    step: Step
    duration_ns: int

    def __post_init__(self) -> None:
        if self.step not in (Step.PROPOSE, Step.PREVOTE, Step.PRECOMMIT):
            raise InvalidMessage(f"unknown step {self.step}")
        if not 0 <= self.duration_ns <= _INT64_MAX:
            raise InvalidMessage(f"timeout duration {self.duration_ns} out of range 0..{_INT64_MAX}")
        _check_height_round(self.height, self.round)

    def encode(self) -> bytes:
        return consensus_pb2.TimeoutInfo(
            height=self.height,
            round=self.round,
            step=int(self.step),  # type: ignore[arg-type]
            duration_ns=self.duration_ns,
        ).SerializeToString(deterministic=True)

    @classmethod
    def decode(cls, raw: bytes) -> "TimeoutInfo":
        p = parse_canonical(raw, consensus_pb2.TimeoutInfo(), "TimeoutInfo")
        if int(p.step) not in (Step.PROPOSE, Step.PREVOTE, Step.PRECOMMIT):
            raise ConsensusDecodeError(f"unknown timeout step {p.step}")
        try:
            return cls(p.height, p.round, Step(p.step), p.duration_ns)
        except InvalidMessage as exc:
            raise ConsensusDecodeError(f"invalid timeout: {exc}") from exc
