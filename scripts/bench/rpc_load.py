#!/usr/bin/env python3
"""Many concurrent wallet and explorer clients against one real node process that commits transfers.

--clients clients, spread over --processes load processes (asyncio + grpc.aio, one channel and TCP
connection each), call a mix of queries back to back for --seconds: NodeInfo, Account, Balance, an
address's txs (first page, then the next), the latest block with its txs, recent blocks, the validator
list and a tx by hash. --subscribers of them hold a SubscribeBlocks stream instead. Meanwhile the
benchmark broadcasts --tx-rate signed transfers per second. Reported: queries/s, p50/p99 latency per
kind, refusals by status, peak node RSS, and the block interval during the run against its target
(within 10% is the goal). Prints a table, writes JSON.

Each stream holds one of the node's gRPC worker threads while it is open, so the node runs with
``grpc_workers`` = subscribers + 32 and a subscriber cap to match.
"""

import argparse
import asyncio
import itertools
import multiprocessing
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from report import emit, status_mib

from okchain._pb.explorer.v1 import query_pb2 as explorer_pb2
from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain._pb.staking.v1 import query_pb2 as staking_pb2
from okchain._pb.stream.v1 import stream_pb2, stream_pb2_grpc
from okchain.client.stubs import Stubs  # generated stubs work over grpc.aio channels too
from okchain.crypto.address import to_checksum
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.tx.envelope import build_tx, tx_hash
from tests.helpers.chain import CHAIN_ID
from tests.helpers.processes import configure, init_node

GAS = 50_000
MIN_GAS_PRICE = 1_000_000_000
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]  # a connection per client, as real clients have


def key(i: int) -> AccountKey:
    return AccountKey((i + 1).to_bytes(32, "big"))


async def _txs_two_pages(s: Stubs, address: str) -> None:
    first = await s.tx.TxsByAddress(query_pb2.TxsByAddressRequest(address=address, page_size=10))
    if first.next_page_token:
        await s.tx.TxsByAddress(
            query_pb2.TxsByAddressRequest(address=address, page_size=10, page_token=first.next_page_token)
        )


def _mix(s: Stubs, address: str, known_tx: bytes) -> list[tuple[str, int, Callable[[], Any]]]:
    """(kind, weight, call) of what clients do."""
    return [
        ("node_info", 15, lambda: s.node.NodeInfo(query_pb2.NodeInfoRequest())),
        ("account", 15, lambda: s.query.Account(query_pb2.AccountRequest(address=address))),
        ("balance", 25, lambda: s.query.Balance(query_pb2.BalanceRequest(address=address, denom="okt"))),
        ("txs_by_address_2_pages", 10, lambda: _txs_two_pages(s, address)),
        ("block_with_txs", 10, lambda: s.node.BlockWithTxs(query_pb2.BlockWithTxsRequest(page_size=30))),
        (
            "recent_blocks",
            10,
            lambda: s.explorer.RecentBlocks(explorer_pb2.RecentBlocksRequest(page_size=10)),
        ),
        ("validators", 5, lambda: s.staking.Validators(staking_pb2.ValidatorsRequest())),
        ("get_tx", 10, lambda: s.tx.GetTx(query_pb2.GetTxRequest(hash=known_tx))),
    ]


async def _client(
    target: str, seed: int, deadline: float, accounts: int, known_tx: bytes, out: dict[str, Any]
) -> None:
    rng = random.Random(seed)
    async with grpc.aio.insecure_channel(target, options=OWN_CONNECTION) as channel:
        s = Stubs(channel)
        address = to_checksum(key(rng.randrange(accounts)).address)
        mix = _mix(s, address, known_tx)
        kinds, weights = [m[0] for m in mix], [m[1] for m in mix]
        calls = {m[0]: m[2] for m in mix}
        while time.time() < deadline:
            kind = rng.choices(kinds, weights)[0]
            t0 = time.perf_counter()
            try:
                await calls[kind]()
            except grpc.aio.AioRpcError as exc:
                out["errors"][exc.code().name] += 1
                await asyncio.sleep(0.05)
                continue
            out["latency"].setdefault(kind, []).append(time.perf_counter() - t0)


async def _subscriber(target: str, deadline: float, out: dict[str, Any]) -> None:
    async with grpc.aio.insecure_channel(target, options=OWN_CONNECTION) as channel:
        stream = stream_pb2_grpc.StreamQueryStub(channel).SubscribeBlocks(stream_pb2.SubscribeBlocksRequest())
        try:
            async for _ in stream:
                out["stream_events"] += 1
                if time.time() >= deadline:
                    break
        except grpc.aio.AioRpcError as exc:
            out["errors"][f"stream_{exc.code().name}"] += 1
        finally:
            stream.cancel()


def load_process(args: tuple[str, int, int, int, float, int, bytes]) -> dict[str, Any]:
    target, first, clients, subscribers, deadline, accounts, known_tx = args
    out: dict[str, Any] = {"latency": {}, "errors": Counter(), "stream_events": 0}

    async def main() -> None:
        tasks = [_subscriber(target, deadline, out) for _ in range(subscribers)]
        tasks += [_client(target, first + i, deadline, accounts, known_tx, out) for i in range(clients)]
        await asyncio.gather(*tasks)

    asyncio.run(main())
    return out


def _rss_sampler(pid: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(0.5):
        peak[0] = max(peak[0], int(status_mib("VmRSS", pid) * 2**20))


def _transfers(accounts: int, seconds: float, rate: int) -> list[bytes]:
    count = int(seconds * rate) + rate
    return [
        build_tx(
            key(i % accounts),
            chain_id=CHAIN_ID,
            nonce=i // accounts,
            msgs=[Transfer(key((i + 1) % accounts).address, "okt", 1)],
            gas_limit=GAS,
            fee=GAS * MIN_GAS_PRICE,
        )
        for i in range(count)
    ]


def _committer(target: str, txs: list[bytes], rate: int, stop: threading.Event, sent: list[int]) -> None:
    """Broadcast ``rate`` txs per second in batches every 100 ms until stopped."""
    with grpc.insecure_channel(target) as channel:
        stub = query_pb2_grpc.TxServiceStub(channel)
        per_tick, t0 = max(rate // 10, 1), time.perf_counter()
        while not stop.is_set() and sent[0] < len(txs):
            batch = txs[sent[0] : sent[0] + per_tick]
            stub.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=batch), timeout=30)
            sent[0] += len(batch)
            stop.wait(max(0.0, t0 + sent[0] / rate - time.perf_counter()))


def _block_intervals(target: str, first: int, last: int) -> list[float]:
    with grpc.insecure_channel(target) as channel:
        stub = query_pb2_grpc.NodeServiceStub(channel)
        times, token = [], ""
        while True:
            page = stub.Headers(query_pb2.HeadersRequest(from_height=first, to_height=last, page_token=token))
            times += [h.header.time_ns for h in page.headers]
            token = page.next_page_token
            if not token:
                break
    return [(b - a) / 1e6 for a, b in itertools.pairwise(times)]


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) >= 2 else (values or [0.0])[0]


def run(a: argparse.Namespace) -> dict[str, Any]:
    txs = _transfers(a.accounts, a.seconds, a.tx_rate)
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(Path(tmp), [key(i) for i in range(a.accounts)], block_time_ms=a.block_time_ms)
        configure(
            node,
            grpc_workers=a.subscribers + 32,
            grpc_max_concurrent_rpcs=a.clients + 64,
            stream_max_subscribers=a.subscribers,
        )
        node.start()
        assert node.proc is not None
        stop, peak, sent = threading.Event(), [0], [0]
        try:
            with grpc.insecure_channel(node.target) as channel:
                stub = query_pb2_grpc.TxServiceStub(channel)
                stub.BroadcastTx(
                    query_pb2.BroadcastTxRequest(tx=txs[0], mode=query_pb2.BROADCAST_MODE_COMMIT)
                )
                start_height = (
                    query_pb2_grpc.NodeServiceStub(channel)
                    .NodeInfo(query_pb2.NodeInfoRequest())
                    .latest_height
                )
            threads = [
                threading.Thread(target=_rss_sampler, args=(node.proc.pid, stop, peak)),
                threading.Thread(target=_committer, args=(node.target, txs[1:], a.tx_rate, stop, sent)),
            ]
            for t in threads:
                t.start()
            deadline = time.time() + a.seconds
            per, subs = a.clients // a.processes, a.subscribers // a.processes
            jobs = [
                (node.target, p * per, per - subs, subs, deadline, a.accounts, tx_hash(txs[0]))
                for p in range(a.processes)
            ]
            t0 = time.perf_counter()
            with multiprocessing.get_context("spawn").Pool(a.processes) as pool:
                parts = pool.map(load_process, jobs)
            elapsed = time.perf_counter() - t0
            stop.set()
            for t in threads:
                t.join()
            with grpc.insecure_channel(node.target) as channel:
                end_height = (
                    query_pb2_grpc.NodeServiceStub(channel)
                    .NodeInfo(query_pb2.NodeInfoRequest())
                    .latest_height
                )
            intervals = _block_intervals(node.target, start_height, end_height)
        finally:
            stop.set()
            node.stop()
    latency: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    for part in parts:
        for kind, values in part["latency"].items():
            latency.setdefault(kind, []).extend(values)
        errors.update(part["errors"])
    every = [v for values in latency.values() for v in values]
    mean_interval = statistics.fmean(intervals) if intervals else 0.0
    result: dict[str, Any] = {
        "clients": a.clients,
        "subscribers": a.subscribers,
        "seconds": round(elapsed, 1),
        "queries": len(every),
        "queries_per_s": len(every) / elapsed,
        "p50_ms": _percentile(every, 50) * 1000,
        "p99_ms": _percentile(every, 99) * 1000,
        "stream_events": sum(p["stream_events"] for p in parts),
        "txs_sent": sent[0] + 1,
        "peak_node_rss_mib": peak[0] / 2**20,
        "block_time_target_ms": a.block_time_ms,
        "block_interval_mean_ms": mean_interval,
        "block_interval_max_ms": max(intervals, default=0.0),
        "blocks": len(intervals),
        "block_time_within_10pct": bool(intervals) and mean_interval <= 1.1 * a.block_time_ms,
    }
    for kind, values in sorted(latency.items()):
        result[f"{kind}_p50_ms"] = _percentile(values, 50) * 1000
        result[f"{kind}_p99_ms"] = _percentile(values, 99) * 1000
    for code, n in sorted(errors.items()):
        result[f"refused_{code}"] = n
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--subscribers", type=int, default=100, help="how many of the clients hold a block stream")
    p.add_argument("--processes", type=int, default=4)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--accounts", type=int, default=500)
    p.add_argument("--tx-rate", type=int, default=200)
    p.add_argument("--block-time-ms", type=int, default=1000)
    p.add_argument("--out", type=Path, default=Path("bench-results/rpc_load.json"))
    a = p.parse_args()
    emit(run(a), a.out, headline="queries_per_s")


if __name__ == "__main__":
    main()
