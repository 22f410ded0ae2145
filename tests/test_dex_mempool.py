"""The mempool with DEX txs: place-orders keep the fast path (no re-check after a block of this pool's own
successful txs) and stay admissible; a waiting cancel forces the full re-check."""

from pathlib import Path

import pytest
from conftest import funded_keys
from dex_support import DexChain, order, place

from okchain.mempool.pool import Mempool
from okchain.modules.dex.messages import CancelOrders, Side, parse_order_id
from okchain.state.kv import LevelDB
from okchain.types.params import OKT_DENOM

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
