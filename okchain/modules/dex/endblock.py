"""The DEX block end: one call auction per pair, then fills, refunds and fees, all batched.

Runs after the block's last tx, with the header's time, identically on every node:
1. gather the block's changes: its new orders still open, the journal (cancels, delists) and the orders
   placed ``dex_order_expiry_blocks`` ago that are still open (they expire now, before matching);
2. for every touched pair in id order: load the book, drop cancelled/expired orders, append the new ones
   (ids ascend, so the book stays in time-priority order); a delisted pair cancels its whole book;
3. ``run_many`` clears every touched listed pair at once (untouched books did not cross after their last
   auction and did not change, so they cannot trade);
4. fills and closings update the order records chunk by chunk; what each account receives is summed per
   (account, denom) and paid out of the lock account once (``Ledger``); books, deals, fills and last
   prices are written once per pair.
"""

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from okchain.modules.auth.keeper import Store
from okchain.modules.dex import keeper as k
from okchain.modules.dex.auction import Book, run_many
from okchain.modules.dex.messages import SEQ_BITS, Side
from okchain.state import schema
from okchain.types.params import OKT_DENOM, ChainParams

I64 = npt.NDArray[np.int64]
_SEQ_MASK = (1 << SEQ_BITS) - 1


@dataclass(slots=True)
class _Changes:
    """Order-record changes of this block end, as parallel lists of arrays (concatenated once)."""

    ids: list[I64]
    filled: list[I64]  # lots filled now
    price: list[I64]  # clearing price of those fills (ticks)
    status: list[npt.NDArray[np.uint8]]  # status after this block (OPEN if still open)

    def add(self, ids: I64, filled: I64, price: int, status: int | npt.NDArray[np.uint8]) -> None:
        n = len(ids)
        if n == 0:
            return
        self.ids.append(ids.astype(np.int64))
        self.filled.append(filled.astype(np.int64))
        self.price.append(np.full(n, price, np.int64))
        self.status.append(np.broadcast_to(np.asarray(status, np.uint8), (n,)))


def _book_rows(orders: npt.NDArray[np.void], seqs: I64, height: int) -> npt.NDArray[np.void]:
    rows = np.zeros(len(seqs), k.BOOK)
    rows["id"] = (height << SEQ_BITS) | seqs
    sel = orders[seqs]
    rows["side"] = sel["side"]
    rows["price"] = sel["price"]
    rows["remaining"] = sel["quantity"] - sel["filled"]
    return rows


def end_block(store: Store, height: int, time_ns: int, params: ChainParams) -> None:
    new = k.block_orders(store, height)
    new_seqs = np.flatnonzero(new["status"] == k.Status.OPEN).astype(np.int64)
    journal = k.journal(store, height)
    cancels = journal[journal["kind"] == k.JOURNAL_CANCEL]
    delisted = set(journal[journal["kind"] == k.JOURNAL_DELIST]["pair"].tolist())
    expiring_height = height - params.dex_order_expiry_blocks
    old = k.block_orders(store, expiring_height) if expiring_height >= 1 else np.zeros(0, k.ORDER)
    old_seqs = np.flatnonzero(old["status"] == k.Status.OPEN).astype(np.int64)
    expiring_ids = (expiring_height << SEQ_BITS) | old_seqs
    touched = sorted(
        set(new["pair"][new_seqs].tolist())
        | set(cancels["pair"].tolist())
        | delisted
        | set(old["pair"][old_seqs].tolist())
    )
    if not touched:
        return
    changes = _Changes([], [], [], [])
    changes.add(expiring_ids, np.zeros(len(expiring_ids), np.int64), 0, k.Status.EXPIRED)
    removed = np.concatenate([cancels["id"], expiring_ids])
    pairs: list[k.Pair] = []
    stored: list[k.StoredBook] = []
    books: list[np.ndarray] = []
    for pair_id in touched:
        pair = k.get_pair(store, pair_id)
        book = k.load_book(store, pair_id)
        rows = book.rows
        if len(removed) and len(rows):
            rows = rows[~np.isin(rows["id"], removed)]
        mine = new_seqs[new["pair"][new_seqs] == pair_id]
        rows = np.concatenate([rows, _book_rows(new, mine, height)])
        if not pair.active:
            changes.add(rows["id"], np.zeros(len(rows), np.int64), 0, k.Status.CANCELLED)
            rows = rows[:0]
        pairs.append(pair)
        stored.append(book)
        books.append(rows)
    live = [i for i, p in enumerate(pairs) if p.active and len(books[i])]
    auctions = run_many(
        [
            Book(
                books[i]["side"].astype(np.int8),
                books[i]["price"].astype(np.int64),
                books[i]["remaining"].astype(np.int64),
                books[i]["id"].astype(np.int64),
            )
            for i in live
        ],
        [pairs[i].last_price for i in live],
    )
    for i, auction in zip(live, auctions, strict=True):
        if auction.volume == 0:
            continue
        rows = books[i].copy()
        filled = auction.filled
        hit = np.flatnonzero(filled)
        rows["remaining"] -= filled
        done = rows["remaining"][hit] == 0
        status = np.where(done, k.Status.FILLED, k.Status.OPEN).astype(np.uint8)
        changes.add(rows["id"][hit], filled[hit], auction.price, status)
        _record_deal(
            store, pairs[i].id, height, time_ns, auction.price, auction.volume, rows[hit], filled[hit]
        )
        p = pairs[i]
        k.put_pair(
            store,
            k.Pair(
                p.id,
                p.base,
                p.quote,
                p.price_decimals,
                p.quantity_decimals,
                p.min_lots,
                p.owner,
                p.active,
                auction.price,
                p.listed_height,
            ),
        )
        books[i] = rows[rows["remaining"] > 0]
    for book, rows in zip(stored, books, strict=True):
        k.save_book(store, book, rows)
    ledger = k.Ledger()
    _apply(store, changes, height, params, ledger, {p.id: p for p in pairs})
    ledger.settle(store)


def _record_deal(
    store: Store,
    pair_id: int,
    height: int,
    time_ns: int,
    price: int,
    volume: int,
    rows: npt.NDArray[np.void],
    filled: I64,
) -> None:
    deal = np.zeros(1, k.DEAL)
    deal[0] = (height, time_ns, price, volume, len(rows))
    store.set(schema.dex_deal(pair_id, height), deal.tobytes())
    fills = np.zeros(len(rows), k.FILL)
    fills["id"] = rows["id"]
    fills["side"] = rows["side"]
    fills["filled"] = filled
    for c, start in enumerate(range(0, len(fills), k.FILLS_PER_CHUNK)):
        store.set(schema.dex_fills(pair_id, height, c), fills[start : start + k.FILLS_PER_CHUNK].tobytes())


def _apply(
    store: Store,
    changes: _Changes,
    height: int,
    params: ChainParams,
    ledger: k.Ledger,
    pairs: dict[int, k.Pair],
) -> None:
    """Write fills and closings into the order records (one read and write per touched chunk) and put what
    each owner receives on the ledger."""
    if not changes.ids:
        return
    ids = np.concatenate(changes.ids)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    filled_now = np.concatenate(changes.filled)[order]
    price = np.concatenate(changes.price)[order]
    status = np.concatenate(changes.status)[order]
    seqs = ids & _SEQ_MASK
    groups = (ids >> SEQ_BITS) * (1 << 16) + seqs // k.ORDERS_PER_CHUNK
    starts = [*np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]).tolist(), len(ids)]
    reserve = k.fee_reserve(params)
    bps = params.dex_deal_fee_bps
    for a, b in itertools.pairwise(starts):
        placed = int(ids[a] >> SEQ_BITS)
        chunk = int(seqs[a]) // k.ORDERS_PER_CHUNK
        records = k.load_chunk(store, placed, chunk)
        idx = seqs[a:b] % k.ORDERS_PER_CHUNK
        records["filled"][idx] += filled_now[a:b]
        closing = status[a:b] != k.Status.OPEN
        records["status"][idx] = status[a:b]
        records["closed"][idx] = np.where(closing, height, 0)
        sel = records[idx]
        charged = k.fee_charged(params, placed, height)
        for owner_v, pair_id, side, limit, qty, done, f, c, st in zip(
            sel["owner"].tolist(),
            sel["pair"].tolist(),
            sel["side"].tolist(),
            sel["price"].tolist(),
            sel["quantity"].tolist(),
            sel["filled"].tolist(),
            filled_now[a:b].tolist(),
            price[a:b].tolist(),
            status[a:b].tolist(),
            strict=True,
        ):
            owner = bytes(owner_v)
            pair = pairs[pair_id]
            if f:
                if side == Side.BUY:
                    got = f * pair.base_unit
                    fee = got * bps // 10_000
                    ledger.pay(owner, pair.base, got - fee)
                    ledger.pay(pair.owner, pair.base, fee)
                    ledger.pay(owner, pair.quote, (limit - c) * f * pair.quote_unit)
                else:
                    got = c * f * pair.quote_unit
                    fee = got * bps // 10_000
                    ledger.pay(owner, pair.quote, got - fee)
                    ledger.pay(pair.owner, pair.quote, fee)
            if st != k.Status.OPEN:
                if st != k.Status.FILLED:
                    denom, amount = k.order_lock(pair, side, limit, qty - done)
                    ledger.pay(owner, denom, amount)
                ledger.pay(owner, OKT_DENOM, reserve - charged)
                ledger.pay(k.FEE_COLLECTOR, OKT_DENOM, charged)
        k.save_chunk(store, placed, chunk, records)
