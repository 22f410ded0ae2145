"""The validator set follows staking: epochs, departures, genesis supernodes and Tendermint's two-block
delay, through the real application, with every block signed by the set its height names."""

import dataclasses

import pytest

from okchain.app import AppError, Application
from okchain.crypto.ed25519 import validator_address
from okchain.genesis.document import GenesisDoc, GenesisValidator
from okchain.modules.bank import keeper as bank
from okchain.modules.staking import active
from okchain.modules.staking import keeper as k
from okchain.modules.staking.genesis import genesis_power
from okchain.modules.staking.messages import Deposit, DestroyValidator, Vote
from okchain.modules.staking.weight import shares, weight
from okchain.state.store import MemoryKV
from okchain.types.block import Block
from okchain.types.params import ChainParams
from okchain.types.refusal import RefusalCode
from tests.helpers.app import VALIDATOR, next_block, sign
from tests.helpers.chain import OKT
from tests.helpers.staking import CONSENSUS, KEYS, create, genesis
from tests.helpers.valsets import SetChain

EPOCH = 4
PARAMS = ChainParams(staking_epoch_blocks=EPOCH, staking_unbonding_seconds=10)


def staked_genesis(params: ChainParams = PARAMS, power: int | None = None) -> GenesisDoc:
    """KEYS[0] runs the one genesis validator, staking the minimum self-deposit from its migrated OKT."""
    doc = genesis(params)
    time_ns = int(doc.header.genesis_time.timestamp()) * 10**9
    stated = genesis_power(params, time_ns) if power is None else power
    node = GenesisValidator("genesis-supernode", VALIDATOR.public_key, stated, KEYS[0].address)
    return GenesisDoc(dataclasses.replace(doc.header, validators=(node,)), doc.accounts)


def test_an_unstaked_genesis_set_signs_until_the_first_epoch_with_a_candidate() -> None:
    chain = SetChain(MemoryKV(), genesis(PARAMS))
    chain.until(EPOCH)  # an epoch without candidates changes nothing
    assert chain.members(EPOCH + 2) == {VALIDATOR.public_key}
    chain.send(KEYS[1], create(0))
    chain.until(2 * EPOCH)
    # decided at the epoch block: the height after it still has the old set, the one after that the new
    assert chain.members(2 * EPOCH + 1) == {VALIDATOR.public_key}
    assert chain.members(2 * EPOCH + 2) == {CONSENSUS[0].public_key}
    app = chain.app
    assert app.next_validators_hash == app.validator_set(2 * EPOCH + 2).hash() != app.validators_hash
    chain.until(2 * EPOCH + 3)  # the new validator alone decides heights 2 * EPOCH + 2 and on
    deposit = PARAMS.staking_min_self_deposit
    entry = app.validator_set(2 * EPOCH + 3).validators[0]
    assert entry.power == k.get_validator(chain.db, KEYS[1].address).shares // PARAMS.staking_power_unit  # type: ignore[union-attr]
    assert entry.power == shares(deposit, weight(app.last.time_ns, False)) // 10**18 > 0


def test_blocks_signed_or_named_by_the_wrong_set_are_refused() -> None:
    chain = SetChain(MemoryKV(), genesis(PARAMS))
    chain.send(KEYS[1], create(0))
    chain.until(EPOCH + 1)
    block = chain.block()  # height EPOCH + 2: the first the new validator signs
    stale = dataclasses.replace(block.header, proposer_address=validator_address(VALIDATOR.public_key))
    refusal = chain.app.process_proposal(Block(stale, block.txs, block.last_commit))
    assert refusal is not None and refusal.code == RefusalCode.PROPOSER
    wrong_next = dataclasses.replace(block.header, next_validators_hash=bytes(32))
    refusal = chain.app.process_proposal(Block(wrong_next, block.txs, block.last_commit))
    assert refusal is not None and refusal.code == RefusalCode.VALIDATORS_HASH
    assert "next validators hash" in refusal.reason
    # the old validator's signature no longer decides anything: the next block refuses it as last commit
    chain.apply(block, sign(chain, block, [VALIDATOR], [block.header.time_ns + 10**9]))
    after = next_block(chain, chain.last_commit, proposer=CONSENSUS[0], time_ns=chain.app.last.time_ns + 1)
    refusal = chain.app.process_proposal(after)
    assert refusal is not None and "last commit" in refusal.reason
    assert f"which is not a validator at height {EPOCH + 2}" in refusal.reason


def test_the_active_set_is_the_top_validators_by_shares_with_ties_to_the_lower_operator() -> None:
    params = dataclasses.replace(PARAMS, staking_max_validators=2)
    chain = SetChain(MemoryKV(), genesis(params))
    for i in range(3):
        chain.send(KEYS[i + 1], create(i))
    chain.send(KEYS[5], Deposit(1_000 * OKT))
    chain.send(KEYS[5], Vote((KEYS[3].address,)))  # the third validator now leads
    chain.until(EPOCH + 2)
    tied = sorted([KEYS[1].address, KEYS[2].address])[0]  # equal shares: the lower operator wins
    winner_keys = {k.get_validator(chain.db, op).pubkey for op in (KEYS[3].address, tied)}  # type: ignore[union-attr]
    assert chain.members(EPOCH + 2) == winner_keys
    assert active.get_active(chain.db).keys() == winner_keys


def test_a_destroyed_validator_leaves_at_the_next_block_and_the_best_candidate_takes_its_place() -> None:
    params = dataclasses.replace(PARAMS, staking_max_validators=1)
    chain = SetChain(MemoryKV(), genesis(params))
    chain.send(KEYS[1], create(0))
    chain.send(KEYS[2], create(1))
    chain.send(KEYS[5], Deposit(1_000 * OKT))
    chain.send(KEYS[5], Vote((KEYS[2].address,)))
    chain.until(EPOCH + 2)
    assert chain.members(EPOCH + 2) == {CONSENSUS[1].public_key}
    chain.send(KEYS[2], DestroyValidator())  # between epochs
    destroyed_at = chain.app.last.height
    assert chain.members(destroyed_at + 1) == {CONSENSUS[1].public_key}
    assert chain.members(destroyed_at + 2) == {CONSENSUS[0].public_key}
    chain.until(destroyed_at + 3)


def test_a_staked_genesis_supernode_is_a_staking_validator_from_block_one() -> None:
    doc = staked_genesis()
    chain = SetChain(MemoryKV(), doc)
    v = k.get_validator(chain.db, KEYS[0].address)
    assert v is not None and v.pubkey == VALIDATOR.public_key and v.description.moniker == "genesis-supernode"
    assert v.self_deposit == PARAMS.staking_min_self_deposit
    migrated = next(a.balance for a in doc.accounts if a.address == KEYS[0].address)
    assert bank.get_balance(chain.db, KEYS[0].address, "okt") == migrated - v.self_deposit
    assert active.get_active(chain.db) == {VALIDATOR.public_key: doc.header.validators[0].power}
    chain.send(KEYS[1], create(0))
    chain.until(EPOCH + 2)  # both stake the minimum: both sign, with the same power
    assert chain.members(EPOCH + 2) == {VALIDATOR.public_key, CONSENSUS[0].public_key}
    chain.until(EPOCH + 4)


def test_a_genesis_supernode_must_state_the_power_its_self_deposit_gives() -> None:
    doc = staked_genesis(power=7)
    with pytest.raises(AppError, match="states power 7, but its self-deposit"):
        Application(MemoryKV(), doc)


def test_a_restarted_application_knows_the_sets_it_committed() -> None:
    db = MemoryKV()
    chain = SetChain(db, genesis(PARAMS))
    chain.send(KEYS[1], create(0))
    chain.until(EPOCH + 1)
    again = Application(db, genesis(PARAMS))
    for height in range(EPOCH, EPOCH + 3):
        assert again.validator_set(height) == chain.app.validator_set(height)
    assert again.validator_keys == chain.app.validator_keys
    with pytest.raises(AppError, match="no validator set is known for height"):
        again.validator_set(EPOCH + 4)
