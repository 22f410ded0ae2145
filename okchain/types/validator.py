"""What checking a commit needs of a validator, whatever its source (genesis, the staking state)."""

from typing import Protocol


class WeightedValidator(Protocol):
    """A validator's ed25519 public key and voting power: the narrow view snapshots and light clients take
    of a validator set, so the state room need not know the genesis document."""

    @property
    def pub_key(self) -> bytes: ...

    @property
    def power(self) -> int: ...
