"""Lazy rewards against a brute-force eager split: random histories of deposits, votes, withdraws, proxy
binds, destroys, withdrawals and blocks with random signers. Every account's withdrawn rewards equal what
splitting each block's reward over every stake at once would give it, short only by the floors of its own
settlements (each under one base unit), and every unit short is in the community pool."""

from collections import defaultdict
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain.crypto.address import Address
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.bank import keeper as bank
from okchain.modules.blockinfo import BlockInfo
from okchain.modules.distribution import keeper as dk
from okchain.modules.distribution import queries
from okchain.modules.distribution.messages import WithdrawRewards
from okchain.modules.mint.keeper import reward_at
from okchain.modules.staking import active
from okchain.modules.staking import keeper as k
from okchain.modules.staking.messages import (
    Deposit,
)
from okchain.state.cache import CacheKV
from okchain.types.params import RATE_ONE, ChainParams
from okchain.types.results import Event
from tests.helpers.chain import OKT
from tests.helpers.distribution import PureChain
from tests.helpers.staking import KEYS, create, staking_messages

ADDRS = [Address(key.address) for key in KEYS]
VALIDATORS = ADDRS[:3]
PARAMS = ChainParams(staking_epoch_blocks=2, staking_unbonding_seconds=5)
AMOUNTS = st.sampled_from([OKT, 7 * OKT, 3_333 * OKT + 1, 20_000 * OKT])
MESSAGES = st.one_of(
    *staking_messages(VALIDATORS, ADDRS[3:], AMOUNTS),
    *[st.builds(WithdrawRewards, st.none() | st.sampled_from(VALIDATORS))] * 2,
)
SIGNED = st.lists(st.booleans(), min_size=4, max_size=4)
STEP = st.tuples(st.sampled_from(range(len(ADDRS))), MESSAGES, st.integers(0, 10**16), SIGNED)


class Eager:
    """The reference: each block's reward split at once over every stake, read from the staking records
    directly (every voter, every validator), in exact fractions."""

    def __init__(self) -> None:
        self.rewards: dict[bytes, Fraction] = defaultdict(Fraction)
        self.commission: dict[bytes, int] = defaultdict(int)
        self.to_stakers = 0
        self.total = 0

    def block(self, store: CacheKV, info: BlockInfo, params: ChainParams) -> None:
        total = bank.get_balance(store, FEE_COLLECTOR, "okt") + reward_at(info.height, params)
        self.total += total
        tax = total * params.distribution_community_tax // RATE_ONE
        signer_part = (total - tax) * params.distribution_signer_share // RATE_ONE
        validators = {v.operator: v for v in k.all_validators(store)}
        by_key = {v.pubkey: v for v in validators.values()}
        amounts: dict[bytes, int] = defaultdict(int)
        signers = [vote.pubkey for vote in info.last_votes if vote.signed]
        for pubkey in signers:
            if pubkey in by_key:
                amounts[by_key[pubkey].operator] += signer_part // len(signers)
        earning = [by_key[p] for p in active.get_active(store) if p in by_key and not by_key[p].destroyed]
        weights = sum(v.shares for v in earning)
        for v in earning:
            amounts[v.operator] += (total - tax - signer_part) * v.shares // weights
        stakes: dict[bytes, dict[bytes, int]] = defaultdict(lambda: defaultdict(int))
        for addr, voter in k.all_voters(store):
            for op in voter.validators:
                stakes[op][addr] += voter.shares
        for v in validators.values():
            stakes[v.operator][v.operator] += v.self_shares
        for op, amount in amounts.items():
            commission = amount * validators[op].commission_rate // RATE_ONE
            self.commission[op] += commission
            rest, held = amount - commission, sum(stakes[op].values())
            if held:
                self.to_stakers += rest
                for addr, s in stakes[op].items():
                    self.rewards[addr] += Fraction(rest * s, held)


def _paid(events: list[Event]) -> tuple[int, int]:
    attrs = dict(events[0].attributes)
    return int(attrs["rewards"]), int(attrs["commission"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=5, max_size=40))
def test_lazy_rewards_match_an_eager_split_up_to_settlement_floors(
    steps: list[tuple[int, object, int, list[bool]]],
) -> None:
    chain = PureChain(PARAMS, ADDRS, 1_000_000 * OKT)
    eager = Eager()
    got_rewards: dict[bytes, int] = defaultdict(int)
    got_commission: dict[bytes, int] = defaultdict(int)

    def block(msgs: list[tuple[Address, object]], fee: int, signed: list[bool]) -> None:
        signers = [key for key, yes in zip(chain.last_set, signed, strict=False) if yes]
        eager.block(chain.store, chain.info(signers), PARAMS)
        chain.begin(signers)
        for signer, msg in msgs:
            out = chain.run(signer, msg)
            if isinstance(msg, WithdrawRewards) and isinstance(out, list):
                rewards, commission = _paid(out)
                got_rewards[signer] += rewards
                got_commission[signer] += commission
        bank.send(chain.store, ADDRS[-1], FEE_COLLECTOR, "okt", fee)  # the block's fees
        chain.end()

    block([(op, create(i)) for i, op in enumerate(VALIDATORS)], 0, [True])
    block([(addr, Deposit(10 * OKT)) for addr in ADDRS], 0, [True] * 4)
    for who, msg, fee, signed in steps:
        block([(ADDRS[who], msg)], fee, signed)
    block([(addr, WithdrawRewards()) for addr in ADDRS], 0, [False] * 4)  # every stake settled and paid

    assert all(queries.total_pending(chain.store, addr) == 0 for addr in ADDRS)
    assert {op: c for op, c in got_commission.items() if c} == {
        op: c for op, c in eager.commission.items() if c
    }
    settlements = 2 * len(steps) + 4  # messages each settle a stake at most twice (a proxy switch)
    for addr in ADDRS:
        short = eager.rewards[addr] - got_rewards[addr]
        assert 0 <= short < settlements * len(VALIDATORS), (addr.hex(), short)
    # every unit the stakers were short went to the community pool, or waits in the rewards pool as the
    # rounding up of what remaining stakes are owed (under one unit per validator)
    held = bank.get_balance(chain.store, dk.REWARDS_POOL, "okt")
    assert held <= len(VALIDATORS)
    eager_community = eager.total - eager.to_stakers - sum(eager.commission.values())
    short = eager.to_stakers - sum(got_rewards.values())
    assert queries.community_pool(chain.store) + held == eager_community + short
