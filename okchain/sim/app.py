"""The simulator's stand-in application: a counter that every block increments by exactly one.

Each block carries one tx, the counter's new value; the header chains the previous block hash and the app
hash of the counter, like the real app's headers. A block is valid only if it extends the node's own tip
correctly, so a byzantine proposer can propose an invalid block (a counter that jumps by two) and honest
validators refuse it with a reason, as ``Application.process_proposal`` would.
"""

from dataclasses import dataclass

from okchain.crypto.hashing import sha256
from okchain.types.block import Block, Commit, Header, last_commit_hash, txs_hash
from okchain.types.refusal import Refusal, RefusalCode


def counter_tx(value: int) -> bytes:
    return b"counter=" + str(value).encode()


@dataclass(frozen=True, slots=True)
class CounterState:
    """A node's committed chain tip (what LevelDB would hold; it survives crashes)."""

    chain_id: str
    validators_hash: bytes
    height: int = 0
    counter: int = 0
    block_hash: bytes = b""
    time_ns: int = 0
    last_commit: Commit | None = None

    @property
    def app_hash(self) -> bytes:
        return sha256(b"sim-counter" + self.counter.to_bytes(8, "big"))

    def build(self, proposer: bytes, now_ns: int, *, valid: bool = True, salt: int = 0) -> Block:
        """The next block; ``valid=False`` makes it skip a value, ``salt`` shifts the time (a second,
        different block for an equivocating proposer)."""
        txs = (counter_tx(self.counter + (1 if valid else 2)),)
        header = Header(
            chain_id=self.chain_id,
            height=self.height + 1,
            time_ns=max(now_ns, self.time_ns + 1) + salt,
            last_block_hash=self.block_hash,
            txs_hash=txs_hash(txs),
            app_hash=self.app_hash,
            last_results_hash=b"",
            validators_hash=self.validators_hash,
            proposer_address=proposer,
            last_commit_hash=last_commit_hash(self.last_commit),
        )
        return Block(header, txs, self.last_commit)

    def problem(self, block: Block) -> Refusal | None:
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
            (h.txs_hash != txs_hash(block.txs), RefusalCode.TXS_HASH, "txs hash does not match"),
            (h.time_ns <= self.time_ns, RefusalCode.BLOCK_TIME, "block time does not increase"),
            (
                block.txs != (counter_tx(self.counter + 1),),
                RefusalCode.TX_MALFORMED,
                f"block must set the counter to {self.counter + 1}",
            ),
        )
        return next((Refusal(code, reason) for bad, code, reason in checks if bad), None)

    def apply(self, block: Block, commit: Commit) -> "CounterState":
        return CounterState(
            self.chain_id,
            self.validators_hash,
            block.header.height,
            self.counter + 1,
            block.hash,
            block.header.time_ns,
            commit,
        )
