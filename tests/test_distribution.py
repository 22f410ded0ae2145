"""Mint and distribution: the provision schedule, the block split, lazy per-stake rewards, withdrawals, and
the same through the real Application with every accounting invariant checked after each block."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain.crypto.address import Address
from okchain.crypto.secp import AccountKey
from okchain.modules.bank import keeper as bank
from okchain.modules.blockinfo import BlockInfo, VoteInfo
from okchain.modules.context import ModuleError
from okchain.modules.distribution import allocate, queries
from okchain.modules.distribution import keeper as dk
from okchain.modules.distribution.handler import NoRewards
from okchain.modules.distribution.messages import WithdrawRewards
from okchain.modules.mint import keeper as mint
from okchain.modules.mint import queries as mint_queries
from okchain.modules.staking.messages import Deposit, DestroyValidator, Vote, Withdraw
from okchain.state.store import MemoryKV
from okchain.tx.registry import msg_from_proto, msg_gas, msg_to_proto
from okchain.types.fields import TxDecodeError
from okchain.types.params import RATE_ONE, ChainParams, ParamsError
from okchain.types.results import Code, Event
from tests.helpers.chain import OKT
from tests.helpers.distribution import GENESIS_KEY, PureChain, RewardChain
from tests.helpers.staking import KEYS, consensus_key, create, genesis

A, B, C, D, E, F = (key.address for key in KEYS)
# constant weight and a re-ranking at every block, so shares are deposits and the set follows at once
PARAMS = ChainParams(staking_constant_weight=1, staking_epoch_blocks=1, staking_unbonding_seconds=10)
MIN_SELF = PARAMS.staking_min_self_deposit
TAX = OKT * 2 // 100
SIGNER_PART = (OKT - TAX) // 4  # 24.5 % of a block's 1 OKT
SHARE_PART = OKT - TAX - SIGNER_PART


def chain() -> PureChain:
    return PureChain(PARAMS, [A, B, C, D, E, F], 1_000_000 * OKT)


def withdrawn(events: list[Event]) -> tuple[int, int]:
    attrs = dict(events[0].attributes)
    return int(attrs["rewards"]), int(attrs["commission"])


# --- mint ---
def test_the_provision_halves_every_three_years_of_blocks() -> None:
    p = ChainParams(mint_blocks_per_year=10)
    assert [mint.reward_at(h, p) for h in (1, 30, 31, 60, 61)] == [OKT, OKT, OKT // 2, OKT // 2, OKT // 4]
    assert mint.reward_at(30 * 60 + 1, p) == OKT >> 60 == 0
    assert mint_queries.current_reward(30, p) == OKT // 2
    assert mint_queries.params(p) == mint_queries.MintParams(OKT, 10, 3)


def test_mint_raises_the_supply_into_the_fee_collector() -> None:
    c = chain()
    c.begin()
    assert (
        bank.get_supply(c.store, "okt")
        == c.genesis_supply + OKT
        == c.genesis_supply + mint.total_minted(c.store)
    )


@pytest.mark.parametrize(
    "bad",
    [{"mint_blocks_per_year": 0}, {"mint_halving_years": 0}, {"distribution_community_tax": RATE_ONE + 1}],
)
def test_mint_and_distribution_params_are_validated(bad: dict[str, int]) -> None:
    with pytest.raises(ParamsError):
        ChainParams(**bad)


# --- the split ---
def test_a_block_without_a_staking_validator_pays_the_community_pool() -> None:
    c = chain()
    c.block()  # the genesis validator signs but has no staking record
    assert queries.community_pool(c.store) == OKT


def test_signers_share_equally_and_the_set_by_shares_with_commission_then_stakes() -> None:
    c = chain()
    c.block((A, create(0)), (B, create(1)))
    c.block((C, Deposit(MIN_SELF)), (C, Vote((A,))))  # both signed; equal shares this block
    each = SIGNER_PART // 2 + SHARE_PART // 2
    assert queries.commission(c.store, A) == queries.commission(c.store, B) == each // 10
    assert queries.total_pending(c.store, A) == each - each // 10
    assert queries.total_pending(c.store, C) == 0  # voted after this block's rewards
    # next block: A holds 2/3 of the shares, and only B signed
    c.block(signers=[consensus_key(1)])
    to_a = SHARE_PART * 2 // 3
    a_rest = to_a - to_a // 10
    assert queries.pending_rewards(c.store, C) == [(A, a_rest // 2)]
    assert queries.total_pending(c.store, A) == each - each // 10 + a_rest // 2
    to_b = SIGNER_PART + SHARE_PART // 3
    assert queries.commission(c.store, B) == each // 10 + to_b // 10
    c.begin()
    owed = queries.total_pending(c.store, A), queries.commission(c.store, A)
    before = bank.get_balance(c.store, A, "okt")
    assert withdrawn(c.ok(A, WithdrawRewards())) == owed
    assert bank.get_balance(c.store, A, "okt") - before == sum(owed)
    assert queries.total_pending(c.store, A) == queries.commission(c.store, A) == 0
    c.end()


def test_a_signer_without_a_record_and_validators_without_shares_leave_their_part_to_the_pool() -> None:
    c = chain()
    c.block((A, create(0)))
    info = BlockInfo(3, c.time_ns, (VoteInfo(consensus_key(0), 1, True), VoteInfo(GENESIS_KEY, 1, True)))
    plan = allocate.split(c.store, OKT, info, PARAMS)
    assert plan.validators == {Address(A): SIGNER_PART // 2 + SHARE_PART}
    assert plan.community == TAX + SIGNER_PART - SIGNER_PART // 2
    nobody = allocate.split(c.store, OKT, BlockInfo(3, c.time_ns), PARAMS)
    assert nobody.validators == {Address(A): SHARE_PART}


def test_rewards_follow_each_change_of_shares_and_survive_the_validator() -> None:
    c = chain()
    c.block((A, create(0)))
    c.block((C, Deposit(MIN_SELF)), (C, Vote((A,))))
    c.block()  # C holds half of A's shares for one block
    half = (OKT - TAX - (OKT - TAX) // 10) // 2
    assert queries.total_pending(c.store, C) in (half, half - 1)
    c.block((C, Deposit(2 * MIN_SELF)))  # 3/4 from here on
    earned = queries.total_pending(c.store, C)
    c.block((A, DestroyValidator()))  # settles the self stake; A leaves the set at this block's end
    c.block()
    assert queries.total_pending(c.store, C) > earned  # destroyed, but it signed the block before
    c.block((C, Withdraw(3 * MIN_SELF)))  # the last voter leaves: the validator record is deleted
    final = queries.total_pending(c.store, C)
    c.block()
    assert queries.total_pending(c.store, C) == final and queries.outstanding(c.store, A) == 0
    c.begin()
    assert withdrawn(c.ok(C, WithdrawRewards(Address(A)))) == (final, 0)
    assert dk.stake_records(c.store, C) == []  # nothing staked, nothing owed: the record is gone
    assert isinstance(c.run(C, WithdrawRewards(Address(A))), NoRewards)
    c.end()


def test_withdraw_from_one_validator_leaves_the_others_and_refuses_a_stranger() -> None:
    c = chain()
    c.block((A, create(0)), (B, create(1)))
    c.block((C, Deposit(OKT)), (C, Vote((A, B))))
    c.block()
    c.begin()
    per = dict(queries.pending_rewards(c.store, C))
    assert withdrawn(c.ok(C, WithdrawRewards(Address(B)))) == (per[Address(B)], 0)
    assert dict(queries.pending_rewards(c.store, C)) == {A: per[Address(A)], B: 0}
    refused = c.run(D, WithdrawRewards(Address(A)))
    assert isinstance(refused, ModuleError) and refused.code == Code.DISTRIBUTION_NO_REWARDS
    assert withdrawn(c.ok(D, WithdrawRewards())) == (0, 0)
    c.end()


def test_withdraw_rewards_round_trips_through_the_codec_and_costs_its_gas() -> None:
    for msg in (WithdrawRewards(), WithdrawRewards(Address(A))):
        assert msg_from_proto(msg_to_proto(msg), 0) == msg
        assert msg_gas(msg, PARAMS) == PARAMS.distribution_withdraw_gas
    short = msg_to_proto(WithdrawRewards(Address(A)))
    short.withdraw_rewards.validator = b"\x01" * 19
    with pytest.raises(TxDecodeError):
        msg_from_proto(short, 0)


def test_queries_show_the_params_and_nothing_for_strangers() -> None:
    c = chain()
    assert queries.params(PARAMS) == queries.DistributionParams(TAX, RATE_ONE // 4)
    assert queries.pending_rewards(c.store, A) == [] and queries.commission(c.store, A) == 0


# --- through the real Application ---
EPOCH = 3
APP_PARAMS = ChainParams(staking_epoch_blocks=EPOCH, staking_unbonding_seconds=10)


def test_a_validator_and_its_voter_earn_and_withdraw_through_the_application() -> None:
    chain = RewardChain(MemoryKV(), genesis(APP_PARAMS))
    chain.send(KEYS[1], create(0))
    chain.send(KEYS[2], Deposit(1_000 * OKT), Vote((B,)))
    chain.until(EPOCH + 3)  # the new set signs from two blocks after the epoch
    assert queries.total_pending(chain.db, B) > 0 and queries.total_pending(chain.db, C) > 0
    before = bank.get_balance(chain.db, C, "okt")
    result = chain.send(KEYS[2], WithdrawRewards())
    rewards, commission = withdrawn(list(result.events))
    assert rewards > 0 and commission == 0
    assert bank.get_balance(chain.db, C, "okt") == before - result.fee + rewards
    assert queries.community_pool(chain.db) > 0
    assert mint.total_minted(chain.db) == chain.app.last.height * OKT


MESSAGES = st.sampled_from(
    [Deposit(OKT), Withdraw(OKT), Vote((B,)), Vote((B, C)), WithdrawRewards(), DestroyValidator()]
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(range(1, 6)), MESSAGES), min_size=4, max_size=12))
def test_random_runs_through_the_application_keep_the_supply_accounted(
    steps: list[tuple[int, object]],
) -> None:
    chain = RewardChain(MemoryKV(), genesis(APP_PARAMS))
    chain.send(KEYS[1], create(0))
    chain.send(KEYS[2], create(1))
    for who, msg in steps:
        key: AccountKey = KEYS[who]
        chain.run(key, msg)
    chain.until(chain.app.last.height + 2 * EPOCH)
