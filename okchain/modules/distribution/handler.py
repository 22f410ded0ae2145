"""The distribution message handler: a pure function of (store, context, msg), like every module's."""

from okchain.crypto.address import to_checksum
from okchain.modules.bank import keeper as bank
from okchain.modules.context import ModuleError, MsgContext
from okchain.modules.distribution import keeper as k
from okchain.modules.distribution.messages import DistributionMsg
from okchain.modules.staking.keeper import Store
from okchain.types.params import OKT_DENOM
from okchain.types.results import Code, Event


class NoRewards(ModuleError):
    code = Code.DISTRIBUTION_NO_REWARDS


def handle(store: Store, ctx: MsgContext, msg: DistributionMsg) -> list[Event]:
    """Withdraw the signer's rewards from one validator or from every validator it has a record with (a
    stake record exists from its first stake until a withdraw finds it empty), then its commission."""
    signer = ctx.signer
    if msg.validator is None:
        operators = [op for op, _ in k.stake_records(store, signer)]
    elif k.get_stake(store, signer, msg.validator) is not None:
        operators = [msg.validator]
    else:
        raise NoRewards(f"{to_checksum(signer)} has no rewards from validator {to_checksum(msg.validator)}")
    rewards = sum(k.withdraw(store, signer, op) for op in operators)
    commission = k.take_commission(store, signer)
    if commission:
        bank.send(store, k.REWARDS_POOL, signer, OKT_DENOM, commission)
    attrs = (("rewards", str(rewards)), ("commission", str(commission)))
    return [Event("withdraw_rewards", (("address", to_checksum(signer)), *attrs))]
