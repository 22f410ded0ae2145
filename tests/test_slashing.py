"""Slashing through the real application: a validator that stops signing is jailed, leaves the set, may
unjail after its jail time and returns at the next epoch; a double signer named by evidence in a block is
tombstoned, loses part of its self-deposit, leaves the set for good; blocks with bad evidence are refused."""

import dataclasses

import pytest

from okchain.app import AppError
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.modules.bank import keeper as bank
from okchain.modules.distribution import keeper as distribution
from okchain.modules.mint.keeper import total_minted
from okchain.modules.slashing import keeper as slashing
from okchain.modules.slashing.beginblock import max_missed
from okchain.modules.slashing.messages import Unjail
from okchain.modules.staking import keeper as k
from okchain.modules.staking.messages import Deposit
from okchain.modules.staking.messages import Vote as StakingVote
from okchain.state.store import MemoryKV
from okchain.types.params import RATE_ONE, ChainParams
from okchain.types.refusal import RefusalCode
from okchain.types.results import Code
from tests.helpers.chain import OKT
from tests.helpers.distribution import check_owed
from tests.helpers.staking import CONSENSUS, KEYS, create, genesis
from tests.helpers.valsets import SetChain, double_sign

EPOCH = 4
PARAMS = ChainParams(
    staking_epoch_blocks=EPOCH,
    staking_unbonding_seconds=10,
    slashing_window_blocks=10,
    slashing_min_signed_rate=RATE_ONE // 2,
    slashing_downtime_jail_seconds=5,
    evidence_max_age_blocks=20,
    max_block_evidence=2,
)
OPERATORS = KEYS[1:5]  # OPERATORS[i] runs the validator with consensus key CONSENSUS[i]
FOUR = {key.public_key for key in CONSENSUS[:4]}


def four_validators() -> SetChain:
    """Four equal staking validators, the whole set from height EPOCH + 2 (the genesis one gone)."""
    chain = SetChain(MemoryKV(), genesis(PARAMS))
    for i, operator in enumerate(OPERATORS):
        chain.send(operator, create(i))
    chain.until(EPOCH)
    chain.until(EPOCH + 2)
    assert chain.members(EPOCH + 2) == FOUR
    return chain


def test_max_missed_follows_the_window_and_the_minimum_signed_rate() -> None:
    assert max_missed(PARAMS) == 5
    assert max_missed(ChainParams()) == 9_500  # signs fewer than 5 % of 10,000 blocks: jailed


def test_a_validator_that_stops_signing_is_jailed_leaves_the_set_unjails_and_returns_at_the_epoch() -> None:
    chain = four_validators()
    stopped = CONSENSUS[3].public_key
    chain.absent = {stopped}
    while not slashing.is_jailed(chain.db, stopped):
        chain.step()
        assert chain.app.last.height < EPOCH + 2 + PARAMS.slashing_window_blocks + 2
    jailed_at = chain.app.last.height
    info = slashing.get_info(chain.db, stopped)
    assert info is not None and info.jailed and not info.tombstoned and info.missed == 0
    assert info.jailed_until_ns == chain.app.last.time_ns - 10**9 + 5 * 10**9  # previous block's time + 5 s
    assert stopped in chain.members(jailed_at + 1)  # Tendermint's delay: decided in this block's end
    assert chain.members(jailed_at + 2) == FOUR - {stopped}
    # too early: refused with the time it may unjail from
    early = chain.run(OPERATORS[3], Unjail())
    assert early.code == Code.SLASHING_STILL_JAILED and str(info.jailed_until_ns) in early.log
    assert chain.run(OPERATORS[0], Unjail()).code == Code.SLASHING_NOT_JAILED
    while chain.app.last.time_ns < info.jailed_until_ns:
        chain.step()
    assert chain.run(OPERATORS[3], Unjail()).code == Code.OK
    assert not slashing.is_jailed(chain.db, stopped)
    chain.absent = ()
    height = chain.app.last.height
    assert stopped not in chain.members(height + 2)  # not back before the epoch re-ranks
    next_epoch = (height // EPOCH + 1) * EPOCH
    chain.until(next_epoch + 2)
    assert stopped in chain.members(next_epoch + 2)


def test_a_validator_that_misses_no_more_than_allowed_stays() -> None:
    chain = four_validators()
    flaky = CONSENSUS[2].public_key
    for height in range(3 * PARAMS.slashing_window_blocks):
        chain.absent = {flaky} if height % 2 else ()  # misses half: exactly the limit of 5 in 10
        chain.step()
    info = slashing.get_info(chain.db, flaky)
    assert info is not None and not info.jailed and info.missed <= max_missed(PARAMS)


def test_a_double_signer_is_tombstoned_slashed_and_never_returns() -> None:
    chain = four_validators()
    offender, operator = CONSENSUS[1], OPERATORS[1]
    evidence = double_sign(chain, offender, chain.app.last.height)
    supply, minted = bank.get_supply(chain.db, "okt"), total_minted(chain.db)
    deposit = k.get_validator(chain.db, operator.address).self_deposit  # type: ignore[union-attr]
    chain.step(evidence=[evidence])
    height = chain.app.last.height
    info = slashing.get_info(chain.db, offender.public_key)
    assert info is not None and info.tombstoned and info.jailed
    burned = deposit * PARAMS.slashing_double_sign_rate // RATE_ONE
    assert k.get_validator(chain.db, operator.address).self_deposit == deposit - burned  # type: ignore[union-attr]
    assert bank.get_supply(chain.db, "okt") == supply + total_minted(chain.db) - minted - burned
    assert chain.members(height + 2) == FOUR - {offender.public_key}
    # punished once: the same offence again (or another of the same key) is refused
    again = chain.block(evidence=[evidence])
    refusal = chain.app.process_proposal(again)
    assert refusal is not None and refusal.code == RefusalCode.EVIDENCE_DUPLICATE
    assert chain.run(operator, Unjail()).code == Code.SLASHING_TOMBSTONED
    chain.until((chain.app.last.height // EPOCH + 2) * EPOCH + 2)
    assert offender.public_key not in chain.members(chain.app.last.height + 2)


def test_a_double_sign_settles_the_operators_rewards_before_its_self_shares_shrink() -> None:
    """Regression: the slash cut the self shares without a settlement, so the rewards they had earned since
    the operator last settled were stranded in the validator's owed rewards (found by test_pos_invariants)."""
    chain = four_validators()
    operator = OPERATORS[1].address
    assert distribution.pending(chain.db, operator, operator) > 0
    chain.step(evidence=[double_sign(chain, CONSENSUS[1], chain.app.last.height)])
    stake = distribution.get_stake(chain.db, operator, operator)
    assert stake is not None and stake.start == distribution.get_rewards(chain.db, operator).ratio
    check_owed(chain.db)


def test_votes_for_a_tombstoned_validator_are_refused() -> None:
    chain = four_validators()
    chain.step(evidence=[double_sign(chain, CONSENSUS[0], chain.app.last.height)])
    chain.send(KEYS[5], Deposit(10**18))
    result = chain.run(KEYS[5], StakingVote((OPERATORS[0].address,)))
    assert result.code == Code.STAKING_VALIDATOR_DESTROYED and "tombstoned" in result.log


def test_blocks_with_bad_evidence_are_refused() -> None:
    chain = four_validators()
    height = chain.app.last.height
    good = double_sign(chain, CONSENSUS[1], height)
    piece = DuplicateVoteEvidence.decode(good)
    forged_vote = dataclasses.replace(piece.vote_b, signature=bytes(64))
    forged = dataclasses.replace(piece, vote_b=forged_vote).encode()
    cases = [
        ([b"\x01not evidence"], RefusalCode.EVIDENCE_INVALID),
        ([forged], RefusalCode.EVIDENCE_INVALID),
        ([good, good], RefusalCode.EVIDENCE_DUPLICATE),
        ([good, double_sign(chain, CONSENSUS[2], height), double_sign(chain, CONSENSUS[3], height)],
         RefusalCode.EVIDENCE_COUNT),
    ]  # fmt: skip
    for pieces, code in cases:
        refusal = chain.app.process_proposal(chain.block(evidence=pieces))
        assert refusal is not None and refusal.code == code, (code, refusal)
    # a body whose evidence does not match the header's evidence hash
    block = chain.block(evidence=[good])
    tampered = dataclasses.replace(block, evidence=())
    refusal = chain.app.process_proposal(tampered)
    assert refusal is not None and refusal.code == RefusalCode.EVIDENCE_HASH
    with pytest.raises(AppError):
        chain.app.finalize_block(tampered, chain.last_commit)  # type: ignore[arg-type]


def test_evidence_older_than_the_max_age_is_refused() -> None:
    chain = four_validators()
    old = double_sign(chain, CONSENSUS[1], EPOCH + 2)
    chain.until(EPOCH + 2 + PARAMS.evidence_max_age_blocks)
    refusal = chain.app.process_proposal(chain.block(evidence=[old]))
    assert refusal is not None and refusal.code == RefusalCode.EVIDENCE_TOO_OLD


def test_the_proposer_keeps_only_the_evidence_a_block_may_carry() -> None:
    chain = four_validators()
    height = chain.app.last.height
    pieces = [double_sign(chain, key, height) for key in CONSENSUS[1:4]]
    proposal = chain.app.prepare_proposal([], [pieces[0], pieces[0], b"junk", *pieces[1:]])
    assert proposal.evidence == pieces[:2]  # the duplicate and the junk dropped, then the count limit


def test_voters_of_a_double_signer_lose_the_rate_of_their_deposit_at_their_next_staking_tx() -> None:
    chain = four_validators()
    voter, offender, other = KEYS[5], OPERATORS[1].address, OPERATORS[2].address
    chain.send(voter, Deposit(1_000 * OKT), StakingVote((offender, other)))
    chain.step(evidence=[double_sign(chain, CONSENSUS[1], chain.app.last.height)])
    assert k.get_voter(chain.db, voter.address).deposit == 1_000 * OKT  # lazy: nothing moved yet
    supply, minted = bank.get_supply(chain.db, "okt"), total_minted(chain.db)
    chain.send(voter, Deposit(OKT))
    slashed = 1_000 * OKT * PARAMS.slashing_double_sign_rate // RATE_ONE
    record = k.get_voter(chain.db, voter.address)
    assert record.deposit == 1_000 * OKT - slashed + OKT
    assert record.validators == (other,)  # the vote for the tombstoned validator is dropped
    assert k.get_validator(chain.db, offender).voters == 0  # type: ignore[union-attr]
    assert bank.get_supply(chain.db, "okt") == supply + total_minted(chain.db) - minted - slashed
    chain.send(voter, Deposit(OKT))  # owed once only
    assert k.get_voter(chain.db, voter.address).deposit == 1_000 * OKT - slashed + 2 * OKT
