"""Property: random accounts place and cancel random orders over several blocks through the real Application
on real LevelDB. After every block every token is conserved (balances, locked funds, fees and burns add up
to the supply; the lock account holds exactly what the open orders lock), no order fills at a price worse
than its limit, and a second fresh application fed the same blocks ends with byte-identical app hashes.
Cancels pick among every placed id (so some hit another account's or a closed order and fail), orders
expire after 4 blocks, and a pair may be delisted mid-way (its book is refunded)."""

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain.modules.bank import keeper as bank
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex import keeper as k
from okchain.modules.dex.messages import CancelOrders, DelistPair, OrderSpec, PlaceOrders, Side
from okchain.state import blockstore, schema
from okchain.state.leveldb import LevelDB
from okchain.state.store import KVReader
from okchain.tx.registry import Msg
from okchain.types.params import OKT_DENOM
from tests.helpers.chain import funded_keys
from tests.helpers.dex import DexChain, all_balances, expected_locks, lock_balances

KEYS = funded_keys(4)
TICK = 10**17  # price and quantity decimals are both 1

order_st = st.tuples(
    st.integers(0, 1),  # pair
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(1, 30),  # price ticks
    st.integers(1, 40),  # lots
)
action_st = st.one_of(
    st.tuples(st.just("place"), st.integers(0, 3), st.lists(order_st, min_size=2, max_size=8)),
    st.tuples(st.just("cancel"), st.integers(0, 3), st.lists(st.integers(0, 10_000), min_size=1, max_size=3)),
)
program_st = st.lists(st.lists(action_st, min_size=2, max_size=6), min_size=2, max_size=7)


def _fills_respect_limits(reader: KVReader, height: int, pair_ids: list[int]) -> None:
    for pid in pair_ids:
        raw = reader.get(schema.dex_deal(pid, height))
        if raw is None:
            continue
        deal = np.frombuffer(raw, k.DEAL)[0]
        price = int(deal["price"])
        fills = np.frombuffer(reader.get(schema.dex_fills(pid, height, 0)) or b"", k.FILL)
        assert int(fills["filled"][fills["side"] == Side.BUY].sum()) == int(deal["volume"])
        assert int(fills["filled"][fills["side"] == Side.SELL].sum()) == int(deal["volume"])
        for f in fills:
            rec = k.get_order(reader, int(f["id"]))
            assert rec is not None
            assert int(rec["filled"]) <= int(rec["quantity"])
            limit = int(rec["price"])
            assert limit >= price if int(f["side"]) == Side.BUY else limit <= price


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=program_st, delist=st.none() | st.tuples(st.integers(1, 6), st.integers(0, 1)))
def test_conservation_limits_and_identical_app_hashes(
    program: list[list[tuple[str, int, list]]],  # type: ignore[type-arg]
    delist: tuple[int, int] | None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_a, db_b = LevelDB(Path(tmp) / "a"), LevelDB(Path(tmp) / "b")
        try:
            a = DexChain(db_a, KEYS)
            xyz = a.issue(KEYS[0], "xyz")
            abc = a.issue(KEYS[1], "abc")
            pairs = [a.list_pair(KEYS[0], xyz, OKT_DENOM, 1, 1), a.list_pair(KEYS[1], abc, xyz, 1, 1)]
            funding = [Transfer(key.address, d, 10**6 * 10**18) for key in KEYS for d in (xyz, abc)]
            assert a.run(KEYS[0], [m for m in funding if m.denom == xyz]).ok
            assert a.run(KEYS[1], [m for m in funding if m.denom == abc]).ok
            supply = {d: bank.get_supply(a.reader, d) for d in (OKT_DENOM, xyz, abc)}
            placed: list[int] = []
            for number, block in enumerate(program):
                txs = []
                if delist is not None and delist[0] == number:
                    txs.append(a.tx(KEYS[delist[1]], [DelistPair(pairs[delist[1]])]))  # KEYS[i] owns pair i
                for kind, who, items in block:
                    msgs: list[Msg]
                    if kind == "place":
                        specs = tuple(
                            OrderSpec(pairs[p], side, t * TICK, q * TICK) for p, side, t, q in items
                        )
                        msgs = [PlaceOrders(specs)]
                    elif placed:
                        msgs = [CancelOrders(tuple(sorted({placed[i % len(placed)] for i in items})))]
                    else:
                        continue
                    txs.append(a.tx(KEYS[who], msgs))
                fin = a.block(txs)
                height = fin.block.header.height
                for res in fin.results:
                    ev = dict(res.events[0].attributes) if res.ok and res.events else {}
                    if "first_id" in ev:
                        first = k.order_id(height, int(ev["first_id"].split("-")[1]))
                        placed.extend(range(first, first + int(ev["count"])))
                r = a.reader
                totals = all_balances(r)
                for denom, amount in supply.items():
                    assert bank.get_supply(r, denom) == amount  # trading neither mints nor burns
                    assert totals.get(denom, 0) == amount  # balances + locked + fees add up
                assert lock_balances(r) == expected_locks(r, a.app.params)
                _fills_respect_limits(r, height, [0, 1])
            # replay every block from genesis on a fresh application: each header carries A's app hash
            # after the previous block and finalize refuses a mismatch; the last one is compared here
            b = DexChain(db_b, KEYS)
            for h in range(1, a.app.last.height + 1):
                block, commit = blockstore.block_at(db_a, h), blockstore.commit_at(db_a, h)
                assert block is not None and commit is not None
                b.chain.apply(block, commit)
            assert b.app.last == a.app.last
        finally:
            db_a.close()
            db_b.close()
