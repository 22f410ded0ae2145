"""process_proposal's header checks added for the network: the last commit is hashed into the header and
must be a valid +2/3 commit of the previous block; the proposer must be a validator."""

import dataclasses

from okchain.app import MAX_BLOCK_TIME_AHEAD_NS
from okchain.state.store import MemoryKV
from okchain.types.block import Block, CommitSig, last_commit_hash
from tests.helpers.app import KEYS, Chain, genesis, send


def _chain_at_height_one() -> Chain:
    chain = Chain(MemoryKV(), genesis())
    chain.produce([send(KEYS[0], 0, KEYS[1], 5)])
    return chain


def test_a_valid_block_passes_and_binds_its_last_commit() -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    assert block.last_commit is not None
    assert block.header.last_commit_hash == last_commit_hash(block.last_commit) != b""
    assert chain.app.process_proposal(block) == ""


def test_first_block_has_no_last_commit() -> None:
    chain = Chain(MemoryKV(), genesis())
    block, commit = chain.decide([])
    assert block.last_commit is None and block.header.last_commit_hash == b""
    assert chain.app.process_proposal(block) == ""
    forged = Block(block.header, block.txs, commit)
    assert "last commit hash" in chain.app.process_proposal(forged)
    rehashed = dataclasses.replace(block.header, last_commit_hash=last_commit_hash(commit))
    assert "initial height" in chain.app.process_proposal(Block(rehashed, block.txs, commit))


def test_missing_swapped_or_forged_last_commit_is_refused() -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    assert block.last_commit is not None
    # no commit at all (header hash emptied to match)
    bare = dataclasses.replace(block.header, last_commit_hash=b"")
    assert "carries no commit" in chain.app.process_proposal(Block(bare, block.txs, None))
    # a commit that does not match the header's hash
    other = dataclasses.replace(block.last_commit, round=1)
    assert "last commit hash" in chain.app.process_proposal(Block(block.header, block.txs, other))
    # a forged signature, with the header hashing the forged commit
    sig = block.last_commit.signatures[0]
    bad_sig = CommitSig(sig.validator_address, sig.time_ns, bytes(64))
    forged = dataclasses.replace(block.last_commit, signatures=(bad_sig,))
    header = dataclasses.replace(block.header, last_commit_hash=last_commit_hash(forged))
    assert "does not verify" in chain.app.process_proposal(Block(header, block.txs, forged))
    # a commit for a different block
    wrong = dataclasses.replace(block.last_commit, block_hash=b"\x07" * 32)
    header = dataclasses.replace(block.header, last_commit_hash=last_commit_hash(wrong))
    assert "commit names block" in chain.app.process_proposal(Block(header, block.txs, wrong))


def test_proposer_must_be_a_validator() -> None:
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    header = dataclasses.replace(block.header, proposer_address=b"\x09" * 20)
    assert "not a validator" in chain.app.process_proposal(Block(header, block.txs, block.last_commit))


def test_block_time_is_bounded_by_the_last_commits_vote_times() -> None:
    """A byzantine proposer setting its block time far ahead would drag every later block's time with it
    (each must exceed the last). The bound is deterministic: the weighted median of the last commit's
    precommit times (signed by honest validators for the most part) plus ``MAX_BLOCK_TIME_AHEAD_NS``."""
    chain = _chain_at_height_one()
    block, _ = chain.decide([])
    assert block.last_commit is not None
    median = block.last_commit.signatures[0].time_ns  # one validator: its precommit's time
    latest = chain.app.latest_block_time_ns(block.last_commit)
    assert latest == median + MAX_BLOCK_TIME_AHEAD_NS

    def at(time_ns: int) -> Block:
        return Block(dataclasses.replace(block.header, time_ns=time_ns), block.txs, block.last_commit)

    assert chain.app.process_proposal(at(latest)) == ""
    assert "ahead of the last commit" in chain.app.process_proposal(at(latest + 1))
