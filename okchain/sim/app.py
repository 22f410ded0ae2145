"""The simulator's stand-in application: a counter that every block increments by exactly one.

Each block carries one tx, the counter's new value; the header chains the previous block hash and the app
hash of the counter, like the real app's headers. A block is valid only if it extends the node's own tip
correctly, so a byzantine proposer can propose an invalid block (a counter that jumps by two) and honest
validators refuse it with a reason, as ``Application.process_proposal`` would. The commit and time rules are
the chain's own (``okchain.types.commit_check``): the last commit must be exact and the block time its BFT
time, so every simulated proposal, vote time and catch-up commit is held to them.
"""

from dataclasses import dataclass

from okchain.crypto.hashing import sha256
from okchain.types.block import Block, Commit, Header, body_problem, last_commit_hash, txs_hash
from okchain.types.commit_check import Powers, Verifier, bft_time, commit_problem
from okchain.types.refusal import Refusal, RefusalCode


def counter_tx(value: int, salt: int = 0) -> bytes:
    """The counter's new value; a salt makes a second, different valid block (an equivocating proposer)."""
    return b"counter=" + str(value).encode() + (b"#" + str(salt).encode() if salt else b"")


def counter_of(txs: tuple[bytes, ...]) -> int | None:
    if len(txs) != 1 or not txs[0].startswith(b"counter="):
        return None
    value = txs[0].removeprefix(b"counter=").split(b"#")[0]
    return int(value) if value.isdigit() else None


@dataclass(frozen=True, slots=True)
class CounterState:
    """A node's committed chain tip (what LevelDB would hold; it survives crashes)."""

    chain_id: str
    validators_hash: bytes
    powers: Powers  # the validator set (the simulator's never changes its powers)
    height: int = 0
    counter: int = 0
    block_hash: bytes = b""
    time_ns: int = 0
    last_commit: Commit | None = None

    @property
    def app_hash(self) -> bytes:
        return sha256(b"sim-counter" + self.counter.to_bytes(8, "big"))

    def build(self, proposer: bytes, *, valid: bool = True, salt: int = 0) -> Block:
        """The next block; ``valid=False`` makes it skip a value, ``salt`` makes a second, different block
        (for an equivocating proposer)."""
        txs = (counter_tx(self.counter + (1 if valid else 2), salt),)
        header = Header(
            chain_id=self.chain_id,
            height=self.height + 1,
            time_ns=self.time_ns if self.last_commit is None else bft_time(self.last_commit, self.powers),
            last_block_hash=self.block_hash,
            txs_hash=txs_hash(txs),
            app_hash=self.app_hash,
            last_results_hash=b"",
            validators_hash=self.validators_hash,
            proposer_address=proposer,
            last_commit_hash=last_commit_hash(self.last_commit),
        )
        return Block(header, txs, self.last_commit)

    def problem(self, block: Block, verify: Verifier) -> Refusal | None:
        """``None`` if ``block`` may follow this tip, else why not."""
        h = block.header
        checks = (
            (h.chain_id != self.chain_id, RefusalCode.CHAIN_ID, f"wrong chain id {h.chain_id!r}"),
            (
                h.height != self.height + 1,
                RefusalCode.HEIGHT,
                f"expected height {self.height + 1}, got {h.height}",
            ),
            (
                h.last_block_hash != self.block_hash,
                RefusalCode.LAST_BLOCK_HASH,
                "last block hash does not match",
            ),
            (h.app_hash != self.app_hash, RefusalCode.APP_HASH, "app hash does not match"),
            (
                h.validators_hash != self.validators_hash,
                RefusalCode.VALIDATORS_HASH,
                "validators hash does not match",
            ),
            (
                counter_of(block.txs) != self.counter + 1,
                RefusalCode.TX_MALFORMED,
                f"block must set the counter to {self.counter + 1}",
            ),
        )
        refusal = next((Refusal(code, reason) for bad, code, reason in checks if bad), None)
        return refusal or body_problem(block) or self._commit_and_time_problem(block, verify)

    def _commit_and_time_problem(self, block: Block, verify: Verifier) -> Refusal | None:
        commit, got = block.last_commit, block.header.time_ns
        if self.last_commit is None:  # the first block: no commit, the genesis time
            if commit is not None:
                return Refusal(RefusalCode.LAST_COMMIT_UNEXPECTED, "the first block carries a last commit")
            expected = self.time_ns
        elif commit is None:
            return Refusal(RefusalCode.LAST_COMMIT_MISSING, f"block {self.height + 1} carries no commit")
        else:
            refusal = commit_problem(self.chain_id, self.height, self.block_hash, commit, self.powers, verify)
            if refusal is not None:
                return refusal.within("last commit")
            expected = bft_time(commit, self.powers)
            if expected <= self.time_ns:
                return Refusal(
                    RefusalCode.BLOCK_TIME, "the last commit's median time does not pass the tip's"
                )
        if got != expected:
            return Refusal(RefusalCode.BLOCK_TIME, f"block time {got} is not the BFT time {expected}")
        return None

    def apply(self, block: Block, commit: Commit) -> "CounterState":
        return CounterState(
            self.chain_id,
            self.validators_hash,
            self.powers,
            block.header.height,
            self.counter + 1,
            block.hash,
            block.header.time_ns,
            commit,
        )
