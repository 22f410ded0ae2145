"""The light client follows validator-set changes from the genesis root: it verifies a header after the
whole set was replaced (bisecting to the change), and refuses tampered headers, sets the header does not
name, a forged set that signs its own header, and heights not above what it trusts."""

import dataclasses

import pytest

from okchain.consensus import valsets
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.state import blockstore
from okchain.state.store import MemoryKV
from okchain.types.block import Commit, CommitSig
from okchain.types.light import LightBlock, LightError, Trusted, genesis_root, set_hash, verify_to
from okchain.types.params import ChainParams
from okchain.types.vote import VoteType, vote_sign_bytes
from tests.helpers.app import VALIDATOR
from tests.helpers.staking import KEYS, create, genesis
from tests.helpers.valsets import SetChain

EPOCH = 4
PARAMS = ChainParams(staking_epoch_blocks=EPOCH)


@pytest.fixture(scope="module")
def chain() -> SetChain:
    """Genesis set {VALIDATOR}; from EPOCH + 2 on, two staking validators and not VALIDATOR."""
    chain = SetChain(MemoryKV(), genesis(PARAMS))
    chain.send(KEYS[1], create(0))
    chain.send(KEYS[2], create(1))
    chain.until(3 * EPOCH)
    assert VALIDATOR.public_key in chain.members(EPOCH + 1)
    assert VALIDATOR.public_key not in chain.members(EPOCH + 2)
    return chain


def light_block(chain: SetChain, height: int) -> LightBlock:
    block = blockstore.block_at(chain.db, height)
    commit = blockstore.commit_at(chain.db, height)
    assert block is not None and commit is not None
    sets = chain.app.validator_set
    return LightBlock(block.header, commit, valsets.powers(sets(height)), valsets.powers(sets(height + 1)))


ROOT = genesis_root(1, [(VALIDATOR.public_key, 10)])  # the genesis set: VALIDATOR with power 10


def test_a_header_after_the_set_was_replaced_is_verified_by_bisection(chain: SetChain) -> None:
    fetched: list[int] = []

    def fetch(height: int) -> LightBlock:
        fetched.append(height)
        return light_block(chain, height)

    target = 3 * EPOCH - 1
    verified = verify_to(chain.app.chain_id, ROOT, target, fetch)
    assert verified.header == light_block(chain, target).header
    assert fetched[0] == target and len(fetched) > 1  # the genesis set did not sign it: bisected
    # before the change the one genesis validator vouches directly, in one fetch
    fetched.clear()
    verify_to(chain.app.chain_id, ROOT, EPOCH, fetch)
    assert fetched == [EPOCH]


def test_tampered_headers_and_wrong_sets_are_refused(chain: SetChain) -> None:
    chain_id = chain.app.chain_id
    honest = light_block(chain, 5)
    tampered = dataclasses.replace(honest, header=dataclasses.replace(honest.header, app_hash=b"\x01" * 32))
    with pytest.raises(LightError, match="commit"):
        verify_to(chain_id, ROOT, 5, lambda h: tampered)
    wrong_set = dataclasses.replace(honest, validators=((ValidatorKey(b"\x09" * 32).public_key, 10),))
    with pytest.raises(LightError, match="not the one its header names"):
        verify_to(chain_id, ROOT, 5, lambda h: wrong_set)
    with pytest.raises(LightError, match="not above the trusted height"):
        verify_to(chain_id, Trusted(5, honest.next_validators), 5, lambda h: honest)


def test_a_forged_set_signing_its_own_header_is_refused(chain: SetChain) -> None:
    """A lying node invents validators, names them in a header and signs it with them: internally sound,
    but no trusted validator signed, and the height next to a trusted one must name the trusted set."""
    chain_id = chain.app.chain_id
    target = 3 * EPOCH
    forger = ValidatorKey(b"\x0f" * 32)
    fake_set = ((forger.public_key, 100),)
    honest = light_block(chain, target)
    header = dataclasses.replace(honest.header, validators_hash=set_hash(fake_set), app_hash=b"\x02" * 32)
    t = header.time_ns + 1
    signature = forger.sign(vote_sign_bytes(chain_id, target, 0, VoteType.PRECOMMIT, header.hash, t))
    commit = Commit(target, 0, header.hash, (CommitSig(validator_address(forger.public_key), t, signature),))
    forged = LightBlock(header, commit, fake_set, honest.next_validators)

    def fetch(height: int) -> LightBlock:
        return forged if height == target else light_block(chain, height)

    with pytest.raises(LightError, match="names a set other than the one trusted"):
        verify_to(chain_id, ROOT, target, fetch)
