"""Benchmark one encrypted p2p connection on loopback: bulk MB/s, small messages/s, handshakes/s and the
round trip of a consensus message sent behind a mempool flood (channel priority).

The receiving switch runs in a second process (``--same-process`` puts both in one trio loop, sharing a
core). It counts mempool messages, answers an empty mempool message (queued behind the flood, so it
arrives last) with the count, and echoes consensus messages. Wall clock; the host may be shared and noisy.

    .venv/bin/python scripts/bench/p2p_throughput.py [--bulk-mb 64] [--small 50000] [--same-process]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import trio
from report import emit  # scripts/bench is on sys.path when run as a script

from okchain.p2p.config import P2PConfig
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.switch import ChannelId, ChannelSpec, Switch

NETWORK = "okchain-bench-1"
SPECS = [
    ChannelSpec(ChannelId.CONSENSUS, priority=10, max_message_bytes=1 << 20),
    ChannelSpec(ChannelId.MEMPOOL, priority=5, max_message_bytes=1 << 20, send_queue=4096),
]


class Echo:
    """The receiver: counts mempool messages, reports the count on an empty one, echoes consensus."""

    def __init__(self) -> None:
        self.switch: Switch | None = None
        self.count = 0

    def channels(self) -> Sequence[ChannelSpec]:
        return SPECS

    def peer_added(self, peer: str) -> None:
        pass

    def peer_removed(self, peer: str) -> None:
        pass

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        assert self.switch is not None
        if channel == ChannelId.CONSENSUS:
            self.switch.try_send(peer, channel, message)
        elif message:
            self.count += 1
        else:
            self.switch.try_send(peer, channel, self.count.to_bytes(8, "big"))
            self.count = 0


class Replies:
    """The sender's side: answers from the receiver."""

    def __init__(self) -> None:
        self.send_channel, self.receive_channel = trio.open_memory_channel[tuple[ChannelId, bytes]](100)

    def channels(self) -> Sequence[ChannelSpec]:
        return SPECS

    def peer_added(self, peer: str) -> None:
        pass

    def peer_removed(self, peer: str) -> None:
        pass

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        self.send_channel.send_nowait((channel, message))


def config(listen: str = "127.0.0.1:0") -> P2PConfig:
    return P2PConfig(
        listen=listen,
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


async def serve(key: NodeKey, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    switch = Switch(key, config(), network=NETWORK)
    echo = Echo()
    echo.switch = switch
    switch.add_reactor(echo)
    await switch.run(task_status=task_status)


async def barrier(a: Switch, peer: str, replies: Replies) -> int:
    """Mempool messages the receiver got since the last barrier (an empty message queued behind them)."""
    while not a.try_send(peer, ChannelId.MEMPOOL, b""):
        await trio.sleep(0.0005)
    channel, answer = await replies.receive_channel.receive()
    assert channel == ChannelId.MEMPOOL
    return int.from_bytes(answer, "big")


async def flood(a: Switch, peer: str, replies: Replies, message: bytes, n: int) -> float:
    """Seconds until the receiver confirms ``n`` copies of ``message`` (queue kept full)."""
    started = time.perf_counter()
    sent = 0
    while sent < n:
        if a.try_send(peer, ChannelId.MEMPOOL, message):
            sent += 1
        else:
            await trio.sleep(0.0005)
    got = await barrier(a, peer, replies)
    if got != n:
        raise SystemExit(f"receiver counted {got} of {n} messages")
    return time.perf_counter() - started


async def bench(args: argparse.Namespace) -> dict[str, float | int | str]:
    result: dict[str, float | int | str] = {"processes": 1 if args.same_process else 2}
    b_key = NodeKey.generate()
    child: subprocess.Popen[str] | None = None
    async with trio.open_nursery() as nursery:
        if args.same_process:
            port = await nursery.start(serve, b_key)
        else:
            child = subprocess.Popen(
                [sys.executable, __file__, "--serve", b_key.seed.hex()], stdout=subprocess.PIPE, text=True
            )
            assert child.stdout is not None
            port = int(await trio.to_thread.run_sync(child.stdout.readline))
        a = Switch(NodeKey.generate(), config(), network=NETWORK)
        replies = Replies()
        a.add_reactor(replies)
        await nursery.start(a.run)
        target = PeerAddress(b_key.node_id, "127.0.0.1", port)
        await a.dial(target)
        try:
            size = 256 * 1024
            n = args.bulk_mb * (1 << 20) // size
            seconds = await flood(a, b_key.node_id, replies, bytes(size), n)
            result["bulk_message_bytes"] = size
            result["bulk_mb_per_s"] = n * size / seconds / 1e6
            for tx_size in (250, 1000):
                seconds = await flood(a, b_key.node_id, replies, bytes(tx_size), args.small)
                result[f"msgs_{tx_size}b_per_s"] = args.small / seconds

            quiet, loaded = [], []
            for i in range(2 * args.votes):
                backlog = i % 2 == 1
                if backlog:
                    for _ in range(200):  # 200 × 64 KiB of mempool backlog queued before the vote
                        a.try_send(b_key.node_id, ChannelId.MEMPOOL, bytes(64 * 1024))
                    await trio.sleep(0.002)
                sent_at = time.perf_counter()
                a.try_send(b_key.node_id, ChannelId.CONSENSUS, b"vote" * 30)
                while (await replies.receive_channel.receive())[0] != ChannelId.CONSENSUS:
                    pass
                (loaded if backlog else quiet).append(time.perf_counter() - sent_at)
                if backlog:
                    await barrier(a, b_key.node_id, replies)  # let the backlog drain
            result["vote_rtt_p50_ms"] = statistics.median(quiet) * 1000
            result["vote_rtt_behind_13mb_p50_ms"] = statistics.median(loaded) * 1000
            result["vote_rtt_behind_13mb_max_ms"] = max(loaded) * 1000

            a.stop_peer(b_key.node_id, "bench")
            while a.peers():
                await trio.sleep(0.001)
            started = time.perf_counter()
            for _ in range(args.handshakes):
                while True:
                    try:
                        await a.dial(target)
                        break
                    except Exception:  # the receiver may not have dropped the last connection yet
                        await trio.sleep(0.001)
                a.stop_peer(b_key.node_id, "bench")
                while a.peers():
                    await trio.sleep(0.0005)
            result["connects_per_s"] = args.handshakes / (time.perf_counter() - started)
        finally:
            nursery.cancel_scope.cancel()
            if child is not None:
                child.terminate()
                child.wait()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bulk-mb", type=int, default=64)
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=20)
    parser.add_argument("--handshakes", type=int, default=50)
    parser.add_argument("--same-process", action="store_true")
    parser.add_argument("--serve", metavar="SEED_HEX", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path("bench-results/p2p_throughput.json"))
    args = parser.parse_args()
    if args.serve:
        trio.run(_serve_child, NodeKey(bytes.fromhex(args.serve)))
        return
    emit(trio.run(bench, args), args.out)


async def _serve_child(key: NodeKey) -> None:
    async with trio.open_nursery() as nursery:
        port = await nursery.start(serve, key)
        os.write(1, f"{port}\n".encode())


if __name__ == "__main__":
    main()
