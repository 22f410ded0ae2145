"""The staking module through the real Application: every message, every refusal, weight, unbonding."""

import dataclasses
import decimal
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okchain._pb.staking.v1 import staking_pb2 as pb
from okchain._pb.tx.v1 import tx_pb2
from okchain.crypto.address import to_checksum
from okchain.crypto.secp import AccountKey
from okchain.modules.bank import keeper as bank
from okchain.modules.staking import codec, queries
from okchain.modules.staking import keeper as k
from okchain.modules.staking.messages import (
    BindProxy,
    Deposit,
    Description,
    DestroyValidator,
    EditValidator,
    RegisterProxy,
    UnbindProxy,
    UnregisterProxy,
    Vote,
    Withdraw,
)
from okchain.modules.staking.weight import (
    WEIGHT_ONE,
    iroot,
    shares,
    weeks_since_2000,
    weight,
    weight_of_weeks,
)
from okchain.state.leveldb import LevelDB
from okchain.state.store import MemoryKV
from okchain.types.fields import TxDecodeError
from okchain.types.params import ChainParams
from okchain.types.results import Code
from tests.helpers.app import assert_refused_only_fee, tx
from tests.helpers.chain import OKT
from tests.helpers.staking import (
    KEYS,
    PARAMS,
    RATE,
    SECOND,
    StakingChain,
    check_invariants,
    consensus_key,
    create,
    new_chain,
)

A, B, C, D, E, F = KEYS
MIN_SELF = ChainParams().staking_min_self_deposit
MIN = ChainParams().staking_min_deposit


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[StakingChain]:
    db = LevelDB(tmp_path / "db")
    yield new_chain(db)
    db.close()


def w_now(chain: StakingChain) -> int:
    """The weight a tx in the next block gets: that of the last committed block's time."""
    return weight(chain.app.last.time_ns, False)


def voter_shares(chain: StakingChain, key: AccountKey) -> int:
    return queries.voter(chain.db, key.address).shares


# --- weight ---
@pytest.mark.parametrize("weeks", [0, 1, 25, 51, 52, 53, 104, 1357, 1400, 2599, 5200])
def test_weight_is_the_exact_floor_of_a_high_precision_decimal_reference(weeks: int) -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 4000
        reference = int(decimal.Decimal(2) ** (decimal.Decimal(weeks) / 52) * WEIGHT_ONE)
    assert weight_of_weeks(weeks) == reference


@given(st.integers(0, 2**600), st.integers(1, 60))
def test_iroot_is_the_floor_root(n: int, k_: int) -> None:
    r = iroot(n, k_)
    assert r**k_ <= n < (r + 1) ** k_


def test_weight_doubles_every_52_weeks_counts_whole_weeks_and_can_be_constant() -> None:
    epoch_ns = 946_684_800 * SECOND
    week = 7 * 86_400 * SECOND
    assert weeks_since_2000(epoch_ns - 1) == 0 and weeks_since_2000(epoch_ns + week - 1) == 0
    assert weeks_since_2000(epoch_ns + week) == 1
    assert weight(epoch_ns, False) == WEIGHT_ONE
    assert weight(epoch_ns + 52 * week, False) == 2 * WEIGHT_ONE
    assert weight(epoch_ns + 1300 * week, False) == 2**25 * WEIGHT_ONE
    assert weight(epoch_ns + 1300 * week, True) == WEIGHT_ONE
    assert shares(3 * OKT, 2 * WEIGHT_ONE) == 6 * OKT


# --- codec ---
def test_staking_messages_round_trip_through_the_codec() -> None:
    msgs = [
        create(0),
        EditValidator(None, 0),
        EditValidator(Description("m"), None),
        Deposit(5),
        Withdraw(5),
        Vote((A.address, B.address)),
        RegisterProxy(),
        UnregisterProxy(),
        BindProxy(C.address),
        UnbindProxy(),
        DestroyValidator(),
    ]
    for msg in msgs:
        assert codec.from_proto(codec.to_proto(msg), "message 0") == msg


def _create_pb(**fields: object) -> tx_pb2.Msg:
    """A CreateValidator case: moniker "m", a 32-byte key, rates 0 / 1 / 0, with ``fields`` replaced."""
    base: dict[str, object] = dict(
        description=pb.Description(moniker="m"),
        pubkey=b"x" * 32,
        commission_rate="0",
        max_rate="1",
        max_change_rate="0",
    )
    return tx_pb2.Msg(create_validator=pb.MsgCreateValidator(**(base | fields)))


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        (_create_pb(pubkey=b"x" * 31), "consensus pubkey must be 32 bytes, got 31"),
        (_create_pb(commission_rate="2"), "commission rate 2 exceeds the max rate 1"),
        (_create_pb(max_rate=str(2 * 10**18)), "exceeds 100%"),
        (_create_pb(max_change_rate="2"), "max change rate 2 exceeds the max rate 1"),
        (_create_pb(description=pb.Description()), "moniker must not be empty"),
        (_create_pb(max_rate="-1"), "is not a non-negative integer"),
        (
            tx_pb2.Msg(edit_validator=pb.MsgEditValidator(description=pb.Description(moniker="m" * 71))),
            "moniker is 71 characters, limit is 70",
        ),
        (tx_pb2.Msg(edit_validator=pb.MsgEditValidator()), "edit validator changes nothing"),
        (tx_pb2.Msg(vote=pb.MsgVote()), "a vote names at least one validator"),
        (tx_pb2.Msg(vote=pb.MsgVote(validators=[b"a" * 20, b"a" * 20])), "a vote names a validator twice"),
        (tx_pb2.Msg(vote=pb.MsgVote(validators=[b"a" * 19])), "address must be 20 bytes, got 19"),
        (tx_pb2.Msg(deposit=pb.MsgDeposit(amount="0")), "amount must be positive"),
        (tx_pb2.Msg(bind_proxy=pb.MsgBindProxy(proxy=b"")), "address must be 20 bytes, got 0"),
    ],
)
def test_malformed_staking_messages_are_refused_at_decoding(msg: tx_pb2.Msg, reason: str) -> None:
    with pytest.raises(TxDecodeError, match=reason.replace("(", r"\(")):
        codec.from_proto(msg, "message 0")


def test_a_malformed_staking_tx_never_reaches_a_block(chain: StakingChain) -> None:
    bad = dataclasses.replace(create(0), pubkey=b"x" * 31)
    chain.refuse_malformed(tx(A, 0, [bad]), Code.TX_DECODE, "consensus pubkey must be 32 bytes")


# --- create / edit / destroy ---
def test_create_validator_locks_the_minimum_self_deposit_as_shares(chain: StakingChain) -> None:
    before = bank.get_balance(chain.db, A.address, "okt")
    w = w_now(chain)
    result = chain.ok(A, create(0, "alpha"))
    v = queries.validator(chain.db, A.address)
    assert v is not None and v.description.moniker == "alpha" and v.pubkey == consensus_key(0)
    assert (v.self_deposit, v.self_shares, v.vote_shares, v.voters) == (MIN_SELF, shares(MIN_SELF, w), 0, 0)
    assert (v.commission_rate, v.max_rate, v.max_change_rate) == (RATE, 5 * RATE, RATE)
    assert bank.get_balance(chain.db, A.address, "okt") == before - MIN_SELF - result.fee
    assert bank.get_balance(chain.db, k.STAKING_POOL, "okt") == MIN_SELF
    assert ("moniker", "alpha") in result.events[0].attributes
    check_invariants(chain.db)


def test_create_validator_refusals(chain: StakingChain, tmp_path: Path) -> None:
    chain.ok(A, create(0))
    assert_refused_only_fee(
        chain, A, create(1), Code.STAKING_VALIDATOR_EXISTS, f"{_cs(A)} already operates a validator"
    )
    assert_refused_only_fee(
        chain,
        B,
        create(0),
        Code.STAKING_VALIDATOR_EXISTS,
        f"consensus key {consensus_key(0).hex()} is already used by {_cs(A)}",
    )
    poor = new_chain(MemoryKV(), balance=MIN_SELF)
    assert_refused_only_fee(
        poor,
        A,
        create(0),
        Code.INSUFFICIENT_FUNDS,
        f"insufficient funds for minimum self-deposit: balance {MIN_SELF - 10**15}okt, needs {MIN_SELF}okt",
    )


def _cs(key: AccountKey) -> str:
    return to_checksum(key.address)


def test_edit_validator_description_and_commission_rules(chain: StakingChain) -> None:
    chain.ok(A, create(0))
    created = queries.validator(chain.db, A.address)
    assert created is not None
    chain.ok(A, EditValidator(Description("renamed"), None))
    v = queries.validator(chain.db, A.address)
    assert v is not None and v.description == Description("renamed") and v.commission_rate == RATE
    next_ns = created.commission_time_ns + PARAMS.staking_commission_interval_seconds * SECOND
    assert_refused_only_fee(
        chain,
        A,
        EditValidator(None, 2 * RATE),
        Code.STAKING_COMMISSION_CHANGE,
        f"commission was last changed at block time {created.commission_time_ns}; "
        f"the next change is allowed from {next_ns}",
    )
    chain.produce([], after_ns=10 * SECOND)
    chain.produce([])  # txs see the previous block's time: now past the interval
    assert_refused_only_fee(
        chain,
        A,
        EditValidator(None, 6 * RATE),
        Code.STAKING_COMMISSION_CHANGE,
        f"commission rate {6 * RATE} exceeds the max rate {5 * RATE}",
    )
    assert_refused_only_fee(
        chain,
        A,
        EditValidator(None, 3 * RATE),
        Code.STAKING_COMMISSION_CHANGE,
        f"commission change {RATE} -> {3 * RATE} exceeds the max change rate {RATE}",
    )
    chain.ok(A, EditValidator(None, 2 * RATE))
    changed = queries.validator(chain.db, A.address)
    assert changed is not None and changed.commission_rate == 2 * RATE
    assert changed.commission_time_ns > created.commission_time_ns
    assert_refused_only_fee(
        chain,
        B,
        EditValidator(None, 0),
        Code.STAKING_UNKNOWN_VALIDATOR,
        f"cannot edit validator: {_cs(B)} operates no validator",
    )


def test_destroy_unbonds_the_self_deposit_and_takes_no_more_votes(chain: StakingChain) -> None:
    chain.ok(A, create(0))
    chain.ok(B, Deposit(OKT))
    chain.ok(B, Vote((A.address,)))
    start = chain.app.last.time_ns
    chain.ok(A, DestroyValidator())
    v = queries.validator(chain.db, A.address)
    assert v is not None and v.destroyed and v.self_deposit == 0 and v.voters == 1
    assert v.shares == voter_shares(chain, B)  # its voter's shares stay until the voter moves them
    completion = start + PARAMS.staking_unbonding_seconds * SECOND
    assert queries.unbondings(chain.db, A.address) == [queries.Unbonding(completion, MIN_SELF)]
    assert_refused_only_fee(
        chain, C, Vote((A.address,)), Code.STAKING_NO_DEPOSIT, "nothing to vote with: deposit first"
    )
    chain.ok(C, Deposit(OKT))
    assert_refused_only_fee(
        chain,
        C,
        Vote((A.address,)),
        Code.STAKING_VALIDATOR_DESTROYED,
        f"cannot vote: validator {_cs(A)} is destroyed",
    )
    assert_refused_only_fee(
        chain,
        A,
        DestroyValidator(),
        Code.STAKING_VALIDATOR_DESTROYED,
        f"cannot destroy validator: validator {_cs(A)} is destroyed",
    )
    assert_refused_only_fee(
        chain, A, create(1), Code.STAKING_VALIDATOR_EXISTS, f"{_cs(A)} already operates a validator"
    )
    chain.ok(D, create(3))
    chain.ok(B, Vote((D.address,)))  # the last vote leaves: the destroyed validator is gone
    assert queries.validator(chain.db, A.address) is None
    assert_refused_only_fee(
        chain,
        A,
        create(0),
        Code.STAKING_VALIDATOR_EXISTS,
        f"consensus key {consensus_key(0).hex()} is already used by {_cs(A)}",
    )
    chain.ok(A, create(1))  # the operator may run a new validator with a new key
    check_invariants(chain.db)


# --- deposit / withdraw / unbonding ---
def test_deposit_and_withdraw_minimums_and_limits(chain: StakingChain) -> None:
    assert_refused_only_fee(
        chain,
        A,
        Deposit(MIN - 1),
        Code.STAKING_BELOW_MINIMUM,
        f"deposit of {MIN - 1} is below the minimum {MIN}",
    )
    chain.ok(A, Deposit(MIN))
    assert queries.voter(chain.db, A.address).deposit == MIN
    assert_refused_only_fee(
        chain,
        A,
        Withdraw(MIN - 1),
        Code.STAKING_BELOW_MINIMUM,
        f"withdraw of {MIN - 1} is below the minimum {MIN}",
    )
    assert_refused_only_fee(
        chain,
        A,
        Withdraw(2 * MIN),
        Code.STAKING_INSUFFICIENT_DEPOSIT,
        f"cannot withdraw {2 * MIN}: the deposit is {MIN}",
    )
    balance = bank.get_balance(chain.db, B.address, "okt")
    assert_refused_only_fee(
        chain,
        B,
        Deposit(balance),
        Code.INSUFFICIENT_FUNDS,
        f"insufficient funds for deposit: balance {balance - 10**15}okt, needs {balance}okt",
    )


def test_withdraw_unbonds_and_the_block_end_returns_the_okt_at_its_completion_time(
    chain: StakingChain,
) -> None:
    chain.ok(A, Deposit(5 * OKT))
    start = chain.app.last.time_ns
    chain.ok(A, Withdraw(2 * OKT))
    completion = start + PARAMS.staking_unbonding_seconds * SECOND
    assert queries.voter(chain.db, A.address).deposit == 3 * OKT
    assert queries.unbondings(chain.db, A.address) == [queries.Unbonding(completion, 2 * OKT)]
    _matures_exactly_at(chain, completion, 2 * OKT)


def test_default_unbonding_takes_fourteen_days_of_block_time(tmp_path: Path) -> None:
    chain = new_chain(MemoryKV(), ChainParams())
    chain.ok(A, Deposit(OKT))
    chain.ok(A, Withdraw(OKT), after_ns=14 * 86_400 * SECOND - 2 * SECOND)
    ((completion, amount),) = k.unbondings(chain.db, A.address)
    assert amount == OKT
    _matures_exactly_at(chain, completion, OKT)


def _matures_exactly_at(chain: StakingChain, completion: int, amount: int) -> None:
    """A's unbonding stays queued in every block timed before ``completion`` and returns ``amount`` to A
    in the first block timed at or after it."""
    held = bank.get_balance(chain.db, A.address, "okt")
    while True:
        block = chain.produce([]).block
        check_invariants(chain.db)
        if block.header.time_ns < completion:
            assert bank.get_balance(chain.db, A.address, "okt") == held
            assert queries.unbondings(chain.db, A.address) != []
            continue
        assert bank.get_balance(chain.db, A.address, "okt") == held + amount
        assert queries.unbondings(chain.db, A.address) == []
        assert chain.app.block_end.credits  # the credit is a block-end write the mempool must see
        return


# --- votes and shares ---
def _two_validators(chain: StakingChain) -> None:
    chain.ok(A, create(0))
    chain.ok(B, create(1))


def test_vote_gives_every_validator_the_full_shares_and_a_new_vote_replaces_it(chain: StakingChain) -> None:
    _two_validators(chain)
    chain.ok(C, Deposit(10 * OKT))
    w = w_now(chain)
    chain.ok(C, Vote((B.address, A.address)))
    s = shares(10 * OKT, w)
    assert queries.voter(chain.db, C.address).validators == tuple(sorted((A.address, B.address)))
    for op in (A, B):
        v = queries.validator(chain.db, op.address)
        assert v is not None and v.vote_shares == s and v.voters == 1
    chain.ok(C, Vote((B.address,)))
    a, b = queries.validator(chain.db, A.address), queries.validator(chain.db, B.address)
    assert a is not None and b is not None
    assert (a.vote_shares, a.voters, b.vote_shares, b.voters) == (0, 0, s, 1)
    assert [v.operator for v in queries.validators(chain.db)] == [B.address, A.address]
    check_invariants(chain.db)


def test_shares_are_recomputed_on_deposit_withdraw_and_vote_at_the_weight_of_the_time(
    chain: StakingChain,
) -> None:
    _two_validators(chain)
    chain.ok(C, Deposit(10 * OKT))
    chain.ok(C, Vote((A.address,)))
    w = w_now(chain)
    chain.ok(C, Deposit(5 * OKT))
    assert voter_shares(chain, C) == shares(15 * OKT, w)
    chain.ok(C, Withdraw(3 * OKT))
    assert voter_shares(chain, C) == shares(12 * OKT, w)
    a = queries.validator(chain.db, A.address)
    assert a is not None and a.vote_shares == shares(12 * OKT, w)
    chain.produce([], after_ns=52 * 7 * 86_400 * SECOND)  # a year of block time later…
    chain.produce([])  # …is the time the next block's txs see
    later = w_now(chain)
    assert later == weight_of_weeks(weeks_since_2000(chain.app.last.time_ns)) and later > 2 * w - 10**6
    assert later < 2 * w + 2 * WEIGHT_ONE
    chain.ok(C, Vote((A.address,)))
    assert voter_shares(chain, C) == shares(12 * OKT, later)
    chain.ok(C, Withdraw(12 * OKT))  # nothing left to vote with: the votes go
    assert queries.voter(chain.db, C.address).validators == ()
    a = queries.validator(chain.db, A.address)
    assert a is not None and (a.vote_shares, a.voters) == (0, 0)
    check_invariants(chain.db)


def test_constant_weight_param_makes_shares_equal_tokens(tmp_path: Path) -> None:
    chain = new_chain(MemoryKV(), dataclasses.replace(PARAMS, staking_constant_weight=1))
    chain.ok(A, create(0))
    chain.ok(B, Deposit(7 * OKT))
    chain.ok(B, Vote((A.address,)))
    v = queries.validator(chain.db, A.address)
    assert v is not None and (v.self_shares, v.vote_shares) == (MIN_SELF, 7 * OKT)


def test_vote_refusals(tmp_path: Path) -> None:
    chain = new_chain(MemoryKV(), dataclasses.replace(PARAMS, staking_max_votes=2))
    _two_validators(chain)
    chain.ok(C, create(2))
    assert_refused_only_fee(
        chain, D, Vote((A.address,)), Code.STAKING_NO_DEPOSIT, "nothing to vote with: deposit first"
    )
    chain.ok(D, Deposit(OKT))
    assert_refused_only_fee(
        chain,
        D,
        Vote((A.address, B.address, C.address)),
        Code.STAKING_TOO_MANY_VOTES,
        "vote names 3 validators, limit is 2",
    )
    assert_refused_only_fee(
        chain,
        D,
        Vote((A.address, E.address)),
        Code.STAKING_UNKNOWN_VALIDATOR,
        f"cannot vote: {_cs(E)} operates no validator",
    )
    chain.ok(D, Vote((A.address, C.address)))
    check_invariants(chain.db)


# --- proxies ---
def test_proxy_votes_with_its_own_and_its_bound_deposits(chain: StakingChain) -> None:
    _two_validators(chain)
    chain.ok(C, Deposit(10 * OKT))
    chain.ok(C, RegisterProxy())
    chain.ok(C, Vote((A.address,)))
    chain.ok(D, Deposit(4 * OKT))
    chain.ok(D, Vote((B.address,)))
    w = w_now(chain)
    chain.ok(D, BindProxy(C.address))  # binding drops D's own vote
    d, c = queries.voter(chain.db, D.address), queries.voter(chain.db, C.address)
    assert (d.proxy, d.validators, d.shares) == (C.address, (), 0)
    assert (c.bound, c.shares) == (4 * OKT, shares(14 * OKT, w))
    b = queries.validator(chain.db, B.address)
    assert b is not None and (b.vote_shares, b.voters) == (0, 0)
    assert queries.bound_accounts(chain.db, C.address) == [D.address]
    w = w_now(chain)
    chain.ok(D, Deposit(OKT))  # a bound deposit counts for the proxy at once
    assert voter_shares(chain, C) == shares(15 * OKT, w)
    assert_refused_only_fee(
        chain,
        D,
        Vote((A.address,)),
        Code.STAKING_BOUND_TO_PROXY,
        f"bound to proxy {_cs(C)}: unbind before voting yourself",
    )
    check_invariants(chain.db)
    w = w_now(chain)
    chain.ok(D, UnbindProxy())
    assert queries.voter(chain.db, C.address).bound == 0
    assert voter_shares(chain, C) == shares(10 * OKT, w)
    assert queries.bound_accounts(chain.db, C.address) == []
    chain.ok(D, Vote((B.address,)))
    check_invariants(chain.db)


def test_unregistering_a_proxy_unbinds_every_bound_account(chain: StakingChain) -> None:
    chain.ok(A, create(0))
    chain.ok(C, Deposit(OKT))
    chain.ok(C, RegisterProxy())
    chain.ok(C, Vote((A.address,)))
    for key in (D, E):
        chain.ok(key, Deposit(2 * OKT))
        chain.ok(key, BindProxy(C.address))
    w = w_now(chain)
    result = chain.ok(C, UnregisterProxy())
    assert ("unbound", "2") in result.events[0].attributes
    for key in (D, E):
        assert queries.voter(chain.db, key.address).proxy is None
    c = queries.voter(chain.db, C.address)
    assert (c.is_proxy, c.bound, c.shares, c.validators) == (False, 0, shares(OKT, w), (A.address,))
    check_invariants(chain.db)


def test_proxy_refusals(chain: StakingChain) -> None:
    assert_refused_only_fee(
        chain, C, RegisterProxy(), Code.STAKING_NO_DEPOSIT, "deposit before registering as a proxy"
    )
    assert_refused_only_fee(chain, C, UnregisterProxy(), Code.STAKING_PROXY_RULE, "not a registered proxy")
    chain.ok(C, Deposit(OKT))
    chain.ok(C, RegisterProxy())
    assert_refused_only_fee(
        chain, C, RegisterProxy(), Code.STAKING_PROXY_RULE, "already registered as a proxy"
    )
    assert_refused_only_fee(
        chain, C, BindProxy(C.address), Code.STAKING_PROXY_RULE, "cannot bind to yourself"
    )
    assert_refused_only_fee(
        chain, D, BindProxy(C.address), Code.STAKING_NO_DEPOSIT, "deposit before binding to a proxy"
    )
    assert_refused_only_fee(
        chain, D, BindProxy(E.address), Code.STAKING_PROXY_RULE, f"{_cs(E)} is not a registered proxy"
    )
    assert_refused_only_fee(chain, D, UnbindProxy(), Code.STAKING_PROXY_RULE, "not bound to a proxy")
    chain.ok(E, Deposit(OKT))
    chain.ok(E, RegisterProxy())
    assert_refused_only_fee(
        chain,
        E,
        BindProxy(C.address),
        Code.STAKING_PROXY_RULE,
        "a proxy cannot bind to another proxy: unregister first",
    )
    chain.ok(D, Deposit(OKT))
    chain.ok(D, BindProxy(C.address))
    assert_refused_only_fee(
        chain, D, BindProxy(C.address), Code.STAKING_PROXY_RULE, f"already bound to {_cs(C)}"
    )
    assert_refused_only_fee(
        chain,
        D,
        RegisterProxy(),
        Code.STAKING_PROXY_RULE,
        f"bound to proxy {_cs(C)}: a proxy cannot have a proxy",
    )
    chain.ok(D, BindProxy(E.address))  # rebinding moves the deposit from one proxy to the other
    assert (queries.voter(chain.db, C.address).bound, queries.voter(chain.db, E.address).bound) == (0, OKT)
    check_invariants(chain.db)


def test_a_failed_message_rolls_back_the_whole_tx(chain: StakingChain) -> None:
    before = queries.voter(chain.db, A.address)
    result = chain.run(A, Deposit(OKT), Vote((B.address,)))
    assert result.code == Code.STAKING_UNKNOWN_VALIDATOR
    assert queries.voter(chain.db, A.address) == before
    assert bank.get_balance(chain.db, k.STAKING_POOL, "okt") == 0
