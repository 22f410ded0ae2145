"""Bank messages ⇄ their ``Msg`` oneof cases (``transfer``, ``multi_send``), and what each costs in gas;
gathered by ``okchain.tx.registry``."""

from collections.abc import Callable
from typing import Any

from okchain._pb.bank.v1 import bank_pb2
from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.bank.messages import BankMsg, MultiSend, Output, Transfer
from okchain.types.fields import TxDecodeError, address, denom, positive
from okchain.types.params import ChainParams

CASES = ("transfer", "multi_send")
MSG_TYPES = (Transfer, MultiSend)
GAS: dict[type, Callable[[Any, ChainParams], int]] = {
    Transfer: lambda msg, p: p.transfer_gas,
    MultiSend: lambda msg, p: p.multisend_output_gas * len(msg.outputs),
}


def from_proto(msg: tx_pb2.Msg, where: str) -> BankMsg:
    if msg.WhichOneof("sum") == "transfer":
        t = msg.transfer
        return Transfer(address(t.to, where), denom(t.denom, where), positive(t.amount, where))
    if not msg.multi_send.outputs:
        raise TxDecodeError(f"{where}: multi-send has no outputs")
    return MultiSend(
        tuple(
            Output(
                address(o.to, f"{where} output {i}"),
                denom(o.denom, f"{where} output {i}"),
                positive(o.amount, f"{where} output {i}"),
            )
            for i, o in enumerate(msg.multi_send.outputs)
        )
    )


def to_proto(msg: BankMsg) -> tx_pb2.Msg:
    if isinstance(msg, Transfer):
        return tx_pb2.Msg(transfer=bank_pb2.MsgTransfer(to=msg.to, denom=msg.denom, amount=str(msg.amount)))
    outputs = [bank_pb2.Output(to=o.to, denom=o.denom, amount=str(o.amount)) for o in msg.outputs]
    return tx_pb2.Msg(multi_send=bank_pb2.MsgMultiSend(outputs=outputs))
