"""The address index: which txs concern an address, newest first, by role (signer or recipient).

Layout (``schema``): ``A address role ~height ~index -> b""`` (heights and indexes stored inverted, so a
forward scan is newest first), one key per (address, role, tx); and per block ``L height`` listing the
entries it wrote (25 bytes each: role, address, index), so pruning a block deletes exactly its entries
without decoding its txs. Entries are written in the block's one write batch (``Application.finalize_block``)
and pruned with the block (``okchain.state.pruning``).

Beside it, always written: ``N height`` holds the running count of txs up to that block, so tx totals and
throughput over a window cost two reads (explorers' NetworkStats). It counts from the first block this node
executed (a node started from a state snapshot counts from there).

A page costs at most ``limit + 1`` keys per role scanned, whatever the index size: "any" merges the two
role scans (both newest first) and shows a tx that is both once.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

from okchain.crypto.address import ADDRESS_LEN, Address
from okchain.state import schema
from okchain.state.store import KVReader

_ENTRY = 1 + ADDRESS_LEN + 4
_POSITION = 12
LAST_INDEX = (1 << 32) - 1  # sorts first within a height: a start at (height, LAST_INDEX) takes all of it


class Role(IntEnum):
    """Values as in ``okchain.node.v1.AddressRole``."""

    SENDER = 1
    RECIPIENT = 2


@dataclass(frozen=True, slots=True)
class Entry:
    address: Address
    role: Role
    index: int  # the tx's index in its block


Position = tuple[int, int]  # (height, tx index)


def block_writes(height: int, entries: Sequence[Entry]) -> dict[bytes, bytes | None]:
    """The index keys of block ``height`` and the list that lets pruning find them (none if empty)."""
    writes: dict[bytes, bytes | None] = {}
    listed = []
    for e in entries:
        key = schema.address_txs(e.address, e.role, height, e.index)
        if key not in writes:  # a tx may name the same address twice (signer and recipient differ by role)
            writes[key] = b""
            listed.append(bytes([e.role]) + e.address + e.index.to_bytes(4, "big"))
    if listed:
        writes[schema.address_txs_of_block(height)] = b"".join(listed)
    return writes


def tx_total_writes(reader: KVReader, height: int, txs: int) -> dict[bytes, bytes | None]:
    """The running tx count through block ``height``, which holds ``txs`` txs."""
    return {schema.tx_total(height): schema.u64((tx_total(reader, height - 1) or 0) + txs)}


def tx_total(reader: KVReader, height: int) -> int | None:
    """Txs up to and including block ``height`` (None: that block's count is not kept)."""
    raw = reader.get(schema.tx_total(height))
    return None if raw is None else schema.read_u64(raw)


def prune_writes(reader: KVReader, height: int) -> dict[bytes, bytes | None]:
    """Deletions of block ``height``'s tx count, of every address-index entry it wrote and of their list."""
    writes: dict[bytes, bytes | None] = {schema.tx_total(height): None}
    listed_at = schema.address_txs_of_block(height)
    raw = reader.get(listed_at)
    if raw is None:
        return writes
    writes[listed_at] = None
    for at in range(0, len(raw), _ENTRY):
        role = raw[at]
        addr = raw[at + 1 : at + 1 + ADDRESS_LEN]
        index = int.from_bytes(raw[at + 1 + ADDRESS_LEN : at + _ENTRY], "big")
        writes[schema.address_txs(addr, role, height, index)] = None
    return writes


def _scan(reader: KVReader, addr: bytes, role: Role, start: Position) -> Iterator[Position]:
    prefix = schema.address_txs_prefix(addr, role)
    for key, _ in reader.iterate(prefix, prefix + schema.address_txs_position(*start)):
        yield schema.read_address_txs_position(key[len(prefix) : len(prefix) + _POSITION])


def _newest_first(a: Iterator[Position], b: Iterator[Position]) -> Iterator[Position]:
    """Merge two newest-first streams, each position once."""
    x, y = next(a, None), next(b, None)
    while x is not None or y is not None:
        if y is None or (x is not None and x > y):
            assert x is not None
            yield x
            x = next(a, None)
        elif x is None or y > x:
            yield y
            y = next(b, None)
        else:  # the same tx in both roles
            yield x
            x, y = next(a, None), next(b, None)


def txs_of(
    reader: KVReader, addr: bytes, roles: Sequence[Role], start: Position, limit: int
) -> tuple[list[Position], Position | None]:
    """Up to ``limit`` positions of ``addr``'s txs in ``roles``, newest first, from ``start`` (inclusive;
    ``(height, LAST_INDEX)`` starts at a height's last tx), and where the next page starts (None: no more)."""
    streams = [_scan(reader, addr, role, start) for role in roles]
    merged = streams[0] if len(streams) == 1 else _newest_first(streams[0], streams[1])
    found: list[Position] = []
    for position in merged:
        if len(found) == limit:
            return found, position
        found.append(position)
    return found, None
