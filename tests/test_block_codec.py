"""Header, Block and Commit codecs: round trips, canonical header bytes, vote sign bytes (fixed vectors)."""

import dataclasses
import hashlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain._pb.types.v1 import types_pb2
from okchain.crypto.hashing import merkle_root
from okchain.types.block import Block, BlockDecodeError, Commit, CommitSig, Header, txs_hash
from okchain.types.vote import VOTE_DOMAIN, VoteError, VoteType, vote_sign_bytes

u64 = st.integers(min_value=0, max_value=2**64 - 1)
i64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
u32 = st.integers(min_value=0, max_value=2**32 - 1)
hashes = st.binary(max_size=32)

headers = st.builds(
    Header,
    chain_id=st.text(max_size=64),
    height=u64,
    time_ns=i64,
    last_block_hash=hashes,
    txs_hash=hashes,
    app_hash=hashes,
    last_results_hash=hashes,
    validators_hash=hashes,
    proposer_address=st.binary(max_size=20),
    last_commit_hash=hashes,
    next_validators_hash=hashes,
)
commit_sigs = st.builds(CommitSig, st.binary(max_size=20), i64, st.binary(max_size=64))
commits = st.builds(Commit, u64, u32, hashes, st.lists(commit_sigs, max_size=4).map(tuple))
blocks = st.builds(
    Block, headers, st.lists(st.binary(max_size=64), max_size=6).map(tuple), st.one_of(st.none(), commits)
)

FIXED_HEADER = Header(
    chain_id="okchain-test-1",
    height=7,
    time_ns=1_767_225_600_000_000_001,
    last_block_hash=bytes(range(32)),
    txs_hash=b"\x01" * 32,
    app_hash=b"\x02" * 32,
    last_results_hash=b"\x03" * 32,
    validators_hash=b"\x04" * 32,
    proposer_address=b"\x05" * 20,
    last_commit_hash=b"\x06" * 32,
    next_validators_hash=b"\x07" * 32,
    evidence_hash=b"\x08" * 32,
)


def _decode_commit(raw: bytes) -> Commit:
    p = types_pb2.Commit()
    p.ParseFromString(raw)
    return Commit.from_proto(p)


def _decode_header(raw: bytes) -> Header:
    p = types_pb2.Header()
    p.ParseFromString(raw)
    return Header.from_proto(p)


@settings(max_examples=80, deadline=None)
@given(headers)
def test_header_roundtrip(header: Header) -> None:
    raw = header.encode()
    assert _decode_header(raw) == header
    assert _decode_header(raw).encode() == raw  # one canonical encoding
    assert header.hash == hashlib.sha256(raw).digest()


@settings(max_examples=80, deadline=None)
@given(commits)
def test_commit_roundtrip(commit: Commit) -> None:
    raw = commit.encode()
    assert _decode_commit(raw) == commit
    assert _decode_commit(raw).encode() == raw


@settings(max_examples=80, deadline=None)
@given(blocks)
def test_block_roundtrip(block: Block) -> None:
    raw = block.encode()
    decoded = Block.decode(raw)
    assert decoded == block
    assert decoded.hash == block.hash == block.header.hash
    assert decoded.encode() == raw


def test_header_encoding_fixed_vector() -> None:
    # Pins the canonical header encoding (proto3 deterministic, fields 1..12 in order, defaults omitted) and
    # therefore every block hash: changing the Header message or its encoder forks the chain.
    assert FIXED_HEADER.encode().hex() == (
        "0a0e6f6b636861696e2d746573742d31"  # 1 chain_id
        "1007"  # 2 height = 7
        "188180e8ef9eca9cc318"  # 3 time_ns
        "2220000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"  # 4 last_block_hash
        "2a200101010101010101010101010101010101010101010101010101010101010101"  # 5 txs_hash
        "32200202020202020202020202020202020202020202020202020202020202020202"  # 6 app_hash
        "3a200303030303030303030303030303030303030303030303030303030303030303"  # 7 last_results_hash
        "42200404040404040404040404040404040404040404040404040404040404040404"  # 8 validators_hash
        "4a140505050505050505050505050505050505050505"  # 9 proposer_address
        "52200606060606060606060606060606060606060606060606060606060606060606"  # 10 last_commit_hash
        "5a200707070707070707070707070707070707070707070707070707070707070707"  # 11 next_validators_hash
        "62200808080808080808080808080808080808080808080808080808080808080808"  # 12 evidence_hash
    )
    # The block hash fixed vector: sha256 of exactly the bytes above.
    assert FIXED_HEADER.hash.hex() == "cd77065c9d24f2a2e87c736370652a70f10caa6bb293fec97add42ad0ce61733"
    block = Block(FIXED_HEADER, (b"tx-a", b"tx-b"), None)
    assert block.hash == FIXED_HEADER.hash  # txs are bound through txs_hash only


def test_header_defaults_are_omitted() -> None:
    empty = Header("", 0, 0, b"", b"", b"", b"", b"", b"", b"")
    assert empty.encode() == b""
    assert empty.hash.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_block_hash_changes_with_every_header_field() -> None:
    seen = {FIXED_HEADER.hash}
    for f in dataclasses.fields(Header):
        value = getattr(FIXED_HEADER, f.name)
        if isinstance(value, str):
            new: object = value + "x"
        elif isinstance(value, int):
            new = value + 1
        else:
            new = bytes([value[0] ^ 1]) + value[1:]
        seen.add(dataclasses.replace(FIXED_HEADER, **{f.name: new}).hash)  # type: ignore[arg-type]
    assert len(seen) == 1 + len(dataclasses.fields(Header))


def test_vote_sign_bytes_fixed_vector() -> None:
    block_hash = b"\xab" * 32
    got = vote_sign_bytes("okchain-test-1", 7, 2, VoteType.PRECOMMIT, block_hash, 1_767_225_600_000_000_001)
    # Pins the vote layout:
    # domain || u8 len || chain id || u64 height || u32 round || u8 type || hash || i64 time
    assert got.hex() == (
        "6f6b636861696e2f766f74652f76310a"  # "okchain/vote/v1\n"
        "0e6f6b636861696e2d746573742d31"  # len 14, "okchain-test-1"
        "0000000000000007"  # height
        "00000002"  # round
        "02"  # PRECOMMIT
        "abababababababababababababababababababababababababababababababab"
        "18867251edfa0001"  # time_ns, big-endian signed
    )
    by_hand = (
        VOTE_DOMAIN
        + bytes([14])
        + b"okchain-test-1"
        + struct.pack(">Q", 7)
        + struct.pack(">I", 2)
        + b"\x02"
        + block_hash
        + struct.pack(">q", 1_767_225_600_000_000_001)
    )
    assert got == by_hand


def test_vote_sign_bytes_nil_vote_and_negative_time() -> None:
    got = vote_sign_bytes("c", 1, 0, VoteType.PREVOTE, b"", -1)
    assert got.hex() == (
        "6f6b636861696e2f766f74652f76310a016300000000000000010000000001" + "00" * 32 + "ff" * 8
    )


def test_vote_sign_bytes_refuses_bad_input() -> None:
    with pytest.raises(VoteError, match="chain id longer than 255 bytes"):
        vote_sign_bytes("x" * 256, 1, 0, VoteType.PREVOTE, b"", 0)
    assert (
        len(vote_sign_bytes("x" * 255, 1, 0, VoteType.PREVOTE, b"", 0)) == 16 + 1 + 255 + 8 + 4 + 1 + 32 + 8
    )
    with pytest.raises(VoteError, match="block hash must be 32 bytes"):
        vote_sign_bytes("c", 1, 0, VoteType.PREVOTE, b"\x01" * 31, 0)


def test_vote_sign_bytes_differ_by_type_round_and_chain() -> None:
    base = ("okchain-test-1", 5, 0, VoteType.PREVOTE, b"\x11" * 32, 10)
    variants = [
        base,
        ("okchain-test-2", *base[1:]),
        (base[0], 6, *base[2:]),
        (*base[:2], 1, *base[3:]),
        (*base[:3], VoteType.PRECOMMIT, *base[4:]),
        (*base[:4], b"", base[5]),
        (*base[:5], 11),
    ]
    assert len({vote_sign_bytes(*v) for v in variants}) == len(variants)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff", "not a Block protobuf"),
        (b"\x0a\x05abc", "not a Block protobuf"),  # header length runs past the end
        (b"\x0a\x02\x0a\x80", "not a Block protobuf"),  # chain id length truncated inside the header
        (b"\x0a\x03\x0a\x01\xff", "not a Block protobuf"),  # chain id is not valid UTF-8
        (b"", "block has no header"),
        (b"\x12\x03abc", "block has no header"),  # only a tx
    ],
)
def test_block_decode_garbage(raw: bytes, message: str) -> None:
    with pytest.raises(BlockDecodeError, match=message):
        Block.decode(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_block_decode_random_bytes(raw: bytes) -> None:
    try:
        block = Block.decode(raw)
    except BlockDecodeError:
        return
    assert isinstance(block.header, Header)
    assert len(block.header.hash) == 32


def test_txs_hash_is_merkle_of_tx_sha256() -> None:
    txs = [b"one", b"two", b"three"]
    assert txs_hash(txs) == merkle_root([hashlib.sha256(t).digest() for t in txs])
    assert txs_hash([]) == hashlib.sha256(b"").digest()
    assert txs_hash(txs) != txs_hash(list(reversed(txs)))
