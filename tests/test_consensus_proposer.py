"""Proposer rotation: CometBFT's own test vectors (types/validator_set_test.go, state/state_test.go) ported
to ``okchain.consensus.proposer``, plus properties of the rotation and the set's invariants."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain._pb.consensus.v1 import consensus_pb2
from okchain.consensus.messages import ConsensusDecodeError
from okchain.consensus.proposer import (
    MAX_TOTAL_VOTING_POWER,
    ConsensusValidator,
    ValidatorSet,
    ValidatorSetError,
    _rescale_and_centre,
)
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.crypto.hashing import sha256
from okchain.types.validator import validators_hash


def val(address: bytes, power: int, priority: int = 0) -> ConsensusValidator:
    return ConsensusValidator(address, b"", power, priority)


def addr(i: int) -> bytes:
    return bytes(19) + bytes([i])


def proposers(vset: ValidatorSet, n: int) -> list[bytes]:
    out = []
    for _ in range(n):
        out.append(vset.proposer.address)
        vset = vset.increment(1)
    return out


def test_cometbft_proposer_selection_1() -> None:
    vset = ValidatorSet.genesis([val(b"foo", 1000), val(b"bar", 300), val(b"baz", 330)])
    expected = (
        "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar"
        " foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar"
        " foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz"
        " foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo"
        " foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo"
    )
    assert b" ".join(proposers(vset, 99)).decode() == expected


def test_cometbft_proposer_selection_2() -> None:
    # Equal power: in address order.
    vset = ValidatorSet.genesis([val(addr(2), 100), val(addr(0), 100), val(addr(1), 100)])
    assert proposers(vset, 15) == [addr(i % 3) for i in range(15)]
    # More power, but not enough to propose twice in a row.
    vset = ValidatorSet.genesis([val(addr(0), 100), val(addr(1), 100), val(addr(2), 400)])
    assert proposers(vset, 2) == [addr(2), addr(0)]
    # Enough to propose twice in a row.
    vset = ValidatorSet.genesis([val(addr(0), 100), val(addr(1), 100), val(addr(2), 401)])
    assert proposers(vset, 3) == [addr(2), addr(2), addr(0)]
    # Proportional: 4/12, 5/12, 3/12 of 120 turns.
    vset = ValidatorSet.genesis([val(addr(0), 4), val(addr(1), 5), val(addr(2), 3)])
    seq = proposers(vset, 120)
    assert [seq.count(addr(i)) for i in range(3)] == [40, 50, 30]


@given(st.lists(st.integers(1, 5), min_size=1, max_size=60))
@settings(max_examples=40, deadline=None)
def test_cometbft_proposer_selection_3_order_survives_multi_increments(times: list[int]) -> None:
    keys = [ValidatorKey(bytes([i + 1]) * 32) for i in range(4)]
    vset = ValidatorSet.genesis(
        [ConsensusValidator(validator_address(k.public_key), k.public_key, 1) for k in keys]
    )
    order = proposers(vset, 4)
    j = 0
    for t in times:
        assert vset.proposer.address == order[j % 4]
        restored = ValidatorSet(vset.validators, vset.proposer_address)  # as if stored and reloaded
        assert restored == vset and restored.proposer == vset.proposer
        vset = vset.increment(t)
        j += t


@pytest.mark.parametrize(
    ("priorities", "avg"),
    [((1, 2, 3), 2), ((10, -10, 1), 0), ((100, -10, 1), 91 // 3), ((-1, 0, 0), -1)],
)
def test_cometbft_averaging(priorities: tuple[int, ...], avg: int) -> None:
    # TestAveragingInIncrementProposerPriority uses zero-power validators, which a ValidatorSet refuses;
    # the rescale-and-centre step it checks is exercised directly. The last case checks big.Int floor
    # division of a negative sum (-1/3 = -1, where Go's int64 division would give 0).
    assert _rescale_and_centre(list(priorities), 0) == [p - avg for p in priorities]


def test_cometbft_averaging_with_voting_power() -> None:
    vp0, vp1, vp2 = 10, 1, 1
    total = vp0 + vp1 + vp2
    avg = (vp0 + vp1 + vp2 - total) // 3
    base = ValidatorSet((val(b"\x00", vp0), val(b"\x01", vp1), val(b"\x02", vp2)))
    cases = [
        (1, [0 + vp0 - total - avg, 0 + vp1, 0 + vp2], 0),
        (2, [(0 + vp0 - total) + vp0 - total - avg, (0 + vp1) + vp1, (0 + vp2) + vp2], 0),
        (3, [0 + 3 * (vp0 - total) - avg, 0 + 3 * vp1, 0 + 3 * vp2], 0),
        (4, [0 + 4 * (vp0 - total), 0 + 4 * vp1, 0 + 4 * vp2], 0),
        (5, [0 + 4 * (vp0 - total) + vp0, 0 + 5 * vp1 - total, 0 + 5 * vp2], 1),
        (6, [0 + 6 * vp0 - 5 * total, 0 + 6 * vp1 - total, 0 + 6 * vp2], 0),
        (7, [0 + 7 * vp0 - 6 * total, 0 + 7 * vp1 - total, 0 + 7 * vp2], 0),
        (8, [0 + 8 * vp0 - 7 * total, 0 + 8 * vp1 - total, 0 + 8 * vp2], 0),
        (9, [0 + 9 * vp0 - 7 * total, 0 + 9 * vp1 - total, 0 + 9 * vp2 - total], 2),
        (10, [0 + 10 * vp0 - 8 * total, 0 + 10 * vp1 - total, 0 + 10 * vp2 - total], 0),
        (11, [0 + 11 * vp0 - 9 * total, 0 + 11 * vp1 - total, 0 + 11 * vp2 - total], 0),
    ]
    for times, want, proposer in cases:
        got = base.increment(times)
        assert [v.priority for v in got.validators] == want, times
        assert got.proposer.address == bytes([proposer]), times


def _next_height(vset: ValidatorSet, changes: list[ConsensusValidator] | None = None) -> ValidatorSet:
    """CometBFT's updateState: apply the block's validator updates, then one proposer turn."""
    return (vset.update(changes) if changes else vset).increment(1)


def test_cometbft_priority_not_reset_to_zero() -> None:
    # internal/state/state_test.go TestProposerPriorityDoesNotGetResetToZero
    v1, v2 = addr(1), addr(2)
    s1 = _next_height(ValidatorSet.genesis([val(v1, 10)]))
    assert s1.validators[0].priority == 0 + 10 - 10
    s2 = _next_height(s1, [val(v2, 100)])
    total = 10 + 100
    p2 = -(total + (total >> 3))  # joins at -1.125 × the new total: -123
    mean = (0 + p2) // 2  # big.Int division floors: -62
    p1, p2 = 0 - mean + 10 - total, p2 - mean + 100  # v1 proposes: -38; v2: 39
    assert (s2.by_address(v1).priority, s2.by_address(v2).priority) == (p1, p2)  # type: ignore[union-attr]
    # v2's power drops to 1: the spread (77) exceeds 2 × total (22), so priorities are divided by 4
    # with Go's truncation (-38 / 4 = -9), re-centred (mean 0), then v2 proposes.
    s3 = _next_height(s2, [val(v2, 1)])
    total = 11
    ratio = (p2 - p1 + 2 * total - 1) // (2 * total)
    p1, p2 = -(-p1 // ratio) + 10, p2 // ratio + 1 - total
    assert (p1, p2) == (1, -1)
    assert (s3.by_address(v1).priority, s3.by_address(v2).priority) == (p1, p2)  # type: ignore[union-attr]
    assert s3.proposer.address == v2


def test_cometbft_proposers_alternate() -> None:
    # internal/state/state_test.go TestProposerPriorityProposerAlternates
    v1, v2 = addr(1), addr(2)
    s1 = _next_height(ValidatorSet.genesis([val(v1, 10)]))
    assert s1.validators[0].priority == 0 + 10 - 10 and s1.proposer.address == v1
    s2 = _next_height(s1, [val(v2, 10)])
    total = 20
    joined = -(total + (total >> 3))  # -22
    mean = (joined + 0) // 2  # -11
    p1, p2 = 0 - mean + 10 - total, joined - mean + 10  # v1 still proposes: 1, -1
    assert s2.proposer.address == v1
    assert (s2.by_address(v1).priority, s2.by_address(v2).priority) == (p1, p2)  # type: ignore[union-attr]
    s3 = _next_height(s2)
    q1, q2 = p1 + 10 - total, p2 + 10  # v1 proposes again: -9, 9
    assert s3.proposer.address == v1
    assert (s3.by_address(v1).priority, s3.by_address(v2).priority) == (q1, q2)  # type: ignore[union-attr]
    prev = s3
    for i in range(1000):
        nxt = _next_height(prev)
        assert nxt.proposer.address != prev.proposer.address, i
        prios = (nxt.by_address(v1).priority, nxt.by_address(v2).priority)  # type: ignore[union-attr]
        assert prios == ((q1, q2) if nxt.proposer.address == v1 else (p1, p2)), i
        prev = nxt


def test_cometbft_update_rules() -> None:
    base = ValidatorSet.genesis([val(b"v1", 10), val(b"v2", 10)])
    with pytest.raises(ValidatorSetError, match="duplicate"):
        base.update([val(b"v1", 11), val(b"v1", 22)])
    with pytest.raises(ValidatorSetError, match="negative"):
        base.update([val(b"v1", -123)])
    with pytest.raises(ValidatorSetError, match="unknown"):
        base.update([val(b"v3", 0)])
    with pytest.raises(ValidatorSetError, match="empty"):
        base.update([val(b"v1", 0), val(b"v2", 0)])
    with pytest.raises(ValidatorSetError, match="exceed"):
        base.update([val(b"v1", MAX_TOTAL_VOTING_POWER)])
    with pytest.raises(ValidatorSetError, match="zero"):
        ValidatorSet.genesis([val(b"v1", 0), val(b"v2", 22)])
    updated = base.update([val(b"v4", 40), val(b"v3", 30), val(b"v1", 0)])
    assert [(v.address, v.power) for v in updated.validators] == [(b"v2", 10), (b"v3", 30), (b"v4", 40)]
    # Added validators start with the same, lowest priority; the set stays centred and within its window.
    assert updated.by_address(b"v3").priority == updated.by_address(b"v4").priority  # type: ignore[union-attr]
    assert min(v.priority for v in updated.validators) == updated.by_address(b"v3").priority  # type: ignore[union-attr]
    _assert_centred(updated)


def _assert_centred(vset: ValidatorSet) -> None:
    n = len(vset.validators)
    prios = [v.priority for v in vset.validators]
    assert -n < sum(prios) < n
    assert max(prios) - min(prios) <= 2 * vset.total_power


powers = st.lists(st.integers(1, 50), min_size=1, max_size=8)


@given(powers, st.integers(1, 3))
@settings(max_examples=60, deadline=None)
def test_each_validator_proposes_in_proportion_to_power(ps: list[int], cycles: int) -> None:
    vset = ValidatorSet.genesis([val(addr(i), p) for i, p in enumerate(ps)])
    seq = proposers(vset, cycles * vset.total_power)
    assert [seq.count(addr(i)) for i in range(len(ps))] == [cycles * p for p in ps]


@given(powers, st.lists(st.integers(0, 7), max_size=20))
@settings(max_examples=60, deadline=None)
def test_priorities_stay_bounded_and_sets_are_deterministic(ps: list[int], steps: list[int]) -> None:
    vset = ValidatorSet.genesis([val(addr(i), p) for i, p in enumerate(reversed(ps))])
    again = ValidatorSet.genesis([val(addr(i), p) for i, p in reversed(list(enumerate(reversed(ps))))])
    assert vset == again  # input order does not matter
    for t in steps:
        vset = vset.increment(t)
        prios = [v.priority for v in vset.validators]
        assert max(prios) - min(prios) <= 3 * vset.total_power


def test_quorum_hash_and_lookup() -> None:
    assert [ValidatorSet.genesis([val(addr(i), 1) for i in range(n)]).quorum for n in (1, 3, 4, 7)] == [
        1,
        3,
        3,
        5,
    ]
    vset = ValidatorSet.genesis([val(addr(1), 50), val(addr(2), 50)])
    assert vset.quorum == 67
    assert vset.by_address(addr(9)) is None and vset.by_address(addr(1)).power == 50  # type: ignore[union-attr]
    keys = [ValidatorKey(bytes([i + 1]) * 32) for i in range(3)]
    cvals = sorted(
        (ConsensusValidator.from_pub_key(k.public_key, 10 + i) for i, k in enumerate(keys)),
        key=lambda v: v.address,
    )
    entries = [(v.address, v.pub_key, v.power) for v in cvals]
    by_formula = sha256(b"".join(a + k + p.to_bytes(8, "big") for a, k, p in entries))
    assert ValidatorSet.genesis(cvals).hash() == by_formula == validators_hash(entries)
    assert ValidatorSet.genesis(cvals).increment(5).hash() == by_formula  # priorities are not hashed


def test_invalid_sets_refused() -> None:
    with pytest.raises(ValidatorSetError, match="32 bytes"):
        ConsensusValidator.from_pub_key(b"\x01" * 31, 1)
    with pytest.raises(ValidatorSetError, match="empty"):
        ValidatorSet(())
    with pytest.raises(ValidatorSetError, match="sorted"):
        ValidatorSet((val(b"b", 1), val(b"a", 1)))
    with pytest.raises(ValidatorSetError, match="sorted"):
        ValidatorSet((val(b"a", 1), val(b"a", 1)))
    with pytest.raises(ValidatorSetError, match="not in the validator set"):
        ValidatorSet((val(b"a", 1),), b"z")
    with pytest.raises(ValidatorSetError, match="increment"):
        ValidatorSet((val(b"a", 1),)).increment(-1)


@given(powers, st.integers(0, 20))
@settings(max_examples=30, deadline=None)
def test_encode_decode_keeps_priorities_and_proposer(ps: list[int], turns: int) -> None:
    vset = ValidatorSet.genesis([val(addr(i), p) for i, p in enumerate(ps)]).increment(turns)
    back = ValidatorSet.decode(vset.encode())
    assert back == vset and back.proposer == vset.proposer
    assert proposers(back, 10) == proposers(vset, 10)


def test_decode_refuses_bad_sets() -> None:
    good = ValidatorSet.genesis([val(addr(1), 5), val(addr(2), 7)])
    with pytest.raises(ConsensusDecodeError, match="canonically"):
        ValidatorSet.decode(good.encode() + b"\x18\x01")
    unsorted = consensus_pb2.ValidatorSet(
        validators=[
            consensus_pb2.Validator(address=addr(2), power=1),
            consensus_pb2.Validator(address=addr(1), power=1),
        ],
        proposer_address=addr(1),
    )
    with pytest.raises(ConsensusDecodeError, match="sorted"):
        ValidatorSet.decode(unsorted.SerializeToString())
    with pytest.raises(ConsensusDecodeError, match="no proposer"):
        ValidatorSet.decode(
            consensus_pb2.ValidatorSet(validators=unsorted.validators[:1]).SerializeToString()
        )


@given(
    st.lists(st.integers(1, 50), min_size=2, max_size=6),
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 60)), max_size=6, unique_by=lambda c: c[0]),
    st.integers(0, 30),
    st.randoms(use_true_random=False),
)
@settings(max_examples=60, deadline=None)
def test_updates_do_not_depend_on_order(
    start: list[int], changes: list[tuple[int, int]], turns: int, rng: random.Random
) -> None:
    """CometBFT's TestValSetUpdatesOrderIndependence: a permuted change list gives the same set; the result
    is centred and within its priority window; new validators enter with the lowest priority."""
    vset = ValidatorSet.genesis([val(addr(i), p) for i, p in enumerate(start)]).increment(turns)
    updates = [val(addr(i), p) for i, p in changes]
    try:
        expected = vset.update(updates)
    except ValidatorSetError:
        return  # e.g. removing an unknown or every validator
    shuffled = list(updates)
    rng.shuffle(shuffled)
    assert vset.update(shuffled) == expected
    _assert_centred(expected)
    added = [expected.by_address(u.address) for u in updates if vset.by_address(u.address) is None]
    if added:
        lowest = min(v.priority for v in expected.validators)
        assert all(a is not None and a.priority == lowest for a in added)
