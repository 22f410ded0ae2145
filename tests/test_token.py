"""The token module through the real Application and LevelDB: every rule, every refusal, and conservation."""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from okchain._pb.token.v1 import token_pb2
from okchain._pb.tx.v1 import tx_pb2
from okchain.cli.amounts import parse_display_number, parse_user_amount
from okchain.crypto.address import to_checksum
from okchain.crypto.hashing import sha256
from okchain.crypto.secp import AccountKey
from okchain.mempool.pool import Mempool
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank import keeper as bank
from okchain.modules.bank.messages import MultiSend, Output, Transfer
from okchain.modules.token import codec as token_codec
from okchain.modules.token import keeper as token
from okchain.modules.token.messages import (
    DENOM_RULE,
    MAX_SUPPLY,
    NAME_RULE,
    SYMBOL_RULE,
    BurnToken,
    IssueToken,
    MintToken,
    TransferOwnership,
)
from okchain.state import schema
from okchain.state.cache import CacheKV
from okchain.state.leveldb import LevelDB
from okchain.state.store import MemoryKV
from okchain.tx.envelope import decode_tx
from okchain.tx.gas import required_gas
from okchain.types.amount import AmountError
from okchain.types.fields import TxDecodeError
from okchain.types.params import ChainParams
from okchain.types.results import Code, TxResult
from tests.helpers.app import (
    BALANCE,
    FEE,
    KEYS,
    Chain,
    assert_refused_only_fee,
    balances,
    genesis,
    state_items,
    tx,
)
from tests.helpers.chain import OKT

A, B, C, D = KEYS
ISSUE_FEE = ChainParams().token_issue_fee
SUPPLY = 1_000_000 * OKT


class TokenChain(Chain):
    """A chain that signs with the right nonce and returns each tx's result."""

    def run(self, key: AccountKey, *msgs: Any) -> TxResult:
        raw = tx(key, get_nonce(self.db, key.address), list(msgs))
        return self.produce([raw]).results[0]

    def issue(self, key: AccountKey, symbol: str = "xyz", supply: int = SUPPLY, mintable: bool = True) -> str:
        result = self.run(key, IssueToken(symbol, "Test Token", supply, mintable))
        assert result.code == Code.OK, result.log
        return attr(result, "issue_token", "denom")


def attr(result: TxResult, kind: str, key: str) -> str:
    return next(v for e in result.events if e.type == kind for k, v in e.attributes if k == key)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[TokenChain]:
    db = LevelDB(tmp_path / "db")
    yield TokenChain(db, genesis())
    db.close()


# --- issue ---
def test_issue_burns_the_fee_credits_the_supply_and_records_the_token(chain: TokenChain) -> None:
    okt_supply = bank.get_supply(chain.db, "okt")
    raw = tx(A, 0, [IssueToken("xyz", "X Y Z 1", SUPPLY, True)])
    result = chain.produce([raw]).results[0]
    assert result.code == Code.OK, result.log
    denom = f"xyz-{sha256(raw).hex()[:3]}"
    assert attr(result, "issue_token", "denom") == denom
    assert attr(result, "issue_token", "fee_burned") == str(ISSUE_FEE)
    assert bank.get_balance(chain.db, A.address, denom) == SUPPLY == bank.get_supply(chain.db, denom)
    assert bank.get_supply(chain.db, "okt") == okt_supply - ISSUE_FEE
    assert bank.get_balance(chain.db, A.address, "okt") == BALANCE - FEE - ISSUE_FEE
    info = token.get_token(chain.db, denom)
    assert info == token.TokenInfo(denom, "X Y Z 1", A.address, True, SUPPLY)
    assert info.symbol == "xyz"
    assert result.gas_used == required_gas(decode_tx(raw), ChainParams())
    assert result.gas_used - ChainParams().token_issue_gas == ChainParams().tx_base_gas + 10 * len(raw)


def test_same_symbol_twice_in_one_tx_takes_the_next_three_hex_characters(chain: TokenChain) -> None:
    raw = tx(A, 0, [IssueToken("abc", "One", 5, False), IssueToken("abc", "Two", 7, False)])
    result = chain.produce([raw]).results[0]
    assert result.code == Code.OK, result.log
    digits = sha256(raw).hex()
    first, second = (v for e in result.events for k, v in e.attributes if k == "denom")
    assert (first, second) == (f"abc-{digits[:3]}", f"abc-{digits[3:6]}")
    assert bank.get_supply(chain.db, "okt") == BALANCE * len(KEYS) - 2 * ISSUE_FEE


def test_denom_rule_walks_every_window_and_then_refuses() -> None:
    tx_hash = bytes(range(32))
    candidates = list(token.candidate_denoms("q", tx_hash))
    assert len(candidates) == 21 and len(set(candidates)) == 21
    assert candidates[0] == f"q-{tx_hash.hex()[:3]}" and candidates[-1] == f"q-{tx_hash.hex()[60:63]}"
    store = CacheKV(MemoryKV())
    for denom in candidates[:-1]:
        token.set_token(store, token.TokenInfo(denom, "n", A.address, False, 1))
    assert token.new_denom(store, "q", tx_hash) == candidates[-1]
    token.set_token(store, token.TokenInfo(candidates[-1], "n", A.address, False, 1))
    with pytest.raises(
        token.DenomTaken,
        match="every denom of symbol 'q' this tx hash can give is already issued; resend the tx",
    ):
        token.new_denom(store, "q", tx_hash)


@pytest.mark.parametrize("symbol", ["a", "z9", "abc123", "okt", "b0b0b0"])
def test_good_symbols(symbol: str) -> None:
    assert decode_tx(tx(A, 0, [IssueToken(symbol, "N", 1, False)])).msgs == (
        IssueToken(symbol, "N", 1, False),
    )


SYMBOL_REASON = "must be 1-6 characters: a lowercase letter, then lowercase letters or digits"


@pytest.mark.parametrize(
    "symbol", ["", "A", "Abc", "1ab", "abcdefg", "ab-c", "ab c", "ab_c", "\u00e9", "ab\n"]
)
def test_bad_symbols_are_refused_at_decode(chain: TokenChain, symbol: str) -> None:
    raw = tx(A, 0, [IssueToken(symbol, "Name", 1, False)])
    with pytest.raises(TxDecodeError) as exc:
        decode_tx(raw)
    assert str(exc.value) == f"message 0: symbol {symbol!r} {SYMBOL_REASON}"
    chain.refuse_malformed(raw, Code.TX_DECODE, str(exc.value))  # no fee, no nonce, no block carries it


@pytest.mark.parametrize("name", ["", "x" * 31, "a_b", "caf\u00e9", "tab\there", "new\nline"])
def test_bad_names_are_refused_at_decode(name: str) -> None:
    with pytest.raises(TxDecodeError) as exc:
        decode_tx(tx(A, 0, [IssueToken("abc", name, 1, False)]))
    assert str(exc.value) == (
        f"message 0: name {name!r} must be 1-30 characters of ASCII letters, digits and spaces"
    )


def test_name_and_supply_bounds_are_inclusive() -> None:
    msg = IssueToken("abc", "N" * 30, MAX_SUPPLY, True)
    assert decode_tx(tx(A, 0, [msg])).msgs == (msg,)
    assert MAX_SUPPLY == 9 * 10**10 * 10**18


def test_bad_total_supply_is_refused_at_decode() -> None:
    with pytest.raises(TxDecodeError, match=f"^message 0: total supply {MAX_SUPPLY + 1} exceeds the maximum"):
        decode_tx(tx(A, 0, [IssueToken("abc", "N", MAX_SUPPLY + 1, True)]))
    with pytest.raises(TxDecodeError, match=r"^message 0 total supply: amount must be positive$"):
        decode_tx(tx(A, 0, [IssueToken("abc", "N", 0, True)]))


def test_issue_without_funds_for_the_fee(tmp_path: Path) -> None:
    db = LevelDB(tmp_path / "db")
    chain = TokenChain(db, genesis(ChainParams(token_issue_fee=BALANCE)))
    assert_refused_only_fee(
        chain,
        A,
        IssueToken("abc", "N", 1, False),
        Code.INSUFFICIENT_FUNDS,
        f"insufficient funds for token issue fee: balance {BALANCE - FEE}okt, needs {BALANCE}okt",
    )
    db.close()


# --- mint ---
def test_owner_mints_a_mintable_token(chain: TokenChain) -> None:
    denom = chain.issue(A)
    result = chain.run(A, MintToken(denom, 5))
    assert result.code == Code.OK
    assert result.events[0].type == "mint_token"
    assert bank.get_balance(chain.db, A.address, denom) == SUPPLY + 5 == bank.get_supply(chain.db, denom)


def test_non_owner_cannot_mint(chain: TokenChain) -> None:
    denom = chain.issue(A)
    reason = f"cannot mint {denom}: owned by {to_checksum(A.address)}, not the signer"
    assert_refused_only_fee(chain, B, MintToken(denom, 5), Code.NOT_TOKEN_OWNER, reason)


def test_non_mintable_token_cannot_be_minted(chain: TokenChain) -> None:
    denom = chain.issue(A, mintable=False)
    reason = f"cannot mint {denom}: it was issued as not mintable"
    assert_refused_only_fee(chain, A, MintToken(denom, 1), Code.TOKEN_NOT_MINTABLE, reason)


def test_mint_over_the_supply_bound(chain: TokenChain) -> None:
    denom = chain.issue(A, supply=MAX_SUPPLY - 10)
    assert chain.run(A, MintToken(denom, 10)).code == Code.OK  # exactly at the bound
    reason = f"cannot mint 1{denom}: supply would be {MAX_SUPPLY + 1}, above the maximum {MAX_SUPPLY}"
    assert_refused_only_fee(chain, A, MintToken(denom, 1), Code.TOKEN_SUPPLY_LIMIT, reason)


def test_okt_has_no_owner(chain: TokenChain) -> None:
    reason = "cannot mint okt: it has no owner"
    assert_refused_only_fee(chain, A, MintToken("okt", 1), Code.NOT_TOKEN_OWNER, reason)
    reason = "cannot transfer ownership of okt: it has no owner"
    assert_refused_only_fee(chain, A, TransferOwnership("okt", B.address), Code.NOT_TOKEN_OWNER, reason)


# --- burn ---
def test_any_holder_burns_and_supply_falls(chain: TokenChain) -> None:
    denom = chain.issue(A)
    assert chain.run(A, Transfer(B.address, denom, 100)).code == Code.OK
    result = chain.run(B, BurnToken(denom, 40))
    assert result.code == Code.OK
    assert attr(result, "burn_token", "amount") == "40"
    assert bank.get_balance(chain.db, B.address, denom) == 60
    assert bank.get_supply(chain.db, denom) == SUPPLY - 40


def test_burning_okt_lowers_okt_supply(chain: TokenChain) -> None:
    supply = bank.get_supply(chain.db, "okt")
    result = chain.run(C, BurnToken("okt", 3 * OKT))
    assert result.code == Code.OK
    assert bank.get_supply(chain.db, "okt") == supply - 3 * OKT
    assert bank.get_balance(chain.db, C.address, "okt") == BALANCE - FEE - 3 * OKT


def test_burn_more_than_balance(chain: TokenChain) -> None:
    denom = chain.issue(A)
    reason = f"insufficient funds for burn: balance 0{denom}, needs 1{denom}"
    assert_refused_only_fee(chain, B, BurnToken(denom, 1), Code.INSUFFICIENT_FUNDS, reason)
    reason = f"insufficient funds for burn: balance {SUPPLY}{denom}, needs {SUPPLY + 1}{denom}"
    assert_refused_only_fee(chain, A, BurnToken(denom, SUPPLY + 1), Code.INSUFFICIENT_FUNDS, reason)


# --- unknown denoms and ownership ---
@pytest.mark.parametrize(
    ("msg", "action"),
    [
        (MintToken("abc-123", 1), "mint"),
        (BurnToken("abc-123", 1), "burn"),
        (TransferOwnership("abc-123", KEYS[1].address), "transfer ownership of"),
    ],
)
def test_unknown_denom(chain: TokenChain, msg: Any, action: str) -> None:
    reason = f"cannot {action} abc-123: no such token"
    assert_refused_only_fee(chain, A, msg, Code.UNKNOWN_TOKEN, reason)


def test_transfer_ownership(chain: TokenChain) -> None:
    denom = chain.issue(A)
    reason = f"cannot transfer ownership of {denom}: owned by {to_checksum(A.address)}, not the signer"
    assert_refused_only_fee(chain, B, TransferOwnership(denom, B.address), Code.NOT_TOKEN_OWNER, reason)
    result = chain.run(A, TransferOwnership(denom, B.address))
    assert result.code == Code.OK
    assert attr(result, "transfer_ownership", "new_owner") == to_checksum(B.address)
    info = token.get_token(chain.db, denom)
    assert info is not None and info.owner == B.address and info.original_supply == SUPPLY
    assert chain.run(B, MintToken(denom, 1)).code == Code.OK  # the new owner mints, to itself
    assert bank.get_balance(chain.db, B.address, denom) == 1
    assert chain.run(A, MintToken(denom, 1)).code == Code.NOT_TOKEN_OWNER


def test_failed_message_rolls_back_the_earlier_ones_of_its_tx(chain: TokenChain) -> None:
    before = state_items(chain.db)
    result = chain.run(A, IssueToken("abc", "N", 5, True), MintToken("abc-000", 1))
    assert (result.code, result.log) == (Code.UNKNOWN_TOKEN, "cannot mint abc-000: no such token")
    after = state_items(chain.db)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {
        schema.balance(A.address, "okt"),
        schema.account_nonce(A.address),
        schema.balance(FEE_COLLECTOR, "okt"),
    }
    assert bank.get_supply(chain.db, "okt") == BALANCE * len(KEYS)  # the issue fee was not burned


# --- through the mempool ---
def test_token_txs_through_the_mempool_in_one_block(chain: TokenChain) -> None:
    """A mint and a transfer of a token whose issue is still in the pool are admitted (the check state has
    it; the denom follows from the issue's tx hash), and the proposer's block runs them all in order;
    the mempool's check state holds token balances like OKT ones."""
    app, pool = chain.app, Mempool(chain.app)
    issue = tx(A, 0, [IssueToken("mp", "Pool", 100, True)])
    denom = f"mp-{sha256(issue).hex()[:3]}"
    txs = [
        issue,
        tx(A, 1, [MintToken(denom, 5)]),
        tx(A, 2, [Transfer(B.address, denom, 30)]),
        tx(B, 0, [BurnToken(denom, 1)]),  # admitted: the check state has A's transfer before it
        tx(C, 0, [BurnToken("okt", OKT)]),
    ]
    added = [pool.add(raw).result.code for raw in txs]
    assert added == [Code.OK] * 5
    assert pool.add(tx(B, 1, [BurnToken(denom, 30)])).result.code == Code.INSUFFICIENT_FUNDS  # 29 left
    proposal = app.prepare_proposal(pool.reap(app.params.max_block_txs, app.params.max_block_bytes))
    assert proposal.rejected == []
    results = chain.apply(*chain.decide(proposal.txs)).results
    pool.update(proposal.txs, all(r.ok for r in results))
    assert [r.code for r in results] == [Code.OK] * 5 and len(pool) == 0
    assert bank.get_balance(chain.db, A.address, denom) == 75
    assert bank.get_balance(chain.db, B.address, denom) == 29
    assert bank.get_supply(chain.db, denom) == 104
    assert bank.get_supply(chain.db, "okt") == BALANCE * len(KEYS) - ISSUE_FEE - OKT


# --- multi-send limit (bank, shared with tokens) ---
def test_multisend_output_limit(chain: TokenChain) -> None:
    denom = chain.issue(A)
    limit = ChainParams().max_multisend_outputs
    outputs = tuple(Output(KEYS[i % 4].address, denom, 1) for i in range(limit))
    result = chain.produce([tx(A, 1, [MultiSend(outputs)], gas_limit=10_000_000)]).results[0]
    assert result.code == Code.OK, result.log
    too_many = MultiSend((*outputs, outputs[0]))
    chain.refuse_malformed(
        tx(A, 2, [too_many], gas_limit=10_000_000),
        Code.INVALID_MSG,
        f"message 0: multi-send has {limit + 1} outputs, limit is {limit}",
    )


# --- codec ---
ADDRESSES = st.binary(min_size=20, max_size=20)
TOKEN_MSGS = st.one_of(
    st.builds(
        IssueToken,
        st.from_regex(SYMBOL_RULE, fullmatch=True),
        st.from_regex(NAME_RULE, fullmatch=True),
        st.integers(min_value=1, max_value=MAX_SUPPLY),
        st.booleans(),
    ),
    st.builds(MintToken, st.from_regex(DENOM_RULE, fullmatch=True), st.integers(1, 2**256 - 1)),
    st.builds(BurnToken, st.sampled_from(["okt", "xyz-a1f"]), st.integers(1, 2**256 - 1)),
    st.builds(TransferOwnership, st.from_regex(DENOM_RULE, fullmatch=True), ADDRESSES),
)


@given(st.lists(TOKEN_MSGS, min_size=1, max_size=4))
def test_token_messages_roundtrip(msgs: list[Any]) -> None:
    assert decode_tx(tx(A, 0, msgs)).msgs == tuple(msgs)


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        (MintToken("xyz-a1f", 0), "message 0: amount must be positive"),
        (BurnToken("okt", 0), "message 0: amount must be positive"),
        (BurnToken("", 1), "message 0: invalid denom ''"),
        (MintToken("x" * 33, 1), f"message 0: invalid denom {'x' * 33!r}"),
        (TransferOwnership("xyz-a1f", b"\x01" * 5), "message 0 new owner: address must be 20 bytes, got 5"),
    ],
)
def test_malformed_token_messages_are_refused_at_decode(msg: Any, reason: str) -> None:
    with pytest.raises(TxDecodeError) as exc:
        decode_tx(tx(A, 0, [msg]))
    assert str(exc.value) == reason


TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["abc", "xyz-a1f", "okt", "1", "250", "01", "Name 1"]))


@given(
    st.one_of(
        st.builds(
            token_pb2.MsgIssueToken, symbol=TEXT, name=TEXT, total_supply=TEXT, mintable=st.booleans()
        ).map(lambda m: tx_pb2.Msg(issue_token=m)),
        st.builds(token_pb2.MsgMintToken, denom=TEXT, amount=TEXT).map(lambda m: tx_pb2.Msg(mint_token=m)),
        st.builds(token_pb2.MsgBurnToken, denom=TEXT, amount=TEXT).map(lambda m: tx_pb2.Msg(burn_token=m)),
        st.builds(token_pb2.MsgTransferOwnership, denom=TEXT, new_owner=st.binary(max_size=30)).map(
            lambda m: tx_pb2.Msg(transfer_ownership=m)
        ),
    )
)
def test_any_token_message_field_decodes_or_is_refused_with_a_reason(msg: Any) -> None:
    """Decoder fuzz: arbitrary field contents either decode to a message that encodes back to the same
    fields, or are refused with a TxDecodeError naming the message; nothing else escapes."""
    body = tx_pb2.TxBody(chain_id="c", nonce=1, gas_limit=1, fee="1", messages=[msg])
    raw = tx_pb2.TxRaw(body_bytes=body.SerializeToString(deterministic=True), signature=b"\x01" * 65)
    try:
        decoded = decode_tx(raw.SerializeToString(deterministic=True)).msgs[0]
    except TxDecodeError as exc:
        event("refused")
        assert str(exc).startswith("message 0")
    else:
        event("decoded")
        assert decoded == token_codec.from_proto(msg, "message 0")
        assert token_codec.to_proto(decoded) == msg


# --- amounts as people type them ---
def test_token_amounts_parse_with_18_decimals() -> None:
    assert parse_user_amount("1.5xyz-a1f") == (15 * 10**17, "xyz-a1f")
    assert parse_user_amount("2okt-0b9") == (2 * OKT, "okt-0b9")
    assert parse_display_number("1000000") == 10**6 * OKT
    assert parse_display_number("0.000000000000000001") == 1
    for bad in ["1.5xyz", "1.5xyz-a1", "1.5xyz-a1g", "1.5abcdefg-a1f", "xyz-a1f", "1e3okt"]:
        with pytest.raises(AmountError, match="is not a number followed by a denom"):
            parse_user_amount(bad)
    for bad in ["", ".", "1.2.3", "-1", "1e3", "\u0661"]:
        with pytest.raises(AmountError, match="is not a decimal number"):
            parse_display_number(bad)


# --- conservation, property-tested through the real application ---
SYMBOLS = st.sampled_from(["a", "bb", "c1"])
SUPPLIES = st.integers(min_value=1, max_value=10**6)
AMOUNTS = st.integers(min_value=1, max_value=2_000)  # often within a balance, sometimes above it
WHO = st.integers(min_value=0, max_value=len(KEYS) - 1)
OWNER_MOSTLY = st.sampled_from([0, 0, 0, 1, 2, 3])  # key 0 owns FIRST: mints and hand-overs succeed often
DENOM_PICK = st.integers(min_value=0, max_value=5)  # okt, an issued denom (most often), or an unknown one
OPS = st.one_of(
    st.tuples(st.just("issue"), WHO, SYMBOLS, SUPPLIES, st.booleans()),
    st.tuples(st.just("mint"), OWNER_MOSTLY, DENOM_PICK, AMOUNTS),
    st.tuples(st.just("burn"), WHO, DENOM_PICK, AMOUNTS),
    st.tuples(st.just("send"), WHO, DENOM_PICK, AMOUNTS, WHO),
    st.tuples(st.just("multi"), WHO, st.lists(st.tuples(DENOM_PICK, AMOUNTS, WHO), min_size=1, max_size=4)),
    st.tuples(st.just("owner"), OWNER_MOSTLY, DENOM_PICK, WHO),
)
FIRST = ("issue", 0, "a", 10**6, True)  # every run starts with one token in circulation


def _pick(denoms: list[str], index: int) -> str:
    if index == 0:
        return "okt"
    if index == 5 or not denoms:
        return "nope-000"
    return denoms[(index - 1) % len(denoms)]


def _msg(op: tuple[Any, ...], denoms: list[str]) -> Any:
    kind, _, *rest = op
    if kind == "issue":
        symbol, amount, mintable = rest
        return IssueToken(symbol, "Prop", amount, mintable)
    if kind == "mint":
        return MintToken(_pick(denoms, rest[0]), rest[1])
    if kind == "burn":
        return BurnToken(_pick(denoms, rest[0]), rest[1])
    if kind == "send":
        return Transfer(KEYS[rest[2]].address, _pick(denoms, rest[0]), rest[1])
    if kind == "multi":
        return MultiSend(tuple(Output(KEYS[w].address, _pick(denoms, d), a) for d, a, w in rest[0]))
    return TransferOwnership(_pick(denoms, rest[0]), KEYS[rest[1]].address)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(OPS, min_size=1, max_size=6), min_size=1, max_size=5))
def test_every_denom_is_conserved(blocks: list[list[tuple[Any, ...]]]) -> None:
    """After random issue/mint/burn/send/multi-send/ownership blocks: the sum of balances of every denom
    equals its recorded supply, and every supply equals what the successful txs' events say it should."""
    with tempfile.TemporaryDirectory() as tmp:
        db = LevelDB(Path(tmp) / "db")
        chain = TokenChain(db, genesis())
        denoms: list[str] = []
        expected = {"okt": BALANCE * len(KEYS)}
        for ops in [[FIRST], *blocks]:
            nonces = {k.address: get_nonce(db, k.address) for k in KEYS}
            raws = []
            for op in ops:
                key = KEYS[op[1]]
                raws.append(tx(key, nonces[key.address], [_msg(op, denoms)]))
                nonces[key.address] += 1
            for op, result in zip(ops, chain.produce(raws).results, strict=True):
                event(f"{op[0]}: {result.code.name}")  # --hypothesis-show-statistics shows the mix
                for event_ in result.events if result.ok else ():
                    a = dict(event_.attributes)
                    if event_.type == "issue_token":
                        denoms.append(a["denom"])
                        expected[a["denom"]] = int(a["total_supply"])
                        expected["okt"] -= int(a["fee_burned"])
                    elif event_.type == "mint_token":
                        expected[a["denom"]] += int(a["amount"])
                    elif event_.type == "burn_token":
                        expected[a["denom"]] -= int(a["amount"])
            held: dict[str, int] = {}
            for (_, denom), amount in balances(db).items():
                held[denom] = held.get(denom, 0) + amount
            supplies = {d: bank.get_supply(db, d) for d in ["okt", *denoms]}
            assert held == {d: s for d, s in supplies.items() if s}
            assert supplies == expected
            assert chain.app.last.app_hash == chain.app.tree.root()
        db.close()
