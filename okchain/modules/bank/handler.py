"""Bank message handlers: pure functions of (store, context, msg) that raise ``BankError`` on failure."""

from functools import lru_cache

from okchain.crypto.address import to_checksum
from okchain.modules.auth.keeper import Store
from okchain.modules.bank import keeper
from okchain.modules.bank.messages import BankMsg, MultiSend, Transfer
from okchain.modules.context import MsgContext
from okchain.types.results import Event

# EIP-55 spelling costs a keccak per address; every transfer event spells two, on every node, in check_tx
# and again in the block. The function is pure, so a bounded memo cannot change any result.
_checksum = lru_cache(maxsize=65_536)(to_checksum)


def handle(store: Store, ctx: MsgContext, msg: BankMsg) -> list[Event]:
    signer = ctx.signer
    if isinstance(msg, Transfer):
        keeper.send(store, signer, msg.to, msg.denom, msg.amount)
        return [_transfer_event(signer, msg.to, msg.denom, msg.amount)]
    return _multi_send(store, signer, msg)


def _multi_send(store: Store, signer: bytes, msg: MultiSend) -> list[Event]:
    totals: dict[str, int] = {}
    for out in msg.outputs:
        totals[out.denom] = totals.get(out.denom, 0) + out.amount
    for denom, total in totals.items():  # insertion order = message order: deterministic
        keeper.sub_balance(store, signer, denom, total, what="multi-send")
    for out in msg.outputs:
        keeper.add_balance(store, out.to, out.denom, out.amount)
    return [_transfer_event(signer, out.to, out.denom, out.amount) for out in msg.outputs]


def _transfer_event(sender: bytes, to: bytes, denom: str, amount: int) -> Event:
    return Event(
        "transfer",
        (
            ("sender", _checksum(sender)),
            ("recipient", _checksum(to)),
            ("denom", denom),
            ("amount", str(amount)),
        ),
    )
