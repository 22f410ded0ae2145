"""Single-validator block building for tests and benchmarks: the one validator proposes, precommits and
thereby decides each block.

Pure: given the chain tip, the txs, a time and the key, it returns the block and its commit. The node no
longer uses it (the Tendermint machine decides blocks, ``okchain/node/consensus_driver.py``); tests and
benchmarks that drive the application door block by block without a network do.
"""

from dataclasses import dataclass

from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.state.blockstore import LastCommitted
from okchain.types.block import Block, Commit, CommitSig, Header, last_commit_hash, txs_hash
from okchain.types.vote import VoteType, vote_sign_bytes


@dataclass(frozen=True, slots=True)
class ChainTip:
    chain_id: str
    last: LastCommitted
    validators_hash: bytes
    next_validators_hash: bytes
    last_commit: Commit | None


def decide(tip: ChainTip, txs: list[bytes], now_ns: int, key: ValidatorKey) -> tuple[Block, Commit]:
    """Build block ``last.height + 1`` and the validator's precommit over it (round 0), timed like the
    node's: the block carries the BFT time of its last commit (the one validator's precommit time; the
    genesis time at the initial height), and the precommit is timed ``now_ns``, or just after the block."""
    last = tip.last
    time_ns = last.time_ns if tip.last_commit is None else tip.last_commit.signatures[0].time_ns
    header = Header(
        chain_id=tip.chain_id,
        height=last.height + 1,
        time_ns=time_ns,
        last_block_hash=last.block_hash,
        txs_hash=txs_hash(txs),
        app_hash=last.app_hash,
        last_results_hash=last.results_hash,
        validators_hash=tip.validators_hash,
        proposer_address=validator_address(key.public_key),
        last_commit_hash=last_commit_hash(tip.last_commit),
        next_validators_hash=tip.next_validators_hash,
    )
    block = Block(header, tuple(txs), tip.last_commit)
    block_hash = block.hash
    vote_ns = max(now_ns, time_ns + 1)
    sign_bytes = vote_sign_bytes(tip.chain_id, header.height, 0, VoteType.PRECOMMIT, block_hash, vote_ns)
    commit = Commit(
        header.height,
        0,
        block_hash,
        (CommitSig(validator_address(key.public_key), vote_ns, key.sign(sign_bytes)),),
    )
    return block, commit
