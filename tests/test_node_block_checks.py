"""process_proposal against a byzantine proposer, with the real application: the last commit is exact (each
validator of the set at most once, in address order, every entry verified), the block time is the BFT time
of that commit, the whole encoded block and its gas are bounded, and every tx is a well-formed signed tx."""

import dataclasses

import pytest

from okchain.state import blockstore
from okchain.state.store import MemoryKV
from okchain.types.block import Block, Commit, CommitSig, block_bytes, last_commit_hash
from okchain.types.params import ChainParams
from okchain.types.refusal import Refusal, RefusalCode
from tests.helpers.app import COMMITTEE, GAS, KEYS, Chain, committee_chain, genesis, next_block, send, sign

INT64_MAX = 2**63 - 1


def _chain_at_height_one() -> Chain:
    chain = Chain(MemoryKV(), genesis())
    chain.produce([send(KEYS[0], 0, KEYS[1], 5)])
    return chain


def refused(chain: Chain, block: Block, code: RefusalCode, text: str) -> Refusal:
    refusal = chain.app.process_proposal(block)
    assert refusal is not None, f"accepted a block that breaks {code}"
    assert refusal.code == code, refusal
    assert text in refusal.reason, refusal.reason
    return refusal


def with_commit(block: Block, commit: Commit | None, **header: object) -> Block:
    """``block`` carrying ``commit``, its header rehashing it (what a byzantine proposer can sign)."""
    changed = dataclasses.replace(block.header, last_commit_hash=last_commit_hash(commit), **header)  # type: ignore[arg-type]
    return Block(changed, block.txs, commit)


def test_a_valid_block_passes_and_binds_its_last_commit() -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    assert block.last_commit is not None
    assert block.header.last_commit_hash == last_commit_hash(block.last_commit) != b""
    assert chain.app.process_proposal(block) is None


def test_first_block_has_no_last_commit_and_the_genesis_time() -> None:
    chain = Chain(MemoryKV(), genesis())
    block, commit = chain.decide([])
    assert block.last_commit is None and block.header.last_commit_hash == b""
    assert block.header.time_ns == chain.app.last.time_ns  # the genesis time
    assert chain.app.process_proposal(block) is None
    refused(chain, Block(block.header, block.txs, commit), RefusalCode.LAST_COMMIT_HASH, "last commit hash")
    refused(chain, with_commit(block, commit), RefusalCode.LAST_COMMIT_UNEXPECTED, "initial height")
    later = dataclasses.replace(block.header, time_ns=block.header.time_ns + 1)
    refused(chain, Block(later, block.txs, None), RefusalCode.BLOCK_TIME, "is not the genesis time")


def test_missing_swapped_or_forged_last_commit_is_refused() -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    commit = block.last_commit
    assert commit is not None
    refused(chain, with_commit(block, None), RefusalCode.LAST_COMMIT_MISSING, "carries no commit")
    other = dataclasses.replace(commit, round=1)
    refused(chain, Block(block.header, block.txs, other), RefusalCode.LAST_COMMIT_HASH, "last commit hash")
    sig = commit.signatures[0]
    forged = dataclasses.replace(
        commit, signatures=(CommitSig(sig.validator_address, sig.time_ns, bytes(64)),)
    )
    refused(chain, with_commit(block, forged), RefusalCode.COMMIT_SIGNATURE, "does not verify")
    wrong = dataclasses.replace(commit, block_hash=b"\x07" * 32)
    refused(chain, with_commit(block, wrong), RefusalCode.COMMIT_BLOCK, "commit names block")
    retimed = dataclasses.replace(
        commit, signatures=(CommitSig(sig.validator_address, INT64_MAX, sig.signature),)
    )
    refused(
        chain, with_commit(block, retimed, time_ns=INT64_MAX), RefusalCode.COMMIT_SIGNATURE, "does not verify"
    )


def test_a_commit_padded_with_unsigned_copies_of_an_entry_is_refused() -> None:
    """The halting attack: an honest commit padded with three unsigned copies of the proposer's own entry
    timed INT64_MAX would pull the weighted median, and so the block time, to the end of time."""
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    commit = block.last_commit
    assert commit is not None
    own = commit.signatures[0]
    padding = tuple(CommitSig(own.validator_address, INT64_MAX, b"") for _ in range(3))
    padded = dataclasses.replace(commit, signatures=(*commit.signatures, *padding))
    refusal = refused(
        chain, with_commit(block, padded, time_ns=INT64_MAX), RefusalCode.COMMIT_ORDER, "entry 1"
    )
    assert refusal.reason.startswith("last commit: commit entry 1 (")
    assert "repeats a validator or is out of address order" in refusal.reason
    stranger = CommitSig(b"\xff" * 20, own.time_ns, own.signature)
    with_stranger = dataclasses.replace(commit, signatures=(*commit.signatures, stranger))
    refused(
        chain, with_commit(block, with_stranger), RefusalCode.COMMIT_NON_MEMBER, "not a validator at height 1"
    )
    assert chain.app.process_proposal(block) is None  # the honest block still passes


def test_proposer_must_be_a_validator() -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    header = dataclasses.replace(block.header, proposer_address=b"\x09" * 20)
    refused(chain, Block(header, block.txs, block.last_commit), RefusalCode.PROPOSER, "not a validator")


# --- a four-validator committee: order, membership, power and the weighted median ---


def test_block_time_is_the_power_weighted_median_of_the_commit() -> None:
    chain = committee_chain()
    first = chain.app.last.time_ns
    decided = _stored_block(chain)
    # three of four sign (30 of 40 power > 2/3); one of them a byzantine clock far ahead
    commit = sign(chain, decided, COMMITTEE[:3], [first + 5, first + 9, INT64_MAX])
    block = next_block(chain, commit, proposer=COMMITTEE[1])
    assert block.header.time_ns == first + 9  # the median of 5, 9 and the liar: an honest clock
    assert chain.app.process_proposal(block) is None
    for wrong in (first + 10, first + 5, INT64_MAX, first):
        refused(
            chain,
            next_block(chain, commit, proposer=COMMITTEE[1], time_ns=wrong),
            RefusalCode.BLOCK_TIME,
            f"block time {wrong} is not the BFT time of the last commit, {first + 9}",
        )


def test_committee_commits_are_exact() -> None:
    chain = committee_chain()
    decided = _stored_block(chain)
    t = chain.app.last.time_ns + 1
    full = sign(chain, decided, COMMITTEE, [t] * 4)
    reversed_order = dataclasses.replace(full, signatures=full.signatures[::-1])
    doubled = dataclasses.replace(full, signatures=(full.signatures[0], *full.signatures[:3]))
    two_thirds = sign(chain, decided, COMMITTEE[:2], [t] * 2)
    proposer = COMMITTEE[2]
    assert chain.app.process_proposal(next_block(chain, full, proposer=proposer)) is None
    cases = [
        (reversed_order, RefusalCode.COMMIT_ORDER, "entry 1"),
        (doubled, RefusalCode.COMMIT_ORDER, "entry 1"),
        (two_thirds, RefusalCode.COMMIT_POWER, "signed by 20 of 40 power; needs more than 2/3"),
    ]
    for commit, code, text in cases:
        candidate = with_commit(next_block(chain, full, proposer=proposer), commit)
        refused(chain, candidate, code, text)


def _stored_block(chain: Chain) -> Block:
    block = blockstore.block_at(chain.db, chain.app.last.height)
    assert block is not None
    return block


# --- sizes, gas and tx bytes ---


def test_block_bytes_count_the_header_and_the_commit() -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([send(KEYS[1], 0, KEYS[2], 1)])
    assert block_bytes(block) == len(block.encode())
    tight = ChainParams(max_block_bytes=block_bytes(block) - 1)
    small = Chain(MemoryKV(), genesis(tight))
    small.produce([send(KEYS[0], 0, KEYS[1], 5)])
    candidate, _ = small.decide([send(KEYS[1], 0, KEYS[2], 1)])
    assert block_bytes(candidate) == block_bytes(block)
    refused(
        small,
        candidate,
        RefusalCode.BLOCK_SIZE,
        f"block is {block_bytes(block)} bytes (header, txs and last commit)",
    )


def test_prepare_proposal_fits_the_whole_block_in_the_byte_and_gas_limits() -> None:
    txs = [send(KEYS[0], n, KEYS[1], 1) for n in range(40)]
    per_tx = len(txs[0]) + 2
    for params in (ChainParams(max_block_bytes=2_000 + 10 * per_tx), ChainParams(max_block_gas=10 * GAS)):
        chain = Chain(MemoryKV(), genesis(params))
        chain.produce([])
        proposal = chain.app.prepare_proposal(txs)
        assert 0 < len(proposal.txs) < len(txs) and proposal.rejected == []
        block, _ = chain.decide(proposal.txs)
        assert chain.app.process_proposal(block) is None
        assert block_bytes(block) <= params.max_block_bytes
        over, _ = chain.decide(txs[: len(proposal.txs) + 1])
        code = (
            RefusalCode.BLOCK_SIZE
            if params.max_block_bytes < ChainParams().max_block_bytes
            else RefusalCode.BLOCK_GAS
        )
        assert (refusal := chain.app.process_proposal(over)) is not None and refusal.code == code


@pytest.mark.parametrize("raw", [b"garbage", b"", b"\x0a\x02\x08\x01"])
def test_garbage_tx_bytes_refuse_the_block(raw: bytes) -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([send(KEYS[0], 1, KEYS[1], 1), raw])
    refused(chain, block, RefusalCode.TX_MALFORMED, "tx 1 (")
