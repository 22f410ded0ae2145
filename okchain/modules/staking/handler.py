"""Staking message handlers: pure functions of (store, context, msg) that raise ``StakingError`` or bank
errors. Writes land in deliver.py's branch, which is dropped when a handler raises.

Shares follow OKChain: a voter's shares are its voting tokens (own deposit, plus bound deposits for a
proxy) times the weight at the time of its last deposit, withdraw or vote (``weight.py``), and every
validator it votes for receives all of them. Each such message recomputes them, taking the old shares off
the old validators and putting the new ones on the new. A voter whose voting tokens reach zero loses its
votes. The weight is that of ``MsgContext.time_ns``, the previous block's time.

Rewards are accounted lazily per stake (``distribution/keeper.py``): before any account's shares on a
validator change (its voter shares in ``_revote``, which every deposit, withdraw, vote and proxy change goes
through, or an operator's self-deposit shares at create and destroy), ``settle`` books what they earned.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

from okchain.crypto.address import Address, to_checksum
from okchain.modules.bank import keeper as bank
from okchain.modules.context import MsgContext
from okchain.modules.distribution.keeper import settle
from okchain.modules.slashing.keeper import is_tombstoned
from okchain.modules.staking import active
from okchain.modules.staking import keeper as k
from okchain.modules.staking.keeper import Store, Voter
from okchain.modules.staking.messages import (
    BindProxy,
    CreateValidator,
    Deposit,
    DestroyValidator,
    EditValidator,
    RegisterProxy,
    StakingMsg,
    UnbindProxy,
    UnregisterProxy,
    Vote,
    Withdraw,
)
from okchain.modules.staking.weight import shares, weight
from okchain.types.params import OKT_DENOM, RATE_ONE
from okchain.types.results import Event

_NS = 10**9


def handle(store: Store, ctx: MsgContext, msg: StakingMsg) -> list[Event]:
    events = _ROUTES[type(msg)](store, ctx, msg)
    return [Event(kind, (("address", to_checksum(ctx.signer)), *attrs)) for kind, attrs in events]


Attrs = tuple[tuple[str, str], ...]
_Events = list[tuple[str, Attrs]]


def _revote(
    store: Store, ctx: MsgContext, addr: Address, voter: Voter, validators: tuple[Address, ...]
) -> Voter:
    """``voter`` (``addr``'s record, stored with its old shares and votes) with its shares recomputed now
    and its vote moved to ``validators`` (sorted), each validator settled and touched once, in operator
    order."""
    tokens = voter.voting_tokens
    new_shares = shares(tokens, weight(ctx.time_ns, bool(ctx.params.staking_constant_weight)))
    new = tuple(sorted(validators)) if tokens else ()
    old = set(voter.validators)
    for op in sorted(old | set(new)):
        gained = op in new
        lost = op in old
        settle(store, addr, op)
        k.adjust_votes(store, op, new_shares * gained - voter.shares * lost, int(gained) - int(lost))
    return dataclasses.replace(voter, shares=new_shares, validators=new)


def _settled_voter(store: Store, ctx: MsgContext, addr: Address) -> Voter:
    """``addr``'s record after the slashes it owes: for each tombstoned validator it votes for, that
    validator's slash rate of its own deposit is burned from the pool and the vote is dropped, its shares
    recomputed (rewards settled first). Lazy, so a tombstoning costs one record, not a loop over voters;
    until then the voter's shares still count for the other validators it votes for. Deposits bound to a
    proxy are not slashed: the proxy's own deposit answers for its votes."""
    voter = k.get_voter(store, addr)
    owed = [(op, k.slash_rate(store, op)) for op in voter.validators]
    rates = [rate for _, rate in owed if rate]
    if not rates:
        return voter
    deposit = voter.deposit
    for rate in rates:
        deposit -= deposit * rate // RATE_ONE
    if voter.deposit > deposit:
        bank.burn(store, k.STAKING_POOL, OKT_DENOM, voter.deposit - deposit, what="slash")
    keep = tuple(op for op, rate in owed if not rate)
    settled = _revote(store, ctx, addr, dataclasses.replace(voter, deposit=deposit), keep)
    k.set_voter(store, addr, settled)
    return settled


def _reshare(store: Store, ctx: MsgContext, addr: Address, voter: Voter) -> None:
    k.set_voter(store, addr, _revote(store, ctx, addr, voter, voter.validators))


def _change_bound(store: Store, ctx: MsgContext, proxy: Address, delta: int) -> None:
    """A bound account's deposit changed by ``delta``: so do its proxy's voting tokens and shares."""
    p = k.get_voter(store, proxy)
    _reshare(store, ctx, proxy, dataclasses.replace(p, bound=p.bound + delta))


def _create(store: Store, ctx: MsgContext, msg: CreateValidator) -> _Events:
    p = ctx.params
    if k.get_validator(store, ctx.signer) is not None:
        raise k.ValidatorExists(f"{to_checksum(ctx.signer)} already operates a validator")
    owner = k.consensus_key_owner(store, msg.pubkey)
    if owner is not None:
        raise k.ValidatorExists(f"consensus key {msg.pubkey.hex()} is already used by {to_checksum(owner)}")
    k.lock(store, ctx.signer, p.staking_min_self_deposit, "minimum self-deposit")
    self_shares = shares(p.staking_min_self_deposit, weight(ctx.time_ns, bool(p.staking_constant_weight)))
    validator = k.Validator(
        ctx.signer,
        msg.pubkey,
        msg.description,
        msg.commission_rate,
        msg.max_rate,
        msg.max_change_rate,
        ctx.time_ns,
        p.staking_min_self_deposit,
        self_shares,
        0,
        0,
    )
    settle(store, ctx.signer, ctx.signer)
    k.set_validator(store, validator)
    k.claim_consensus_key(store, msg.pubkey, ctx.signer)
    attrs = (("moniker", msg.description.moniker), ("pubkey", msg.pubkey.hex()))
    return [("create_validator", (*attrs, ("self_deposit", str(p.staking_min_self_deposit))))]


def _edit(store: Store, ctx: MsgContext, msg: EditValidator) -> _Events:
    v = k.live_validator(store, ctx.signer, "edit validator")
    if msg.description is not None:
        v = dataclasses.replace(v, description=msg.description)
    rate = msg.commission_rate
    if rate is not None:
        next_ns = v.commission_time_ns + ctx.params.staking_commission_interval_seconds * _NS
        if ctx.time_ns < next_ns:
            raise k.CommissionChange(
                f"commission was last changed at block time {v.commission_time_ns}; "
                f"the next change is allowed from {next_ns}"
            )
        if rate > v.max_rate:
            raise k.CommissionChange(f"commission rate {rate} exceeds the max rate {v.max_rate}")
        if abs(rate - v.commission_rate) > v.max_change_rate:
            raise k.CommissionChange(
                f"commission change {v.commission_rate} -> {rate} exceeds the max change rate "
                f"{v.max_change_rate}"
            )
        v = dataclasses.replace(v, commission_rate=rate, commission_time_ns=ctx.time_ns)
    k.set_validator(store, v)
    return [("edit_validator", (("commission_rate", str(v.commission_rate)),))]


def _minimum(ctx: MsgContext, amount: int, what: str) -> None:
    least = ctx.params.staking_min_deposit
    if amount < least:
        raise k.BelowMinimum(f"{what} of {amount} is below the minimum {least}")


def _deposit(store: Store, ctx: MsgContext, msg: Deposit) -> _Events:
    _minimum(ctx, msg.amount, "deposit")
    k.lock(store, ctx.signer, msg.amount, "deposit")
    voter = _settled_voter(store, ctx, ctx.signer)
    voter = dataclasses.replace(voter, deposit=voter.deposit + msg.amount)
    _reshare(store, ctx, ctx.signer, voter)
    if voter.proxy is not None:
        _change_bound(store, ctx, voter.proxy, msg.amount)
    return [("deposit", (("amount", str(msg.amount)),))]


def _withdraw(store: Store, ctx: MsgContext, msg: Withdraw) -> _Events:
    _minimum(ctx, msg.amount, "withdraw")
    voter = _settled_voter(store, ctx, ctx.signer)
    if msg.amount > voter.deposit:
        raise k.InsufficientDeposit(f"cannot withdraw {msg.amount}: the deposit is {voter.deposit}")
    voter = dataclasses.replace(voter, deposit=voter.deposit - msg.amount)
    _reshare(store, ctx, ctx.signer, voter)
    if voter.proxy is not None:
        _change_bound(store, ctx, voter.proxy, -msg.amount)
    completion = ctx.time_ns + ctx.params.staking_unbonding_seconds * _NS
    k.start_unbonding(store, ctx.signer, msg.amount, completion)
    return [("withdraw", (("amount", str(msg.amount)), ("completion_time", str(completion))))]


def _vote(store: Store, ctx: MsgContext, msg: Vote) -> _Events:
    voter = _settled_voter(store, ctx, ctx.signer)
    if voter.proxy is not None:
        raise k.BoundToProxy(f"bound to proxy {to_checksum(voter.proxy)}: unbind before voting yourself")
    limit = ctx.params.staking_max_votes
    if len(msg.validators) > limit:
        raise k.TooManyVotes(f"vote names {len(msg.validators)} validators, limit is {limit}")
    if voter.voting_tokens == 0:
        raise k.NoDeposit("nothing to vote with: deposit first")
    for op in msg.validators:
        if is_tombstoned(store, k.live_validator(store, op, "vote").pubkey):
            raise k.ValidatorDestroyed(f"cannot vote: validator {to_checksum(op)} double-signed (tombstoned)")
    voter = _revote(store, ctx, ctx.signer, voter, msg.validators)
    k.set_voter(store, ctx.signer, voter)
    listed = ",".join(to_checksum(op) for op in voter.validators)
    return [("vote", (("validators", listed), ("shares", str(voter.shares))))]


def _register_proxy(store: Store, ctx: MsgContext, msg: RegisterProxy) -> _Events:
    voter = _settled_voter(store, ctx, ctx.signer)
    if voter.is_proxy:
        raise k.ProxyRule("already registered as a proxy")
    if voter.proxy is not None:
        raise k.ProxyRule(f"bound to proxy {to_checksum(voter.proxy)}: a proxy cannot have a proxy")
    if voter.deposit == 0:
        raise k.NoDeposit("deposit before registering as a proxy")
    k.set_voter(store, ctx.signer, dataclasses.replace(voter, is_proxy=True))
    return [("register_proxy", ())]


def _unregister_proxy(store: Store, ctx: MsgContext, msg: UnregisterProxy) -> _Events:
    """Every bound account is unbound (each paid for that with its bind's gas), in address order."""
    voter = _settled_voter(store, ctx, ctx.signer)
    if not voter.is_proxy:
        raise k.ProxyRule("not a registered proxy")
    bound = k.bound_accounts(store, ctx.signer)
    for addr in bound:
        k.set_binding(store, ctx.signer, addr, False)
        k.set_voter(store, addr, dataclasses.replace(k.get_voter(store, addr), proxy=None))
    _reshare(store, ctx, ctx.signer, dataclasses.replace(voter, is_proxy=False, bound=0))
    return [("unregister_proxy", (("unbound", str(len(bound))),))]


def _unbind_from(store: Store, ctx: MsgContext, voter: Voter) -> Voter:
    assert voter.proxy is not None
    k.set_binding(store, voter.proxy, ctx.signer, False)
    _change_bound(store, ctx, voter.proxy, -voter.deposit)
    return dataclasses.replace(voter, proxy=None)


def _bind(store: Store, ctx: MsgContext, msg: BindProxy) -> _Events:
    voter = _settled_voter(store, ctx, ctx.signer)
    if msg.proxy == ctx.signer:
        raise k.ProxyRule("cannot bind to yourself")
    if voter.is_proxy:
        raise k.ProxyRule("a proxy cannot bind to another proxy: unregister first")
    if voter.proxy == msg.proxy:
        raise k.ProxyRule(f"already bound to {to_checksum(msg.proxy)}")
    if not k.get_voter(store, msg.proxy).is_proxy:
        raise k.ProxyRule(f"{to_checksum(msg.proxy)} is not a registered proxy")
    if voter.deposit == 0:
        raise k.NoDeposit("deposit before binding to a proxy")
    if voter.proxy is not None:
        voter = _unbind_from(store, ctx, voter)
    voter = _revote(store, ctx, ctx.signer, voter, ())
    k.set_voter(store, ctx.signer, dataclasses.replace(voter, proxy=msg.proxy, shares=0))
    k.set_binding(store, msg.proxy, ctx.signer, True)
    _change_bound(store, ctx, msg.proxy, voter.deposit)
    return [("bind_proxy", (("proxy", to_checksum(msg.proxy)),))]


def _unbind(store: Store, ctx: MsgContext, msg: UnbindProxy) -> _Events:
    voter = _settled_voter(store, ctx, ctx.signer)
    if voter.proxy is None:
        raise k.ProxyRule("not bound to a proxy")
    proxy = voter.proxy
    _reshare(store, ctx, ctx.signer, _unbind_from(store, ctx, voter))
    return [("unbind_proxy", (("proxy", to_checksum(proxy)),))]


def _destroy(store: Store, ctx: MsgContext, msg: DestroyValidator) -> _Events:
    v = k.live_validator(store, ctx.signer, "destroy validator")
    completion = ctx.time_ns + ctx.params.staking_unbonding_seconds * _NS
    k.start_unbonding(store, ctx.signer, v.self_deposit, completion)
    settle(store, ctx.signer, ctx.signer)
    k.set_validator(store, dataclasses.replace(v, self_deposit=0, self_shares=0, destroyed=True))
    k.adjust_votes(store, v.operator, 0, 0)  # deletes it at once when no vote points at it
    active.mark_changed(store, v.pubkey)  # it leaves the set at the next block end
    return [
        ("destroy_validator", (("self_deposit", str(v.self_deposit)), ("completion_time", str(completion))))
    ]


_ROUTES: dict[type, Callable[[Store, MsgContext, Any], _Events]] = {
    CreateValidator: _create,
    EditValidator: _edit,
    Deposit: _deposit,
    Withdraw: _withdraw,
    Vote: _vote,
    RegisterProxy: _register_proxy,
    UnregisterProxy: _unregister_proxy,
    BindProxy: _bind,
    UnbindProxy: _unbind,
    DestroyValidator: _destroy,
}
