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
VALIDATOR_SETS = b"W"  # height -> the consensus ValidatorSet that signs it (priorities included)
# Address index (okchain/state/indexes.py): newest first under one address and role.
ADDRESS_TXS = b"A"  # address || role || u64(~height) || u32(~index) -> b""
ADDRESS_TXS_OF_BLOCK = b"L"  # u64(height) -> the entries that block wrote, for pruning
TX_TOTALS = b"N"  # u64(height) -> u64(txs in the blocks this node holds up to that height)
META_LAST = b"meta/last"  # LastCommitted record; written in the same batch as the block
META_GENESIS = b"meta/genesis"  # chain id and genesis document hash, to refuse a mismatched home
# Version history (okchain/state/versions.py): what each block replaced, so the last N heights stay readable.
VALUE_HISTORY = b"hv/"  # state key || u64(version) || u16(len(key)) -> value before that version
NODE_HISTORY = b"hn/"  # Merkle node position || u64(version) -> node before that version (b"": none)
VERSION_CHANGES = b"hp/"  # u64(version) -> the history keys that version wrote, for pruning
META_EARLIEST = b"meta/earliest"  # u64: lowest height whose state and block are still kept
META_IMPORTING = b"meta/importing"  # present while a state snapshot import is incomplete
IMPORT_LEAVES = b"imp/"  # sha256(key) -> sha256(value) of each imported entry, until the tree is built

_U64 = struct.Struct(">Q")
_U64U32 = struct.Struct(">QI")
_MAX_U64 = (1 << 64) - 1
_MAX_U32 = (1 << 32) - 1


def u64(n: int) -> bytes:
    return _U64.pack(n)


def read_u64(b: bytes) -> int:
    value: int = _U64.unpack(b)[0]
    return value


# --- state (module stores, authenticated) ---
def account_nonce(addr: bytes) -> bytes:
    return STATE + b"auth/n/" + addr


BALANCES = STATE + b"bank/b/"  # address || "/" || denom -> unsigned big-endian amount
_ADDRESS_BYTES = 20


def balance(addr: bytes, denom: str) -> bytes:
    return BALANCES + addr + b"/" + denom.encode()


def balance_prefix(addr: bytes) -> bytes:
    return BALANCES + addr + b"/"


def balance_owner(key: bytes) -> bytes | None:
    """The address of a ``balance`` key, ``None`` for any other key."""
    return key[len(BALANCES) : len(BALANCES) + _ADDRESS_BYTES] if key.startswith(BALANCES) else None


def supply(denom: str) -> bytes:
    return STATE + b"bank/s/" + denom.encode()


TOKEN_INFO = STATE + b"K/i/"  # token module (state prefix "K"): denom -> token info


def token_info(denom: str) -> bytes:
    return TOKEN_INFO + denom.encode()


# --- dex (under S + "X"; see okchain/modules/dex/keeper.py for the values) ---
DEX = STATE + b"X"
_U32 = struct.Struct(">I")
_U32U64 = struct.Struct(">IQ")


def dex_pair(pair_id: int) -> bytes:
    return DEX + b"p" + _U32.pack(pair_id)


def dex_pair_name(name: str) -> bytes:
    return DEX + b"n" + name.encode()


def dex_pair_count() -> bytes:
    return DEX + b"P"


def dex_orders(height: int, chunk: int) -> bytes:
    """Packed records of the orders placed at ``height``, chunk ``chunk`` (fixed rows per chunk)."""
    return DEX + b"o" + _U64U32.pack(height, chunk)


def dex_order_count(height: int) -> bytes:
    return DEX + b"c" + u64(height)


def dex_journal(height: int) -> bytes:
    """Cancellations and delistings made by the txs of ``height``, applied to the books at block end."""
    return DEX + b"j" + u64(height)


def dex_address_orders(addr: bytes, height: int) -> bytes:
    return DEX + b"a" + addr + u64(height)


def dex_address_prefix(addr: bytes) -> bytes:
    return DEX + b"a" + addr


# where the height starts in each per-height order key: after the kind byte (and the address)
_PLACED_AT = {DEX + b"o": len(DEX) + 1, DEX + b"c": len(DEX) + 1, DEX + b"a": len(DEX) + 1 + _ADDRESS_BYTES}


def dex_placed_height(key: bytes) -> int | None:
    """The height of a per-height order key (``dex_orders``, ``dex_order_count``,
    ``dex_address_orders``), ``None`` for any other key."""
    at = _PLACED_AT.get(key[: len(DEX) + 1])
    return None if at is None else read_u64(key[at : at + 8])


def dex_book_dir(pair_id: int) -> bytes:
    return DEX + b"B" + _U32.pack(pair_id)


def dex_book_chunk(pair_id: int, first_id: int) -> bytes:
    return DEX + b"b" + _U32U64.pack(pair_id, first_id)


def dex_deal(pair_id: int, height: int) -> bytes:
    """Newest first under ``dex_deal_prefix``: the height is stored inverted."""
    return DEX + b"d" + _U32U64.pack(pair_id, (1 << 64) - 1 - height)


def dex_deal_prefix(pair_id: int) -> bytes:
    return DEX + b"d" + _U32.pack(pair_id)


def dex_fills(pair_id: int, height: int, chunk: int) -> bytes:
    return DEX + b"f" + _U32U64.pack(pair_id, height) + _U32.pack(chunk)


def dex_traded(height: int) -> bytes:
    """The ids of the pairs that traded at ``height`` (u32 each, ascending): deals and fills are keyed by
    pair first, so pruning a height finds its deals here instead of scanning every pair."""
    return DEX + b"t" + u64(height)


# --- staking (under S + "V"; see okchain/modules/staking/keeper.py for the values) ---
STAKING = STATE + b"V"
STAKING_VALIDATORS = STAKING + b"v"  # operator -> validator record
STAKING_UNBONDING = STAKING + b"u"  # u64(completion time ns) || address -> amount, oldest first
STAKING_ACTIVE = STAKING + b"s"  # the active set: (consensus key, voting power) pairs in key order
STAKING_RERANK = STAKING + b"r"  # present when an active validator left: re-rank at the next block end


def staking_validator(operator: bytes) -> bytes:
    return STAKING_VALIDATORS + operator


def staking_consensus_key(pubkey: bytes) -> bytes:
    """ed25519 consensus key -> the operator that claimed it (kept after a destroy: never reused)."""
    return STAKING + b"k" + pubkey


def staking_voter(addr: bytes) -> bytes:
    return STAKING + b"d" + addr


def staking_bindings(proxy: bytes) -> bytes:
    return STAKING + b"b" + proxy


def staking_binding(proxy: bytes, addr: bytes) -> bytes:
    """Present (empty value) while ``addr`` is bound to ``proxy``."""
    return staking_bindings(proxy) + addr


def staking_slashed(operator: bytes) -> bytes:
    """A tombstoned validator -> the slash rate its voters owe, taken from each at its next staking tx."""
    return STAKING + b"x" + operator


def staking_unbonding(completion_ns: int, addr: bytes) -> bytes:
    return STAKING_UNBONDING + u64(completion_ns) + addr


def staking_account_unbondings(addr: bytes) -> bytes:
    return STAKING + b"a" + addr


def staking_account_unbonding(addr: bytes, completion_ns: int) -> bytes:
    """Index (empty value) of ``addr``'s unbondings by completion time; the amount is the main record's."""
    return staking_account_unbondings(addr) + u64(completion_ns)


# --- slashing (under S + "L"; see okchain/modules/slashing/keeper.py for the values) ---
SLASHING = STATE + b"L"


def slashing_info(pubkey: bytes) -> bytes:
    """ed25519 consensus key -> its signing record (window position, misses, jail, tombstone)."""
    return SLASHING + b"i" + pubkey


def slashing_key_of(address: bytes) -> bytes:
    """Consensus address -> the key it hashes from (evidence names the address only)."""
    return SLASHING + b"a" + address


def slashing_missed(pubkey: bytes, chunk: int) -> bytes:
    """One chunk of a key's missed-blocks bitmap over the signing window (absent: nothing missed)."""
    return SLASHING + b"m" + pubkey + _U32.pack(chunk)


def slashing_missed_prefix(pubkey: bytes) -> bytes:
    return SLASHING + b"m" + pubkey


# --- mint (under S + "N") and distribution (under S + "D"; see okchain/modules/distribution/keeper.py) ---
MINT_TOTAL = STATE + b"Nt"  # OKT base units minted since genesis
DISTRIBUTION = STATE + b"D"


def distribution_validator(operator: bytes) -> bytes:
    """operator -> its stakers' cumulative reward per share and what they are owed, in fixed point."""
    return DISTRIBUTION + b"v" + operator


def distribution_commission(operator: bytes) -> bytes:
    return DISTRIBUTION + b"c" + operator


def distribution_stakes(addr: bytes) -> bytes:
    return DISTRIBUTION + b"s" + addr


def distribution_stake(addr: bytes, operator: bytes) -> bytes:
    """``addr``'s stake in ``operator``'s validator: the reward per share it was last settled at, and the
    rewards settled but not yet withdrawn."""
    return distribution_stakes(addr) + operator


# --- block store and indexes ---
def block(height: int) -> bytes:
    return BLOCK + u64(height)


def block_hash(h: bytes) -> bytes:
    return BLOCK_HASH + h


def results(height: int) -> bytes:
    return RESULTS + u64(height)


def commit(height: int) -> bytes:
    return COMMIT + u64(height)


def validator_set(height: int) -> bytes:
    return VALIDATOR_SETS + u64(height)


def tx_index(h: bytes) -> bytes:
    return TX_INDEX + h


def tx_location(height: int, index: int) -> bytes:
    return _U64U32.pack(height, index)


def read_tx_location(b: bytes) -> tuple[int, int]:
    height, index = _U64U32.unpack(b)
    return int(height), int(index)


def address_txs_prefix(addr: bytes, role: int) -> bytes:
    return ADDRESS_TXS + addr + bytes([role])


def address_txs_position(height: int, index: int) -> bytes:
    """Sorts newest first: a later height, then a later tx of the same block, comes first."""
    return _U64U32.pack(_MAX_U64 - height, _MAX_U32 - index)


def read_address_txs_position(b: bytes) -> tuple[int, int]:
    height, index = _U64U32.unpack(b)
    return _MAX_U64 - int(height), _MAX_U32 - int(index)


def address_txs(addr: bytes, role: int, height: int, index: int) -> bytes:
    return address_txs_prefix(addr, role) + address_txs_position(height, index)


def address_txs_of_block(height: int) -> bytes:
    return ADDRESS_TXS_OF_BLOCK + u64(height)


def tx_total(height: int) -> bytes:
    return TX_TOTALS + u64(height)


# --- version history ---
def value_history(key: bytes, version: int) -> bytes:
    return VALUE_HISTORY + key + _U64.pack(version) + len(key).to_bytes(2, "big")


def node_history(position: bytes, version: int) -> bytes:
    return NODE_HISTORY + position + _U64.pack(version)


def version_changes(version: int) -> bytes:
    return VERSION_CHANGES + _U64.pack(version)
