"""Slashing state: each consensus key's signing record and its missed-blocks bitmap over the window.

A record is created the first time a key appears in a block's last votes. The bitmap is a ring over the
last ``slashing_window_blocks`` heights the key was in the set, stored in chunks of ``CHUNK_BITS`` bits so
a block rewrites one small chunk per validator, and a jailing clears at most window / ``CHUNK_BITS`` keys.
A jailed key leaves the active set at the next block and is ranked again only after ``Unjail``; a
tombstoned one (it double-signed) never again.
"""

from dataclasses import dataclass, replace
from typing import Protocol

from okchain.crypto.ed25519 import validator_address
from okchain.modules.context import ModuleError
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.types.results import Code

CHUNK_BITS = 1024
_CHUNK_BYTES = CHUNK_BITS // 8


class Store(KVReader, Protocol):
    def set(self, key: bytes, value: bytes) -> None: ...
    def delete(self, key: bytes) -> None: ...


class SlashingError(ModuleError):
    code = Code.SLASHING_NOT_JAILED


class NotJailed(SlashingError):
    code = Code.SLASHING_NOT_JAILED


class StillJailed(SlashingError):
    code = Code.SLASHING_STILL_JAILED


class Tombstoned(SlashingError):
    code = Code.SLASHING_TOMBSTONED


@dataclass(frozen=True, slots=True)
class SigningInfo:
    start_height: int  # the first height it was seen in the last votes (or again after its jail)
    index: int  # heights counted into the window since ``start_height``
    missed: int  # set bits in the bitmap: missed heights among the last window
    jailed: bool = False
    jailed_until_ns: int = 0  # block time before which it may not unjail
    tombstoned: bool = False


def _encode(info: SigningInfo) -> bytes:
    numbers = (info.start_height, info.index, info.missed, int(info.jailed), info.jailed_until_ns)
    parts = [encode_uint(n) for n in (*numbers, int(info.tombstoned))]
    return b"".join(bytes([len(p)]) + p for p in parts)


def _decode(raw: bytes) -> SigningInfo:
    values: list[int] = []
    i = 0
    while i < len(raw):
        n = raw[i]
        values.append(decode_uint(raw[i + 1 : i + 1 + n]))
        i += 1 + n
    start, index, missed, jailed, until, tombstoned = values
    return SigningInfo(start, index, missed, bool(jailed), until, bool(tombstoned))


def get_info(store: KVReader, pubkey: bytes) -> SigningInfo | None:
    raw = store.get(schema.slashing_info(pubkey))
    return None if raw is None else _decode(raw)


def set_info(store: Store, pubkey: bytes, info: SigningInfo) -> None:
    store.set(schema.slashing_info(pubkey), _encode(info))


def first_seen(store: Store, pubkey: bytes, height: int) -> SigningInfo:
    """The record of a key seen in the last votes for the first time, with its address index."""
    info = SigningInfo(height, 0, 0)
    set_info(store, pubkey, info)
    store.set(schema.slashing_key_of(validator_address(pubkey)), pubkey)
    return info


def key_of(store: KVReader, address: bytes) -> bytes | None:
    """The consensus key behind ``address``, known once the key has been in a block's last votes."""
    return store.get(schema.slashing_key_of(address))


def is_jailed(store: KVReader, pubkey: bytes) -> bool:
    info = get_info(store, pubkey)
    return info is not None and (info.jailed or info.tombstoned)


def is_tombstoned(store: KVReader, pubkey: bytes) -> bool:
    info = get_info(store, pubkey)
    return info is not None and info.tombstoned


def record_vote(store: Store, pubkey: bytes, info: SigningInfo, missed: bool, window: int) -> SigningInfo:
    """Shift one height into the window: the bit it overwrites (the same height one window ago) leaves the
    count, the new one enters it. Returns the updated record, already stored."""
    position = info.index % window
    key = schema.slashing_missed(pubkey, position // CHUNK_BITS)
    chunk = bytearray(store.get(key) or bytes(_CHUNK_BYTES))
    byte, bit = divmod(position % CHUNK_BITS, 8)
    was = bool(chunk[byte] >> bit & 1)
    if was != missed:
        chunk[byte] ^= 1 << bit
        if any(chunk):
            store.set(key, bytes(chunk))
        else:
            store.delete(key)
    updated = replace(info, index=info.index + 1, missed=info.missed + int(missed) - int(was))
    set_info(store, pubkey, updated)
    return updated


def clear_window(store: Store, pubkey: bytes, window: int) -> None:
    """Forget every miss (at a jailing): the key starts a fresh window when it returns."""
    for chunk in range((window + CHUNK_BITS - 1) // CHUNK_BITS):
        store.delete(schema.slashing_missed(pubkey, chunk))
