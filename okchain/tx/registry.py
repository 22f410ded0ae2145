"""Which messages exist: every module's message union, codec and gas, gathered in one place.

A module joins by listing its ``codec`` here (its ``Msg`` oneof cases in proto/okchain/tx/v1/tx.proto, its
``CASES``, ``MSG_TYPES``, ``from_proto``, ``to_proto`` and ``GAS``) and its handler in deliver.py's routing
table.
"""

from collections.abc import Callable
from typing import Any

from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.bank import codec as bank_codec
from okchain.modules.bank.messages import BankMsg
from okchain.modules.dex import codec as dex_codec
from okchain.modules.dex.messages import DexMsg
from okchain.modules.distribution import codec as distribution_codec
from okchain.modules.distribution.messages import DistributionMsg
from okchain.modules.slashing import codec as slashing_codec
from okchain.modules.slashing.messages import SlashingMsg
from okchain.modules.staking import codec as staking_codec
from okchain.modules.staking.messages import StakingMsg
from okchain.modules.token import codec as token_codec
from okchain.modules.token.messages import TokenMsg
from okchain.types.fields import TxDecodeError
from okchain.types.params import ChainParams

Msg = BankMsg | TokenMsg | DexMsg | StakingMsg | SlashingMsg | DistributionMsg

# ``Msg`` oneof case → the module codec that decodes it; message type → the codec that encodes it.
_FROM_PROTO: dict[str, Callable[[tx_pb2.Msg, str], Msg]] = {
    **dict.fromkeys(bank_codec.CASES, bank_codec.from_proto),
    **dict.fromkeys(token_codec.CASES, token_codec.from_proto),
    **dict.fromkeys(dex_codec.CASES, dex_codec.from_proto),
    **dict.fromkeys(staking_codec.CASES, staking_codec.from_proto),
    **dict.fromkeys(slashing_codec.CASES, slashing_codec.from_proto),
    **dict.fromkeys(distribution_codec.CASES, distribution_codec.from_proto),
}
_TO_PROTO: dict[type, Callable[[Any], tx_pb2.Msg]] = {
    **dict.fromkeys(bank_codec.MSG_TYPES, bank_codec.to_proto),
    **dict.fromkeys(token_codec.MSG_TYPES, token_codec.to_proto),
    **dict.fromkeys(dex_codec.MSG_TYPES, dex_codec.to_proto),
    **dict.fromkeys(staking_codec.MSG_TYPES, staking_codec.to_proto),
    **dict.fromkeys(slashing_codec.MSG_TYPES, slashing_codec.to_proto),
    **dict.fromkeys(distribution_codec.MSG_TYPES, distribution_codec.to_proto),
}
# Message type → its gas from the chain params.
_GAS: dict[type, Callable[[Any, ChainParams], int]] = {
    **bank_codec.GAS,
    **token_codec.GAS,
    **dex_codec.GAS,
    **staking_codec.GAS,
    **slashing_codec.GAS,
    **distribution_codec.GAS,
}


def msg_from_proto(msg: tx_pb2.Msg, index: int) -> Msg:
    where = f"message {index}"
    decode = _FROM_PROTO.get(msg.WhichOneof("sum") or "")
    if decode is None:
        raise TxDecodeError(f"{where}: empty or unknown message type")
    return decode(msg, where)


def msg_to_proto(msg: Msg) -> tx_pb2.Msg:
    return _TO_PROTO[type(msg)](msg)


def msg_gas(msg: Msg, params: ChainParams) -> int:
    return _GAS[type(msg)](msg, params)
