"""DEX messages as domain types (frozen); decimal fields are already scaled to 18 decimals by the codec.

A decimal string ``d`` becomes the integer ``d * 10**18`` ("atto" units); the handler then checks that it is
a whole number of the pair's ticks or lots, which is where "too many decimals" is decided.
"""

import re
from dataclasses import dataclass
from enum import IntEnum

MAX_ITEMS = 200  # orders per PlaceOrders, ids per CancelOrders
SEQ_BITS = 24  # order id = height << SEQ_BITS | sequence in block
MAX_SEQ = (1 << SEQ_BITS) - 1


class Side(IntEnum):
    BUY = 1
    SELL = 2


@dataclass(frozen=True, slots=True)
class ListPair:
    base: str
    quote: str
    price_decimals: int
    quantity_decimals: int
    min_quantity: int  # atto units


@dataclass(frozen=True, slots=True)
class DelistPair:
    pair: str


@dataclass(frozen=True, slots=True)
class OrderSpec:
    pair: str
    side: Side
    price: int  # atto units of quote per base
    quantity: int  # atto units of base


@dataclass(frozen=True, slots=True)
class PlaceOrders:
    orders: tuple[OrderSpec, ...]


@dataclass(frozen=True, slots=True)
class CancelOrders:
    ids: tuple[int, ...]  # packed order ids (height << SEQ_BITS | sequence)


DexMsg = ListPair | DelistPair | PlaceOrders | CancelOrders


def pair_name(base: str, quote: str) -> str:
    return f"{base}_{quote}"


def format_order_id(order_id: int) -> str:
    return f"{order_id >> SEQ_BITS}-{order_id & MAX_SEQ}"


def parse_order_id(text: str) -> int | None:
    """``"123-45"`` → packed id, or None if ``text`` is not an order id."""
    height, sep, seq = text.partition("-")
    if not sep or not _is_canonical_uint(height) or not _is_canonical_uint(seq):
        return None
    h, s = int(height), int(seq)
    if h < 1 or h >= 1 << (63 - SEQ_BITS) or s > MAX_SEQ:
        return None
    return h << SEQ_BITS | s


def _is_canonical_uint(text: str) -> bool:
    return text.isascii() and text.isdigit() and (text == "0" or text[0] != "0") and len(text) <= 30


_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,29})(?:\.([0-9]{1,18}))?")


def decimal_atto(text: str) -> int | None:
    """Canonical non-negative decimal with at most 18 decimals → atto units, or None (the fast path)."""
    m = _DECIMAL.fullmatch(text)
    if m is None:
        return None
    frac = m[2]
    return int(m[1] + frac.ljust(18, "0")) if frac else int(m[1]) * 10**18


def parse_decimal(text: str, what: str) -> int:
    """``decimal_atto`` or a ValueError that says what is wrong with ``text``."""
    value = decimal_atto(text)
    if value is not None:
        return value
    whole, dot, frac = text.partition(".")
    if text.startswith("-"):
        raise ValueError(f"{what} {text!r} is negative")
    if _is_canonical_uint(whole) and dot and frac.isascii() and frac.isdigit() and len(frac) > 18:
        raise ValueError(f"{what} {text!r} has more than 18 decimals")
    raise ValueError(f"{what} {text!r} is not a decimal number like 12.5")


def format_decimal(atto: int, decimals: int = 18) -> str:
    """Atto units → shortest decimal string (at most ``decimals`` places shown; exact for valid values)."""
    whole, frac = divmod(atto, 10**18)
    text = str(frac).rjust(18, "0")[:decimals].rstrip("0")
    return f"{whole}.{text}" if text else str(whole)
