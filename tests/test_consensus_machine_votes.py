"""Vote-set tallies under equivocation: counting a validator's extra votes toward their own blocks (as the
paper counts messages) never lets two blocks both reach +2/3 while the equivocators hold less than 1/3."""

from hypothesis import given, settings
from hypothesis import strategies as st

from okchain.consensus.messages import Vote
from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.consensus.votes import MAX_BLOCKS_PER_VALIDATOR, AddOutcome, VoteSet
from okchain.types.vote import VoteType

HASHES = [b"", b"\x01" * 32, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32, b"\x05" * 32]
Case = tuple[ValidatorSet, dict[bytes, int], list[tuple[bytes, bytes]]]


@st.composite
def scenario(draw: st.DrawFn) -> Case:
    """Validators with random powers; a random subset below 1/3 of the power votes up to 6 times."""
    powers = draw(st.lists(st.integers(1, 20), min_size=1, max_size=10))
    vals = ValidatorSet.genesis(
        [ConsensusValidator(bytes([i + 1]) * 20, bytes(32), p) for i, p in enumerate(powers)]
    )
    power = {v.address: v.power for v in vals.validators}
    byzantine = 0
    votes: list[tuple[bytes, bytes]] = []
    for address in draw(st.permutations(sorted(power))):
        times = 1
        if 3 * (byzantine + power[address]) < vals.total_power and draw(st.booleans()):
            byzantine += power[address]
            times = draw(st.integers(2, 6))
        votes += [(address, draw(st.sampled_from(HASHES))) for _ in range(times)]
    return vals, power, draw(st.permutations(votes))


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_no_two_blocks_reach_two_thirds_and_tallies_add_up(case: Case) -> None:
    vals, power, votes = case
    vs = VoteSet(vals, 0, VoteType.PREVOTE)
    counted: dict[bytes, list[bytes]] = {}
    for address, block_hash in votes:
        result = vs.add(Vote(VoteType.PREVOTE, 1, 0, block_hash, 0, address, b""), power[address])
        mine = counted.setdefault(address, [])
        if block_hash in mine:
            assert result.outcome is AddOutcome.DUPLICATE
        elif mine:
            assert result.outcome is AddOutcome.CONFLICT and result.existing is not None
            assert result.counted == (len(mine) < MAX_BLOCKS_PER_VALIDATOR)
            if result.counted:
                mine.append(block_hash)
        else:
            assert result.outcome is AddOutcome.ADDED
            mine.append(block_hash)
    with_quorum = [h for h in HASHES if vs.has_quorum_for(h)]
    assert len(with_quorum) <= 1
    assert vs.majority() == (with_quorum[0] if with_quorum else None)
    assert vs.total == sum(power[a] for a in counted)
    for h in HASHES:
        assert vs.power_for(h) == sum(power[a] for a, hs in counted.items() if h in hs)
        assert [v.validator_address for v in vs.votes_for(h)] == sorted(
            a for a, hs in counted.items() if h in hs
        )
