"""Account nonces: the next nonce an account's transaction must carry."""

from typing import Protocol

from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint


class Reader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...


class Store(Reader, Protocol):
    def set(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes) -> None: ...


def get_nonce(store: Reader, addr: bytes) -> int:
    return decode_uint(store.get(schema.account_nonce(addr)))


def bump_nonce(store: Store, addr: bytes) -> int:
    """Increment and return the new next-nonce."""
    nonce = get_nonce(store, addr) + 1
    store.set(schema.account_nonce(addr), encode_uint(nonce))
    return nonce
