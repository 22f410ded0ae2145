#!/usr/bin/env python3
"""A node under twice the load it can commit: block times, memory, refusals, catch-up, nothing lost.

A snapshot funds one account per tx (so a refused tx holds up no later nonce); `okchaind init` + `start`
run one validator with 1 s blocks and a mempool of ``--mempool`` txs. Signing is done before the clock.
Client threads offer signed transfers over gRPC ``BroadcastTxs`` at ``--rate`` tx/s for ``--seconds``
(pass twice what ``node_tps.py`` commits on the same box), counting each tx's answer: accepted,
``MEMPOOL_FULL`` (the code gRPC maps to RESOURCE_EXHAUSTED, whose message says what fee gets in and when
to retry) or other. Meanwhile the node's RSS is sampled every second. Then the clock runs until every
accepted tx is in a committed block (catch-up), and every one of those results is read back: an accepted
tx that never commits, or a failed result, is a loss. Block intervals come from the node's own
"committed block" log lines: before the load, under it, and after it. Prints a table, writes JSON.
"""

import argparse
import itertools
import multiprocessing
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from blocks import tx_codes, wait_for_txs
from report import emit, status_mib

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.tx.envelope import build_tx
from okchain.types.results import Code
from tests.helpers.chain import CHAIN_ID
from tests.helpers.processes import configure, init_node

GAS = 50_000
MIN_GAS_PRICE = 1_000_000_000


def _key(i: int) -> AccountKey:
    return AccountKey((i + 1).to_bytes(32, "big"))


def _sign(span: tuple[int, int]) -> list[bytes]:
    start, stop = span
    sink = _key(0).address
    return [
        build_tx(
            _key(i),
            chain_id=CHAIN_ID,
            nonce=0,
            msgs=[Transfer(sink, "okt", 1)],
            gas_limit=GAS,
            fee=GAS * MIN_GAS_PRICE,
        )
        for i in range(start, stop)
    ]


def _intervals(log: str, start: float, end: float) -> dict[str, list[float]]:
    """Seconds between consecutive commits, by phase (before ``start``, under the load, after ``end``)."""
    times = [
        datetime.fromisoformat(m[1].replace("Z", "+00:00")).timestamp()
        for m in re.finditer(r"ts=(\S+) level=info logger=okchain.node msg=\"committed block\"", log)
    ]
    phases: dict[str, list[float]] = {"before": [], "under": [], "after": []}
    for a, b in itertools.pairwise(times):
        phase = "before" if b <= start else "under" if b <= end else "after"
        phases[phase].append(b - a)
    return phases


def offer(
    target: str, batches: list[list[bytes]], rate: float, threads: int
) -> tuple[list[bytes], dict[str, int], str]:
    """Send ``batches`` at ``rate`` tx/s from ``threads`` threads; the accepted txs, answer counts and one
    refusal message."""
    accepted: list[bytes] = []
    counts = {"accepted": 0, "mempool_full": 0, "other": 0}
    sample = [""]
    lock = threading.Lock()
    t0 = time.perf_counter()
    size = len(batches[0])

    def send(index: int, stub: query_pb2_grpc.TxServiceStub) -> None:
        due = t0 + index * size / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        txs = batches[index]
        resp = stub.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=txs), timeout=120)
        with lock:
            for raw, r in zip(txs, resp.results, strict=True):
                if r.code == 0:
                    counts["accepted"] += 1
                    accepted.append(raw)
                elif r.code == Code.MEMPOOL_FULL:
                    counts["mempool_full"] += 1
                    sample[0] = sample[0] or r.log
                else:
                    counts["other"] += 1
                    sample[0] = sample[0] or r.log

    channels = [grpc.insecure_channel(target) for _ in range(threads)]
    stubs = [query_pb2_grpc.TxServiceStub(c) for c in channels]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: send(i, stubs[i % threads]), range(len(batches))))
    for c in channels:
        c.close()
    return accepted, counts, sample[0]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rate", type=float, default=12_000, help="tx/s offered (twice the sustainable rate)"
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--mempool", type=int, default=50_000, help="mempool_max_txs of the node")
    parser.add_argument("--out", type=Path, default=Path("bench-results/overload.json"))
    args = parser.parse_args()
    total = int(args.rate * args.seconds) // args.batch * args.batch
    step = 20_000
    with multiprocessing.Pool() as pool:
        signed = [
            raw
            for part in pool.map(_sign, [(i, min(i + step, total + 1)) for i in range(1, total + 1, step)])
            for raw in part
        ]
    batches = [signed[i : i + args.batch] for i in range(0, len(signed), args.batch)]
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(Path(tmp), [_key(i) for i in range(total + 1)], block_time_ms=1000)
        configure(node, mempool_max_txs=args.mempool)
        node.start()
        assert node.proc is not None
        try:
            with grpc.insecure_channel(node.target) as channel:
                node_stub = query_pb2_grpc.NodeServiceStub(channel)
                time.sleep(5)  # a few idle blocks for the "before" intervals
                start_height = node_stub.NodeInfo(query_pb2.NodeInfoRequest()).latest_height
                rss: list[float] = []
                sampling = threading.Event()

                def sample() -> None:
                    while not sampling.wait(1.0):
                        rss.append(status_mib("VmRSS", node.proc.pid))  # type: ignore[union-attr]

                sampler = threading.Thread(target=sample)
                sampler.start()
                t_start = time.time()
                t0 = time.perf_counter()
                accepted, counts, refusal = offer(node.target, batches, args.rate, args.threads)
                offer_s = time.perf_counter() - t0
                t_end = time.time()
                block_txs = wait_for_txs(node_stub, start_height, len(accepted))
                catch_up_s = time.perf_counter() - t0 - offer_s
                time.sleep(5)  # idle blocks after
                sampling.set()
                sampler.join()
                codes = tx_codes(node_stub, block_txs)
        finally:
            rc = node.stop()
        log = node.log.read_text()
    phases = _intervals(log, t_start, t_end)
    committed = sum(block_txs.values())
    emit(
        {
            "offered": total,
            "offered_tps": total / offer_s,
            "offer_s": offer_s,
            "mempool_max_txs": args.mempool,
            "accepted": counts["accepted"],
            "refused_mempool_full": counts["mempool_full"],
            "refused_other": counts["other"],
            "refusal_message": refusal[:120],
            "committed": committed,
            "committed_ok": codes.count(0),
            "lost": counts["accepted"] - codes.count(0),
            "committed_tps_under_load": committed / (offer_s + catch_up_s),
            "catch_up_s": catch_up_s,
            "block_interval_before_s": statistics.median(phases["before"]) if phases["before"] else 0.0,
            "block_interval_under_median_s": statistics.median(phases["under"]) if phases["under"] else 0.0,
            "block_interval_under_max_s": max(phases["under"], default=0.0),
            "block_interval_after_s": statistics.median(phases["after"]) if phases["after"] else 0.0,
            "rss_max_mib": max(rss, default=0.0),
            "rss_end_mib": rss[-1] if rss else 0.0,
            "node_exit": rc,
        },
        args.out,
        headline="committed_tps_under_load",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
