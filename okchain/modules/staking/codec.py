"""Staking messages ⇄ their ``Msg`` oneof cases, and what each costs in gas; gathered by
``okchain.tx.registry``. Only shape is checked here; the handler checks everything that needs state."""

from collections.abc import Callable
from typing import Any

from okchain._pb.staking.v1 import staking_pb2 as pb
from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.staking.messages import (
    PUBKEY_LEN,
    BindProxy,
    CreateValidator,
    Deposit,
    Description,
    DestroyValidator,
    EditValidator,
    RegisterProxy,
    StakingMsg,
    UnbindProxy,
    UnregisterProxy,
    Vote,
    Withdraw,
    description_error,
    rates_error,
)
from okchain.types.amount import AmountError, parse_amount
from okchain.types.fields import TxDecodeError, address, positive
from okchain.types.params import ChainParams

CASES = (
    "create_validator",
    "edit_validator",
    "deposit",
    "withdraw",
    "vote",
    "register_proxy",
    "unregister_proxy",
    "bind_proxy",
    "unbind_proxy",
    "destroy_validator",
)
_EMPTY: dict[str, type] = {
    "register_proxy": RegisterProxy,
    "unregister_proxy": UnregisterProxy,
    "unbind_proxy": UnbindProxy,
    "destroy_validator": DestroyValidator,
}
MSG_TYPES = (CreateValidator, EditValidator, Deposit, Withdraw, Vote, BindProxy, *_EMPTY.values())
GAS: dict[type, Callable[[Any, ChainParams], int]] = {
    CreateValidator: lambda msg, p: p.staking_validator_gas,
    EditValidator: lambda msg, p: p.staking_validator_gas,
    DestroyValidator: lambda msg, p: p.staking_validator_gas,
    Deposit: lambda msg, p: p.staking_deposit_gas,
    Withdraw: lambda msg, p: p.staking_deposit_gas,
    Vote: lambda msg, p: p.staking_vote_gas,
    **dict.fromkeys(
        (RegisterProxy, UnregisterProxy, BindProxy, UnbindProxy), lambda msg, p: p.staking_proxy_gas
    ),
}


def _rate(text: str, what: str) -> int:
    try:
        return parse_amount(text, what=what)
    except AmountError as exc:
        raise TxDecodeError(str(exc)) from exc


def _description(d: pb.Description, where: str) -> Description:
    out = Description(d.moniker, d.identity, d.website, d.details)
    reason = description_error(out)
    if reason:
        raise TxDecodeError(f"{where}: {reason}")
    return out


def _create(m: pb.MsgCreateValidator, where: str) -> CreateValidator:
    if len(m.pubkey) != PUBKEY_LEN:
        raise TxDecodeError(f"{where}: consensus pubkey must be {PUBKEY_LEN} bytes, got {len(m.pubkey)}")
    rate = _rate(m.commission_rate, f"{where} commission rate")
    max_rate = _rate(m.max_rate, f"{where} max rate")
    max_change = _rate(m.max_change_rate, f"{where} max change rate")
    reason = rates_error(rate, max_rate, max_change)
    if reason:
        raise TxDecodeError(f"{where}: {reason}")
    return CreateValidator(_description(m.description, where), m.pubkey, rate, max_rate, max_change)


def _edit(m: pb.MsgEditValidator, where: str) -> EditValidator:
    desc = _description(m.description, where) if m.HasField("description") else None
    rate = _rate(m.commission_rate, f"{where} commission rate") if m.commission_rate else None
    if desc is None and rate is None:
        raise TxDecodeError(f"{where}: edit validator changes nothing")
    return EditValidator(desc, rate)


def _vote(m: pb.MsgVote, where: str) -> Vote:
    validators = tuple(address(v, f"{where} validator {i}") for i, v in enumerate(m.validators))
    if not validators:
        raise TxDecodeError(f"{where}: a vote names at least one validator")
    if len(set(validators)) != len(validators):
        raise TxDecodeError(f"{where}: a vote names a validator twice")
    return Vote(validators)


def from_proto(msg: tx_pb2.Msg, where: str) -> StakingMsg:
    case = msg.WhichOneof("sum") or ""
    if case in _EMPTY:
        empty: StakingMsg = _EMPTY[case]()
        return empty
    if case == "create_validator":
        return _create(msg.create_validator, where)
    if case == "edit_validator":
        return _edit(msg.edit_validator, where)
    if case == "deposit":
        return Deposit(positive(msg.deposit.amount, where))
    if case == "withdraw":
        return Withdraw(positive(msg.withdraw.amount, where))
    if case == "vote":
        return _vote(msg.vote, where)
    return BindProxy(address(msg.bind_proxy.proxy, f"{where} proxy"))


def _pb_description(d: Description) -> pb.Description:
    return pb.Description(moniker=d.moniker, identity=d.identity, website=d.website, details=d.details)


def to_proto(msg: StakingMsg) -> tx_pb2.Msg:
    if isinstance(msg, CreateValidator):
        create = pb.MsgCreateValidator(
            description=_pb_description(msg.description),
            pubkey=msg.pubkey,
            commission_rate=str(msg.commission_rate),
            max_rate=str(msg.max_rate),
            max_change_rate=str(msg.max_change_rate),
        )
        return tx_pb2.Msg(create_validator=create)
    if isinstance(msg, EditValidator):
        edit = pb.MsgEditValidator(
            description=None if msg.description is None else _pb_description(msg.description),
            commission_rate="" if msg.commission_rate is None else str(msg.commission_rate),
        )
        return tx_pb2.Msg(edit_validator=edit)
    if isinstance(msg, Deposit):
        return tx_pb2.Msg(deposit=pb.MsgDeposit(amount=str(msg.amount)))
    if isinstance(msg, Withdraw):
        return tx_pb2.Msg(withdraw=pb.MsgWithdraw(amount=str(msg.amount)))
    if isinstance(msg, Vote):
        return tx_pb2.Msg(vote=pb.MsgVote(validators=list(msg.validators)))
    if isinstance(msg, BindProxy):
        return tx_pb2.Msg(bind_proxy=pb.MsgBindProxy(proxy=msg.proxy))
    case = next(c for c, t in _EMPTY.items() if isinstance(msg, t))
    return tx_pb2.Msg(**{case: getattr(pb, "Msg" + type(msg).__name__)()})
