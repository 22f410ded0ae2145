"""The active set: which validators sign blocks, with what voting power, and when that changes.

Every ``staking_epoch_blocks`` blocks, and at the next block after an active validator is destroyed, the
block end ranks the live validators by shares (ties: lower operator address first), keeps the top
``staking_max_validators`` with at least one unit of power, and reports the difference from the previous
active set as validator updates (power 0 removes). The application hands them to consensus, which applies
them two heights later (a set decided in block H signs from H + 2).

Voting power is ``⌊shares / staking_power_unit⌋`` (the default unit is 10^18 shares, one OKT at weight 1).
Consensus caps the total power at (2^63 − 1) / 8; should the weight ever push the ranked total past it, every
power is halved (a right shift, the same on every node) until it fits, which keeps their ratios.

Genesis validators enter the active set at init with their genesis power. One without a staking record (no
operator) stays until the first re-ranking that finds a staking candidate; the set is never left empty.
"""

from dataclasses import dataclass

from okchain.modules.slashing.keeper import is_jailed
from okchain.modules.staking import keeper as k
from okchain.modules.staking.keeper import Store
from okchain.state import schema
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.types.params import ChainParams

MAX_TOTAL_POWER = (2**63 - 1) // 8  # consensus's bound on a set's total voting power
_KEY = 32  # ed25519 consensus public key


@dataclass(frozen=True, slots=True, order=True)
class ValidatorUpdate:
    """A consensus key's new voting power; 0 removes it from the set."""

    pubkey: bytes
    power: int


def get_active(store: KVReader) -> dict[bytes, int]:
    """The active set as consensus key → voting power."""
    raw = store.get(schema.STAKING_ACTIVE) or b""
    out: dict[bytes, int] = {}
    i = 0
    while i < len(raw):
        n = raw[i + _KEY]
        out[raw[i : i + _KEY]] = decode_uint(raw[i + _KEY + 1 : i + _KEY + 1 + n])
        i += _KEY + 1 + n
    return out


def set_active(store: Store, active: dict[bytes, int]) -> None:
    parts = []
    for pubkey in sorted(active):
        power = encode_uint(active[pubkey])
        parts.append(pubkey + bytes([len(power)]) + power)
    store.set(schema.STAKING_ACTIVE, b"".join(parts))


def mark_changed(store: Store, pubkey: bytes) -> None:
    """An active validator left (destroyed or jailed): re-rank at the next block end instead of the next
    epoch."""
    if pubkey in get_active(store):
        store.set(schema.STAKING_RERANK, b"")


def power_of(shares: int, params: ChainParams) -> int:
    return shares // params.staking_power_unit


def ranked(store: KVReader, params: ChainParams) -> dict[bytes, int]:
    """The top validators by shares with their voting power, total power within consensus's cap; destroyed
    and jailed validators are not ranked."""
    live = [v for v in k.all_validators(store) if not v.destroyed and not is_jailed(store, v.pubkey)]
    live.sort(key=lambda v: (-v.shares, v.operator))
    chosen = {
        v.pubkey: power_of(v.shares, params)
        for v in live[: params.staking_max_validators]
        if power_of(v.shares, params) > 0
    }
    shift = 0
    while sum(p >> shift for p in chosen.values()) > MAX_TOTAL_POWER:
        shift += 1
    return {key: power >> shift for key, power in chosen.items() if power >> shift > 0}


def end_block(store: Store, height: int, params: ChainParams) -> list[ValidatorUpdate]:
    """The validator updates block ``height`` decides: empty except at an epoch or after a departure."""
    rerank = store.get(schema.STAKING_RERANK) is not None
    if height % params.staking_epoch_blocks != 0 and not rerank:
        return []
    if rerank:
        store.delete(schema.STAKING_RERANK)
    new = ranked(store, params)
    if not new:
        return []  # no staking candidate yet: the genesis set keeps signing
    old = get_active(store)
    if new == old:
        return []
    set_active(store, new)
    removed = [ValidatorUpdate(key, 0) for key in old if key not in new]
    changed = [ValidatorUpdate(key, power) for key, power in new.items() if old.get(key) != power]
    return sorted(removed + changed)
