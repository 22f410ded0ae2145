"""The mempool with DEX txs: place-orders keep the fast path (no re-check after a block of this pool's own
successful txs) and stay admissible; a waiting cancel forces the full re-check."""

from pathlib import Path

import pytest

from okchain.mempool.pool import Mempool
from okchain.modules.bank.keeper import get_balance
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex.keeper import block_orders, status_name
from okchain.modules.dex.messages import CancelOrders, Side, parse_order_id
from okchain.state.leveldb import LevelDB
from okchain.types.params import OKT_DENOM
from tests.helpers.app import FEE
from tests.helpers.chain import funded_keys
from tests.helpers.dex import DexChain, order, place

KEYS = funded_keys(3)


def test_place_orders_keep_the_fast_path_and_a_cancel_forces_a_recheck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = LevelDB(tmp_path / "db")
    chain = DexChain(db, KEYS)
    xyz = chain.issue(KEYS[0], "xyz")
    pair = chain.list_pair(KEYS[0], xyz, OKT_DENOM)
    pool = Mempool(chain.app)
    rechecks = 0
    full = pool._recheck_all

    def counting() -> None:
        nonlocal rechecks
        rechecks += 1
        full()

    monkeypatch.setattr(pool, "_recheck_all", counting)
    txs = [chain.tx(KEYS[1], [place(order(pair, Side.BUY, "1", str(i + 1)))]) for i in range(3)]
    assert all(pool.add(raw).result.ok for raw in txs)

    def block(n: int) -> list[bytes]:
        taken = pool.reap(n, 1 << 30)
        fin = chain.block(taken)
        assert all(r.ok for r in fin.results), [r.log for r in fin.results]
        pool.update(taken, True)
        return taken

    assert block(1) == txs[:1]
    assert rechecks == 0 and len(pool) == 2  # fast path: the waiting orders still fit the check state
    first = parse_order_id(f"{chain.app.last.height}-0")
    assert first is not None
    cancel = chain.tx(KEYS[1], [CancelOrders((first,))])
    assert pool.add(cancel).result.ok
    assert block(1) == txs[1:2]
    assert rechecks == 1  # a cancel waits in the pool: its check ran against state that moved on
    assert block(10) == [txs[2], cancel]
    assert len(pool) == 0
    db.close()


def test_block_end_refunds_reach_the_check_state(tmp_path: Path) -> None:
    """The fast path keeps the check state, but the block end (fills, expiry) also credits balances that
    state holds: a wallet with a tx still waiting must be able to spend its lock once its order expires."""
    db = LevelDB(tmp_path / "db")
    chain = DexChain(db, KEYS)
    xyz = chain.issue(KEYS[0], "xyz")
    pair = chain.list_pair(KEYS[0], xyz, OKT_DENOM)
    pool = Mempool(chain.app)
    placing = chain.tx(KEYS[1], [place(order(pair, Side.BUY, "5", "100"))])
    waiting = chain.tx(KEYS[1], [Transfer(KEYS[2].address, OKT_DENOM, 1)])
    assert pool.add(placing).result.ok and pool.add(waiting).result.ok
    taken = pool.reap(1, 1 << 30)
    assert taken == [placing] and all(r.ok for r in chain.block(taken).results)
    pool.update(taken, True)
    for _ in range(chain.app.params.dex_order_expiry_blocks):  # blocks from elsewhere, without the transfer
        chain.block([])
        pool.update([], True)
    rows = block_orders(chain.reader, chain.app.last.height - chain.app.params.dex_order_expiry_blocks)
    assert status_name(int(rows["status"][0]), 0) == "expired"
    balance = get_balance(chain.reader, KEYS[1].address, OKT_DENOM)  # the lock and unused reserve are back
    spend = chain.tx(KEYS[1], [Transfer(KEYS[2].address, OKT_DENOM, balance - 2 * FEE - 1)])
    result = pool.add(spend).result
    assert result.ok, result.log
    db.close()
