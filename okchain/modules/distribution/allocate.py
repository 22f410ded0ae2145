"""The block begin split of the fee collector's OKT (the previous block's fees and this block's mint).

As OKChain: the community tax (``distribution_community_tax``) goes to the community pool; of the rest,
``distribution_signer_share`` is split equally among the validators whose precommit for the previous block
made it into this block's last commit, and the remainder by shares among the active validators that may
earn (``earns``). Each validator keeps ``commission_rate`` of what it receives as commission and the rest
is owed to its stakers by shares (``keeper.credit``). A share with nobody to take it (a signer without a
staking record, as a genesis validator without an operator; a validator without shares; no signer or no
active staking validator at all) and the remainder of every integer division go to the community pool.
Validators are credited in operator order, once each per block.
"""

from dataclasses import dataclass

from okchain.crypto.address import Address
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.bank import keeper as bank
from okchain.modules.blockinfo import BlockInfo
from okchain.modules.distribution import keeper as k
from okchain.modules.slashing.keeper import is_jailed
from okchain.modules.staking import active
from okchain.modules.staking import keeper as staking
from okchain.modules.staking.keeper import Store, Validator
from okchain.types.params import OKT_DENOM, RATE_ONE, ChainParams


@dataclass(frozen=True, slots=True)
class Split:
    """One block's reward: what each validator receives (operator → amount) and the community's part."""

    validators: dict[Address, int]
    community: int


def earns(store: Store, v: Validator) -> bool:
    """May an active validator take a share by shares? Not once destroyed, jailed or tombstoned (it is
    still in the set for the two heights a change takes to apply)."""
    return not v.destroyed and not is_jailed(store, v.pubkey)


def _record(store: Store, pubkey: bytes) -> Validator | None:
    owner = staking.consensus_key_owner(store, pubkey)
    return None if owner is None else staking.get_validator(store, owner)


def split(store: Store, total: int, info: BlockInfo, params: ChainParams) -> Split:
    """Divide ``total`` as the module docstring says, reading the validators' records from ``store``."""
    tax = total * params.distribution_community_tax // RATE_ONE
    signer_part = (total - tax) * params.distribution_signer_share // RATE_ONE
    share_part = total - tax - signer_part
    given: dict[Address, int] = {}
    signers = [_record(store, vote.pubkey) for vote in info.last_votes if vote.signed]
    each = signer_part // len(signers) if signers else 0
    for v in signers:
        if v is not None:
            given[v.operator] = given.get(v.operator, 0) + each
    ranked = [_record(store, pubkey) for pubkey in active.get_active(store)]
    earning = [v for v in ranked if v is not None and earns(store, v) and v.shares > 0]
    total_shares = sum(v.shares for v in earning)
    for v in earning:
        given[v.operator] = given.get(v.operator, 0) + share_part * v.shares // total_shares
    return Split(given, total - sum(given.values()))


def _pay(store: Store, operator: Address, amount: int) -> int:
    """Commission to the operator, the rest owed to the stakers; returns what goes to the community."""
    v = staking.get_validator(store, operator)
    assert v is not None, "split names only validators with a staking record"
    commission = amount * v.commission_rate // RATE_ONE
    k.add_commission(store, operator, commission)
    rest = amount - commission
    return rest if v.shares == 0 else k.credit(store, operator, rest, v.shares)


def begin_block(store: Store, info: BlockInfo, params: ChainParams) -> Split:
    """Pay out the whole OKT balance of the fee collector (after mint's ``begin_block``)."""
    total = bank.get_balance(store, FEE_COLLECTOR, OKT_DENOM)
    if total == 0:
        return Split({}, 0)
    plan = split(store, total, info, params)
    bank.send(store, FEE_COLLECTOR, k.REWARDS_POOL, OKT_DENOM, total)
    freed = sum(_pay(store, op, plan.validators[op]) for op in sorted(plan.validators))
    bank.send(store, k.REWARDS_POOL, k.COMMUNITY_POOL, OKT_DENOM, plan.community + freed)
    return plan
