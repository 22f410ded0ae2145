"""Amounts as people type and read them: display units with 18 decimals (OKT and every token alike) and a
denom, converted exactly (never through float) to and from the chain's integer base units."""

import re

from okchain.modules.token.messages import DENOM_RULE
from okchain.types.amount import MAX_AMOUNT, AmountError, parse_amount
from okchain.types.params import OKT_DECIMALS, OKT_DENOM

# A decimal number in display units, then the denom: ``1.5okt``, ``250xyz-a1f``.
_USER_AMOUNT = re.compile(rf"([0-9]*)(?:\.([0-9]*))?({OKT_DENOM}|{DENOM_RULE.pattern})")


def parse_user_amount(text: str) -> tuple[int, str]:
    """Parse what a person types: ``1.5okt`` or ``2.5xyz-a1f`` (display units, 18 decimals) or ``1500``
    (OKT base units).

    Returns (base units, denom); decimals beyond 18 are refused.
    """
    text = text.strip().lower()
    if not text.isascii():
        raise AmountError(f"amount {text!r} must use ASCII digits")
    if text.isdigit():
        return parse_amount(text), OKT_DENOM
    match = _USER_AMOUNT.fullmatch(text)
    if match is None or not (match[1] or match[2]):
        raise AmountError(f"amount {text!r} is not a number followed by a denom, like 1.5okt or 2xyz-a1f")
    return _scale(match[1], match[2] or "", text), match[3]


def parse_display_number(text: str) -> int:
    """A plain decimal in display units (``2.5`` → 2.5 × 10**18 base units), for amounts whose denom is
    implied, like the total supply of a token being issued."""
    whole, _, frac = text.strip().partition(".")
    if not text.isascii() or not (whole or frac) or not f"{whole}{frac}".isdigit():
        raise AmountError(f"{text!r} is not a decimal number like 1000 or 2.5")
    return _scale(whole, frac, text)


def _scale(whole: str, frac: str, text: str) -> int:
    if len(frac) > OKT_DECIMALS:
        raise AmountError(f"amount {text!r} has more than {OKT_DECIMALS} decimals")
    value: int = int(whole or "0") * 10**OKT_DECIMALS + int(frac.ljust(OKT_DECIMALS, "0") or "0")
    if value > MAX_AMOUNT:
        raise AmountError(f"amount {text!r} is too large")
    return value


def format_amount(base_units: int, denom: str) -> str:
    """Human display: ``1.5okt``, ``2xyz-a1f``; exact, never through float."""
    whole, frac = divmod(base_units, 10**OKT_DECIMALS)
    frac_text = str(frac).rjust(OKT_DECIMALS, "0").rstrip("0")
    return f"{whole}.{frac_text}{denom}" if frac_text else f"{whole}{denom}"


def format_okt(base_units: int) -> str:
    return format_amount(base_units, OKT_DENOM)
