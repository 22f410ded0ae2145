"""The mempool with DEX txs: place-orders keep the fast path (no re-check after a block of this pool's own
successful txs) and stay admissible; the block end's fills, refunds and expiries are carried into the check
state exactly as a full re-check would leave it; a waiting cancel forces the full re-check."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain.crypto.secp import AccountKey
from okchain.mempool.pool import Mempool
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank.keeper import get_balance
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex.keeper import DEX_LOCK, block_orders, status_name
from okchain.modules.dex.messages import CancelOrders, Side, parse_order_id
from okchain.state.leveldb import LevelDB
from okchain.state.store import MemoryKV
from okchain.tx.registry import Msg
from okchain.types.params import OKT_DENOM
from tests.helpers.app import FEE
from tests.helpers.chain import OKT, funded_keys
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


def _dex_setup() -> tuple[DexChain, str, str, Mempool]:
    """A chain where every key holds OKT and the token ``xyz``, listed against OKT; an empty pool."""
    chain = DexChain(MemoryKV(), KEYS)
    xyz = chain.issue(KEYS[0], "xyz")
    pair = chain.list_pair(KEYS[0], xyz, OKT_DENOM)
    gifts = [chain.tx(KEYS[0], [Transfer(k.address, xyz, 1_000 * OKT)]) for k in KEYS[1:]]
    assert all(r.ok for r in chain.block(gifts).results)
    return chain, xyz, pair, Mempool(chain.app)


def _signed(chain: DexChain, pool: Mempool, key: AccountKey, msgs: list[Msg]) -> bytes:
    chain.nonces[key.address] = get_nonce(pool._check_state, key.address)
    return chain.tx(key, msgs)


def _admission_view(pool: Mempool, denoms: tuple[str, ...]) -> tuple[list[bytes], list[tuple[int, ...]]]:
    """What admission reads: the ready txs, every trader's nonce and balances, and the lock account's."""
    ready = sorted(e.tx.hash for queue in pool._ready.values() for e in queue)
    state = pool._check_state
    rows = [(get_nonce(state, k.address), *(get_balance(state, k.address, d) for d in denoms)) for k in KEYS]
    rows.append(tuple(get_balance(state, DEX_LOCK, d) for d in denoms))
    return ready, rows


_DEX_OPS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "buy", "sell", "send", "block", "block", "empty"]),
        st.integers(0, len(KEYS) - 1),
        st.integers(95, 105),  # price in hundredths: buys and sells cross around 1.00
        st.integers(1, 400),  # quantity (orders) or amount in OKT (sends: may exhaust funds)
    ),
    min_size=8,
    max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=_DEX_OPS)
def test_block_end_credits_match_a_full_recheck(ops: list[tuple[str, int, int, int]]) -> None:
    """Carrying fills, refunds and expiries into the check state must leave exactly the ready set, nonces
    and balances that rebuilding it from committed state and re-checking the pool would."""
    chain, xyz, pair, pool = _dex_setup()
    for op, who, price, amount in ops:
        key = KEYS[who]
        if op in ("block", "empty"):
            taken = pool.reap(amount % 3 + 1, 1 << 30) if op == "block" else []
            fin = chain.block(taken)
            pool.update(taken, all(r.ok for r in fin.results))
            fast = _admission_view(pool, (OKT_DENOM, xyz))
            pool._recheck_all()
            assert _admission_view(pool, (OKT_DENOM, xyz)) == fast
        elif op == "send":
            pool.add(_signed(chain, pool, key, [Transfer(KEYS[0].address, OKT_DENOM, amount * OKT)]))
        else:
            side = Side.BUY if op == "buy" else Side.SELL
            spec = order(pair, side, f"{price / 100:.2f}", str(amount))
            pool.add(_signed(chain, pool, key, [place(spec)]))


def test_fills_keep_the_fast_path_and_are_spendable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block whose auction fills orders while the traders have txs waiting: no re-check, and the seller
    can spend the quote it received (a credit to a balance the check state holds)."""
    chain, xyz, pair, pool = _dex_setup()
    monkeypatch.setattr(pool, "_recheck_all", lambda: pytest.fail("the pool was re-checked"))
    seller, buyer = KEYS[1], KEYS[2]
    crossing = [
        _signed(chain, pool, seller, [place(order(pair, Side.SELL, "1", "500"))]),
        _signed(chain, pool, buyer, [place(order(pair, Side.BUY, "1", "500"))]),
    ]
    assert all(pool.add(raw).result.ok for raw in crossing)
    waiting = _signed(chain, pool, seller, [Transfer(KEYS[0].address, xyz, 1)])
    assert pool.add(waiting).result.ok
    okt = get_balance(pool._check_state, seller.address, OKT_DENOM)
    fin = chain.block(crossing)
    assert all(r.ok for r in fin.results) and chain.app.block_end.credits
    pool.update(crossing, True)
    assert get_balance(pool._check_state, seller.address, OKT_DENOM) > okt  # the proceeds arrived
    spend = _signed(chain, pool, seller, [Transfer(KEYS[0].address, OKT_DENOM, okt + 100 * OKT)])
    result = pool.add(spend).result
    assert result.ok, result.log


def test_a_fast_path_drops_its_guess_at_the_committed_blocks_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check state's order records of a committed height are this pool's guess: after the block end
    filled an order, a cancel of it must read the committed record and be refused."""
    chain, xyz, pair, pool = _dex_setup()
    monkeypatch.setattr(pool, "_recheck_all", lambda: pytest.fail("the pool was re-checked"))
    seller, buyer = KEYS[1], KEYS[2]
    crossing = [
        _signed(chain, pool, seller, [place(order(pair, Side.SELL, "1", "5"))]),
        _signed(chain, pool, buyer, [place(order(pair, Side.BUY, "1", "5"))]),
    ]
    assert all(pool.add(raw).result.ok for raw in crossing)
    assert pool.add(_signed(chain, pool, seller, [Transfer(KEYS[0].address, xyz, 1)])).result.ok
    assert all(r.ok for r in chain.block(crossing).results)
    pool.update(crossing, True)
    filled = parse_order_id(f"{chain.app.last.height}-0")
    assert filled is not None
    result = pool.add(_signed(chain, pool, seller, [CancelOrders((filled,))])).result
    assert not result.ok and "already closed (filled)" in result.log, result.log
