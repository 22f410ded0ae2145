"""A proposer holds its blocks to what it commits in ``proposal_exec_budget_ms``: under a flood the mempool
fills and refuses the excess while block times hold, instead of blocks growing to the chain's limit."""

import dataclasses
from pathlib import Path

import trio

from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.node.node import COST_SAMPLE_TXS, Node
from okchain.tx.envelope import build_tx
from tests.helpers.chain import CHAIN_ID, funded_keys
from tests.helpers.node import FAST, make_homes, wait_for_height

SENDERS = funded_keys(400)
GAS = 50_000


def _transfers(nonce: int) -> list[bytes]:
    sink = AccountKey((99).to_bytes(32, "big")).address
    return [
        build_tx(
            k, chain_id=CHAIN_ID, nonce=nonce, msgs=[Transfer(sink, "okt", 1)], gas_limit=GAS, fee=GAS * 10**9
        )
        for k in SENDERS
    ]


def _block_sizes(tmp_path: Path, budget_ms: int) -> list[int]:
    """Tx counts of the blocks that commit two rounds of 400 transfers (one per sender and round)."""
    tmp_path.mkdir()
    (home,) = make_homes(tmp_path, 1, keys=SENDERS)
    node = Node(
        home,
        dataclasses.replace(FAST, block_time_ms=50, signature_workers=0, proposal_exec_budget_ms=budget_ms),
    )
    sizes: list[int] = []
    node.commit_observers.append(lambda block, _elapsed: sizes.append(len(block.txs)))

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(lambda task_status: node.run(handle_signals=False, task_status=task_status))
            for nonce in range(2):
                assert all(a.result.ok for a in node.add_many(_transfers(nonce)))
                with trio.fail_after(60):
                    while len(node.mempool):
                        await trio.sleep(0.02)
            await wait_for_height([node], node.app.last.height)
            nursery.cancel_scope.cancel()

    trio.run(main)
    return [n for n in sizes if n]


def test_blocks_shrink_to_the_execution_budget_once_a_block_measured_the_cost(tmp_path: Path) -> None:
    unbounded = _block_sizes(tmp_path / "off", 0)
    assert unbounded[:2] == [400, 400]  # the chain's limit (20,000 txs) is far off: one block per round
    bounded = _block_sizes(tmp_path / "on", 1)
    # The first block measures the cost per tx (it holds at least COST_SAMPLE_TXS); after it, blocks hold
    # what this node commits in 1 ms: a few txs each, so the second round takes many small blocks.
    assert bounded[0] >= COST_SAMPLE_TXS and sum(bounded) == 800
    assert max(bounded[1:]) < 100 and len(bounded) > 8, bounded
