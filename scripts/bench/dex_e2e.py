#!/usr/bin/env python3
"""Signed place-orders txs (200 orders each, many accounts, crossing prices) committed on one validator,
in-process on real LevelDB, through the application door like ``transfer_tps.py``.

Phases, timed separately so it is clear where the time goes:
  recover   signature recovery of every tx in the node's worker processes (``SignaturePool``), as
            ``BroadcastTxs`` does; it runs beside the consensus thread, so it is reported on its own
  admit     mempool.add of every tx: check_tx runs the DEX handler against the check state
  commit    reap → prepare_proposal (executes the txs) → solo block → finalize_block (reuses that
            execution, runs the block-end auction, Merkle update, results) → commit (one write batch)
            → mempool update, block after block until the mempool is empty; the block end (books,
            records, payments) and within it the engine's match + settle (``run_block``) are timed too
Signing and the token set-up (issue, distribute, list pairs) happen before the clock starts. On a shared
machine wall time overstates the cost: ``commit_cpu_s`` is this process's CPU time for the commit phase.
"""

import argparse
import cProfile
import multiprocessing
import pstats
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from okchain.app import Application
from okchain.consensus import solo
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.mempool.pool import Mempool, MempoolConfig
from okchain.modules.bank.messages import MultiSend, Output
from okchain.modules.dex import endblock
from okchain.modules.dex.messages import ListPair, OrderSpec, PlaceOrders, Side
from okchain.modules.token.messages import IssueToken
from okchain.node.sigpool import SignaturePool, default_workers
from okchain.state import blockstore
from okchain.state.leveldb import LevelDB
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.block import Commit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import emit

from tests.helpers.chain import CHAIN_ID, make_genesis

ONE = 10**18
GAS = 1_000_000
PRICE = 1
ORDERS_PER_TX = 200
MID = 1_000  # ticks at 2 price decimals: 10.00


def _key(i: int) -> AccountKey:
    return AccountKey((i + 1).to_bytes(32, "big"))


def _orders(rng: random.Random, pairs: list[str]) -> tuple[OrderSpec, ...]:
    """Buys a little above and sells a little below the mid price: most orders cross, some rest."""
    out = []
    for _ in range(ORDERS_PER_TX):
        pair = pairs[rng.randrange(len(pairs))]
        if rng.random() < 0.5:
            side, ticks = Side.BUY, MID + rng.randint(-20, 30)
        else:
            side, ticks = Side.SELL, MID + rng.randint(-30, 20)
        lots = rng.randint(1, 100)  # 0.01 .. 1.00 base at 2 quantity decimals
        out.append(OrderSpec(pair, side, ticks * 10**16, lots * 10**16))
    return tuple(out)


def _sign_batch(args: tuple[int, int, int, list[str], int]) -> list[bytes]:
    first, count, txs_per_account, pairs, seed = args
    rng = random.Random(seed + first)
    out = []
    for i in range(first, first + count):
        key = _key(i)
        msgs: list[Msg] = [PlaceOrders(_orders(rng, pairs))]
        out.extend(
            build_tx(key, chain_id=CHAIN_ID, nonce=n, msgs=msgs, gas_limit=GAS, fee=GAS * PRICE)
            for n in range(txs_per_account)
        )
    return out


def presign(accounts: int, txs_per_account: int, pairs: list[str]) -> list[bytes]:
    chunk = max(1, accounts // 16)
    jobs = [(i, min(chunk, accounts - i), txs_per_account, pairs, 7) for i in range(0, accounts, chunk)]
    with multiprocessing.Pool() as pool:
        batches = pool.map(_sign_batch, jobs)
    per_account = [b[j : j + txs_per_account] for b in batches for j in range(0, len(b), txs_per_account)]
    return [acct[n] for n in range(txs_per_account) for acct in per_account]


class _Producer:
    def __init__(self, app: Application, validator: ValidatorKey) -> None:
        self.app = app
        self.validator = validator
        self.last_commit: Commit | None = None
        self.now = app.last.time_ns

    def block(self, txs: list[bytes]) -> list[bytes]:
        """prepare → decide → finalize → commit; returns the txs the block took."""
        proposal = self.app.prepare_proposal(txs)
        self.now += 10**9
        tip = solo.ChainTip(
            CHAIN_ID, self.app.last, self.app.validators_hash, self.app.next_validators_hash, self.last_commit
        )
        block, commit = solo.decide(tip, proposal.txs, self.now, self.validator)
        fin = self.app.finalize_block(block, commit)
        assert all(r.ok for r in fin.results), [r.log for r in fin.results if not r.ok][:3]
        self.app.commit()
        self.last_commit = commit
        return proposal.txs


def setup(app: Application, producer: _Producer, accounts: int, n_pairs: int) -> list[str]:
    """Issue ``n_pairs`` tokens, give every account some of each, list token/okt pairs."""
    owner = _key(accounts)  # the operator: issues, distributes and lists
    nonce = 0

    def tx(msgs: list[Msg]) -> bytes:
        nonlocal nonce
        raw = build_tx(owner, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=8_000_000, fee=8_000_000)
        nonce += 1
        return raw

    denoms = []
    for i in range(n_pairs):
        raw = tx([IssueToken(f"tok{i}", f"Token {i}", 10**9 * ONE, False)])
        producer.block([raw])
        denoms.append(_last_denom(app))
    for denom in denoms:
        for start in range(0, accounts, 1000):
            outs = tuple(
                Output(_key(i).address, denom, 10**5 * ONE) for i in range(start, min(accounts, start + 1000))
            )
            producer.block([tx([MultiSend(outs)])])
    producer.block([tx([ListPair(d, "okt", 2, 2, 10**16)]) for d in denoms])
    return [f"{d}_okt" for d in denoms]


def _last_denom(app: Application) -> str:
    results = blockstore.results_at(app.db, app.last.height)
    assert results is not None
    attrs = {a.key: a.value for a in results.tx_results[0].events[0].attributes}
    return attrs["denom"]


def run(
    accounts: int, txs_per_account: int, block_txs: int, n_pairs: int, profile: bool
) -> dict[str, float | int | str]:
    validator = ValidatorKey(bytes(32))
    keys = [_key(i) for i in range(accounts + 1)]
    genesis = make_genesis(keys, validator)
    sig_pool = SignaturePool(default_workers())
    with tempfile.TemporaryDirectory() as tmp:
        db = LevelDB(Path(tmp) / "db")
        app = Application(db, genesis, min_gas_price=PRICE)
        producer = _Producer(app, validator)
        pairs = setup(app, producer, accounts, n_pairs)
        txs = presign(accounts, txs_per_account, pairs)
        n_orders = len(txs) * ORDERS_PER_TX
        pool = Mempool(app, MempoolConfig(max_txs=len(txs) + 1))
        t0 = time.perf_counter()
        for i in range(0, len(txs), 500):
            for checked in app.precheck_many(txs[i : i + 500], sig_pool.recover):
                assert checked.result.ok, checked.result.log
        t_recover = time.perf_counter() - t0
        t1 = time.perf_counter()
        for raw in txs:
            res = pool.add(raw)
            assert res.result.ok, res.result.log
        t_admit = time.perf_counter() - t1
        timers = {"end_block": 0.0, "run_block": 0.0}

        def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                s = time.perf_counter()
                out = fn(*args, **kwargs)
                timers[name] += time.perf_counter() - s
                return out

            return wrapper

        app_module, inner_end, inner_match = (
            sys.modules["okchain.app"],
            endblock.end_block,
            endblock.run_block,
        )
        app_module.dex_end_block = timed("end_block", inner_end)  # type: ignore[attr-defined]
        endblock.run_block = timed("run_block", inner_match)  # type: ignore[assignment]
        prof = cProfile.Profile() if profile else None
        prepare_s = finalize_s = write_s = update_s = 0.0
        blocks = 0
        t2 = time.perf_counter()
        cpu2 = time.process_time()
        if prof:
            prof.enable()
        while len(pool):
            a = time.perf_counter()
            proposal = app.prepare_proposal(pool.reap(block_txs, app.params.max_block_bytes))
            b = time.perf_counter()
            assert not proposal.rejected, "a tx was left out"
            producer.now += 10**9
            tip = solo.ChainTip(
                CHAIN_ID, app.last, app.validators_hash, app.next_validators_hash, producer.last_commit
            )
            block, commit = solo.decide(tip, proposal.txs, producer.now, validator)
            c = time.perf_counter()
            fin = app.finalize_block(block, commit)
            d = time.perf_counter()
            app.commit()
            e = time.perf_counter()
            pool.update(block.txs, all(r.ok for r in fin.results))
            f = time.perf_counter()
            assert all(r.ok for r in fin.results)
            producer.last_commit = commit
            prepare_s += b - a
            finalize_s += d - c
            write_s += e - d
            update_s += f - e
            blocks += 1
        if prof:
            prof.disable()
        t_commit = time.perf_counter() - t2
        cpu_commit = time.process_time() - cpu2
        app_module.dex_end_block = inner_end  # type: ignore[attr-defined]
        endblock.run_block = inner_match  # type: ignore[assignment]
        db.close()
    sig_pool.close()
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return {
        "txs": len(txs),
        "orders": n_orders,
        "accounts": accounts,
        "pairs": n_pairs,
        "blocks": blocks,
        "block_txs": block_txs,
        "signature_workers": sig_pool.workers,
        "recover_s": t_recover,
        "recover_orders_per_s": n_orders / t_recover,
        "admit_check_tx_s": t_admit,
        "admit_orders_per_s": n_orders / t_admit,
        "prepare_execute_s": prepare_s,
        "finalize_s": finalize_s,
        "  of_which_end_block_s": timers["end_block"],
        "    of_which_match_settle_s": timers["run_block"],
        "write_s": write_s,
        "mempool_update_s": update_s,
        "commit_phase_s": t_commit,
        "commit_orders_per_s": n_orders / t_commit,
        "end_to_end_orders_per_s": n_orders / (t_admit + t_commit),
        "us_per_order_commit": t_commit / n_orders * 1e6,
        "commit_cpu_s": cpu_commit,
        "commit_orders_per_cpu_s": n_orders / cpu_commit,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--txs-per-account", type=int, default=2)
    parser.add_argument("--block-txs", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the commit phase")
    parser.add_argument("--out", type=Path, default=Path("bench-results/dex_e2e.json"))
    args = parser.parse_args()
    r = run(args.accounts, args.txs_per_account, args.block_txs, args.pairs, args.profile)
    emit(r, args.out, headline="commit_orders_per_s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
