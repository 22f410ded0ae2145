"""Account addresses: 20 bytes shown as EIP-55 ``0x…``; bech32 ``ok1…`` of the same bytes is accepted too."""

import functools
from typing import NewType

import bech32

from okchain.crypto.hashing import keccak256
from okchain.errors import OKChainError

Address = NewType("Address", bytes)
ADDRESS_LEN = 20
BECH32_HRP = "ok"
_HEX = frozenset("0123456789abcdefABCDEF")
_HIGH_NIBBLES = frozenset("89abcdef")


class AddressError(OKChainError, ValueError):
    """A string that is not a valid account address; the message says why."""


@functools.lru_cache(maxsize=65536)
def to_checksum(addr: bytes) -> str:
    """EIP-55 mixed-case hex: a letter is upper case when the matching keccak nibble is >= 8.

    Cached because events name the same busy accounts again and again.
    """
    if len(addr) != ADDRESS_LEN:
        raise AddressError(f"address must be {ADDRESS_LEN} bytes, got {len(addr)}")
    low = addr.hex()
    digest = keccak256(low.encode("ascii")).hex()[: 2 * ADDRESS_LEN]
    return "0x" + "".join(c.upper() if d in _HIGH_NIBBLES else c for c, d in zip(low, digest, strict=True))


def to_bech32(addr: bytes) -> str:
    if len(addr) != ADDRESS_LEN:
        raise AddressError(f"address must be {ADDRESS_LEN} bytes, got {len(addr)}")
    data = bech32.convertbits(addr, 8, 5)
    assert data is not None
    out = bech32.bech32_encode(BECH32_HRP, data)
    assert out is not None
    return str(out)


def parse_hex_address(text: str) -> Address:
    """Parse ``0x`` + 40 hex digits; mixed case must carry a valid EIP-55 checksum."""
    if not text.startswith(("0x", "0X")):
        raise AddressError(f"address {text!r} must start with 0x")
    body = text[2:]
    if len(body) != 2 * ADDRESS_LEN:
        raise AddressError(f"address {text!r} must have 40 hex digits, has {len(body)}")
    if not _HEX.issuperset(body):
        raise AddressError(f"address {text!r} is not hexadecimal")
    raw = bytes.fromhex(body)
    if body != body.lower() and body != body.upper() and to_checksum(raw)[2:] != body:
        raise AddressError(f"address {text!r} has a bad EIP-55 checksum (expected {to_checksum(raw)})")
    return Address(raw)


def parse_bech32_address(text: str) -> Address:
    hrp, data = bech32.bech32_decode(text)
    if hrp is None or data is None:
        raise AddressError(f"address {text!r} is not valid bech32")
    if hrp != BECH32_HRP:
        raise AddressError(f"address {text!r} has prefix {hrp!r}, expected {BECH32_HRP!r}")
    raw = bech32.convertbits(data, 5, 8, False)
    if raw is None or len(raw) != ADDRESS_LEN:
        raise AddressError(f"address {text!r} does not hold 20 bytes")
    return Address(bytes(raw))


def parse_address(text: str) -> Address:
    """Accept either form everywhere a user types an address."""
    text = text.strip()
    if text[:2] in ("0x", "0X") or _HEX.issuperset(text):
        return parse_hex_address(text)
    if "1" in text:  # bech32: a wrong prefix gets a message naming it
        return parse_bech32_address(text)
    raise AddressError(f"address {text!r} must be 0x + 40 hex digits or bech32 {BECH32_HRP}1…")
