"""Balances and supply. Zero balances are deleted so state holds only what someone owns."""

from okchain.modules.auth.keeper import Reader, Store
from okchain.modules.context import ModuleError
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.types.results import Code


class BankError(ModuleError):
    """A bank operation that cannot happen (e.g. insufficient funds)."""


class InsufficientFunds(BankError):
    code = Code.INSUFFICIENT_FUNDS


def get_balance(store: Reader, addr: bytes, denom: str) -> int:
    return decode_uint(store.get(schema.balance(addr, denom)))


def set_balance(store: Store, addr: bytes, denom: str, amount: int) -> None:
    key = schema.balance(addr, denom)
    if amount == 0:
        store.delete(key)
    else:
        store.set(key, encode_uint(amount))


def get_supply(store: Reader, denom: str) -> int:
    return decode_uint(store.get(schema.supply(denom)))


def set_supply(store: Store, denom: str, amount: int) -> None:
    store.set(schema.supply(denom), encode_uint(amount))


def sub_balance(store: Store, addr: bytes, denom: str, amount: int, *, what: str = "transfer") -> None:
    have = get_balance(store, addr, denom)
    if have < amount:
        raise InsufficientFunds(
            f"insufficient funds for {what}: balance {have}{denom}, needs {amount}{denom}"
        )
    set_balance(store, addr, denom, have - amount)


def add_balance(store: Store, addr: bytes, denom: str, amount: int) -> None:
    set_balance(store, addr, denom, get_balance(store, addr, denom) + amount)


def mint(store: Store, addr: bytes, denom: str, amount: int) -> None:
    """Create ``amount`` new units for ``addr``; the denom's total supply rises by the same."""
    add_balance(store, addr, denom, amount)
    set_supply(store, denom, get_supply(store, denom) + amount)


def burn(store: Store, addr: bytes, denom: str, amount: int, *, what: str = "burn") -> None:
    """Destroy ``amount`` of ``addr``'s units; the denom's total supply falls by the same (OKT included)."""
    sub_balance(store, addr, denom, amount, what=what)
    set_supply(store, denom, get_supply(store, denom) - amount)


def send(store: Store, sender: bytes, to: bytes, denom: str, amount: int) -> None:
    sub_balance(store, sender, denom, amount)
    add_balance(store, to, denom, amount)


def all_balances(
    store: KVReader, addr: bytes, start_denom: str = "", limit: int = 100
) -> list[tuple[str, int]]:
    """Balances of ``addr`` ordered by denom, from ``start_denom`` (inclusive), at most ``limit``."""
    prefix = schema.balance_prefix(addr)
    start = prefix + start_denom.encode() if start_denom else None
    out: list[tuple[str, int]] = []
    for key, value in store.iterate(prefix, start):
        if len(out) >= limit:
            break
        out.append((key[len(prefix) :].decode(), decode_uint(value)))
    return out
