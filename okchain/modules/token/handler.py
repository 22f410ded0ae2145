"""Token message handlers: pure functions of (store, context, msg) that raise ``TokenError`` or bank errors.

The issue fee is burned (OKT supply falls by it) rather than paid to a community pool: no module can spend
a pool yet, and a burn keeps the fee out of circulation for good, which is OKB's buy-back-and-burn policy
carried over to OKT. Writes land in deliver.py's branch, which is dropped when a handler raises.
"""

import dataclasses

from okchain.crypto.address import to_checksum
from okchain.modules.auth.keeper import Store
from okchain.modules.bank import keeper as bank
from okchain.modules.context import MsgContext
from okchain.modules.token import keeper
from okchain.modules.token.messages import BurnToken, IssueToken, MintToken, TokenMsg, TransferOwnership
from okchain.types.params import OKT_DENOM
from okchain.types.results import Event


def handle(store: Store, ctx: MsgContext, msg: TokenMsg) -> list[Event]:
    if isinstance(msg, IssueToken):
        return _issue(store, ctx, msg)
    if isinstance(msg, MintToken):
        info = keeper.owned(store, msg.denom, ctx.signer, "mint")
        keeper.check_mint(store, info, msg.amount)
        bank.mint(store, ctx.signer, msg.denom, msg.amount)
        return [_event("mint_token", msg.denom, owner=ctx.signer, amount=msg.amount)]
    if isinstance(msg, BurnToken):
        keeper.require_exists(store, msg.denom, "burn")
        bank.burn(store, ctx.signer, msg.denom, msg.amount)
        return [_event("burn_token", msg.denom, burner=ctx.signer, amount=msg.amount)]
    return _transfer_ownership(store, ctx, msg)


def _issue(store: Store, ctx: MsgContext, msg: IssueToken) -> list[Event]:
    fee = ctx.params.token_issue_fee
    if fee:
        bank.burn(store, ctx.signer, OKT_DENOM, fee, what="token issue fee")
    denom = keeper.new_denom(store, msg.symbol, ctx.tx_hash)
    keeper.set_token(store, keeper.TokenInfo(denom, msg.name, ctx.signer, msg.mintable, msg.total_supply))
    bank.mint(store, ctx.signer, denom, msg.total_supply)
    return [
        Event(
            "issue_token",
            (
                ("denom", denom),
                ("symbol", msg.symbol),
                ("name", msg.name),
                ("owner", to_checksum(ctx.signer)),
                ("total_supply", str(msg.total_supply)),
                ("mintable", str(msg.mintable).lower()),
                ("fee_burned", str(fee)),
            ),
        )
    ]


def _transfer_ownership(store: Store, ctx: MsgContext, msg: TransferOwnership) -> list[Event]:
    info = keeper.owned(store, msg.denom, ctx.signer, "transfer ownership of")
    keeper.set_token(store, dataclasses.replace(info, owner=msg.new_owner))
    return [_event("transfer_ownership", msg.denom, previous_owner=ctx.signer, new_owner=msg.new_owner)]


def _event(kind: str, denom: str, **fields: bytes | int) -> Event:
    """Addresses (bytes) as EIP-55, amounts as decimal strings; attribute order is the call's."""
    attrs = [("denom", denom)]
    attrs += [(k, to_checksum(v) if isinstance(v, bytes) else str(v)) for k, v in fields.items()]
    return Event(kind, tuple(attrs))
