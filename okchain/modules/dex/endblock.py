"""The DEX block end: one call auction per pair, then fills, refunds and fees, all batched.

Runs after the block's last tx, with the header's time, identically on every node:
1. gather the block's changes: its new orders still open, the journal (cancels, delists) and the orders
   placed ``dex_order_expiry_blocks`` ago that are still open (they expire now, before matching);
2. for every touched pair in id order: load the book, drop cancelled/expired orders, append the new ones
   (ids ascend, so the book stays in time-priority order); a delisted pair cancels its whole book;
3. ``run_block`` clears and settles every touched listed pair at once (an untouched book did not cross
   after its last auction and has not changed since, so it cannot trade);
4. fills and closings update the order records chunk by chunk; what each account receives is summed per
   (account, denom) and paid out of the lock account once (``Ledger``); books, deals, fills and last
   prices are written once per pair;
5. the per-height history of ``height - dex_history_blocks`` is deleted (``history.prune``).
"""

import dataclasses
import itertools
import math

import numpy as np
import numpy.typing as npt

from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.auth.keeper import Store
from okchain.modules.dex import history
from okchain.modules.dex import keeper as k
from okchain.modules.dex.auction import Book, run_block
from okchain.modules.dex.messages import SEQ_BITS, Side
from okchain.state import schema
from okchain.types.params import OKT_DENOM, ChainParams

I64 = npt.NDArray[np.int64]
_SEQ_MASK = (1 << SEQ_BITS) - 1
_BPS = 10_000


# Per changed order: what it filled now and the fund movements of that fill (``Settlement`` columns in lots
# and tick-lots), its status after this block; concatenated once in ``_apply``.
_COLUMNS = ("id", "filled", "status", "base_in", "base_rem", "quote_in", "quote_rem",
            "fee_base", "fee_base_rem", "fee_quote", "fee_quote_rem")  # fmt: skip


class _Changes:
    """Order-record changes of this block end, as lists of column arrays."""

    def __init__(self) -> None:
        self.cols: dict[str, list[I64]] = {name: [] for name in _COLUMNS}

    def add(self, ids: I64, status: int | I64, **amounts: I64) -> None:
        n = len(ids)
        if n == 0:
            return
        zeros = np.zeros(n, np.int64)
        for name in _COLUMNS:
            value = ids if name == "id" else status if name == "status" else amounts.get(name, zeros)
            self.cols[name].append(np.broadcast_to(np.asarray(value, np.int64), (n,)))

    def concat(self) -> dict[str, I64] | None:
        if not self.cols["id"]:
            return None
        return {name: np.concatenate(parts) for name, parts in self.cols.items()}


_ADDRESS_WORDS = np.dtype([("a", "<u8"), ("b", "<u8"), ("c", "<u4")])  # a V20 address as three integers


class _Payments:
    """Ledger lines ``addr += value * unit`` as int64 columns. Lines come in id order, so one tx's orders are
    adjacent and share an owner: each run of equal addresses is summed with numpy and paid once, so the
    Python work is per run (about one per tx and denom), not per order. No sort is needed."""

    def __init__(self, ledger: k.Ledger) -> None:
        self._ledger = ledger

    def credit(self, addr: npt.NDArray[np.void] | bytes, denom: str, values: I64, unit: int = 1) -> None:
        """Pay each owner ``values * unit`` base units of ``denom`` (``unit``: base units per lot, per
        tick·lot, per block's fee, or 1)."""
        self._post(addr, denom, unit, values)

    def debit(self, addr: npt.NDArray[np.void] | bytes, denom: str, values: I64) -> None:
        """Take ``values`` base units of ``denom`` back from each owner: the part of a whole unit credited
        above that a fee's fraction keeps."""
        self._post(addr, denom, -1, values)

    def _post(self, addr: npt.NDArray[np.void] | bytes, denom: str, unit: int, values: I64) -> None:
        if not values.any():  # fee remainders and unfilled amounts are mostly all zero
            return
        if isinstance(addr, bytes):
            starts = [0]
            owners = [addr]
        else:
            words = addr.view(_ADDRESS_WORDS)
            change = (words["a"][1:] != words["a"][:-1]) | (words["b"][1:] != words["b"][:-1])
            change |= words["c"][1:] != words["c"][:-1]
            starts = np.flatnonzero(np.r_[True, change]).tolist()
            owners = [a.tobytes() for a in addr[starts]]
        # every value is in 0..2**63: sum 32-bit halves so that no sum can overflow int64
        high = np.add.reduceat(values >> 32, starts).tolist()
        low = np.add.reduceat(values & 0xFFFFFFFF, starts).tolist()
        pay = self._ledger.pay
        for owner, h, lo in zip(owners, high, low, strict=True):
            if h or lo:
                pay(owner, denom, ((h << 32) + lo) * unit)


def _book_rows(orders: npt.NDArray[np.void], seqs: I64, height: int) -> npt.NDArray[np.void]:
    rows = np.zeros(len(seqs), k.BOOK)
    rows["id"] = (height << SEQ_BITS) | seqs
    sel = orders[seqs]
    rows["side"] = sel["side"]
    rows["price"] = sel["price"]
    rows["remaining"] = sel["quantity"] - sel["filled"]
    return rows


def end_block(store: Store, height: int, time_ns: int, params: ChainParams) -> None:
    """The block's auction, expiries and settlement; then the history of the height that just left the
    ``dex_history_blocks`` window is deleted (after the expiries, which may close that height's orders)."""
    _clear(store, height, time_ns, params)
    history.prune(store, height, params)


def _clear(store: Store, height: int, time_ns: int, params: ChainParams) -> None:
    new = k.block_orders(store, height)
    new_seqs = np.flatnonzero(new["status"] == k.Status.OPEN).astype(np.int64)
    journal = k.journal(store, height)
    cancels = journal[journal["kind"] == k.JOURNAL_CANCEL]
    delisted = set(journal[journal["kind"] == k.JOURNAL_DELIST]["pair"].tolist())
    expiring_height = height - max(params.dex_order_expiry_blocks, 1)  # an order lives through >= 1 auction
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
    changes = _Changes()
    changes.add(expiring_ids, k.Status.EXPIRED)
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
            changes.add(rows["id"], k.Status.CANCELLED)
            rows = rows[:0]
        pairs.append(pair)
        stored.append(book)
        books.append(rows)
    live = [i for i, p in enumerate(pairs) if p.active and len(books[i])]
    matched = [
        Book(
            books[i]["side"].astype(np.int8),
            books[i]["price"].astype(np.int64),
            books[i]["remaining"].astype(np.int64),
            books[i]["id"].astype(np.int64),
        )
        for i in live
    ]
    results = run_block(
        matched,
        [pairs[i].last_price for i in live],
        [pairs[i].price_decimals for i in live],
        [pairs[i].quantity_decimals for i in live],
        params.dex_deal_fee_bps,
    )
    for i, auction_book, (auction, settlement) in zip(live, matched, results, strict=True):
        if auction.volume == 0:
            continue
        rows = books[i].copy()
        filled = auction.filled
        hit = np.flatnonzero(filled)
        rows["remaining"] -= filled
        buy = auction_book.side[hit] == Side.BUY
        lots, fee = filled[hit], settlement.fee[hit]
        fee_base = np.where(buy, fee, 0)
        fee_base_rem = np.where(buy, _frac_units(settlement.fee_frac[hit], settlement.base_unit), 0)
        fee_quote = np.where(buy, 0, fee)
        fee_quote_rem = np.where(buy, 0, _frac_units(settlement.fee_frac[hit], settlement.quote_unit))
        changes.add(
            rows["id"][hit],
            np.where(rows["remaining"][hit] == 0, k.Status.FILLED, k.Status.OPEN),
            filled=lots,
            base_in=np.where(buy, lots - fee, 0),
            base_rem=fee_base_rem,
            quote_in=np.where(buy, settlement.refund_quote[hit], settlement.deal_quote[hit] - fee),
            quote_rem=fee_quote_rem,
            fee_base=fee_base,
            fee_base_rem=fee_base_rem,
            fee_quote=fee_quote,
            fee_quote_rem=fee_quote_rem,
        )
        _record_deal(store, pairs[i].id, height, time_ns, auction.price, auction.volume, rows[hit], lots)
        k.put_pair(store, dataclasses.replace(pairs[i], last_price=auction.price))
        books[i] = rows[rows["remaining"] > 0]
    for book, rows in zip(stored, books, strict=True):
        k.save_book(store, book, rows)
    ledger = k.Ledger()
    _apply(store, changes, height, params, ledger, {p.id: p for p in pairs})
    ledger.settle(store)


def _frac_units(frac: I64, unit: int) -> I64:
    """``floor(frac * unit / 10_000)`` base units for ``frac`` ten-thousandths of ``unit``, in int64: both
    sides are divided by gcd(unit, 10_000) first, so the product stays below 10**18."""
    g = math.gcd(unit, _BPS)
    out: I64 = frac * (unit // g) // (_BPS // g)
    return out


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
    traded = schema.dex_traded(height)
    store.set(traded, (store.get(traded) or b"") + np.array([pair_id], "<u4").tobytes())
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
    each owner, pair owner and the fee collector receive on the ledger."""
    cols = changes.concat()
    if cols is None:
        return
    order = np.argsort(cols["id"], kind="stable")
    cols = {name: col[order] for name, col in cols.items()}
    ids, status = cols["id"], cols["status"]
    seqs = ids & _SEQ_MASK
    groups = (ids >> SEQ_BITS) * (1 << 16) + seqs // k.ORDERS_PER_CHUNK
    starts = [*np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]).tolist(), len(ids)]
    records: list[npt.NDArray[np.void]] = []
    for a, b in itertools.pairwise(starts):
        placed = int(ids[a] >> SEQ_BITS)
        chunk = int(seqs[a]) // k.ORDERS_PER_CHUNK
        rows = k.load_chunk(store, placed, chunk)
        idx = seqs[a:b] % k.ORDERS_PER_CHUNK
        rows["filled"][idx] += cols["filled"][a:b]
        rows["status"][idx] = status[a:b]
        rows["closed"][idx] = np.where(status[a:b] != k.Status.OPEN, height, 0)
        records.append(rows[idx])
        k.save_chunk(store, placed, chunk, rows)
    rec = np.concatenate(records)
    owner, side = rec["owner"], rec["side"]
    closing = status != k.Status.OPEN
    unfilled = np.where(closing & (status != k.Status.FILLED), rec["quantity"] - rec["filled"], 0)
    pay = _Payments(ledger)
    for pair_id in np.unique(rec["pair"]).tolist():
        pair = pairs[pair_id]
        mine = rec["pair"] == pair_id
        buy, sell = mine & (side == Side.BUY), mine & (side == Side.SELL)
        pay.credit(owner[buy], pair.base, cols["base_in"][buy], pair.base_unit)
        pay.debit(owner[buy], pair.base, cols["base_rem"][buy])
        pay.credit(
            owner[buy], pair.quote, cols["quote_in"][buy] + rec["price"][buy] * unfilled[buy], pair.quote_unit
        )
        pay.credit(owner[sell], pair.quote, cols["quote_in"][sell], pair.quote_unit)
        pay.debit(owner[sell], pair.quote, cols["quote_rem"][sell])
        pay.credit(owner[sell], pair.base, unfilled[sell], pair.base_unit)
        pay.credit(pair.owner, pair.base, cols["fee_base"][mine], pair.base_unit)
        pay.credit(pair.owner, pair.base, cols["fee_base_rem"][mine])
        pay.credit(pair.owner, pair.quote, cols["fee_quote"][mine], pair.quote_unit)
        pay.credit(pair.owner, pair.quote, cols["fee_quote_rem"][mine])
    # the OKT fee reserve of every closing order: blocks it was open are charged, the rest refunded
    open_blocks = np.minimum(height - (ids[closing] >> SEQ_BITS), params.dex_order_expiry_blocks)
    pay.credit(
        owner[closing], OKT_DENOM, params.dex_order_expiry_blocks - open_blocks, params.dex_fee_per_block
    )
    pay.credit(bytes(FEE_COLLECTOR), OKT_DENOM, open_blocks, params.dex_fee_per_block)
