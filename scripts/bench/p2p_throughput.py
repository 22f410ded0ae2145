"""Benchmark one encrypted p2p connection on loopback: bulk MB/s, small messages/s, handshakes/s and the
delivery latency of a consensus message sent behind a mempool flood (channel priority).

Both switches run in this one process and one trio loop, so sender and receiver share a core: the figures
are a floor for two processes. Wall clock; the host may be shared and noisy.

    .venv/bin/python scripts/bench/p2p_throughput.py [--bulk-mb 64] [--small 50000] [--handshakes 50]
"""

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import trio
from report import emit  # scripts/bench is on sys.path when run as a script

from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.switch import ChannelId, ChannelSpec, P2PConfig, Switch

NETWORK = "okchain-bench-1"


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.vote_at: list[float] = []

    def channels(self) -> Sequence[ChannelSpec]:
        return [
            ChannelSpec(ChannelId.CONSENSUS, priority=10, max_message_bytes=1 << 20),
            ChannelSpec(ChannelId.MEMPOOL, priority=5, max_message_bytes=1 << 20, send_queue=4096),
        ]

    def peer_added(self, peer: str) -> None:
        pass

    def peer_removed(self, peer: str) -> None:
        pass

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        if channel == ChannelId.CONSENSUS:
            self.vote_at.append(time.perf_counter())
        self.count += 1
        self.bytes += len(message)


def config() -> P2PConfig:
    return P2PConfig(
        listen="127.0.0.1:0",
        persistent_peers=(),
        seeds=(),
        pex=False,
        max_inbound=1000,
        max_outbound=10,
        send_rate=0,
        recv_rate=0,
        handshake_timeout_s=10.0,
        idle_timeout_s=60.0,
        ban_seconds=60.0,
        address_book=None,
    )


async def flood(a: Switch, peer: str, sink: Sink, message: bytes, n: int) -> float:
    """Seconds to deliver ``n`` copies of ``message`` (queue kept full)."""
    start_count = sink.count
    started = time.perf_counter()
    sent = 0
    while sent < n:
        if a.try_send(peer, ChannelId.MEMPOOL, message):
            sent += 1
        else:
            await trio.sleep(0.0005)
    while sink.count - start_count < n:
        await trio.sleep(0.0005)
    return time.perf_counter() - started


async def bench(args: argparse.Namespace) -> dict[str, float | int | str]:
    result: dict[str, float | int | str] = {}
    async with trio.open_nursery() as nursery:
        b, sink = Switch(NodeKey.generate(), config(), network=NETWORK), Sink()
        b.add_reactor(sink)
        a = Switch(NodeKey.generate(), config(), network=NETWORK)
        a.add_reactor(Sink())
        await nursery.start(b.run)
        await nursery.start(a.run)
        target = PeerAddress(b.node_id, "127.0.0.1", b.listen_port)
        await a.dial(target)

        size = 256 * 1024
        n = args.bulk_mb * (1 << 20) // size
        seconds = await flood(a, b.node_id, sink, bytes(size), n)
        result["bulk_message_bytes"] = size
        result["bulk_mb_per_s"] = n * size / seconds / 1e6

        for tx_size in (250, 1000):
            seconds = await flood(a, b.node_id, sink, bytes(tx_size), args.small)
            result[f"msgs_{tx_size}b_per_s"] = args.small / seconds

        latencies = []
        for _ in range(args.votes):
            for _ in range(200):  # 200 × 64 KiB of mempool backlog
                a.try_send(b.node_id, ChannelId.MEMPOOL, bytes(64 * 1024))
            await trio.sleep(0.002)
            sent_at = time.perf_counter()
            before = len(sink.vote_at)
            a.try_send(b.node_id, ChannelId.CONSENSUS, b"vote" * 30)
            while len(sink.vote_at) == before:
                await trio.sleep(0)
            latencies.append(sink.vote_at[-1] - sent_at)
            while a._peers[b.node_id]._send[ChannelId.MEMPOOL].queued():
                await trio.sleep(0.001)
        result["vote_behind_13mb_p50_ms"] = statistics.median(latencies) * 1000
        result["vote_behind_13mb_max_ms"] = max(latencies) * 1000

        a.stop_peer(b.node_id, "bench")
        while a.peers() or b.peers():
            await trio.sleep(0.001)
        started = time.perf_counter()
        for _ in range(args.handshakes):
            await a.dial(target)
            a.stop_peer(b.node_id, "bench")
            while a.peers() or b.peers():
                await trio.sleep(0.0005)
        result["connects_per_s"] = args.handshakes / (time.perf_counter() - started)
        nursery.cancel_scope.cancel()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bulk-mb", type=int, default=64)
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=20)
    parser.add_argument("--handshakes", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("bench-results/p2p_throughput.json"))
    args = parser.parse_args()
    emit(trio.run(bench, args), args.out)


if __name__ == "__main__":
    main()
