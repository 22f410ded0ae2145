"""Amounts are Python ints in base units; on the wire and in JSON they are decimal strings."""

from okchain.errors import OKChainError

MAX_AMOUNT = 2**256 - 1


class AmountError(OKChainError, ValueError):
    """An amount string that is not a canonical non-negative integer in range."""


def parse_amount(text: str, *, what: str = "amount") -> int:
    """Strict canonical decimal: digits only, no sign, no leading zeros, at most 2**256-1."""
    if not text or not text.isascii() or not text.isdigit():
        raise AmountError(f"{what} {text!r} is not a non-negative integer of base units")
    if len(text) > 1 and text[0] == "0":
        raise AmountError(f"{what} {text!r} has leading zeros")
    if len(text) > 78:
        raise AmountError(f"{what} {text!r} is too large")
    value = int(text)
    if value > MAX_AMOUNT:
        raise AmountError(f"{what} {text!r} is too large")
    return value
