"""Staking messages as domain types, and the stateless rules each must meet before it reaches state.

These rules are checked when a tx is decoded (``codec.py``); the rules that need state or parameters
(balances, minimums, the vote limit, commission timing, proxies) are the handler's.
"""

from dataclasses import dataclass, fields

from okchain.crypto.address import Address
from okchain.types.params import RATE_ONE

PUBKEY_LEN = 32  # ed25519 consensus public key
DESCRIPTION_LIMITS = {"moniker": 70, "identity": 3000, "website": 140, "details": 280}


@dataclass(frozen=True, slots=True)
class Description:
    moniker: str
    identity: str = ""
    website: str = ""
    details: str = ""


@dataclass(frozen=True, slots=True)
class CreateValidator:
    description: Description
    pubkey: bytes
    commission_rate: int
    max_rate: int
    max_change_rate: int


@dataclass(frozen=True, slots=True)
class EditValidator:
    description: Description | None  # None: unchanged
    commission_rate: int | None  # None: unchanged


@dataclass(frozen=True, slots=True)
class Deposit:
    amount: int


@dataclass(frozen=True, slots=True)
class Withdraw:
    amount: int


@dataclass(frozen=True, slots=True)
class Vote:
    validators: tuple[Address, ...]  # operators; each receives the voter's full shares


@dataclass(frozen=True, slots=True)
class RegisterProxy:
    pass


@dataclass(frozen=True, slots=True)
class UnregisterProxy:
    pass


@dataclass(frozen=True, slots=True)
class BindProxy:
    proxy: Address


@dataclass(frozen=True, slots=True)
class UnbindProxy:
    pass


@dataclass(frozen=True, slots=True)
class DestroyValidator:
    pass


StakingMsg = (
    CreateValidator
    | EditValidator
    | Deposit
    | Withdraw
    | Vote
    | RegisterProxy
    | UnregisterProxy
    | BindProxy
    | UnbindProxy
    | DestroyValidator
)


def description_error(d: Description) -> str | None:
    """Why ``d`` breaks the length or character rules (the moniker is required), or ``None``."""
    if not d.moniker:
        return "moniker must not be empty"
    for f in fields(d):
        text = getattr(d, f.name)
        limit = DESCRIPTION_LIMITS[f.name]
        if len(text) > limit:
            return f"{f.name} is {len(text)} characters, limit is {limit}"
        if not text.isprintable():
            return f"{f.name} {text[:40]!r} contains unprintable characters"
    return None


def rates_error(rate: int, max_rate: int, max_change_rate: int) -> str | None:
    if max_rate > RATE_ONE:
        return f"max rate {max_rate} exceeds 100% ({RATE_ONE})"
    if rate > max_rate:
        return f"commission rate {rate} exceeds the max rate {max_rate}"
    if max_change_rate > max_rate:
        return f"max change rate {max_change_rate} exceeds the max rate {max_rate}"
    return None
