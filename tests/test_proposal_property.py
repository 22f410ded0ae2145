"""Property: whatever a byzantine proposer changes in an honest block, ``process_proposal`` of the real
application either refuses it with a typed reason or accepts a block that still keeps every invariant (BFT
time, an exact last commit) and executes identically on two independent applications, one over MemoryKV and
one over real LevelDB. Mutations touch every header field, the last commit and the tx list, optionally
followed by re-hashing the header fields that bind the body (what the proposer can sign), so they reach the
deep checks and not only the cheap hash comparisons. A table then pins the refusal code of each rule, and
another the legal changes (so the property is not vacuous)."""

import dataclasses
import functools
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from okchain.app import Application
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.state.leveldb import LevelDB
from okchain.state.store import KVStore, MemoryKV
from okchain.types.block import Block, Commit, CommitSig, last_commit_hash, txs_hash
from okchain.types.commit_check import commit_problem
from okchain.types.params import ChainParams
from okchain.types.refusal import RefusalCode
from okchain.types.results import Code
from okchain.types.vote import VoteType, vote_sign_bytes
from tests.helpers.app import (
    COMMITTEE,
    GAS,
    KEYS,
    Chain,
    committee_chain,
    committee_genesis,
    next_block,
    send,
    sign,
    state_items,
    with_signature,
)
from tests.helpers.chain import CHAIN_ID

T = TypeVar("T")
SeqEdit = Callable[[tuple[T, ...]], tuple[T, ...]]

UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
WIRE_RANGE = {"height": (0, UINT64_MAX), "time_ns": (INT64_MIN, INT64_MAX)}  # the header's proto types
# small limits, so the count, byte and gas rules are reachable with a handful of txs
PARAMS = ChainParams(max_block_bytes=64 * 1024, max_block_txs=8, max_block_gas=8 * GAS)
OTHER_CHAIN = "okchain-test-2"
STRANGER = ValidatorKey(b"\x55" * 32)
KEY_BY_ADDRESS = {validator_address(k.public_key): k for k in (*COMMITTEE, STRANGER)}
BYTES_FIELDS = (
    "last_block_hash",
    "txs_hash",
    "app_hash",
    "last_results_hash",
    "validators_hash",
    "proposer_address",
    "last_commit_hash",
)


# --- the honest starting point ---


@dataclasses.dataclass(frozen=True, slots=True)
class Tip:
    """Everything stored after block 2 of a four-validator chain, and the honest block 3 built on it."""

    items: dict[bytes, bytes]
    decided: Block  # block 2, which ``block.last_commit`` decides
    block: Block


@functools.cache
def tip() -> Tip:
    """Built once: block 2 carries real transfers (one with a bad nonce) and is committed with four distinct
    precommit clocks, so dropping or re-timing an entry moves the BFT time. Block 3's txs include a wrong
    nonce and an overspend, which fail statefully yet leave the block valid."""
    chain = committee_chain(PARAMS)
    decided = next_block(
        chain,
        chain.last_commit,
        proposer=COMMITTEE[1],
        txs=[send(KEYS[0], 0, KEYS[1], 5), send(KEYS[1], 0, KEYS[2], 7), send(KEYS[2], 3, KEYS[0], 1)],
    )
    start = decided.header.time_ns + 10**9
    commit = sign(chain, decided, COMMITTEE, [start + 7 * i for i in range(len(COMMITTEE))])
    chain.apply(decided, commit)
    txs = [
        send(KEYS[0], 1, KEYS[3], 2),
        send(KEYS[1], 1, KEYS[0], 3),
        send(KEYS[3], 7, KEYS[1], 1),  # bad nonce
        send(KEYS[2], 0, KEYS[1], 10**40),  # more than the balance
    ]
    block = next_block(chain, commit, proposer=COMMITTEE[2], txs=txs)
    assert chain.app.process_proposal(block) is None
    return Tip(dict(chain.db.iterate(b"")), decided, block)


def open_chain(db: KVStore) -> Chain:
    """An independent application over ``db`` (empty) holding a copy of the tip."""
    db.write(tip().items)
    return Chain(db, committee_genesis(PARAMS))


def exact(app: Application, commit: Commit | None) -> bool:
    """Is ``commit`` an exact commit of ``app``'s tip, checked afresh (not through the app's cache)?"""
    last = app.last
    powers = app.validator_powers(last.height)  # the set that signed the tip
    return (
        commit is not None
        and powers is not None
        and commit_problem(app.chain_id, last.height, last.block_hash, commit, powers) is None
    )


# --- mutations ---


@dataclasses.dataclass(frozen=True, slots=True)
class Mutation:
    """One change a byzantine proposer can make to a block; named so a failing example reads as a recipe."""

    name: str
    edit: Callable[[Block], Block]

    def __repr__(self) -> str:
        return self.name


def with_header(block: Block, **changes: Any) -> Block:
    return Block(dataclasses.replace(block.header, **changes), block.txs, block.last_commit)


def set_header(field: str, value: object) -> Mutation:
    return Mutation(f"{field}={value!r}", lambda b: with_header(b, **{field: value}))


def _flip_last(value: bytes) -> bytes:
    return value[:-1] + bytes([value[-1] ^ 1]) if value else b"\x01"


NUDGES: dict[str, Callable[[bytes], bytes]] = {
    "flip": _flip_last,
    "truncate": lambda v: v[:-1],
    "extend": lambda v: v + b"\x00",
}


def nudge(field: str, how: str) -> Mutation:
    """An off-by-one of a bytes field: its last bit flipped, one byte short or one byte long."""
    return Mutation(
        f"{how} {field}", lambda b: with_header(b, **{field: NUDGES[how](getattr(b.header, field))})
    )


def shift(field: str, delta: int) -> Mutation:
    """An integer field off by ``delta``, kept within what its proto type can carry."""
    low, high = WIRE_RANGE[field]
    return Mutation(
        f"{field}{delta:+}",
        lambda b: with_header(b, **{field: min(high, max(low, getattr(b.header, field) + delta))}),
    )


def swap(a: str, b: str) -> Mutation:
    """Two header fields swap values (a hash put in the wrong slot)."""

    def edit(block: Block) -> Block:
        h = block.header
        return with_header(block, **{a: getattr(h, b), b: getattr(h, a)})

    return Mutation(f"swap {a} and {b}", edit)


def dropped(i: int) -> SeqEdit[Any]:
    return lambda items: items[: i % len(items)] + items[i % len(items) + 1 :] if items else items


def doubled(i: int) -> SeqEdit[Any]:
    return lambda items: items[: i % len(items) + 1] + items[i % len(items) :] if items else items


def swapped(i: int, j: int) -> SeqEdit[Any]:
    def edit(items: tuple[Any, ...]) -> tuple[Any, ...]:
        if not items:
            return items
        out = list(items)
        i2, j2 = i % len(out), j % len(out)
        out[i2], out[j2] = out[j2], out[i2]
        return tuple(out)

    return edit


def inserted(i: int, item: object) -> SeqEdit[Any]:
    return lambda items: (*items[: i % (len(items) + 1)], item, *items[i % (len(items) + 1) :])


def reversed_order(items: tuple[Any, ...]) -> tuple[Any, ...]:
    return items[::-1]


def on_txs(name: str, edit: SeqEdit[bytes]) -> Mutation:
    return Mutation(f"txs: {name}", lambda b: Block(b.header, edit(b.txs), b.last_commit))


def on_commit(name: str, edit: Callable[[Commit], Commit | None]) -> Mutation:
    """Change the last commit (a block that carries none is left alone)."""

    def apply(block: Block) -> Block:
        commit = block.last_commit
        return block if commit is None else Block(block.header, block.txs, edit(commit))

    return Mutation(f"commit: {name}", apply)


def on_entries(name: str, edit: SeqEdit[CommitSig]) -> Mutation:
    return on_commit(name, lambda c: dataclasses.replace(c, signatures=edit(c.signatures)))


def on_entry(i: int, name: str, edit: Callable[[Commit, CommitSig], CommitSig]) -> Mutation:
    """Change entry ``i`` (modulo the entry count) of the last commit."""

    def apply(commit: Commit) -> Commit:
        sigs = list(commit.signatures)
        if sigs:
            sigs[i % len(sigs)] = edit(commit, sigs[i % len(sigs)])
        return dataclasses.replace(commit, signatures=tuple(sigs))

    return on_commit(f"entry {i} {name}", apply)


def precommit(commit: Commit, key: ValidatorKey, time_ns: int) -> CommitSig:
    """A real precommit by ``key`` for the decided block in ``commit``'s round, with any clock: what a
    validator with a wrong clock, or one voting in a later round, really signs."""
    decided = tip().decided
    address = validator_address(key.public_key)
    try:
        message = vote_sign_bytes(
            CHAIN_ID, decided.header.height, commit.round, VoteType.PRECOMMIT, decided.hash, time_ns
        )
    except struct.error:  # a round or clock the vote layout cannot carry: nothing can sign it
        return CommitSig(address, time_ns, b"")
    return CommitSig(address, time_ns, key.sign(message))


def resigned_at(i: int, time_ns: int) -> Mutation:
    """Entry ``i`` genuinely signed at ``time_ns`` (a stranger's or forged entry is left as it is)."""

    def edit(commit: Commit, sig: CommitSig) -> CommitSig:
        key = KEY_BY_ADDRESS.get(sig.validator_address)
        return sig if key is None else precommit(commit, key, time_ns)

    return on_entry(i, f"signed at {time_ns}", edit)


def resigned_round(round_: int) -> Mutation:
    """The commit from round ``round_``: every known entry signed again for that round."""

    def edit(commit: Commit) -> Commit:
        later = dataclasses.replace(commit, round=round_)
        sigs = tuple(
            s if (k := KEY_BY_ADDRESS.get(s.validator_address)) is None else precommit(later, k, s.time_ns)
            for s in commit.signatures
        )
        return dataclasses.replace(later, signatures=sigs)

    return on_commit(f"signed in round {round_}", edit)


def with_stranger(time_ns: int, in_order: bool) -> Mutation:
    """A validator outside the set adds its genuine precommit, in address order or at the end."""

    def edit(commit: Commit) -> Commit:
        sigs = (*commit.signatures, precommit(commit, STRANGER, time_ns))
        return dataclasses.replace(
            commit, signatures=tuple(sorted(sigs, key=lambda s: s.validator_address)) if in_order else sigs
        )

    return on_commit(f"stranger at {time_ns} {'in order' if in_order else 'appended'}", edit)


def retouched(i: int, field: str, value: object) -> Mutation:
    """Entry ``i``'s time, signature or address replaced without signing again."""
    return on_entry(i, f"{field}={value!r}", lambda _, sig: dataclasses.replace(sig, **{field: value}))


def set_commit(field: str, value: object) -> Mutation:
    return on_commit(f"{field}={value!r}", lambda c: dataclasses.replace(c, **{field: value}))


NO_COMMIT = on_commit("removed", lambda _: None)


@dataclasses.dataclass(frozen=True, slots=True)
class Binding:
    """Which header fields the proposer recomputes after changing the body: the hashes that bind the txs and
    the last commit, and the block time (to the BFT time, when the changed commit is exact)."""

    txs: bool = True
    commit: bool = True
    time: bool = True

    def apply(self, app: Application, block: Block) -> Block:
        changes: dict[str, object] = {}
        if self.txs:
            changes["txs_hash"] = txs_hash(block.txs)
        if self.commit:
            changes["last_commit_hash"] = last_commit_hash(block.last_commit)
        if self.time and exact(app, block.last_commit):
            changes["time_ns"] = app.block_time_ns(block.last_commit)
        return with_header(block, **changes)


BOUND = Binding()


@dataclasses.dataclass(frozen=True, slots=True)
class Forgery:
    """Body mutations, then the binding, then header mutations (so a header change is never undone)."""

    body: tuple[Mutation, ...] = ()
    binding: Binding = BOUND
    header: tuple[Mutation, ...] = ()

    def build(self, app: Application) -> Block:
        """The forged block as built, before any encoding (its values may be ones no wire can carry)."""
        block = tip().block
        for mutation in self.body:
            block = mutation.edit(block)
        block = self.binding.apply(app, block)
        for mutation in self.header:
            block = mutation.edit(block)
        return block


# --- strategies ---

int64s = st.integers(INT64_MIN, INT64_MAX) | st.sampled_from([INT64_MIN, INT64_MAX, 0, -1])
indexes = st.integers(0, 7)
signed_txs = st.builds(
    send, st.sampled_from(KEYS), st.integers(0, 6), st.sampled_from(KEYS), st.integers(1, 10**6)
)
raw_txs = st.one_of(
    signed_txs,  # valid, often with a wrong nonce
    st.binary(max_size=120),  # garbage
    st.builds(
        send,
        st.sampled_from(KEYS),
        st.integers(0, 3),
        st.sampled_from(KEYS),
        st.just(1),
        chain_id=st.just(OTHER_CHAIN),
    ),
    st.builds(
        send,
        st.sampled_from(KEYS),
        st.integers(0, 3),
        st.sampled_from(KEYS),
        st.just(1),
        gas_limit=st.integers(GAS, PARAMS.max_tx_gas + 1),
    ),
    st.builds(with_signature, signed_txs, st.binary(min_size=64, max_size=66)),
    st.builds(lambda raw, i: raw[:i] + raw[i + 1 :], signed_txs, st.integers(0, 300)),  # a byte short
)
tx_mutations = st.one_of(
    st.builds(lambda i: on_txs(f"drop {i}", dropped(i)), indexes),
    st.builds(lambda i: on_txs(f"duplicate {i}", doubled(i)), indexes),
    st.builds(lambda i, j: on_txs(f"swap {i} {j}", swapped(i, j)), indexes, indexes),
    st.just(on_txs("reverse", reversed_order)),
    st.builds(lambda i, raw: on_txs(f"insert at {i} {raw.hex()[:24]}", inserted(i, raw)), indexes, raw_txs),
)
commit_mutations = st.one_of(
    st.builds(lambda i: on_entries(f"drop {i}", dropped(i)), indexes),
    st.builds(lambda i: on_entries(f"duplicate {i}", doubled(i)), indexes),
    st.builds(lambda i, j: on_entries(f"swap {i} {j}", swapped(i, j)), indexes, indexes),
    st.just(on_entries("reverse", reversed_order)),
    st.builds(resigned_at, indexes, int64s),
    st.builds(resigned_round, st.integers(0, UINT32_MAX)),
    st.builds(with_stranger, int64s, st.booleans()),
    st.builds(retouched, indexes, st.just("time_ns"), int64s),
    st.builds(retouched, indexes, st.just("signature"), st.binary(max_size=70)),
    st.builds(
        retouched,
        indexes,
        st.just("validator_address"),
        st.binary(max_size=32) | st.sampled_from(sorted(KEY_BY_ADDRESS)),
    ),
    st.builds(set_commit, st.just("round"), st.integers(0, UINT32_MAX)),
    st.builds(set_commit, st.just("height"), st.integers(0, UINT64_MAX) | st.integers(0, 4)),
    st.builds(set_commit, st.just("block_hash"), st.binary(max_size=40)),
    st.just(NO_COMMIT),
)
header_mutations = st.one_of(
    st.builds(set_header, st.sampled_from(BYTES_FIELDS), st.binary(max_size=40)),
    st.builds(nudge, st.sampled_from(BYTES_FIELDS), st.sampled_from(sorted(NUDGES))),
    st.builds(swap, st.sampled_from(BYTES_FIELDS), st.sampled_from(BYTES_FIELDS)),
    st.builds(set_header, st.just("chain_id"), st.text(max_size=70) | st.sampled_from(["", OTHER_CHAIN])),
    st.builds(shift, st.sampled_from(sorted(WIRE_RANGE)), st.integers(-2, 2)),
    st.builds(set_header, st.just("height"), st.integers(0, UINT64_MAX)),
    st.builds(set_header, st.just("time_ns"), int64s),
)
mostly = st.sampled_from([True, True, True, False])  # a bound body gets past the cheap hash checks
forgeries = st.builds(
    Forgery,
    st.lists(tx_mutations | commit_mutations, max_size=3).map(tuple),
    st.builds(Binding, mostly, mostly, mostly),
    st.just(())
    | st.lists(header_mutations, max_size=2).map(tuple),  # header changes end most forgeries early
)


# --- the property ---


def assert_executes_identically(block: Block) -> None:
    """An accepted block keeps the invariants and executes the same on MemoryKV and on real LevelDB: the
    same results (failed txs included, with their codes), app hash, tip and every stored byte."""
    with tempfile.TemporaryDirectory() as tmp:
        memory, level = open_chain(MemoryKV()), open_chain(LevelDB(Path(tmp) / "db"))
        try:
            for chain in (memory, level):
                assert chain.app.process_proposal(block) is None
            app = memory.app
            assert block.header.time_ns == app.block_time_ns(block.last_commit) > app.last.time_ns
            assert exact(app, block.last_commit)
            vote_ns = min(INT64_MAX, block.header.time_ns + 10**9)  # forged clocks may reach the end of time
            commit = sign(memory, block, COMMITTEE, [vote_ns] * len(COMMITTEE))
            one, two = (chain.apply(block, commit) for chain in (memory, level))
            assert len(one.results) == len(block.txs)
            assert (one.app_hash, one.results) == (two.app_hash, two.results)
            assert memory.app.last == level.app.last
            assert state_items(memory.db) == state_items(level.db)
            assert dict(memory.db.iterate(b"")) == dict(level.db.iterate(b""))
        finally:
            level.db.close()


@settings(deadline=None, max_examples=1000)
@given(forgeries)
def test_a_forged_block_is_refused_or_executes_identically(forgery: Forgery) -> None:
    app = open_chain(MemoryKV()).app
    block = Block.decode(forgery.build(app).encode())  # as a peer's proposal arrives
    refusal = app.process_proposal(block)  # must return, never raise
    if refusal is None:
        event("accepted")
        assert_executes_identically(block)
        return
    event(f"refused: {refusal.code}")
    assert isinstance(refusal.code, RefusalCode) and refusal.reason


# --- one row per rule: the refusal names it ---

FOREIGN_TX = send(KEYS[0], 1, KEYS[1], 1, chain_id=OTHER_CHAIN)
HEAVY_TX = send(KEYS[3], 0, KEYS[0], 1, gas_limit=5 * GAS)  # with the block's 4 × GAS: over 8 × GAS
UNBOUND_BODY = Binding(txs=False, commit=False, time=False)
REFUSALS: list[tuple[str, Forgery, RefusalCode]] = [
    ("chain id", Forgery(header=(set_header("chain_id", OTHER_CHAIN),)), RefusalCode.CHAIN_ID),
    ("height", Forgery(header=(shift("height", 1),)), RefusalCode.HEIGHT),
    ("last block hash", Forgery(header=(nudge("last_block_hash", "flip"),)), RefusalCode.LAST_BLOCK_HASH),
    ("app hash", Forgery(header=(swap("app_hash", "last_results_hash"),)), RefusalCode.APP_HASH),
    (
        "last results hash",
        Forgery(header=(set_header("last_results_hash", b""),)),
        RefusalCode.LAST_RESULTS_HASH,
    ),
    ("validators hash", Forgery(header=(nudge("validators_hash", "truncate"),)), RefusalCode.VALIDATORS_HASH),
    ("proposer", Forgery(header=(set_header("proposer_address", b"\x09" * 20),)), RefusalCode.PROPOSER),
    ("txs hash", Forgery((on_txs("reverse", reversed_order),), UNBOUND_BODY), RefusalCode.TXS_HASH),
    (
        "last commit hash",
        Forgery((on_entries("drop 0", dropped(0)),), UNBOUND_BODY),
        RefusalCode.LAST_COMMIT_HASH,
    ),
    ("time", Forgery(header=(shift("time_ns", 1),)), RefusalCode.BLOCK_TIME),
    ("time at INT64_MAX", Forgery(header=(set_header("time_ns", INT64_MAX),)), RefusalCode.BLOCK_TIME),
    ("commit missing", Forgery((NO_COMMIT,)), RefusalCode.LAST_COMMIT_MISSING),
    ("commit height", Forgery((set_commit("height", 1),)), RefusalCode.COMMIT_HEIGHT),
    ("commit height UINT64_MAX", Forgery((set_commit("height", UINT64_MAX),)), RefusalCode.COMMIT_HEIGHT),
    ("commit block hash", Forgery((set_commit("block_hash", b"\x07" * 32),)), RefusalCode.COMMIT_BLOCK),
    (
        "commit block hash length",
        Forgery((set_commit("block_hash", b"\x07" * 31),)),
        RefusalCode.COMMIT_BLOCK,
    ),
    ("commit order", Forgery((on_entries("swap 0 1", swapped(0, 1)),)), RefusalCode.COMMIT_ORDER),
    ("commit entry twice", Forgery((on_entries("duplicate 2", doubled(2)),)), RefusalCode.COMMIT_ORDER),
    ("commit empty address", Forgery((retouched(0, "validator_address", b""),)), RefusalCode.COMMIT_ORDER),
    ("commit stranger", Forgery((with_stranger(0, in_order=True),)), RefusalCode.COMMIT_NON_MEMBER),
    ("commit signature", Forgery((retouched(1, "signature", bytes(64)),)), RefusalCode.COMMIT_SIGNATURE),
    ("commit short signature", Forgery((retouched(1, "signature", b"\x01"),)), RefusalCode.COMMIT_SIGNATURE),
    ("commit entry time", Forgery((retouched(3, "time_ns", INT64_MAX),)), RefusalCode.COMMIT_SIGNATURE),
    ("commit round", Forgery((set_commit("round", 1),)), RefusalCode.COMMIT_SIGNATURE),
    ("commit round UINT32_MAX", Forgery((set_commit("round", UINT32_MAX),)), RefusalCode.COMMIT_SIGNATURE),
    (
        "commit power",
        Forgery((on_entries("drop 0", dropped(0)), on_entries("drop 0", dropped(0)))),
        RefusalCode.COMMIT_POWER,
    ),
    ("time before the tip", Forgery(tuple(resigned_at(i, 0) for i in range(3))), RefusalCode.BLOCK_TIME),
    (
        "tx count",
        Forgery((*(on_txs("insert", inserted(0, bytes([i]))) for i in range(5)),)),
        RefusalCode.BLOCK_SIZE,
    ),
    (
        "block bytes",
        Forgery((on_txs("insert", inserted(0, bytes(PARAMS.max_block_bytes))),)),
        RefusalCode.BLOCK_SIZE,
    ),
    ("duplicate tx", Forgery((on_txs("duplicate 1", doubled(1)),)), RefusalCode.DUPLICATE_TX),
    ("garbage tx", Forgery((on_txs("insert", inserted(2, b"garbage")),)), RefusalCode.TX_MALFORMED),
    ("tx of another chain", Forgery((on_txs("insert", inserted(0, FOREIGN_TX)),)), RefusalCode.TX_MALFORMED),
    (
        "tx signature",
        Forgery((on_txs("insert", inserted(0, with_signature(HEAVY_TX, bytes(65)))),)),
        RefusalCode.TX_MALFORMED,
    ),
    ("block gas", Forgery((on_txs("insert", inserted(4, HEAVY_TX)),)), RefusalCode.BLOCK_GAS),
    # values no protobuf field can carry: hashing or signing them raised ValueError before BLOCK_ENCODING
    ("commit round -1", Forgery((set_commit("round", -1),), UNBOUND_BODY), RefusalCode.BLOCK_ENCODING),
    (
        "commit round 2**32",
        Forgery((set_commit("round", UINT32_MAX + 1),), UNBOUND_BODY),
        RefusalCode.BLOCK_ENCODING,
    ),
    ("commit height -1", Forgery((set_commit("height", -1),), UNBOUND_BODY), RefusalCode.BLOCK_ENCODING),
    (
        "entry time past INT64",
        Forgery((retouched(0, "time_ns", INT64_MAX + 1),), UNBOUND_BODY),
        RefusalCode.BLOCK_ENCODING,
    ),
    (
        "header time past INT64",
        Forgery(header=(set_header("time_ns", INT64_MAX + 1),)),
        RefusalCode.BLOCK_ENCODING,
    ),
    (
        "header height 2**64",
        Forgery(header=(set_header("height", UINT64_MAX + 1),)),
        RefusalCode.BLOCK_ENCODING,
    ),
    (
        "header chain id surrogate",
        Forgery(header=(set_header("chain_id", "\ud800"),)),
        RefusalCode.BLOCK_ENCODING,
    ),
]


@pytest.mark.parametrize(("forgery", "code"), [row[1:] for row in REFUSALS], ids=[row[0] for row in REFUSALS])
def test_each_broken_rule_is_refused_with_its_code(forgery: Forgery, code: RefusalCode) -> None:
    """Refused with the rule's code, both as built and, when it has bytes at all, as received."""
    app = open_chain(MemoryKV()).app
    block = forgery.build(app)
    received = [block] if code == RefusalCode.BLOCK_ENCODING else [block, Block.decode(block.encode())]
    for candidate in received:
        refusal = app.process_proposal(candidate)
        assert refusal is not None and refusal.code == code, refusal
        assert refusal.reason


unwired = st.one_of(  # values the domain types hold but no protobuf field carries (nor a peer sends)
    st.builds(set_commit, st.sampled_from(["round", "height"]), st.integers()),
    st.builds(retouched, indexes, st.just("time_ns"), st.integers()),
    st.builds(set_header, st.sampled_from(sorted(WIRE_RANGE)), st.integers()),
    st.builds(set_header, st.just("chain_id"), st.text(st.characters(categories=["Cs"]), min_size=1)),
)


@settings(deadline=None, max_examples=200)
@given(st.lists(unwired | commit_mutations, min_size=1, max_size=3).map(tuple))
def test_unencodable_values_are_refused_not_raised(body: tuple[Mutation, ...]) -> None:
    """``process_proposal`` takes domain blocks: a value out of its field's range refuses, never raises."""
    app = open_chain(MemoryKV()).app
    block = Forgery(body, UNBOUND_BODY).build(app)
    refusal = app.process_proposal(block)
    try:
        block.encode()
    except ValueError:
        event("unencodable")
        assert refusal is not None and refusal.code == RefusalCode.BLOCK_ENCODING, refusal


# --- legal changes: accepted, and executed the same everywhere ---

ACCEPTED: list[tuple[str, Forgery]] = [
    ("honest", Forgery()),
    ("txs reordered", Forgery((on_txs("reverse", reversed_order),))),
    ("a tx dropped", Forgery((on_txs("drop 1", dropped(1)),))),
    ("a bad-nonce tx added", Forgery((on_txs("insert", inserted(0, send(KEYS[3], 5, KEYS[1], 1))),))),
    ("a valid tx added", Forgery((on_txs("insert", inserted(9, send(KEYS[3], 0, KEYS[1], 9))),))),
    ("a commit entry dropped", Forgery((on_entries("drop 0", dropped(0)),))),
    ("a later round", Forgery((resigned_round(7),))),
    ("round UINT32_MAX", Forgery((resigned_round(UINT32_MAX),))),
    ("a clock at INT64_MAX", Forgery((resigned_at(3, INT64_MAX),))),
    ("a clock at INT64_MIN", Forgery((resigned_at(0, INT64_MIN),))),
    (
        "another proposer",
        Forgery(header=(set_header("proposer_address", validator_address(COMMITTEE[0].public_key)),)),
    ),
]


@pytest.mark.parametrize("forgery", [row[1] for row in ACCEPTED], ids=[row[0] for row in ACCEPTED])
def test_legal_changes_are_accepted_and_execute_identically(forgery: Forgery) -> None:
    app = open_chain(MemoryKV()).app
    block = forgery.build(app)
    assert app.process_proposal(block) is None
    assert_executes_identically(block)


def test_stateful_failures_are_recorded_not_refused() -> None:
    """The honest block's wrong nonce and overspend fail with their codes on every node."""
    chain = open_chain(MemoryKV())
    block = tip().block
    finalized = chain.apply(block, sign(chain, block, COMMITTEE, [block.header.time_ns + 1] * 4))
    codes = [r.code for r in finalized.results]
    assert codes == [Code.OK, Code.OK, Code.BAD_NONCE, Code.INSUFFICIENT_FUNDS]
