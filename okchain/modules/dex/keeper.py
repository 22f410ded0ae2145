"""DEX state: pairs, per-block order records, per-pair books, deals; and the amount conversions.

Layout (keys built in ``okchain/state/schema.py`` under ``S`` + ``X``), shaped so a block of N orders writes
O(N / chunk) keys rather than one key per order:

* pair ``p<id>``: a small record (base, quote, precision, minimum, owner, listed/delisted, last price);
  ``n<base_quote>`` → id, ``P`` → the number of pairs (ids are 0, 1, ...).
* orders ``o<height><chunk>``: every order placed at ``height`` as packed fixed-size ``ORDER`` rows, row
  ``seq % ORDERS_PER_CHUNK`` of chunk ``seq // ORDERS_PER_CHUNK``; ``c<height>`` holds the count. The record
  is the order's whole life: owner, pair, side, limit, quantity, filled, status, closing height. Order by id
  is one read; a chunk is rewritten only in blocks where one of its orders changes.
* address index ``a<addr><height>``: the sequences of ``addr``'s orders placed at ``height`` (u32 each).
* journal ``j<height>``: cancellations and delistings made by txs of ``height``, applied at block end.
* book ``B<pair>`` → the first ids of the pair's book chunks; ``b<pair><first id>``: that chunk's open
  orders as packed ``BOOK`` rows (id, side, limit, remaining) in id (= time priority) order. A chunk holds
  the ids from its first id up to the next chunk's; only chunks whose bytes change are rewritten.
* deals ``d<pair><inverted height>``: one ``DEAL`` row per block that traded (height, time, price, volume,
  fills), newest first; ``f<pair><height><chunk>``: that block's fills as ``FILL`` rows.

Funds: placing an order moves its lock from the owner to the ``DEX_LOCK`` module account through the bank
keeper, so ``sum(balances) == supply`` keeps holding and "locked" is that account's balance.
"""

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from okchain.modules.accounts import module_address
from okchain.modules.auth.keeper import Reader, Store
from okchain.modules.bank import keeper as bank
from okchain.modules.context import ModuleError
from okchain.modules.dex.messages import SEQ_BITS, Side, pair_name
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.types.params import ChainParams
from okchain.types.results import Code

DEX_LOCK: Final = module_address("dex_lock")  # holds every open order's locked funds

ORDERS_PER_CHUNK = 2048
BOOK_ROWS_PER_CHUNK = 8192
FILLS_PER_CHUNK = 8192


class Status(IntEnum):
    OPEN = 0
    FILLED = 1
    CANCELLED = 2
    EXPIRED = 3


def status_name(status: int, filled: int) -> str:
    """Wallet-facing status; a cancelled or expired order that had fills says so."""
    s = Status(status)
    if s in (Status.CANCELLED, Status.EXPIRED) and filled:
        return f"partially-filled-then-{s.name.lower()}"
    return s.name.lower()


ORDER = np.dtype(
    [
        ("owner", "V20"),
        ("pair", "<u4"),
        ("side", "u1"),
        ("status", "u1"),
        ("price", "<i8"),  # limit, ticks
        ("quantity", "<i8"),  # lots
        ("filled", "<i8"),  # lots
        ("closed", "<u8"),  # height it closed at, 0 while open
    ]
)
BOOK = np.dtype([("id", "<i8"), ("side", "u1"), ("price", "<i8"), ("remaining", "<i8")])
FILL = np.dtype([("id", "<i8"), ("side", "u1"), ("filled", "<i8")])
DEAL = np.dtype(
    [("height", "<u8"), ("time_ns", "<i8"), ("price", "<i8"), ("volume", "<i8"), ("fills", "<u4")]
)
JOURNAL = np.dtype([("kind", "u1"), ("pair", "<u4"), ("id", "<i8")])
JOURNAL_CANCEL = 1
JOURNAL_DELIST = 2

OrderRows = npt.NDArray[np.void]


class DexError(ModuleError):
    """A DEX message that cannot run; the message says which item and why."""


class UnknownPair(DexError):
    code = Code.DEX_UNKNOWN_PAIR


class UnknownOrder(DexError):
    code = Code.DEX_UNKNOWN_ORDER


class NotOwner(DexError):
    code = Code.DEX_NOT_OWNER


class OrderClosed(DexError):
    code = Code.DEX_ORDER_CLOSED


class DuplicatePair(DexError):
    code = Code.DEX_DUPLICATE_PAIR


# --- pairs ---
_PAIR_HEAD = struct.Struct(">IBBQ20sBQQB")
_pair_cache: dict[bytes, "Pair"] = {}


@dataclass(frozen=True, slots=True)
class Pair:
    id: int
    base: str
    quote: str
    price_decimals: int
    quantity_decimals: int
    min_lots: int
    owner: bytes
    active: bool
    last_price: int  # ticks; 0 before the first deal
    listed_height: int

    @property
    def name(self) -> str:
        return pair_name(self.base, self.quote)

    # derived once per decoded record (the handler and the block end use them for every order)
    tick_atto: int = field(init=False)  # atto units (10**-18 quote per base) per price tick
    base_unit: int = field(init=False)  # base units per lot (every token has 18 decimals), = atto per lot
    quote_unit: int = field(init=False)  # quote units per tick x lot: l lots at t ticks cost t*l*quote_unit

    def __post_init__(self) -> None:
        object.__setattr__(self, "tick_atto", int(10 ** (18 - self.price_decimals)))
        object.__setattr__(self, "base_unit", int(10 ** (18 - self.quantity_decimals)))
        object.__setattr__(self, "quote_unit", int(10 ** (18 - self.price_decimals - self.quantity_decimals)))

    def encode(self) -> bytes:
        base, quote = self.base.encode(), self.quote.encode()
        head = _PAIR_HEAD.pack(
            self.id,
            self.price_decimals,
            self.quantity_decimals,
            self.min_lots,
            self.owner,
            int(self.active),
            self.last_price,
            self.listed_height,
            len(base),
        )
        return head + base + quote

    @classmethod
    def decode(cls, raw: bytes) -> "Pair":
        hit = _pair_cache.get(raw)
        if hit is not None:
            return hit
        pid, p, q, min_lots, owner, active, last, listed, base_len = _PAIR_HEAD.unpack_from(raw)
        rest = raw[_PAIR_HEAD.size :]
        pair = cls(
            pid,
            rest[:base_len].decode(),
            rest[base_len:].decode(),
            p,
            q,
            min_lots,
            owner,
            bool(active),
            last,
            listed,
        )
        if len(_pair_cache) > 4096:
            _pair_cache.clear()
        _pair_cache[raw] = pair
        return pair


def pair_count(store: Reader) -> int:
    return decode_uint(store.get(schema.dex_pair_count()))


def get_pair(store: Reader, pair_id: int) -> Pair:
    raw = store.get(schema.dex_pair(pair_id))
    if raw is None:
        raise UnknownPair(f"pair #{pair_id} does not exist")
    return Pair.decode(raw)


def find_pair(store: Reader, name: str) -> Pair | None:
    raw = store.get(schema.dex_pair_name(name))
    return None if raw is None else get_pair(store, decode_uint(raw))


def tradable_pair(store: Reader, name: str) -> Pair:
    pair = find_pair(store, name)
    if pair is None:
        raise UnknownPair(f"pair {name!r} is not listed")
    if not pair.active:
        raise UnknownPair(f"pair {name!r} is delisted")
    return pair


def put_pair(store: Store, pair: Pair) -> None:
    store.set(schema.dex_pair(pair.id), pair.encode())


def add_pair(store: Store, pair: Pair) -> None:
    """Register a new pair (its id must be the next one); refuses base/quote in either order if listed."""
    for name in (pair_name(pair.base, pair.quote), pair_name(pair.quote, pair.base)):
        if store.get(schema.dex_pair_name(name)) is not None:
            raise DuplicatePair(f"pair {name!r} is already listed")
    put_pair(store, pair)
    store.set(schema.dex_pair_name(pair.name), encode_uint(pair.id))
    store.set(schema.dex_pair_count(), encode_uint(pair.id + 1))


def all_pairs(store: Reader) -> list[Pair]:
    return [get_pair(store, i) for i in range(pair_count(store))]


# --- order records ---
def order_id(height: int, seq: int) -> int:
    return height << SEQ_BITS | seq


def split_id(oid: int) -> tuple[int, int]:
    return oid >> SEQ_BITS, oid & ((1 << SEQ_BITS) - 1)


def order_count(store: Reader, height: int) -> int:
    return decode_uint(store.get(schema.dex_order_count(height)))


def append_orders(store: Store, height: int, rows: OrderRows) -> int:
    """Append ``rows`` to ``height``'s order record; returns the first new sequence number."""
    first = order_count(store, height)
    seq, pos = first, 0
    while pos < len(rows):
        chunk, offset = divmod(seq, ORDERS_PER_CHUNK)
        take = min(ORDERS_PER_CHUNK - offset, len(rows) - pos)
        key = schema.dex_orders(height, chunk)
        old = (store.get(key) or b"") if offset else b""
        store.set(key, old + rows[pos : pos + take].tobytes())
        seq += take
        pos += take
    store.set(schema.dex_order_count(height), encode_uint(seq))
    return first


def load_chunk(store: Reader, height: int, chunk: int) -> OrderRows:
    """A writable copy of one order-record chunk (empty if there is none)."""
    raw = store.get(schema.dex_orders(height, chunk))
    if raw is None:
        return np.zeros(0, ORDER)
    return np.frombuffer(raw, ORDER).copy()


def save_chunk(store: Store, height: int, chunk: int, rows: OrderRows) -> None:
    store.set(schema.dex_orders(height, chunk), rows.tobytes())


def block_orders(store: Reader, height: int) -> OrderRows:
    """Every order placed at ``height`` (read-only view), row index = sequence."""
    n = order_count(store, height)
    if n == 0:
        return np.zeros(0, ORDER)
    chunks = (n + ORDERS_PER_CHUNK - 1) // ORDERS_PER_CHUNK
    parts = [np.frombuffer(store.get(schema.dex_orders(height, c)) or b"", ORDER) for c in range(chunks)]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def get_order(store: Reader, oid: int) -> np.void | None:
    height, seq = split_id(oid)
    chunk, row = divmod(seq, ORDERS_PER_CHUNK)
    raw = store.get(schema.dex_orders(height, chunk))
    if raw is None or (row + 1) * ORDER.itemsize > len(raw):
        return None
    record: np.void = np.frombuffer(raw, ORDER, count=1, offset=row * ORDER.itemsize)[0]
    return record


def index_address(store: Store, owner: bytes, height: int, first_seq: int, n: int) -> None:
    key = schema.dex_address_orders(owner, height)
    seqs = np.arange(first_seq, first_seq + n, dtype="<u4").tobytes()
    store.set(key, (store.get(key) or b"") + seqs)


def address_orders(reader: KVReader, owner: bytes, start: int = 0) -> Iterator[int]:
    """Ids of ``owner``'s orders from id ``start`` on, oldest first."""
    prefix = schema.dex_address_prefix(owner)
    for key, value in reader.iterate(prefix, schema.dex_address_orders(owner, split_id(start)[0])):
        height = schema.read_u64(key[len(prefix) :])
        for seq in np.frombuffer(value, "<u4").tolist():
            if order_id(height, seq) >= start:
                yield order_id(height, seq)


def journal(store: Reader, height: int) -> npt.NDArray[np.void]:
    return np.frombuffer(store.get(schema.dex_journal(height)) or b"", JOURNAL)


def add_journal(store: Store, height: int, kind: int, pairs: Iterable[int], ids: Iterable[int]) -> None:
    pairs, ids = list(pairs), list(ids)
    rows = np.zeros(len(ids), JOURNAL)
    rows["kind"] = kind
    rows["pair"] = pairs
    rows["id"] = ids
    key = schema.dex_journal(height)
    store.set(key, (store.get(key) or b"") + rows.tobytes())


# --- locked funds ---
def order_lock(pair: Pair, side: int, ticks: int, lots: int) -> tuple[str, int]:
    """What an order of ``lots`` at limit ``ticks`` locks, besides the OKT fee reserve."""
    if side == Side.BUY:
        return pair.quote, ticks * lots * pair.quote_unit
    return pair.base, lots * pair.base_unit


def fee_reserve(params: ChainParams) -> int:
    return params.dex_fee_per_block * params.dex_order_expiry_blocks


def fee_charged(params: ChainParams, placed: int, closed: int) -> int:
    """Per-block fee of an order placed at ``placed`` and closed at ``closed`` (never above the reserve)."""
    return params.dex_fee_per_block * min(closed - placed, params.dex_order_expiry_blocks)


class Ledger:
    """Balance changes of one block end, summed per (account, denom) and applied once each."""

    __slots__ = ("_paid",)

    def __init__(self) -> None:
        self._paid: dict[tuple[bytes, str], int] = {}

    def pay(self, addr: bytes, denom: str, amount: int) -> None:
        if amount:
            key = (addr, denom)
            self._paid[key] = self._paid.get(key, 0) + amount

    def settle(self, store: Store) -> None:
        """Move everything owed out of the lock account (sorted, so writes do not depend on call order)."""
        totals: dict[str, int] = {}
        for (_, denom), amount in self._paid.items():
            totals[denom] = totals.get(denom, 0) + amount
        for denom in sorted(totals):
            bank.sub_balance(store, DEX_LOCK, denom, totals[denom], what="dex settlement")
        for (addr, denom), amount in sorted(self._paid.items()):
            bank.add_balance(store, addr, denom, amount)
        self._paid.clear()


# --- books ---
@dataclass(slots=True)
class StoredBook:
    """A pair's open orders as loaded, with the chunk layout they came from (to rewrite only what changed)."""

    pair_id: int
    starts: list[int]  # first id of each chunk's id range, ascending
    chunks: list[bytes]  # stored bytes of each chunk
    rows: npt.NDArray[np.void]  # every open order (BOOK rows), id order


def load_book(store: Reader, pair_id: int) -> StoredBook:
    raw_dir = store.get(schema.dex_book_dir(pair_id))
    starts: list[int] = np.frombuffer(raw_dir or b"", "<i8").tolist()
    chunks = [store.get(schema.dex_book_chunk(pair_id, s)) or b"" for s in starts]
    rows = np.frombuffer(b"".join(chunks), BOOK)
    return StoredBook(pair_id, starts, chunks, rows)


def save_book(store: Store, book: StoredBook, rows: npt.NDArray[np.void]) -> None:
    """Store ``rows`` (id order; old ids only removed or changed, new ids above all old ones), writing only
    the chunks whose bytes changed and splitting the tail so no chunk exceeds ``BOOK_ROWS_PER_CHUNK``."""
    ids = rows["id"]
    bounds = [0, *np.searchsorted(ids, book.starts[1:]).tolist(), len(rows)]
    starts: list[int] = []
    pieces: list[tuple[int, npt.NDArray[np.void]]] = []
    for i in range(len(bounds) - 1):
        last = i == len(bounds) - 2
        segment = rows[bounds[i] : bounds[i + 1]]
        first_key = book.starts[i] if book.starts else None
        if last and len(segment) > BOOK_ROWS_PER_CHUNK:
            for j in range(0, len(segment), BOOK_ROWS_PER_CHUNK):
                part = segment[j : j + BOOK_ROWS_PER_CHUNK]
                key_id = first_key if j == 0 and first_key is not None else int(part["id"][0])
                pieces.append((key_id, part))
        elif len(segment) or first_key is not None:
            pieces.append((first_key if first_key is not None else int(segment["id"][0]), segment))
    old = dict(zip(book.starts, book.chunks, strict=True))
    for start, part in pieces:
        data = part.tobytes()
        if not data:
            store.delete(schema.dex_book_chunk(book.pair_id, start))
            continue
        starts.append(start)
        if old.get(start) != data:
            store.set(schema.dex_book_chunk(book.pair_id, start), data)
    if starts != book.starts:
        if starts:
            store.set(schema.dex_book_dir(book.pair_id), np.array(starts, "<i8").tobytes())
        else:
            store.delete(schema.dex_book_dir(book.pair_id))
