"""Staking reads for wallets, explorers and tests: pure functions of a committed-state reader."""

from dataclasses import dataclass

from okchain.crypto.address import Address
from okchain.modules.bank import keeper as bank
from okchain.modules.slashing import keeper as slashing
from okchain.modules.staking import active
from okchain.modules.staking import keeper as k
from okchain.modules.staking.keeper import Validator, Voter
from okchain.state.store import KVReader
from okchain.types.params import OKT_DENOM


@dataclass(frozen=True, slots=True)
class Unbonding:
    completion_ns: int
    amount: int


def validator(reader: KVReader, operator: bytes) -> Validator | None:
    return k.get_validator(reader, operator)


def validators(reader: KVReader) -> list[Validator]:
    """Every validator by shares, most first; equal shares in operator order (a total order)."""
    return sorted(k.all_validators(reader), key=lambda v: (-v.shares, v.operator))


def voter(reader: KVReader, addr: bytes) -> Voter:
    """Deposit, shares, votes and proxy state (the empty record for an account that never staked)."""
    return k.get_voter(reader, addr)


def bound_accounts(reader: KVReader, proxy: bytes) -> list[Address]:
    return k.bound_accounts(reader, proxy)


def unbondings(reader: KVReader, addr: bytes) -> list[Unbonding]:
    return [Unbonding(c, a) for c, a in k.unbondings(reader, addr)]


def bonded(reader: KVReader) -> int:
    """OKT deposited with validators: the staking pool holds deposits and unbonding amounts, so its balance
    less what is unbonding (one read per pending unbonding, which the unbonding period bounds)."""
    return bank.get_balance(reader, k.STAKING_POOL, OKT_DENOM) - k.total_unbonding(reader)


STATUSES = ("active", "candidate", "jailed", "tombstoned", "destroyed")


def status(reader: KVReader, v: Validator) -> str:
    """One word for a validator: destroyed; tombstoned (double-signed); jailed (downtime, may unjail);
    active (in the active set staking last ranked, which signs from two blocks after that); candidate."""
    if v.destroyed:
        return "destroyed"
    record = slashing.get_info(reader, v.pubkey)
    if record is not None and record.tombstoned:
        return "tombstoned"
    if record is not None and record.jailed:
        return "jailed"
    return "active" if v.pubkey in active.get_active(reader) else "candidate"


def unbonding_total(reader: KVReader) -> int:
    return k.total_unbonding(reader)
