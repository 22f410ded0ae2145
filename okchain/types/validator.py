"""What checking a commit needs of a validator, whatever its source (genesis, the staking state)."""

from collections.abc import Iterable
from typing import Protocol

from okchain.crypto.hashing import sha256


class WeightedValidator(Protocol):
    """A validator's ed25519 public key and voting power: the narrow view snapshots and light clients take
    of a validator set, so the state room need not know the genesis document."""

    @property
    def pub_key(self) -> bytes: ...

    @property
    def power(self) -> int: ...


def validators_hash(entries: Iterable[tuple[bytes, bytes, int]]) -> bytes:
    """A header's ``validators_hash``: sha256 over address || pub_key || power (u64) of each validator in
    address order. Priorities are left out (they change every round)."""
    return sha256(
        b"".join(address + pub_key + power.to_bytes(8, "big") for address, pub_key, power in entries)
    )
