"""Validator sets by height, as CometBFT's state store keeps them, with Tendermint's two-block delay.

The set that signs height ``h`` is stored beside the blocks under ``schema.validator_set(h)``, priorities
included, so consensus, block sync, light-client reads and a restarted node all use the very set the
running nodes used. After block ``H`` commits the sets of ``H + 1`` and ``H + 2`` are known: the updates
block ``H`` decides change the set of ``H + 2``, which is the set of ``H + 1`` with the updates applied
(priorities carried over, new validators entering behind) and moved on one proposer turn, exactly
CometBFT's ``updateState``. Headers carry both hashes (``validators_hash``, ``next_validators_hash``).
"""

from collections.abc import Iterable

from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.state import schema
from okchain.state.store import KVReader


def stored(db: KVReader, height: int) -> ValidatorSet | None:
    raw = db.get(schema.validator_set(height))
    return None if raw is None else ValidatorSet.decode(raw)


def following(base: ValidatorSet, updates: Iterable[tuple[bytes, int]]) -> ValidatorSet:
    """The set of the height after ``base``'s, given the (consensus key, power) updates decided one block
    earlier (power 0 removes)."""
    changes = [ConsensusValidator.from_pub_key(pubkey, power) for pubkey, power in updates]
    return (base.update(changes) if changes else base).increment(1)


def powers(validators: ValidatorSet) -> tuple[tuple[bytes, int], ...]:
    """(ed25519 public key, power) pairs in address order: what commit checks take."""
    return tuple((v.pub_key, v.power) for v in validators.validators)
