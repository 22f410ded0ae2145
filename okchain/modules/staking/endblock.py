"""The staking block end: matured unbondings return their OKT, and the active set may change.

Unbondings are keyed by completion time, so the block end reads exactly the matured ones and stops at the
first that is not; each was queued by a paid withdraw or destroy, so a block's work is bounded by gas
already paid. The active set is re-ranked at epochs and after a departure (``active.py``). Runs with the
header's height and time, after the block's last tx, identically on every node.
"""

from okchain.modules.staking import active
from okchain.modules.staking import keeper as k
from okchain.modules.staking.active import ValidatorUpdate
from okchain.modules.staking.keeper import Store
from okchain.types.params import ChainParams


def end_block(store: Store, height: int, time_ns: int, params: ChainParams) -> list[ValidatorUpdate]:
    for completion, addr, amount in k.matured(store, time_ns):
        k.finish_unbonding(store, completion, addr, amount)
    return active.end_block(store, height, params)
