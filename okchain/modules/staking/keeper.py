"""Staking state: validators, voters, proxy bindings and unbondings; and the errors of the module.

Layout (keys built in ``okchain/state/schema.py`` under ``S`` + ``V``):

* validator ``v<operator>``: consensus key, description, commission, self-deposit and its shares, the
  shares of its voters and how many they are, destroyed flag; ``k<pubkey>`` → operator (kept for good).
* voter ``d<address>``: own deposit, current shares, the validators it votes for (sorted), whether it is a
  proxy, the proxy it is bound to, and (for a proxy) the sum of the deposits bound to it;
  ``b<proxy><address>`` marks each binding so a proxy that unregisters finds its accounts in key order.
* unbonding ``u<completion ns><address>`` → amount (oldest first, so the block end reads only matured
  ones); ``a<address><completion ns>`` indexes them per account.

Funds: every deposit, self-deposit and unbonding amount sits in the ``STAKING_POOL`` module account, moved
there through the bank keeper, so ``Σ balances = supply`` keeps holding; only a slash (burned from the pool)
changes the supply.
"""

import dataclasses
import struct
from dataclasses import dataclass
from typing import Final, Protocol

from okchain.crypto.address import ADDRESS_LEN, Address, to_checksum
from okchain.modules.accounts import module_address
from okchain.modules.bank import keeper as bank
from okchain.modules.context import ModuleError
from okchain.modules.staking.messages import Description
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.types.params import OKT_DENOM, RATE_ONE
from okchain.types.results import Code

STAKING_POOL: Final = module_address("staking_pool")  # deposits, self-deposits and unbondings
_LEN = struct.Struct(">I")


class Store(KVReader, Protocol):
    def set(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes) -> None: ...


class StakingError(ModuleError):
    """Root of the staking module's refusals."""


class ValidatorExists(StakingError):
    code = Code.STAKING_VALIDATOR_EXISTS


class UnknownValidator(StakingError):
    code = Code.STAKING_UNKNOWN_VALIDATOR


class ValidatorDestroyed(StakingError):
    code = Code.STAKING_VALIDATOR_DESTROYED


class BelowMinimum(StakingError):
    code = Code.STAKING_BELOW_MINIMUM


class InsufficientDeposit(StakingError):
    code = Code.STAKING_INSUFFICIENT_DEPOSIT


class CommissionChange(StakingError):
    code = Code.STAKING_COMMISSION_CHANGE


class TooManyVotes(StakingError):
    code = Code.STAKING_TOO_MANY_VOTES


class NoDeposit(StakingError):
    code = Code.STAKING_NO_DEPOSIT


class BoundToProxy(StakingError):
    code = Code.STAKING_BOUND_TO_PROXY


class ProxyRule(StakingError):
    code = Code.STAKING_PROXY_RULE


@dataclass(frozen=True, slots=True)
class Validator:
    operator: Address
    pubkey: bytes
    description: Description
    commission_rate: int
    max_rate: int
    max_change_rate: int
    commission_time_ns: int  # block time of the last commission change (creation counts as one)
    self_deposit: int  # locked at creation; 0 once destroyed
    self_shares: int  # the self-deposit's shares, at the weight of creation
    vote_shares: int  # Σ shares of the voters voting for it
    voters: int
    destroyed: bool = False

    @property
    def shares(self) -> int:
        return self.self_shares + self.vote_shares


@dataclass(frozen=True, slots=True)
class Voter:
    deposit: int = 0
    shares: int = 0  # what each of ``validators`` received at the voter's last deposit, withdraw or vote
    validators: tuple[Address, ...] = ()
    is_proxy: bool = False
    proxy: Address | None = None  # the proxy this account is bound to
    bound: int = 0  # a proxy's Σ deposits of its bound accounts

    @property
    def voting_tokens(self) -> int:
        """What the shares are made of: own deposit plus bound deposits; nothing while bound to a proxy."""
        return 0 if self.proxy is not None else self.deposit + self.bound

    @property
    def empty(self) -> bool:
        return self == Voter()


def _pack(*parts: bytes) -> bytes:
    return b"".join(_LEN.pack(len(p)) + p for p in parts)


def _unpack(raw: bytes) -> list[bytes]:
    out, i = [], 0
    while i < len(raw):
        (n,) = _LEN.unpack_from(raw, i)
        out.append(raw[i + 4 : i + 4 + n])
        i += 4 + n
    return out


def _encode_validator(v: Validator) -> bytes:
    d = v.description
    texts = (d.moniker, d.identity, d.website, d.details)
    numbers = (v.commission_rate, v.max_rate, v.max_change_rate, v.commission_time_ns, v.self_deposit,
               v.self_shares, v.vote_shares, v.voters, int(v.destroyed))  # fmt: skip
    return _pack(v.pubkey, *(t.encode() for t in texts), *(encode_uint(n) for n in numbers))


def _decode_validator(operator: bytes, raw: bytes) -> Validator:
    parts = _unpack(raw)
    d = Description(*(p.decode() for p in parts[1:5]))
    rate, max_rate, max_change, time_ns, deposit, self_shares, vote_shares, voters, destroyed = (
        decode_uint(p) for p in parts[5:]
    )
    return Validator(Address(operator), parts[0], d, rate, max_rate, max_change, time_ns, deposit,
                     self_shares, vote_shares, voters, bool(destroyed))  # fmt: skip


def get_validator(store: KVReader, operator: bytes) -> Validator | None:
    raw = store.get(schema.staking_validator(operator))
    return None if raw is None else _decode_validator(operator, raw)


def set_validator(store: Store, v: Validator) -> None:
    store.set(schema.staking_validator(v.operator), _encode_validator(v))


def all_validators(store: KVReader) -> list[Validator]:
    """Every validator in operator order."""
    prefix = schema.STAKING_VALIDATORS
    return [_decode_validator(k[len(prefix) :], raw) for k, raw in store.iterate(prefix)]


def live_validator(store: KVReader, operator: bytes, action: str) -> Validator:
    """The validator ``operator`` runs, or the precise reason ``action`` is refused."""
    v = get_validator(store, operator)
    if v is None:
        raise UnknownValidator(f"cannot {action}: {to_checksum(operator)} operates no validator")
    if v.destroyed:
        raise ValidatorDestroyed(f"cannot {action}: validator {to_checksum(operator)} is destroyed")
    return v


def consensus_key_owner(store: KVReader, pubkey: bytes) -> Address | None:
    raw = store.get(schema.staking_consensus_key(pubkey))
    return None if raw is None else Address(raw)


def claim_consensus_key(store: Store, pubkey: bytes, operator: bytes) -> None:
    store.set(schema.staking_consensus_key(pubkey), operator)


def _encode_voter(v: Voter) -> bytes:
    numbers = (encode_uint(v.deposit), encode_uint(v.shares), encode_uint(v.bound))
    return _pack(*numbers, b"".join(v.validators), bytes([v.is_proxy]), v.proxy or b"")


def _decode_voter(raw: bytes) -> Voter:
    deposit, shares, bound, validators, is_proxy, proxy = _unpack(raw)
    ops = tuple(Address(validators[i : i + ADDRESS_LEN]) for i in range(0, len(validators), ADDRESS_LEN))
    return Voter(
        decode_uint(deposit),
        decode_uint(shares),
        ops,
        bool(is_proxy[0]),
        Address(proxy) if proxy else None,
        decode_uint(bound),
    )


def get_voter(store: KVReader, addr: bytes) -> Voter:
    """The account's staking record; an account that never deposited has the empty one."""
    raw = store.get(schema.staking_voter(addr))
    return Voter() if raw is None else _decode_voter(raw)


def set_voter(store: Store, addr: bytes, v: Voter) -> None:
    """Store the record, or delete it once it holds nothing, so state keeps only live stakers."""
    key = schema.staking_voter(addr)
    if v.empty:
        store.delete(key)
    else:
        store.set(key, _encode_voter(v))


def all_voters(store: KVReader) -> list[tuple[Address, Voter]]:
    """Every staking account in address order."""
    prefix = schema.staking_voter(b"")
    return [(Address(k[len(prefix) :]), _decode_voter(raw)) for k, raw in store.iterate(prefix)]


def bound_accounts(store: KVReader, proxy: bytes) -> list[Address]:
    """The accounts bound to ``proxy``, in address order."""
    prefix = schema.staking_bindings(proxy)
    return [Address(k[len(prefix) :]) for k, _ in store.iterate(prefix)]


def lock(store: Store, addr: bytes, amount: int, what: str) -> None:
    bank.sub_balance(store, addr, OKT_DENOM, amount, what=what)
    bank.add_balance(store, STAKING_POOL, OKT_DENOM, amount)


def start_unbonding(store: Store, addr: bytes, amount: int, completion_ns: int) -> None:
    """Queue ``amount`` (already in the pool) to return to ``addr`` at block time ``completion_ns``;
    unbondings of one account completing at the same time are merged."""
    key = schema.staking_unbonding(completion_ns, addr)
    store.set(key, encode_uint(decode_uint(store.get(key)) + amount))
    store.set(schema.staking_account_unbonding(addr, completion_ns), b"")


def unbondings(store: KVReader, addr: bytes) -> list[tuple[int, int]]:
    """``addr``'s pending unbondings as (completion time ns, amount), soonest first."""
    prefix = schema.staking_account_unbondings(addr)
    out = []
    for key, _ in store.iterate(prefix):
        completion = schema.read_u64(key[len(prefix) :])
        out.append((completion, decode_uint(store.get(schema.staking_unbonding(completion, addr)))))
    return out


def matured(store: KVReader, time_ns: int) -> list[tuple[int, Address, int]]:
    """Unbondings complete at ``time_ns`` as (completion, address, amount); reads nothing beyond them."""
    out = []
    for key, raw in store.iterate(schema.STAKING_UNBONDING):
        rest = key[len(schema.STAKING_UNBONDING) :]
        completion = schema.read_u64(rest[:8])
        if completion > time_ns:
            break
        out.append((completion, Address(rest[8:]), decode_uint(raw)))
    return out


def finish_unbonding(store: Store, completion_ns: int, addr: bytes, amount: int) -> None:
    store.delete(schema.staking_unbonding(completion_ns, addr))
    store.delete(schema.staking_account_unbonding(addr, completion_ns))
    bank.send(store, STAKING_POOL, addr, OKT_DENOM, amount)


def total_unbonding(store: KVReader) -> int:
    return sum(decode_uint(raw) for _, raw in store.iterate(schema.STAKING_UNBONDING))


def adjust_votes(store: Store, operator: Address, shares: int, voters: int) -> None:
    """Add ``shares`` and ``voters`` (either may be negative) to a validator; a destroyed validator whose
    last voter leaves is deleted, freeing its operator (its consensus key stays claimed)."""
    v = get_validator(store, operator)
    assert v is not None, "a vote always names an existing validator"
    v = dataclasses.replace(v, vote_shares=v.vote_shares + shares, voters=v.voters + voters)
    if v.destroyed and v.voters == 0:
        store.delete(schema.staking_validator(operator))
    else:
        set_validator(store, v)


def set_binding(store: Store, proxy: bytes, addr: bytes, bound: bool) -> None:
    key = schema.staking_binding(proxy, addr)
    if bound:
        store.set(key, b"")
    else:
        store.delete(key)


def slash_validator(store: Store, operator: bytes, rate: int) -> int:
    """Burn ``rate`` (scaled by ``RATE_ONE``) of a validator's self-deposit and of its self shares, and
    record the rate so each account voting for it loses as much of its deposit at its next staking message
    (``handler._settled_voter``: no loop over voters here). Returns the self-deposit OKT burned."""
    store.set(schema.staking_slashed(operator), encode_uint(rate))
    v = get_validator(store, operator)
    if v is None or v.self_deposit == 0:
        return 0
    burned = v.self_deposit * rate // RATE_ONE
    lost_shares = v.self_shares * rate // RATE_ONE
    set_validator(store, dataclasses.replace(v, self_deposit=v.self_deposit - burned,
                                             self_shares=v.self_shares - lost_shares))  # fmt: skip
    if burned:
        bank.burn(store, STAKING_POOL, OKT_DENOM, burned, what="slash")
    return burned


def slash_rate(store: KVReader, operator: bytes) -> int:
    """The rate a tombstoned validator's voters owe (0 for any other validator)."""
    return decode_uint(store.get(schema.staking_slashed(operator)))
