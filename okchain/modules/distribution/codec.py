"""Distribution messages ⇄ their ``Msg`` oneof cases, and their gas; gathered by ``okchain.tx.registry``."""

from collections.abc import Callable
from typing import Any

from okchain._pb.distribution.v1 import distribution_pb2 as pb
from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.distribution.messages import DistributionMsg, WithdrawRewards
from okchain.types.fields import address
from okchain.types.params import ChainParams

CASES = ("withdraw_rewards",)
MSG_TYPES = (WithdrawRewards,)
GAS: dict[type, Callable[[Any, ChainParams], int]] = {
    WithdrawRewards: lambda msg, p: p.distribution_withdraw_gas,
}


def from_proto(msg: tx_pb2.Msg, where: str) -> DistributionMsg:
    raw = msg.withdraw_rewards.validator
    return WithdrawRewards(address(raw, f"{where} validator") if raw else None)


def to_proto(msg: DistributionMsg) -> tx_pb2.Msg:
    return tx_pb2.Msg(withdraw_rewards=pb.MsgWithdrawRewards(validator=msg.validator or b""))
