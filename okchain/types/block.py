"""Blocks, headers and commits as domain types, with their one canonical protobuf encoding.

Block hash = sha256(canonical header bytes). A commit carries the validators' signatures over the
canonical precommit sign bytes of ``okchain.types.vote``.
"""

from dataclasses import dataclass

from okchain._pb.types.v1 import types_pb2
from okchain.crypto.hashing import merkle_root, sha256
from okchain.errors import OKChainError
from okchain.types.refusal import Refusal, RefusalCode
from okchain.types.results import Code, Event, TxResult


class BlockDecodeError(OKChainError, ValueError):
    """Bytes that are not a well-formed block or commit."""


@dataclass(frozen=True, slots=True)
class Header:
    chain_id: str
    height: int
    time_ns: int
    last_block_hash: bytes
    txs_hash: bytes
    app_hash: bytes
    last_results_hash: bytes
    validators_hash: bytes
    proposer_address: bytes
    last_commit_hash: bytes = b""  # ``last_commit_hash(block.last_commit)``: binds the commit to the hash
    next_validators_hash: bytes = b""  # the set of the next height: a light client follows set changes
    evidence_hash: bytes = b""  # ``evidence_hash(block.evidence)``: binds the evidence to the hash

    def to_proto(self) -> types_pb2.Header:
        return types_pb2.Header(
            chain_id=self.chain_id,
            height=self.height,
            time_ns=self.time_ns,
            last_block_hash=self.last_block_hash,
            txs_hash=self.txs_hash,
            app_hash=self.app_hash,
            last_results_hash=self.last_results_hash,
            validators_hash=self.validators_hash,
            proposer_address=self.proposer_address,
            last_commit_hash=self.last_commit_hash,
            next_validators_hash=self.next_validators_hash,
            evidence_hash=self.evidence_hash,
        )

    def encode(self) -> bytes:
        return self.to_proto().SerializeToString(deterministic=True)

    @property
    def hash(self) -> bytes:
        return sha256(self.encode())

    @classmethod
    def from_proto(cls, p: types_pb2.Header) -> "Header":
        return cls(
            p.chain_id,
            p.height,
            p.time_ns,
            p.last_block_hash,
            p.txs_hash,
            p.app_hash,
            p.last_results_hash,
            p.validators_hash,
            p.proposer_address,
            p.last_commit_hash,
            p.next_validators_hash,
            p.evidence_hash,
        )


@dataclass(frozen=True, slots=True)
class CommitSig:
    validator_address: bytes
    time_ns: int
    signature: bytes


@dataclass(frozen=True, slots=True)
class Commit:
    height: int
    round: int
    block_hash: bytes
    signatures: tuple[CommitSig, ...]

    def to_proto(self) -> types_pb2.Commit:
        return types_pb2.Commit(
            height=self.height,
            round=self.round,
            block_hash=self.block_hash,
            signatures=[
                types_pb2.CommitSig(
                    validator_address=s.validator_address, time_ns=s.time_ns, signature=s.signature
                )
                for s in self.signatures
            ],
        )

    def encode(self) -> bytes:
        return self.to_proto().SerializeToString(deterministic=True)

    @classmethod
    def from_proto(cls, p: types_pb2.Commit) -> "Commit":
        return cls(
            p.height,
            p.round,
            p.block_hash,
            tuple(CommitSig(s.validator_address, s.time_ns, s.signature) for s in p.signatures),
        )


@dataclass(frozen=True, slots=True)
class Block:
    header: Header
    txs: tuple[bytes, ...]
    last_commit: Commit | None
    evidence: tuple[bytes, ...] = ()  # encoded duplicate-vote evidence, checked by the application

    @property
    def hash(self) -> bytes:
        return self.header.hash

    def to_proto(self) -> types_pb2.Block:
        p = types_pb2.Block(header=self.header.to_proto(), txs=list(self.txs), evidence=list(self.evidence))
        if self.last_commit is not None:
            p.last_commit.CopyFrom(self.last_commit.to_proto())
        return p

    def encode(self) -> bytes:
        return self.to_proto().SerializeToString(deterministic=True)

    @classmethod
    def decode(cls, raw: bytes) -> "Block":
        p = types_pb2.Block()
        try:
            p.ParseFromString(raw)
        except Exception as exc:  # protobuf raises DecodeError or RuntimeWarning-derived errors
            raise BlockDecodeError(f"not a Block protobuf: {exc}") from exc
        if not p.HasField("header"):
            raise BlockDecodeError("block has no header")
        commit = Commit.from_proto(p.last_commit) if p.HasField("last_commit") else None
        return cls(Header.from_proto(p.header), tuple(p.txs), commit, tuple(p.evidence))


def last_commit_hash(commit: Commit | None) -> bytes:
    """The header's ``last_commit_hash``: sha256 of the commit's canonical bytes, empty when there is none
    (the initial height). Without it the block hash would not cover the previous block's signatures."""
    return b"" if commit is None else sha256(commit.encode())


def body_problem(block: Block) -> Refusal | None:
    """``None`` if the txs and the last commit are the ones the header commits to. The block hash covers
    only the header, and blocks are cached and relayed by hash: a body that a relaying peer changed must
    never be taken for the block."""
    h = block.header.height
    if block.header.txs_hash != txs_hash(block.txs):
        return Refusal(RefusalCode.TXS_HASH, f"block {h}'s txs do not match its header's txs hash")
    if block.header.last_commit_hash != last_commit_hash(block.last_commit):
        reason = f"block {h}'s last commit does not match its header's last commit hash"
        return Refusal(RefusalCode.LAST_COMMIT_HASH, reason)
    if block.header.evidence_hash != evidence_hash(block.evidence):
        reason = f"block {h}'s evidence does not match its header's evidence hash"
        return Refusal(RefusalCode.EVIDENCE_HASH, reason)
    return None


def evidence_hash(evidence: tuple[bytes, ...] | list[bytes]) -> bytes:
    """The header's ``evidence_hash``: empty for a block without evidence, else the Merkle root of the
    pieces' sha256 hashes."""
    return txs_hash(evidence) if evidence else b""


def txs_hash(txs: tuple[bytes, ...] | list[bytes]) -> bytes:
    return txs_root([sha256(tx) for tx in txs])


def txs_root(tx_hashes: list[bytes]) -> bytes:
    """``txs_hash`` from the txs' sha256 hashes, for a caller that already holds them."""
    return merkle_root(tx_hashes)


def result_to_proto(r: TxResult) -> types_pb2.TxResult:
    return types_pb2.TxResult(
        code=int(r.code),
        log=r.log,
        gas_wanted=r.gas_wanted,
        gas_used=r.gas_used,
        events=[
            types_pb2.Event(
                type=e.type, attributes=[types_pb2.Attribute(key=k, value=v) for k, v in e.attributes]
            )
            for e in r.events
        ],
        signer=r.signer,
        nonce=r.nonce,
        fee=str(r.fee),
    )


def result_from_proto(p: types_pb2.TxResult) -> TxResult:
    return TxResult(
        Code(p.code),
        p.log,
        p.gas_wanted,
        p.gas_used,
        tuple(Event(e.type, tuple((a.key, a.value) for a in e.attributes)) for e in p.events),
        p.signer,
        p.nonce,
        int(p.fee or "0"),
    )


def seal_results(
    height: int, results: list[TxResult] | tuple[TxResult, ...], app_hash: bytes
) -> tuple[bytes, bytes]:
    """(stored BlockResults bytes, results hash). The hash is a Merkle root over each result's canonical
    bytes without its log, and goes into the next header; each result is converted once for both."""
    protos = [result_to_proto(r) for r in results]
    digest = merkle_root([sha256(_hashed_bytes(p)) for p in protos])
    encoded = types_pb2.BlockResults(height=height, tx_results=protos, app_hash=app_hash).SerializeToString(
        deterministic=True
    )
    return encoded, digest


def _hashed_bytes(result: types_pb2.TxResult) -> bytes:
    """What the results hash covers of a result: code, gas wanted and used, events (built from the chain's
    own values), signer, nonce and fee. Never the log: it is free text for people and may quote a library's
    message, whose words can differ between two honest nodes' library versions."""
    if not result.log:
        return result.SerializeToString(deterministic=True)
    covered = types_pb2.TxResult()
    covered.CopyFrom(result)
    covered.ClearField("log")
    return covered.SerializeToString(deterministic=True)


def results_hash(results: list[TxResult] | tuple[TxResult, ...]) -> bytes:
    return seal_results(0, results, b"")[1]


def field_bytes(length: int) -> int:
    """Encoded bytes of one length-delimited protobuf field (tag below 16) holding ``length`` bytes."""
    return 1 + _varint_bytes(length) + length


def tx_field_bytes(raw: bytes) -> int:
    """What one tx adds to its encoded block."""
    return field_bytes(len(raw))


def block_bytes(block: Block) -> int:
    """Size of ``block.encode()``, computed from its parts without encoding the txs: header, every tx and
    the last commit all count against the block size limit."""
    commit = 0 if block.last_commit is None else field_bytes(len(block.last_commit.encode()))
    evidence = sum(map(tx_field_bytes, block.evidence))
    return field_bytes(len(block.header.encode())) + sum(map(tx_field_bytes, block.txs)) + commit + evidence


COMMIT_ENTRY_BYTES = 128
"""At most one encoded commit entry: address, widest time varint, signature, framing (about 110 bytes)."""


def block_message_limit(max_block_bytes: int, validators: int) -> int:
    """The largest message that carries one valid block (``max_block_bytes`` counts its header and last
    commit) with the commit that decided it: block sync responses and consensus catch-ups; 4 KiB for the
    message envelopes around them."""
    return max_block_bytes + COMMIT_ENTRY_BYTES * validators + 4096


def max_header_bytes(chain_id: str) -> int:
    """The largest encoded header of a chain: every hash 32 bytes, the widest height and time varints."""
    widest = Header(chain_id, 2**64 - 1, -1, *(b"\xff" * 32,) * 5, b"\xff" * 20, *(b"\xff" * 32,) * 2)
    return len(widest.encode())


def _varint_bytes(value: int) -> int:
    return max(1, (value.bit_length() + 6) // 7)
