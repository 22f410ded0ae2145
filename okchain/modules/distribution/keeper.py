"""F1-style lazy reward accounting: what each staker of each validator is owed, without a loop over voters.

A validator's stakers are the voters naming it, each with its full voter shares (OKChain's votes), and its
operator with the self-deposit's shares; together they hold exactly the validator's ``shares``. Per
validator the record keeps ``ratio``, the cumulative reward per share since the chain began, and ``owed``,
what its stakers are owed but have not settled; per (staker, validator) the stake record keeps the ratio
it last settled at and the rewards settled but not yet withdrawn. Both fixed-point values are in units of
``1 / SCALE`` base units. Staking calls ``settle`` before any staker's shares on a validator change, so a
stake is constant between settlements and ``stake × (ratio − start)`` is exactly what it earned.

Rounding, all exact integers: crediting ``amount`` over ``shares`` adds ``⌊amount · SCALE / shares⌋`` to
the ratio (losing under ``shares / SCALE`` base units, far below one); a settlement pays whole base units
(``⌊claim / SCALE⌋``). ``REWARDS_POOL`` holds, per validator, ``⌈owed / SCALE⌉`` base units plus every
settled amount and commission; whatever a credit or a settlement frees beyond that goes to
``COMMUNITY_POOL`` at once, so nothing is created or lost.
"""

import dataclasses
from dataclasses import dataclass
from typing import Final

from okchain.crypto.address import Address
from okchain.modules.accounts import module_address
from okchain.modules.bank import keeper as bank
from okchain.modules.staking import keeper as staking
from okchain.modules.staking.keeper import Store
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.types.params import OKT_DENOM

SCALE: Final = 10**36  # fixed point of the reward per share
REWARDS_POOL: Final = module_address("distribution_rewards")  # rewards credited and not yet withdrawn
COMMUNITY_POOL: Final = module_address("community_pool")  # community tax and every rounding remainder


@dataclass(frozen=True, slots=True)
class Rewards:
    """A validator's stakers' account: cumulative reward per share and what they are owed (fixed point)."""

    ratio: int = 0
    owed: int = 0

    @property
    def held(self) -> int:
        """Base units kept in the rewards pool for what the stakers are owed: ``⌈owed / SCALE⌉``."""
        return -(-self.owed // SCALE)


@dataclass(frozen=True, slots=True)
class Stake:
    start: int  # the validator's ratio when this stake was last settled
    settled: int = 0  # base units earned up to then, not yet withdrawn


def _unpair(raw: bytes | None) -> tuple[int, int]:
    if raw is None:
        return 0, 0
    n = raw[0]
    return decode_uint(raw[1 : 1 + n]), decode_uint(raw[1 + n :])


def _pair(a: int, b: int) -> bytes:
    first = encode_uint(a)
    return bytes([len(first)]) + first + encode_uint(b)


def get_rewards(store: KVReader, operator: bytes) -> Rewards:
    return Rewards(*_unpair(store.get(schema.distribution_validator(operator))))


def _set_rewards(store: Store, operator: bytes, r: Rewards) -> None:
    store.set(schema.distribution_validator(operator), _pair(r.ratio, r.owed))


def get_stake(store: KVReader, addr: bytes, operator: bytes) -> Stake | None:
    raw = store.get(schema.distribution_stake(addr, operator))
    return None if raw is None else Stake(*_unpair(raw))


def _set_stake(store: Store, addr: bytes, operator: bytes, s: Stake) -> None:
    store.set(schema.distribution_stake(addr, operator), _pair(s.start, s.settled))


def stake_records(store: KVReader, addr: bytes) -> list[tuple[Address, Stake]]:
    """The validators ``addr`` has a stake record with, in operator order."""
    prefix = schema.distribution_stakes(addr)
    return [(Address(k[len(prefix) :]), Stake(*_unpair(raw))) for k, raw in store.iterate(prefix)]


def get_commission(store: KVReader, operator: bytes) -> int:
    return decode_uint(store.get(schema.distribution_commission(operator)))


def add_commission(store: Store, operator: bytes, amount: int) -> None:
    if amount:
        key = schema.distribution_commission(operator)
        store.set(key, encode_uint(get_commission(store, operator) + amount))


def take_commission(store: Store, operator: bytes) -> int:
    amount = get_commission(store, operator)
    store.delete(schema.distribution_commission(operator))
    return amount


def stake_of(store: KVReader, addr: bytes, operator: bytes) -> int:
    """The shares ``addr`` holds in ``operator``'s validator now: its voter shares if it votes for it, plus
    the self-deposit's shares if it is the operator."""
    v = staking.get_validator(store, operator)
    if v is None:
        return 0
    voter = staking.get_voter(store, addr)
    return (voter.shares if operator in voter.validators else 0) + (v.self_shares if addr == operator else 0)


def credit(store: Store, operator: bytes, amount: int, shares: int) -> int:
    """Owe ``amount`` (already in the rewards pool) to the stakers of a validator holding ``shares`` > 0 in
    total; returns the base units this frees for the community pool."""
    r = get_rewards(store, operator)
    step = amount * SCALE // shares
    new = Rewards(r.ratio + step, r.owed + step * shares)
    _set_rewards(store, operator, new)
    return amount - (new.held - r.held)


def _earned(store: KVReader, addr: bytes, operator: bytes) -> tuple[Rewards, Stake, int]:
    """The validator's record, ``addr``'s stake record and the fixed-point claim accrued since it."""
    r = get_rewards(store, operator)
    s = get_stake(store, addr, operator) or Stake(r.ratio)
    return r, s, stake_of(store, addr, operator) * (r.ratio - s.start)


def settle(store: Store, addr: bytes, operator: bytes) -> Stake:
    """Move what ``addr``'s current stake in ``operator`` earned into its settled rewards and restart it at
    the current ratio; staking calls this before the stake changes. The rounding goes to the community."""
    r, s, claim = _earned(store, addr, operator)
    paid = claim // SCALE
    if claim:
        left = dataclasses.replace(r, owed=r.owed - claim)
        _set_rewards(store, operator, left)
        dust = r.held - left.held - paid
        if dust:
            bank.send(store, REWARDS_POOL, COMMUNITY_POOL, OKT_DENOM, dust)
    stake = Stake(r.ratio, s.settled + paid)
    _set_stake(store, addr, operator, stake)
    return stake


def pending(store: KVReader, addr: bytes, operator: bytes) -> int:
    """What ``addr`` would withdraw from ``operator``'s validator now (settled plus accrued)."""
    _, s, claim = _earned(store, addr, operator)
    return s.settled + claim // SCALE


def withdraw(store: Store, addr: bytes, operator: bytes) -> int:
    """Settle and pay ``addr``'s rewards from ``operator``'s validator; drops a record left with no stake."""
    stake = settle(store, addr, operator)
    if stake_of(store, addr, operator) == 0:
        store.delete(schema.distribution_stake(addr, operator))
    else:
        _set_stake(store, addr, operator, dataclasses.replace(stake, settled=0))
    if stake.settled:
        bank.send(store, REWARDS_POOL, addr, OKT_DENOM, stake.settled)
    return stake.settled
