"""Token messages as domain types, and the stateless rules a message must meet before it reaches state.

The rules are checked when a tx is decoded (``codec.py``), so a malformed issue is refused at the mempool
door without paying a fee; state-dependent rules (ownership, mintability, the supply cap after minting)
are the handler's.
"""

import re
from dataclasses import dataclass

from okchain.crypto.address import Address
from okchain.types.params import OKT_DECIMALS

SYMBOL_RULE = re.compile(r"[a-z][a-z0-9]{0,5}")
SUFFIX_LEN = 3  # hex characters of the issuing tx hash after the symbol: ``xyz-a1f``
DENOM_RULE = re.compile(rf"(?:{SYMBOL_RULE.pattern})-[0-9a-f]{{{SUFFIX_LEN}}}")
NAME_RULE = re.compile(r"[a-zA-Z0-9 ]{1,30}")
# Upper bound on any token's total supply: 90 billion whole tokens of 18 decimals (< 2**97), so supplies,
# balances and the DEX's lot arithmetic stay far from every integer bound.
MAX_SUPPLY = 9 * 10**10 * 10**OKT_DECIMALS


@dataclass(frozen=True, slots=True)
class IssueToken:
    symbol: str
    name: str
    total_supply: int
    mintable: bool


@dataclass(frozen=True, slots=True)
class MintToken:
    denom: str
    amount: int


@dataclass(frozen=True, slots=True)
class BurnToken:
    denom: str
    amount: int


@dataclass(frozen=True, slots=True)
class TransferOwnership:
    denom: str
    new_owner: Address


TokenMsg = IssueToken | MintToken | BurnToken | TransferOwnership


def issue_error(msg: IssueToken) -> str | None:
    """Why ``msg`` breaks the symbol, name or supply rule, or ``None`` if it does not."""
    if not SYMBOL_RULE.fullmatch(msg.symbol):
        return (
            f"symbol {msg.symbol[:40]!r} must be 1-6 characters: a lowercase letter, then lowercase letters "
            "or digits"
        )
    if not NAME_RULE.fullmatch(msg.name):
        return f"name {msg.name[:40]!r} must be 1-30 characters of ASCII letters, digits and spaces"
    if msg.total_supply > MAX_SUPPLY:
        return f"total supply {msg.total_supply} exceeds the maximum {MAX_SUPPLY}"
    return None
