"""Amounts are Python ints in base units; on the wire and in JSON they are decimal strings."""

from okchain.errors import OKChainError
from okchain.types.params import OKT_DECIMALS, OKT_DENOM

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


def parse_user_amount(text: str) -> tuple[int, str]:
    """Parse what a person types: ``1.5okt`` (display units, 18 decimals) or ``1500`` (base units).

    Returns (base units, denom). Only OKT has a display unit for now; decimals beyond 18 are refused.
    """
    text = text.strip().lower()
    if not text.isascii():
        raise AmountError(f"amount {text!r} must use ASCII digits")
    if text.endswith(OKT_DENOM):
        number = text[: -len(OKT_DENOM)]
        whole, _, frac = number.partition(".")
        if not whole.isdigit() and not (whole == "" and frac):
            raise AmountError(f"amount {text!r} is not a number of OKT")
        if frac and not frac.isdigit():
            raise AmountError(f"amount {text!r} is not a number of OKT")
        if len(frac) > OKT_DECIMALS:
            raise AmountError(f"amount {text!r} has more than {OKT_DECIMALS} decimals")
        value = int(whole or "0") * 10**OKT_DECIMALS + int(frac.ljust(OKT_DECIMALS, "0") or "0")
        if value > MAX_AMOUNT:
            raise AmountError(f"amount {text!r} is too large")
        return value, OKT_DENOM
    return parse_amount(text), OKT_DENOM


def format_okt(base_units: int) -> str:
    """Human display: ``1.5okt``; exact, never through float."""
    whole, frac = divmod(base_units, 10**OKT_DECIMALS)
    frac_text = str(frac).rjust(OKT_DECIMALS, "0").rstrip("0")
    return f"{whole}.{frac_text}okt" if frac_text else f"{whole}okt"
