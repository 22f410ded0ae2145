"""Every database key is built here, so the layout is one readable page and prefixes never collide.

State keys (under ``S``) are authenticated by the Merkle tree (nodes under ``M``); everything else is
block-store or index data that the tree does not cover.
"""

import struct

STATE = b"S"  # authenticated application state
MERKLE = b"M"  # Merkle tree nodes
BLOCK = b"B"  # height -> Block protobuf
BLOCK_HASH = b"H"  # block hash -> height
RESULTS = b"R"  # height -> BlockResults protobuf
COMMIT = b"C"  # height -> Commit protobuf that finalised it
TX_INDEX = b"T"  # tx hash -> height || index
META_LAST = b"meta/last"  # LastCommitted record; written in the same batch as the block
META_GENESIS = b"meta/genesis"  # chain id and genesis document hash, to refuse a mismatched home
# Version history (okchain/state/versions.py): what each block replaced, so the last N heights stay readable.
VALUE_HISTORY = b"hv/"  # state key || u64(version) || u16(len(key)) -> value before that version
NODE_HISTORY = b"hn/"  # Merkle node position || u64(version) -> node before that version (b"": none)
VERSION_CHANGES = b"hp/"  # u64(version) -> the history keys that version wrote, for pruning
META_EARLIEST = b"meta/earliest"  # u64: lowest height whose state and block are still kept
META_IMPORTING = b"meta/importing"  # present while a state snapshot import is incomplete

_U64 = struct.Struct(">Q")
_U64U32 = struct.Struct(">QI")


def u64(n: int) -> bytes:
    return _U64.pack(n)


def read_u64(b: bytes) -> int:
    value: int = _U64.unpack(b)[0]
    return value


# --- state (module stores, authenticated) ---
def account_nonce(addr: bytes) -> bytes:
    return STATE + b"auth/n/" + addr


def balance(addr: bytes, denom: str) -> bytes:
    return STATE + b"bank/b/" + addr + b"/" + denom.encode()


def balance_prefix(addr: bytes) -> bytes:
    return STATE + b"bank/b/" + addr + b"/"


def supply(denom: str) -> bytes:
    return STATE + b"bank/s/" + denom.encode()


# --- block store and indexes ---
def block(height: int) -> bytes:
    return BLOCK + u64(height)


def block_hash(h: bytes) -> bytes:
    return BLOCK_HASH + h


def results(height: int) -> bytes:
    return RESULTS + u64(height)


def commit(height: int) -> bytes:
    return COMMIT + u64(height)


def tx_index(h: bytes) -> bytes:
    return TX_INDEX + h


def tx_location(height: int, index: int) -> bytes:
    return _U64U32.pack(height, index)


def read_tx_location(b: bytes) -> tuple[int, int]:
    height, index = _U64U32.unpack(b)
    return int(height), int(index)


# --- version history ---
def value_history(key: bytes, version: int) -> bytes:
    return VALUE_HISTORY + key + _U64.pack(version) + len(key).to_bytes(2, "big")


def node_history(position: bytes, version: int) -> bytes:
    return NODE_HISTORY + position + _U64.pack(version)


def version_changes(version: int) -> bytes:
    return VERSION_CHANGES + _U64.pack(version)
