"""Bounded DEX history: what a height wrote is deleted ``dex_history_blocks`` blocks later.

Every block writes per-height records that nothing reads once its orders have closed: the order rows and
their count, the address index entries of the accounts that placed them, the journal, and the deals and
fills of the pairs that traded. Without a bound they grow with the chain's age. At the end of block ``H``
the history of ``H - dex_history_blocks`` goes, so each block deletes the rows of exactly one height: the
work is bounded by what that height wrote, never by the size of the state.

The window is at least ``dex_order_expiry_blocks`` (``ChainParams`` refuses less), and the prune runs after
that block's expiries, so every order of a pruned height is closed and off the books by then. Should an
open row ever be found anyway, that height's orders are kept rather than lose funds or a book entry.
"""

import numpy as np

from okchain.modules.auth.keeper import Reader, Store
from okchain.modules.dex import keeper as k
from okchain.state import schema
from okchain.types.params import ChainParams


def earliest_kept(params: ChainParams, height: int) -> int:
    """The lowest height whose DEX history the state after block ``height`` still holds."""
    if params.dex_history_blocks == 0:
        return 1
    return max(1, height - params.dex_history_blocks + 1)


def pruned(params: ChainParams, height: int, placed: int) -> bool:
    """An order or deal of ``placed`` is gone from the state after block ``height``."""
    return placed < earliest_kept(params, height)


def prune(store: Store, height: int, params: ChainParams) -> None:
    """Delete the history of ``height - dex_history_blocks`` (nothing while the window is not full)."""
    if params.dex_history_blocks == 0 or height <= params.dex_history_blocks:
        return
    old = height - params.dex_history_blocks
    _prune_orders(store, old)
    _prune_deals(store, old)
    store.delete(schema.dex_journal(old))


def _prune_orders(store: Store, old: int) -> None:
    rows = k.block_orders(store, old)
    if len(rows) == 0:
        return
    if (rows["status"] == k.Status.OPEN).any():
        return  # cannot happen with a valid window; keeping the rows keeps the order whole
    # the index holds one key per (owner, height): the owners of this height's rows are exactly its keys
    for owner in sorted({o.tobytes() for o in rows["owner"]}):
        store.delete(schema.dex_address_orders(owner, old))
    for chunk in range((len(rows) + k.ORDERS_PER_CHUNK - 1) // k.ORDERS_PER_CHUNK):
        store.delete(schema.dex_orders(old, chunk))
    store.delete(schema.dex_order_count(old))


def _prune_deals(store: Store, old: int) -> None:
    traded = schema.dex_traded(old)
    for pair_id in traded_pairs(store, old):
        key = schema.dex_deal(pair_id, old)
        raw = store.get(key)
        if raw is None:
            continue
        fills = int(np.frombuffer(raw, k.DEAL)[0]["fills"])
        for chunk in range((fills + k.FILLS_PER_CHUNK - 1) // k.FILLS_PER_CHUNK):
            store.delete(schema.dex_fills(pair_id, old, chunk))
        store.delete(key)
    store.delete(traded)


def traded_pairs(store: Reader, height: int) -> list[int]:
    """The ids of the pairs whose auction traded at ``height``, ascending."""
    ids: list[int] = np.frombuffer(store.get(schema.dex_traded(height)) or b"", "<u4").tolist()
    return ids
