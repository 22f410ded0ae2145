"""The module hooks that open and close every block, in their fixed order.

The begin hooks run before the block's first tx with ``BlockInfo`` (the previous block's time, its signers,
the block's evidence), so the proposer's execution stays valid. The end hooks run with the header's height
and time after the block's last tx, the same on every node whichever path executed the txs (the proposer's
own execution or a replay): the proposer fixes the header time only after ``prepare_proposal``, and no tx
result depends on them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from okchain.modules.blockinfo import BlockInfo
from okchain.modules.dex.endblock import end_block as dex_end_block
from okchain.modules.distribution.allocate import begin_block as distribution_begin_block
from okchain.modules.mint.keeper import begin_block as mint_begin_block
from okchain.modules.slashing.beginblock import begin_block as slashing_begin_block
from okchain.modules.staking.active import ValidatorUpdate
from okchain.modules.staking.endblock import end_block as staking_end_block
from okchain.state import schema
from okchain.state.cache import CacheKV
from okchain.state.codec import decode_uint
from okchain.state.store import KVReader
from okchain.types.params import ChainParams


@dataclass(frozen=True, slots=True)
class HookWrites:
    """What block hooks changed outside every tx: the keys, and each balance's net change. The mempool
    carries the changes into its check state instead of re-checking its pool (``Mempool.update``)."""

    keys: frozenset[bytes] = frozenset()
    credits: Mapping[bytes, int] = field(default_factory=dict)  # balance key -> amount added (< 0: taken)

    @staticmethod
    def of(branch: CacheKV, below: KVReader) -> "HookWrites":
        """The writes of hooks that ran on ``branch``, a branch of ``below`` not merged yet."""
        credits = {
            key: decode_uint(value) - decode_uint(below.get(key))
            for key, value in branch.writes.items()
            if schema.balance_owner(key) is not None
        }
        return HookWrites(frozenset(branch.writes), credits)

    def then(self, later: "HookWrites", *, ignore: bytes) -> "HookWrites":
        """These writes followed by ``later``'s, leaving out the key ``ignore``."""
        credits = dict(self.credits)
        for key, credit in later.credits.items():
            credits[key] = credits.get(key, 0) + credit
        credits.pop(ignore, None)
        return HookWrites((self.keys | later.keys) - {ignore}, credits)


def end_block(store: CacheKV, height: int, time_ns: int, params: ChainParams) -> list[ValidatorUpdate]:
    """The DEX auction and expiries, then staking (unbondings, the active set); returns the set's changes
    for consensus, which apply them from ``height + 2``."""
    dex_end_block(store, height, time_ns, params)
    return staking_end_block(store, height, time_ns, params)


def begin_block(store: CacheKV, info: BlockInfo, params: ChainParams) -> None:
    """Mint the block's provision; pay out the fee collector (the previous block's fees and the mint) to
    the community pool, the previous block's signers and the active set; then slashing: the previous
    height's signatures counted, the absent jailed, double signers tombstoned."""
    mint_begin_block(store, info, params)
    distribution_begin_block(store, info, params)
    slashing_begin_block(store, info, params)
