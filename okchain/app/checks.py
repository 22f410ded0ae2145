"""The stateless rules a proposed block must meet, each returning the first one it breaks (or ``None``).

``Application.process_proposal`` runs them with the committed tip; the rules that need the application's
caches (the last commit, checked once per commit, and the BFT time) stay beside it.
"""

from collections.abc import Callable

from okchain.consensus.proposer import ValidatorSet
from okchain.state.blockstore import LastCommitted
from okchain.tx.envelope import Tx
from okchain.types.block import Block, block_bytes, evidence_hash, txs_root
from okchain.types.params import ChainParams
from okchain.types.refusal import Refusal, RefusalCode

# a tx's decoded form, or why it is not a valid signed tx of this chain
StatelessCheck = Callable[[bytes, bytes], Tx | str]


def encoding_refusal(block: Block) -> Refusal | None:
    """A header or last commit holding a value its protobuf field cannot carry (a negative round, a time
    past INT64) has no canonical bytes and so no hash: no peer can have sent it, and the checks that hash
    or sign it would raise instead of refusing."""
    try:
        block.header.encode()
        if block.last_commit is not None:
            block.last_commit.encode()
    except ValueError as exc:  # protobuf's range and UTF-8 errors
        return Refusal(RefusalCode.BLOCK_ENCODING, f"block has no canonical encoding: {exc}")
    return None


def header_refusal(
    block: Block,
    tx_hashes: list[bytes],
    *,
    chain_id: str,
    last: LastCommitted,
    validators: ValidatorSet,
    next_validators: ValidatorSet,
) -> Refusal | None:
    """The header continues the committed tip ``last``: chain id, height, the hashes of the previous block,
    its state and results, the sets that sign this height and the next, a proposer of this height's set,
    and the roots of the block's own txs and evidence."""
    h = block.header
    expected = last.height + 1
    checks = (
        (h.chain_id != chain_id, RefusalCode.CHAIN_ID, f"wrong chain id {h.chain_id!r}"),
        (h.height != expected, RefusalCode.HEIGHT, f"expected height {expected}, got {h.height}"),
        (h.last_block_hash != last.block_hash, RefusalCode.LAST_BLOCK_HASH, "last block hash does not match"),
        (
            h.app_hash != last.app_hash,
            RefusalCode.APP_HASH,
            "app hash does not match the state after the previous block",
        ),
        (
            h.last_results_hash != last.results_hash,
            RefusalCode.LAST_RESULTS_HASH,
            "last results hash does not match",
        ),
        (
            h.validators_hash != validators.hash(),
            RefusalCode.VALIDATORS_HASH,
            "validators hash does not match",
        ),
        (
            h.next_validators_hash != next_validators.hash(),
            RefusalCode.VALIDATORS_HASH,
            "next validators hash does not match",
        ),
        (
            validators.by_address(h.proposer_address) is None,
            RefusalCode.PROPOSER,
            f"proposer {h.proposer_address.hex()} is not a validator",
        ),
        (
            h.txs_hash != txs_root(tx_hashes),
            RefusalCode.TXS_HASH,
            "txs hash does not match the block's transactions",
        ),
        (
            h.evidence_hash != evidence_hash(block.evidence),
            RefusalCode.EVIDENCE_HASH,
            "evidence hash does not match the block's evidence",
        ),
    )
    return next((Refusal(code, reason) for bad, code, reason in checks if bad), None)


def size_refusal(block: Block, tx_hashes: list[bytes], params: ChainParams) -> Refusal | None:
    """Within the tx count and byte limits (header, txs and last commit encoded), no tx twice."""
    if len(block.txs) > params.max_block_txs:
        return Refusal(
            RefusalCode.BLOCK_SIZE, f"block has {len(block.txs)} txs, limit is {params.max_block_txs}"
        )
    size = block_bytes(block)
    if size > params.max_block_bytes:
        return Refusal(
            RefusalCode.BLOCK_SIZE,
            f"block is {size} bytes (header, txs and last commit), limit is {params.max_block_bytes}",
        )
    if len(set(tx_hashes)) != len(tx_hashes):
        return Refusal(RefusalCode.DUPLICATE_TX, "block contains the same tx twice")
    return None


def txs_refusal(
    block: Block, tx_hashes: list[bytes], params: ChainParams, check: StatelessCheck
) -> Refusal | None:
    """Each tx passes the stateless checks (``check``: decoding, chain id, limits, signature), and the gas
    they want together stays within the block gas limit."""
    gas = 0
    for index, (raw, tx_hash) in enumerate(zip(block.txs, tx_hashes, strict=True)):
        tx = check(raw, tx_hash)
        if isinstance(tx, str):
            return Refusal(
                RefusalCode.TX_MALFORMED,
                f"tx {index} ({tx_hash.hex()[:16]}) is not a valid signed tx of this chain: {tx}",
            )
        gas += tx.gas_limit
        if gas > params.max_block_gas:
            return Refusal(
                RefusalCode.BLOCK_GAS,
                f"txs 0..{index} want {gas} gas, block gas limit is {params.max_block_gas}",
            )
    return None
