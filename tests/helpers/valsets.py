"""A chain whose blocks are proposed and signed by exactly the set the application says signs their
height (minus any validators a test keeps away), with the staking accounting checked after each block."""

from collections.abc import Collection, Sequence

from okchain.app import FinalizedBlock
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import Vote, VoteType
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.crypto.secp import AccountKey
from okchain.modules.auth.keeper import get_nonce
from okchain.types.block import Block
from okchain.types.results import Code, TxResult
from tests.helpers.app import Chain, next_block, sign, tx
from tests.helpers.staking import SIGNERS, check_invariants


class SetChain(Chain):
    absent: Collection[bytes] = ()  # consensus keys that sign nothing (a stopped validator)

    def block(self, txs: Sequence[bytes] = (), evidence: Sequence[bytes] = ()) -> Block:
        """The next block, proposed by the set's proposer (the next one if that one is absent)."""
        base = self.app.validator_set(self.app.last.height + 1)
        proposer = SIGNERS[base.proposer_address]
        if proposer.public_key in self.absent:
            proposer = next(SIGNERS[v.address] for v in base.validators if v.pub_key not in self.absent)
        return next_block(self, self.last_commit, proposer=proposer, txs=txs, evidence=evidence)

    def step(self, *txs: bytes, evidence: Sequence[bytes] = (), check: bool = True) -> FinalizedBlock:
        """Decide and commit the next block; ``check``: every tx must succeed."""
        block = self.block(txs, evidence)
        members = self.app.validator_set(block.header.height).validators
        keys = [SIGNERS[v.address] for v in members if v.pub_key not in self.absent]
        finalized = self.apply(block, sign(self, block, keys, [block.header.time_ns + 10**9] * len(keys)))
        if check:
            assert all(r.code == Code.OK for r in finalized.results), [r.log for r in finalized.results]
        check_invariants(self.db)
        return finalized

    def send(self, key: AccountKey, *msgs: object) -> TxResult:
        """One tx in its own block, which must succeed; its result."""
        return self.step(tx(key, get_nonce(self.db, key.address), list(msgs))).results[0]

    def run(self, key: AccountKey, *msgs: object) -> TxResult:
        """One tx in its own block; its result, whatever it is."""
        return self.step(tx(key, get_nonce(self.db, key.address), list(msgs)), check=False).results[0]

    def until(self, height: int) -> None:
        while self.app.last.height < height:
            self.step()

    def members(self, height: int) -> set[bytes]:
        return {v.pub_key for v in self.app.validator_set(height).validators}


def double_sign(chain: SetChain, key: ValidatorKey, height: int) -> bytes:
    """Evidence that ``key`` precommitted two blocks at ``height``, as the evidence pool holds it."""
    vs = chain.app.validator_set(height)
    member = vs.by_address(validator_address(key.public_key))
    assert member is not None

    def vote(block_hash: bytes) -> Vote:
        v = Vote(VoteType.PRECOMMIT, height, 0, block_hash, 5, member.address, b"")
        return v.signed(key.sign(v.sign_bytes(chain.app.chain_id)))

    return DuplicateVoteEvidence.from_votes(
        vote(b"\x0a" * 32), vote(b"\x0b" * 32), member.power, vs.total_power
    ).encode()
