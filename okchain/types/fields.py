"""Field checks shared by every module's message codec: the one place wire fields become domain values.

Each module's ``codec.py`` decodes its own messages with these, so every message refuses a bad address,
denom or amount with the same precise reason (naming where in the tx it was).
"""

from okchain.crypto.address import ADDRESS_LEN, Address
from okchain.errors import OKChainError
from okchain.types.amount import AmountError, parse_amount

MAX_DENOM_LEN = 32


class TxDecodeError(OKChainError, ValueError):
    """Bytes that are not a well-formed, canonical transaction."""


def is_valid_denom(text: str) -> bool:
    return bool(text) and len(text) <= MAX_DENOM_LEN and text.isascii() and text.isprintable()


def address(raw: bytes, where: str) -> Address:
    if len(raw) != ADDRESS_LEN:
        raise TxDecodeError(f"{where}: address must be {ADDRESS_LEN} bytes, got {len(raw)}")
    return Address(raw)


def denom(text: str, where: str) -> str:
    if not is_valid_denom(text):
        raise TxDecodeError(f"{where}: invalid denom {text!r}")
    return text


def positive(text: str, where: str) -> int:
    try:
        value = parse_amount(text, what=f"{where} amount")
    except AmountError as exc:
        raise TxDecodeError(str(exc)) from exc
    if value == 0:
        raise TxDecodeError(f"{where}: amount must be positive")
    return value
