"""Token messages ⇄ their ``Msg`` oneof cases, and what each costs in gas; gathered by
``okchain.tx.registry``."""

from collections.abc import Callable
from typing import Any

from okchain._pb.token.v1 import token_pb2
from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.token.messages import (
    BurnToken,
    IssueToken,
    MintToken,
    TokenMsg,
    TransferOwnership,
    issue_error,
)
from okchain.types.fields import TxDecodeError, address, denom, positive
from okchain.types.params import ChainParams

CASES = ("issue_token", "mint_token", "burn_token", "transfer_ownership")
MSG_TYPES = (IssueToken, MintToken, BurnToken, TransferOwnership)
GAS: dict[type, Callable[[Any, ChainParams], int]] = {
    IssueToken: lambda msg, p: p.token_issue_gas,
    MintToken: lambda msg, p: p.token_mint_gas,
    BurnToken: lambda msg, p: p.token_burn_gas,
    TransferOwnership: lambda msg, p: p.token_transfer_ownership_gas,
}


def from_proto(msg: tx_pb2.Msg, where: str) -> TokenMsg:
    case = msg.WhichOneof("sum")
    if case == "issue_token":
        m = msg.issue_token
        issue = IssueToken(m.symbol, m.name, positive(m.total_supply, f"{where} total supply"), m.mintable)
        reason = issue_error(issue)
        if reason:
            raise TxDecodeError(f"{where}: {reason}")
        return issue
    if case == "mint_token":
        return MintToken(denom(msg.mint_token.denom, where), positive(msg.mint_token.amount, where))
    if case == "burn_token":
        return BurnToken(denom(msg.burn_token.denom, where), positive(msg.burn_token.amount, where))
    t = msg.transfer_ownership
    return TransferOwnership(denom(t.denom, where), address(t.new_owner, f"{where} new owner"))


def to_proto(msg: TokenMsg) -> tx_pb2.Msg:
    if isinstance(msg, IssueToken):
        issue = token_pb2.MsgIssueToken(
            symbol=msg.symbol, name=msg.name, total_supply=str(msg.total_supply), mintable=msg.mintable
        )
        return tx_pb2.Msg(issue_token=issue)
    if isinstance(msg, MintToken):
        return tx_pb2.Msg(mint_token=token_pb2.MsgMintToken(denom=msg.denom, amount=str(msg.amount)))
    if isinstance(msg, BurnToken):
        return tx_pb2.Msg(burn_token=token_pb2.MsgBurnToken(denom=msg.denom, amount=str(msg.amount)))
    transfer = token_pb2.MsgTransferOwnership(denom=msg.denom, new_owner=msg.new_owner)
    return tx_pb2.Msg(transfer_ownership=transfer)
