#!/usr/bin/env python3
"""Committed signed transfers per second on one node, in-process on real LevelDB.

Phases, timed separately so it is clear where the time goes:
  admit   mempool.add of every pre-signed tx (decode, signature recovery, nonce, fee, balance check)
  commit  reap → prepare_proposal (executes the txs, keeps those that succeed) → block (solo consensus)
          → finalize_block (reuses that execution; Merkle update, results) → commit (one write batch)
          → mempool update, block after block until the mempool is empty
Signing happens before the clock starts (it is the wallets' work). Prints a table, writes JSON.
"""

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

from okchain.app import Application
from okchain.consensus import solo
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.mempool.pool import Mempool, MempoolConfig
from okchain.modules.bank.messages import Transfer
from okchain.node.sigpool import SignaturePool, default_workers
from okchain.state.leveldb import LevelDB
from okchain.tx.envelope import build_tx
from okchain.types.block import Commit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from report import emit

from tests.helpers.chain import CHAIN_ID, make_genesis

GAS = 50_000
PRICE = 1


def _sign_batch(args: tuple[int, int, int]) -> list[bytes]:
    first, count, txs_per_account = args
    out = []
    for i in range(first, first + count):
        key = AccountKey((i + 1).to_bytes(32, "big"))
        to = AccountKey((i + 2).to_bytes(32, "big")).address
        out.extend(
            build_tx(
                key,
                chain_id=CHAIN_ID,
                nonce=n,
                msgs=[Transfer(to, "okt", 1 + n)],
                gas_limit=GAS,
                fee=GAS * PRICE,
            )
            for n in range(txs_per_account)
        )
    return out


def presign(accounts: int, txs_per_account: int) -> list[bytes]:
    chunk = max(1, accounts // 16)
    jobs = [(i, min(chunk, accounts - i), txs_per_account) for i in range(0, accounts, chunk)]
    with multiprocessing.Pool() as pool:
        batches = pool.map(_sign_batch, jobs)
    # interleave accounts so blocks mix senders, as real traffic does
    per_account = [b[j : j + txs_per_account] for b in batches for j in range(0, len(b), txs_per_account)]
    return [acct[n] for n in range(txs_per_account) for acct in per_account]


def run(accounts: int, txs_per_account: int, block_txs: int, sig_workers: int) -> dict[str, float]:
    txs = presign(accounts, txs_per_account)
    validator = ValidatorKey(bytes(32))
    keys = [AccountKey((i + 1).to_bytes(32, "big")) for i in range(accounts + 1)]
    genesis = make_genesis(keys, validator)
    sig_pool = SignaturePool(sig_workers)
    with tempfile.TemporaryDirectory() as tmp:
        db = LevelDB(Path(tmp) / "db")
        app = Application(db, genesis, min_gas_price=PRICE)
        pool = Mempool(app, MempoolConfig(max_txs=len(txs) + 1))
        t0 = time.perf_counter()
        # what BroadcastTxs does: shape checks here, signature recovery in the node's worker processes
        for i in range(0, len(txs), 500):
            for checked in app.precheck_many(txs[i : i + 500], sig_pool.recover):
                assert checked.result.ok, checked.result.log
        t_precheck = time.perf_counter() - t0
        for raw in txs:
            res = pool.add(raw)
            assert res.result.ok, res.result.log
        t_admit = time.perf_counter() - t0
        last_commit: Commit | None = None
        blocks = 0
        exec_s = commit_s = update_s = 0.0
        t1 = time.perf_counter()
        now = genesis.header.genesis_time.timestamp() * 1e9
        prepare_s = 0.0
        while len(pool):
            p = time.perf_counter()
            proposal = app.prepare_proposal(pool.reap(block_txs, app.params.max_block_bytes))
            batch = proposal.txs
            prepare_s += time.perf_counter() - p
            assert not proposal.rejected
            now += 1e9
            block, commit = solo.decide(
                solo.ChainTip(CHAIN_ID, app.last, app.validators_hash, app.next_validators_hash, last_commit),
                batch,
                int(now),
                validator,
            )
            a = time.perf_counter()
            fin = app.finalize_block(block, commit)
            b = time.perf_counter()
            app.commit()
            c = time.perf_counter()
            pool.update(block.txs, all(r.ok for r in fin.results) and not proposal.rejected)
            d = time.perf_counter()
            exec_s += b - a
            commit_s += c - b
            update_s += d - c
            assert all(r.ok for r in fin.results)
            last_commit = commit
            blocks += 1
        t_commit = time.perf_counter() - t1
        db.close()
    sig_pool.close()
    n = len(txs)
    return {
        "txs": n,
        "accounts": accounts,
        "blocks": blocks,
        "block_txs": block_txs,
        "signature_workers": sig_pool.workers,
        "precheck_s": t_precheck,
        "mempool_add_s": t_admit - t_precheck,
        "admit_s": t_admit,
        "admit_tps": n / t_admit,
        "reap_prepare_execute_s": prepare_s,
        "merkle_seal_s": exec_s,
        "write_s": commit_s,
        "mempool_update_s": update_s,
        "commit_phase_s": t_commit,
        "commit_tps": n / t_commit,
        "end_to_end_tps": n / (t_admit + t_commit),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--txs-per-account", type=int, default=5)
    parser.add_argument("--block-txs", type=int, default=10_000)
    parser.add_argument("--sig-workers", type=int, default=default_workers())
    parser.add_argument("--out", type=Path, default=Path("bench-results/transfer_tps.json"))
    args = parser.parse_args()
    r = run(args.accounts, args.txs_per_account, args.block_txs, args.sig_workers)
    emit(r, args.out, headline="commit_tps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
