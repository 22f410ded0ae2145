"""The staking block end: unbondings whose completion time has come return their OKT to the account.

Unbondings are keyed by completion time, so the block end reads exactly the matured ones and stops at the
first that is not; each was queued by a paid withdraw or destroy, so a block's work is bounded by gas
already paid. Runs with the header's time, after the block's last tx, identically on every node.
"""

from okchain.modules.staking import keeper as k
from okchain.modules.staking.keeper import Store


def end_block(store: Store, time_ns: int) -> None:
    for completion, addr, amount in k.matured(store, time_ns):
        k.finish_unbonding(store, completion, addr, amount)
