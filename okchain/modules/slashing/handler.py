"""Unjail: a validator jailed for downtime becomes a candidate again once its jail time is over."""

from dataclasses import replace

from okchain.crypto.address import to_checksum
from okchain.modules.context import MsgContext
from okchain.modules.slashing import keeper as k
from okchain.modules.slashing.messages import SlashingMsg
from okchain.modules.staking import keeper as staking
from okchain.types.results import Event


def handle(store: k.Store, ctx: MsgContext, msg: SlashingMsg) -> list[Event]:
    v = staking.live_validator(store, ctx.signer, "unjail")
    record = k.get_info(store, v.pubkey)
    if record is None or not (record.jailed or record.tombstoned):
        raise k.NotJailed(f"validator {to_checksum(ctx.signer)} is not jailed")
    if record.tombstoned:
        raise k.Tombstoned(f"validator {to_checksum(ctx.signer)} double-signed and is jailed for good")
    if ctx.time_ns < record.jailed_until_ns:
        raise k.StillJailed(
            f"validator {to_checksum(ctx.signer)} is jailed until block time {record.jailed_until_ns}; "
            f"the last block's time is {ctx.time_ns}"
        )
    k.set_info(store, v.pubkey, replace(record, jailed=False, start_height=ctx.height, index=0, missed=0))
    return [Event("unjail", (("address", to_checksum(ctx.signer)), ("pubkey", v.pubkey.hex())))]
