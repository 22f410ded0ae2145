#!/usr/bin/env python3
"""Committed signed transfers per second through a real node process over gRPC (loopback).

A snapshot funds --accounts keys; `okchaind init` + `okchaind start` run the node; the wallets' signing is
done before the clock starts. Clients push rounds (round r = nonce r of every account) with BroadcastTxs
batches from several threads; the clock stops when the last tx is in a committed block. Prints a table,
writes JSON.
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from blocks import tx_codes, wait_for_txs
from profiling import profile_env
from report import emit

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.tx.envelope import build_tx
from tests.helpers.chain import CHAIN_ID
from tests.helpers.processes import init_node

GAS = 50_000
MIN_GAS_PRICE = 1_000_000_000  # the node default


def _key(i: int) -> AccountKey:
    return AccountKey((i + 1).to_bytes(32, "big"))


def _sign_round(args: tuple[int, int]) -> list[bytes]:
    nonce, accounts = args
    return [
        build_tx(
            _key(i),
            chain_id=CHAIN_ID,
            nonce=nonce,
            msgs=[Transfer(_key(i + 1).address, "okt", 1)],
            gas_limit=GAS,
            fee=GAS * MIN_GAS_PRICE,
        )
        for i in range(accounts)
    ]


def run(
    accounts: int, rounds: int, batch: int, threads: int, block_time_ms: int, profile: Path | None
) -> dict[str, float]:
    with multiprocessing.Pool() as pool:
        signed = pool.map(_sign_round, [(r, accounts) for r in range(rounds)])
    total = accounts * rounds
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(Path(tmp), [_key(i) for i in range(accounts + 1)], block_time_ms=block_time_ms)
        if profile:
            node.env = profile_env(profile)
        node.start()
        load_before = os.getloadavg()[0]
        try:
            with grpc.insecure_channel(node.target) as channel:
                tx_stub = query_pb2_grpc.TxServiceStub(channel)
                node_stub = query_pb2_grpc.NodeServiceStub(channel)
                start_height = node_stub.NodeInfo(query_pb2.NodeInfoRequest()).latest_height

                def send(txs: list[bytes]) -> int:
                    resp = tx_stub.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=txs), timeout=60)
                    bad = [r for r in resp.results if r.code != 0]
                    assert not bad, bad[0].log
                    return len(resp.results)

                t0 = time.perf_counter()
                with ThreadPoolExecutor(threads) as workers:
                    for txs in signed:
                        chunks = [txs[i : i + batch] for i in range(0, len(txs), batch)]
                        sum(workers.map(send, chunks))
                t_sent = time.perf_counter() - t0
                block_txs = wait_for_txs(node_stub, start_height, total)
                t_commit = time.perf_counter() - t0
                codes = tx_codes(node_stub, block_txs)
        finally:
            rc = node.stop()
        log_tail = (Path(tmp) / "node.log").read_text().splitlines()[-3:]
    assert rc == 0, log_tail
    assert codes == [0] * total, "a tx failed"
    return {
        "host_load_1m_before": load_before,
        "txs": total,
        "accounts": accounts,
        "block_time_ms": block_time_ms,
        "batch": batch,
        "client_threads": threads,
        "send_s": t_sent,
        "accept_tps": total / t_sent,
        "commit_s": t_commit,
        "committed_tps": total / t_commit,
        "blocks_with_txs": len(block_txs),
        "max_block_txs": max(block_txs.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--block-time-ms", type=int, default=1000)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the node into this folder")
    parser.add_argument("--out", type=Path, default=Path("bench-results/node_tps.json"))
    args = parser.parse_args()
    r = run(args.accounts, args.rounds, args.batch, args.threads, args.block_time_ms, args.profile)
    emit(r, args.out, headline="committed_tps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
