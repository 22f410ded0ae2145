#!/usr/bin/env python3
"""Committed transfers per second and commit latency on a 4-validator localnet (real processes, loopback),
then the block-sync rate of a fresh full node against the live commit rate.

``okchaind testnet`` lays out the validators plus one full node whose genesis funds --senders keys (a
snapshot CSV, like the OKB migration). Every transfer is signed before the clock starts; sender s always
submits to validator s mod N, in nonce order, so no node sees a nonce gap. Four client threads (one per
validator) offer --rate tx/s in total with BroadcastTxs batches; one poller per validator follows its
committed blocks and stamps each tx with the moment its block was seen committed on the node it was sent to.
Latency = that moment minus the start of the BroadcastTxs call that carried it. After the last tx commits,
the full node starts from genesis and is timed to the tip.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "scripts" / "bench"), str(REPO)]
from profiling import profile_env  # noqa: E402
from report import emit  # noqa: E402

from okchain._pb.node.v1 import query_pb2  # noqa: E402
from okchain.crypto.hashing import sha256  # noqa: E402
from okchain.crypto.secp import AccountKey  # noqa: E402
from okchain.modules.bank.messages import Transfer  # noqa: E402
from okchain.tx.envelope import build_tx  # noqa: E402
from tests.helpers.chain import write_snapshot  # noqa: E402
from tests.helpers.localnet import Localnet, LocalnetProcess, create_localnet  # noqa: E402

CHAIN_ID = "okchain-localnet-1"
GAS = 50_000
MIN_GAS_PRICE = 1_000_000_000  # the node default


def _key(i: int) -> AccountKey:
    return AccountKey((i + 1).to_bytes(32, "big"))


def _sign_round(args: tuple[int, int]) -> list[bytes]:
    """Nonce ``nonce`` of every sender: one transfer of 1 base unit to the next sender."""
    nonce, senders = args
    return [
        build_tx(
            _key(i),
            chain_id=CHAIN_ID,
            nonce=nonce,
            msgs=[Transfer(_key((i + 1) % senders).address, "okt", 1)],
            gas_limit=GAS,
            fee=GAS * MIN_GAS_PRICE,
        )
        for i in range(senders)
    ]


class BlockWatcher(threading.Thread):
    """Polls one node for new heights; records when each block was first seen and the txs it holds."""

    def __init__(self, node: LocalnetProcess, from_height: int) -> None:
        super().__init__(daemon=True)
        self.node = node
        self.height = from_height
        self.committed_at: dict[bytes, float] = {}  # successful txs only
        self.in_block: set[bytes] = (
            set()
        )  # every tx seen in a block, failed or not (the drain waits for them)
        self.blocks: list[tuple[int, float, int, int]] = []  # height, seen at, txs, header time ns
        self.failed = 0
        self.errors = 0
        self.last_error = ""
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._poll()
            except grpc.RpcError as exc:  # an overloaded node answers late: note it and ask again
                self.errors += 1
                self.last_error = f"{exc.code().name}: {exc.details()}"
            self.stop.wait(0.02)

    def _poll(self) -> None:
        latest = self.node.height()
        seen = time.perf_counter()
        while self.height < latest:
            r = self.node.block(self.height + 1)
            self.height += 1
            for raw, result in zip(r.block.txs, r.results.tx_results, strict=True):
                self.in_block.add(sha256(raw))
                if result.code == 0:  # a tx counts as committed only when it succeeded
                    self.committed_at[sha256(raw)] = seen
                else:
                    self.failed += 1
            self.blocks.append((self.height, seen, len(r.block.txs), r.block.header.time_ns))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its child processes (the node's signature workers), from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1] = parent pid
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def main_thread_cpu_seconds(pid: int) -> float:
    """CPU of the process's main thread: the node's trio thread (consensus, mempool, block execution)."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def node_cpu(net: Localnet) -> dict[str, tuple[float, float]]:
    """Per validator: (whole process tree, trio thread) CPU seconds."""
    return {
        n.name: (cpu_seconds(n.process.proc.pid), main_thread_cpu_seconds(n.process.proc.pid))
        for n in net.validators
        if n.process.proc is not None
    }


def cap_block_txs(directory: Path, max_block_txs: int) -> None:
    """Set the chain parameter in every home's genesis (the same edit to the same file, before any start)."""
    for genesis in sorted(directory.glob("node*/config/genesis.json")):
        doc = json.loads(genesis.read_text())
        doc["params"]["max_block_txs"] = str(max_block_txs)
        genesis.write_text(json.dumps(doc, indent=2) + "\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def offer(
    net: Localnet, per_node: list[list[bytes]], rate: int, batch: int
) -> tuple[list[dict[bytes, float]], int, float]:
    """Send each node's txs in batches at ``rate`` tx/s in total; returns the accepted txs' submit times per
    node, the rejected count and how long the offering took."""
    submitted: list[dict[bytes, float]] = [{} for _ in per_node]
    rejected = [0] * len(per_node)
    lock = threading.Lock()
    t0 = time.perf_counter()
    interval = batch * len(per_node) / rate  # seconds between one node's batches

    def client(index: int) -> None:
        node, txs = net.validators[index], per_node[index]
        for i, start in enumerate(range(0, len(txs), batch)):
            chunk = txs[start : start + batch]
            wait = t0 + i * interval + index * interval / len(per_node) - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            resp = node.tx.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=chunk), timeout=120)
            with lock:
                for raw, result in zip(chunk, resp.results, strict=True):
                    if result.code == 0:
                        submitted[index][sha256(raw)] = sent
                    else:
                        rejected[index] += 1

    with ThreadPoolExecutor(len(per_node)) as pool:
        list(pool.map(client, range(len(per_node))))
    return submitted, sum(rejected), time.perf_counter() - t0


def measure_sync(net: Localnet, watcher: BlockWatcher) -> dict[str, float | int]:
    """Start the full node from genesis; time it to the validators' tip."""
    full = next(n for n in net.nodes if not n.spec.validator)
    tip = max(net.heights(net.validators).values())
    t0 = time.perf_counter()
    full.process.spawn()
    full.process.wait_healthy(timeout=120)
    first_answer = time.perf_counter() - t0
    first_height = full.height()
    while full.height() < tip:
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    txs = sum(n for h, _, n, _ in watcher.blocks if h <= tip)
    blocks = [b for b in watcher.blocks if b[0] <= tip]
    live_s = (blocks[-1][3] - blocks[0][3]) / 1e9 if len(blocks) > 1 else 0.0
    live_blocks_per_s = (len(blocks) - 1) / live_s if live_s else 0.0
    live_tps = sum(n for _, _, n, _ in blocks[1:]) / live_s if live_s else 0.0
    synced_after_answer = tip - first_height
    after_answer_s = wall - first_answer
    out: dict[str, float | int] = {
        "sync_tip_height": tip,
        "sync_node_first_answer_s": first_answer,
        "sync_height_at_first_answer": first_height,
        "sync_wall_s": wall,
        "sync_blocks_per_s_wall": tip / wall,
        "sync_tps_wall": txs / wall,
        "live_blocks_per_s": live_blocks_per_s,
        "live_tps_by_header_time": live_tps,
    }
    if synced_after_answer > tip // 2 and after_answer_s > 0:
        out["sync_blocks_per_s_after_start"] = synced_after_answer / after_answer_s
    out["sync_vs_live_blocks"] = tip / wall / live_blocks_per_s if live_blocks_per_s else 0.0
    out["sync_vs_live_tps"] = txs / wall / live_tps if live_tps else 0.0
    return out


def run(args: argparse.Namespace) -> dict[str, float | int | str]:
    rounds = max(1, args.rate * args.duration // args.senders)
    t_sign = time.perf_counter()
    with multiprocessing.Pool() as pool:
        signed = pool.map(_sign_round, [(r, args.senders) for r in range(rounds)])
    sign_s = time.perf_counter() - t_sign
    per_node: list[list[bytes]] = [[] for _ in range(args.validators)]
    for txs in signed:
        for sender, raw in enumerate(txs):
            per_node[sender % args.validators].append(raw)
    total = sum(len(t) for t in per_node)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        snapshot = Path(tmp) / "snapshot.csv"
        write_snapshot(snapshot, [_key(i) for i in range(args.senders)])
        directory = Path(tmp) / "net"
        create_localnet(
            directory, args.validators, full_nodes=1, block_time_ms=args.block_time_ms, snapshot=snapshot
        )
        if args.max_block_txs:
            cap_block_txs(directory, args.max_block_txs)
        if args.profile:
            os.environ.update(profile_env(args.profile))
        net = Localnet(directory)
        try:
            net.start(net.validators)
            net.wait_height(2, net.validators, timeout=120)
            # One watcher per validator: a tx's commit is when the node it was sent to has committed it,
            # as its wallet would see it (a busy node can trail the others by seconds).
            watchers = [BlockWatcher(v, v.height()) for v in net.validators]
            for w in watchers:
                w.start()
            watcher = watchers[0]
            load_before = os.getloadavg()[0]
            cpu_before, own_before, wall_before = node_cpu(net), time.process_time(), time.perf_counter()
            submitted, rejected, offer_s = offer(net, per_node, args.rate, args.batch)
            deadline = time.perf_counter() + args.drain_s
            pending = [(w.committed_at, sent) for w, sent in zip(watchers, submitted, strict=True)]
            while (
                any(h not in w.in_block for w, sent in zip(watchers, submitted, strict=True) for h in sent)
                and time.perf_counter() < deadline
            ):
                time.sleep(0.2)
            cpu_after, own_after, wall_after = node_cpu(net), time.process_time(), time.perf_counter()
            for w in watchers:
                w.stop.set()
                w.join()
            node_cpu_s = sum(cpu_after[n][0] - cpu_before[n][0] for n in cpu_after)
            trio_busy = [(cpu_after[n][1] - cpu_before[n][1]) / (wall_after - wall_before) for n in cpu_after]
            commits = [(seen[h], t) for seen, sent in pending for h, t in sent.items() if h in seen]
            latencies = [c - t for c, t in commits]
            ours = [b for b in watcher.blocks if b[2]]
            first_submit = min(t for sent in submitted for t in sent.values())
            last_commit = max(c for c, _ in commits)
            result: dict[str, float | int | str] = {
                "validators": args.validators,
                "block_time_ms": args.block_time_ms,
                "block_txs_cap": args.max_block_txs or "genesis",
                "senders": args.senders,
                "offered_tps": args.rate,
                "offered_txs": total,
                "sign_s": sign_s,
                "offer_s": offer_s,
                "achieved_offer_tps": total / offer_s,  # below offered_tps when the nodes answer slowly
                "accepted_txs": sum(len(sent) for sent in submitted),
                "rejected_txs": rejected,
                "committed_txs": len(latencies),
                "failed_in_block": watcher.failed,
                "committed_tps": len(latencies) / (last_commit - first_submit),
                "blocks_with_txs": len(ours),
                "largest_block_txs": max(b[2] for b in ours),
                "mean_block_interval_s": statistics.mean(
                    (b[3] - a[3]) / 1e9 for a, b in zip(watcher.blocks, watcher.blocks[1:], strict=False)
                ),
                "latency_p50_s": percentile(latencies, 0.50),
                "latency_p99_s": percentile(latencies, 0.99),
                "latency_max_s": max(latencies),
                "loadavg_1m_at_start": load_before,
                "nodes_cpu_s": node_cpu_s,
                "nodes_cpu_us_per_tx": node_cpu_s / max(1, len(latencies)) * 1e6,
                "trio_thread_busy_max": max(trio_busy),  # 1.0 = a node's consensus thread never idle
                "trio_thread_busy_mean": statistics.mean(trio_busy),
                "client_cpu_s": own_after - own_before,
                "box_cpu_busy_by_nodes": node_cpu_s / (wall_after - wall_before) / (os.cpu_count() or 1),
                "watcher_rpc_errors": sum(w.errors for w in watchers),
                "watcher_last_error": next((w.last_error[:60] for w in watchers if w.last_error), "-"),
            }
            if not args.no_sync:
                result.update(measure_sync(net, watcher))
        finally:
            net.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--senders", type=int, default=4000, help="funded accounts signing transfers")
    parser.add_argument("--rate", type=int, default=3000, help="offered tx/s over all validators")
    parser.add_argument("--duration", type=int, default=25, help="seconds of offered load")
    parser.add_argument("--batch", type=int, default=250, help="txs per BroadcastTxs call (<= 1000)")
    parser.add_argument("--block-time-ms", type=int, default=1000)
    parser.add_argument("--drain-s", type=float, default=60, help="wait for the backlog")
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the localnet (homes, logs) in this new folder"
    )
    parser.add_argument("--max-block-txs", type=int, default=0, help="override the genesis parameter")
    parser.add_argument("--no-sync", action="store_true", help="skip the block-sync measurement")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="cProfile every node thread (profile_hook/sitecustomize.py); <pid>.prof files land here",
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/localnet_tps.json"))
    args = parser.parse_args()
    if not 1 <= args.batch <= 1000:
        parser.error("--batch must be 1..1000 (the node's BroadcastTxs limit)")
    emit(run(args), args.out, headline="committed_tps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
