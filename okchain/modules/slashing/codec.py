"""Slashing messages ⇄ their ``Msg`` oneof cases, and their gas; gathered by ``okchain.tx.registry``."""

from collections.abc import Callable
from typing import Any

from okchain._pb.slashing.v1 import slashing_pb2 as pb
from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.slashing.messages import SlashingMsg, Unjail
from okchain.types.params import ChainParams

CASES = ("unjail",)
MSG_TYPES = (Unjail,)
GAS: dict[type, Callable[[Any, ChainParams], int]] = {Unjail: lambda msg, p: p.slashing_unjail_gas}


def from_proto(msg: tx_pb2.Msg, where: str) -> SlashingMsg:
    return Unjail()


def to_proto(msg: SlashingMsg) -> tx_pb2.Msg:
    return tx_pb2.Msg(unjail=pb.MsgUnjail())
