"""Validator sets and weighted round-robin proposer selection (CometBFT's proposer-priority algorithm).

Each validator carries a priority. One increment adds every validator's power to its priority, makes the
validator with the highest priority (ties: lower address) the proposer and subtracts the total power from
it. Before a batch of increments, priorities are rescaled so their spread stays within 2 × total power
and re-centred on their average, so priorities stay bounded while a validator's credit is carried across
heights. Over ``total_power`` increments each validator proposes exactly ``power`` times.

Use: round ``r`` of a height is proposed by ``base.increment(r).proposer`` where ``base`` is the height's
set; the next height's base set is ``base.increment(1)`` (after applying validator updates, if any, with
``update``), exactly as CometBFT's ``updateState`` does. The arithmetic is int64 with clipping, Go's
truncating division where CometBFT uses ``/`` on int64 and floor division where it uses ``big.Int.Div``,
so the sequences match CometBFT's own test vectors (tests/test_consensus_proposer.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from okchain._pb.consensus.v1 import consensus_pb2
from okchain.consensus.messages import ConsensusDecodeError, ConsensusError, parse_canonical
from okchain.crypto.ed25519 import validator_address
from okchain.types.validator import validators_hash

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
MAX_TOTAL_VOTING_POWER = INT64_MAX // 8
PRIORITY_WINDOW_SIZE_FACTOR = 2


class ValidatorSetError(ConsensusError, ValueError):
    """An invalid validator set or validator update."""


@dataclass(frozen=True, slots=True)
class ConsensusValidator:
    """A validator as consensus sees it. The set does not check that ``address`` derives from ``pub_key``
    (CometBFT's test vectors use bare names); build real ones with ``from_pub_key``."""

    address: bytes
    pub_key: bytes
    power: int
    priority: int = 0

    @classmethod
    def from_pub_key(cls, pub_key: bytes, power: int) -> "ConsensusValidator":
        if len(pub_key) != 32:
            raise ValidatorSetError(f"validator public key must be 32 bytes (ed25519), got {len(pub_key)}")
        return cls(validator_address(pub_key), pub_key, power)


def _clip(value: int) -> int:
    """CometBFT's safeAddClip/safeSubClip: saturate at the int64 bounds instead of wrapping."""
    return INT64_MAX if value > INT64_MAX else INT64_MIN if value < INT64_MIN else value


def _trunc_div(a: int, b: int) -> int:
    """Go's int64 ``/`` (rounds toward zero), not Python's floor division."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _rescale_and_centre(priorities: list[int], total: int) -> list[int]:
    """Squeeze priorities into a window of 2 × total power, then subtract their (floored) average."""
    diff_max = PRIORITY_WINDOW_SIZE_FACTOR * total
    diff = max(priorities) - min(priorities)
    if diff_max > 0 and diff > diff_max:
        ratio = (diff + diff_max - 1) // diff_max
        priorities = [_trunc_div(p, ratio) for p in priorities]
    avg = sum(priorities) // len(priorities)  # big.Int.Div: Euclidean, = floor for a positive divisor
    return _clipped([p - avg for p in priorities])


def _clipped(priorities: list[int]) -> list[int]:
    if max(priorities) > INT64_MAX or min(priorities) < INT64_MIN:
        return [_clip(p) for p in priorities]
    return priorities


def _most_priority(priorities: list[int]) -> int:
    """Index of the highest priority; validators are sorted by address, so the first index wins ties."""
    return priorities.index(max(priorities))


@dataclass(frozen=True, slots=True)
class ValidatorSet:
    """An immutable validator set, sorted by address, with its current proposer.

    Build the first set with ``genesis``; restore a stored one (priorities and proposer as they were)
    with the constructor.
    """

    validators: tuple[ConsensusValidator, ...]
    proposer_address: bytes = b""
    total_power: int = field(init=False, compare=False)
    _index: dict[bytes, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.validators:
            raise ValidatorSetError("validator set is empty")
        index: dict[bytes, int] = {}
        total = 0
        for i, v in enumerate(self.validators):
            if not v.address:
                raise ValidatorSetError(f"validator #{i} has an empty address")
            if i and self.validators[i - 1].address >= v.address:
                raise ValidatorSetError(
                    f"validators must be sorted by address without duplicates (at {v.address.hex()})"
                )
            if v.power <= 0:
                raise ValidatorSetError(f"validator {v.address.hex()} has non-positive power {v.power}")
            if not INT64_MIN <= v.priority <= INT64_MAX:
                raise ValidatorSetError(f"validator {v.address.hex()} priority {v.priority} exceeds int64")
            total += v.power
            index[v.address] = i
        if total > MAX_TOTAL_VOTING_POWER:
            raise ValidatorSetError(f"total voting power {total} exceeds maximum {MAX_TOTAL_VOTING_POWER}")
        object.__setattr__(self, "total_power", total)
        object.__setattr__(self, "_index", index)
        if not self.proposer_address:
            proposer = self.validators[_most_priority([v.priority for v in self.validators])].address
            object.__setattr__(self, "proposer_address", proposer)
        elif self.proposer_address not in index:
            raise ValidatorSetError(f"proposer {self.proposer_address.hex()} is not in the validator set")

    @classmethod
    def genesis(cls, validators: Iterable[ConsensusValidator]) -> "ValidatorSet":
        """CometBFT's NewValidatorSet: every validator enters with equal priority, then one increment."""
        return _with_changes((), list(validators), allow_removals=False).increment(1)

    def update(self, changes: Iterable[ConsensusValidator]) -> "ValidatorSet":
        """Apply validator updates (power 0 removes; priorities in ``changes`` are ignored).

        New validators start at -1.125 × the new total power, so leaving and re-joining cannot reset a
        negative priority; existing ones keep theirs. The proposer is not re-chosen until ``increment``.
        """
        changed = _with_changes(self.validators, list(changes), allow_removals=True)
        keep = self.proposer_address if changed.by_address(self.proposer_address) else b""
        return ValidatorSet(changed.validators, keep)

    def increment(self, times: int) -> "ValidatorSet":
        """The set ``times`` proposer turns later (``times == 0`` is this set)."""
        if times < 0:
            raise ValidatorSetError(f"cannot increment proposer priority {times} times")
        if times == 0:
            return self
        total = self.total_power
        powers = [v.power for v in self.validators]
        prios = _rescale_and_centre([v.priority for v in self.validators], total)
        proposer = 0
        for _ in range(times):
            prios = _clipped([p + w for p, w in zip(prios, powers, strict=True)])
            proposer = _most_priority(prios)
            prios[proposer] = _clip(prios[proposer] - total)
        # Same addresses and powers as this (validated) set: share its index and total, skip re-validation.
        out = object.__new__(ValidatorSet)
        vals = tuple(
            ConsensusValidator(v.address, v.pub_key, v.power, p)
            for v, p in zip(self.validators, prios, strict=True)
        )
        for name, value in (
            ("validators", vals),
            ("proposer_address", vals[proposer].address),
            ("total_power", total),
            ("_index", self._index),
        ):
            object.__setattr__(out, name, value)
        return out

    @property
    def proposer(self) -> ConsensusValidator:
        return self.validators[self._index[self.proposer_address]]

    def proposer_at(self, round_: int) -> ConsensusValidator:
        """The proposer of round ``round_`` when this is the height's base set."""
        return self.increment(round_).proposer

    def by_address(self, address: bytes) -> ConsensusValidator | None:
        i = self._index.get(address)
        return None if i is None else self.validators[i]

    @property
    def quorum(self) -> int:
        """Smallest voting power strictly greater than 2/3 of the total."""
        return self.total_power * 2 // 3 + 1

    def encode(self) -> bytes:
        """Canonical bytes of the whole set, priorities and proposer included (for per-height storage)."""
        return consensus_pb2.ValidatorSet(
            validators=[
                consensus_pb2.Validator(
                    address=v.address, pub_key=v.pub_key, power=v.power, priority=v.priority
                )
                for v in self.validators
            ],
            proposer_address=self.proposer_address,
        ).SerializeToString(deterministic=True)

    @classmethod
    def decode(cls, raw: bytes) -> "ValidatorSet":
        p = parse_canonical(raw, consensus_pb2.ValidatorSet(), "ValidatorSet")
        if not p.proposer_address:
            raise ConsensusDecodeError("stored validator set has no proposer")
        try:
            return cls(
                tuple(ConsensusValidator(v.address, v.pub_key, v.power, v.priority) for v in p.validators),
                p.proposer_address,
            )
        except ValidatorSetError as exc:
            raise ConsensusDecodeError(f"invalid validator set: {exc}") from exc

    def hash(self) -> bytes:
        """The header's ``validators_hash`` of this set (``okchain.types.validator.validators_hash``)."""
        return validators_hash((v.address, v.pub_key, v.power) for v in self.validators)


def _with_changes(
    existing: tuple[ConsensusValidator, ...], changes: list[ConsensusValidator], *, allow_removals: bool
) -> ValidatorSet:
    """CometBFT's updateWithChangeSet on an immutable set; the proposer is left to be recomputed."""
    by_addr = {v.address: v for v in existing}
    seen: set[bytes] = set()
    updates: list[ConsensusValidator] = []
    removals: list[bytes] = []
    for c in changes:
        if c.address in seen:
            raise ValidatorSetError(f"duplicate validator update for {c.address.hex()}")
        seen.add(c.address)
        if c.power < 0:
            raise ValidatorSetError(f"voting power can't be negative: {c.power} for {c.address.hex()}")
        if c.power > MAX_TOTAL_VOTING_POWER:
            raise ValidatorSetError(f"voting power {c.power} exceeds the maximum {MAX_TOTAL_VOTING_POWER}")
        if c.power == 0:
            if not allow_removals:
                raise ValidatorSetError(f"validator {c.address.hex()} has zero voting power")
            if c.address not in by_addr:
                raise ValidatorSetError(f"cannot remove unknown validator {c.address.hex()}")
            removals.append(c.address)
        else:
            updates.append(c)
    removed_power = sum(by_addr[a].power for a in removals)
    # Total after updates but before removals: new validators' priorities are measured against it.
    total_before_removals = sum(v.power for v in existing) + sum(
        u.power - (by_addr[u.address].power if u.address in by_addr else 0) for u in updates
    )
    total_after = total_before_removals - removed_power
    if total_after > MAX_TOTAL_VOTING_POWER:
        raise ValidatorSetError(f"total voting power {total_after} would exceed {MAX_TOTAL_VOTING_POWER}")
    new_priority = -(total_before_removals + (total_before_removals >> 3))
    merged = dict(by_addr)
    for u in updates:
        old = by_addr.get(u.address)
        merged[u.address] = ConsensusValidator(
            u.address, u.pub_key, u.power, old.priority if old is not None else new_priority
        )
    for a in removals:
        del merged[a]
    if not merged:
        raise ValidatorSetError("applying the validator changes would leave an empty set")
    vals = [merged[a] for a in sorted(merged)]
    prios = _rescale_and_centre([v.priority for v in vals], sum(v.power for v in vals))
    return ValidatorSet(
        tuple(ConsensusValidator(v.address, v.pub_key, v.power, p) for v, p in zip(vals, prios, strict=True))
    )
