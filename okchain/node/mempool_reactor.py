"""Transaction gossip on ``ChannelId.MEMPOOL``.

A tx is announced once, when this node's mempool admits it (from gRPC or from a peer), to every peer but
the one it came from; the mempool refuses duplicates, so each peer is sent a tx at most once. Txs are
batched per peer into ``Txs`` messages, flushed every ``FLUSH_S`` or when a batch reaches
``BATCH_BYTES``. Txs from peers take the gRPC path: the stateless pre-check (decoding, chain id, signature
recovery through the node's signature pool) on a worker thread, in batches, then ``Mempool.add`` on the
trio thread; the mempool re-checks what it holds after every commit (``Mempool.update``).
"""

import logging
from collections.abc import Awaitable, Callable, Sequence

import trio

from okchain._pb.consensus.v1 import wire_pb2
from okchain.crypto.hashing import sha256
from okchain.p2p.errors import PeerMisbehaved
from okchain.p2p.switch import ChannelId, ChannelSpec, Switch

log = logging.getLogger("okchain.mempool.reactor")

FLUSH_S = 0.015
BATCH_BYTES = 512 * 1024
MAX_PENDING_TXS = 50_000  # txs from peers waiting for their pre-check; beyond it they are dropped

Admit = Callable[[list[bytes], list[str]], Awaitable[None]]
"""(raw txs, the peer each came from) -> pre-check and add them (``Node.admit_from_peers``)."""


class MempoolReactor:
    def __init__(
        self, *, switch: Switch, admit: Admit, contains: Callable[[bytes], bool], max_tx_bytes: int
    ) -> None:
        self._switch = switch
        self._admit = admit
        self._contains = contains  # is this tx hash in the mempool already, or recently committed?
        self._max_message = BATCH_BYTES + max_tx_bytes + 1024
        self._outbox: dict[str, list[bytes]] = {}
        self._outbox_bytes: dict[str, int] = {}
        self._incoming: list[tuple[str, list[bytes]]] = []
        self._incoming_count = 0
        # hashes of peers' txs queued or being pre-checked: the copies other peers relay meanwhile (each tx
        # comes from its origin and from every relaying peer) are dropped instead of decoded and recovered
        self._in_flight: set[bytes] = set()
        self._incoming_ready = trio.Event()
        self.dropped = 0

    # --- Reactor ---
    def channels(self) -> Sequence[ChannelSpec]:
        return (ChannelSpec(ChannelId.MEMPOOL, priority=3, max_message_bytes=self._max_message),)

    def peer_added(self, peer: str) -> None:
        self._outbox[peer] = []
        self._outbox_bytes[peer] = 0

    def peer_removed(self, peer: str) -> None:
        self._outbox.pop(peer, None)
        self._outbox_bytes.pop(peer, None)

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        batch = wire_pb2.Txs()
        try:
            batch.ParseFromString(message)
        except Exception as exc:  # protobuf raises DecodeError and RuntimeWarning-derived errors
            raise PeerMisbehaved(f"undecodable Txs message: {exc}") from None
        fresh: list[bytes] = []
        hashes: list[bytes] = []
        for raw in batch.txs:
            tx_hash = sha256(raw)
            if tx_hash not in self._in_flight and not self._contains(tx_hash):
                self._in_flight.add(tx_hash)
                fresh.append(raw)
                hashes.append(tx_hash)
        if not fresh:
            return
        if self._incoming_count + len(fresh) > MAX_PENDING_TXS:
            self.dropped += len(fresh)
            self._in_flight.difference_update(hashes)
            return
        self._incoming.append((peer, fresh))
        self._incoming_count += len(fresh)
        self._incoming_ready.set()

    # --- outbound ---
    def announce(self, raws: Sequence[bytes], source: str | None) -> None:
        """Newly admitted txs: queue them for every peer except ``source``."""
        for peer, queue in self._outbox.items():
            if peer == source:
                continue
            queue.extend(raws)
            self._outbox_bytes[peer] += sum(map(len, raws))
            if self._outbox_bytes[peer] >= BATCH_BYTES:
                self._flush(peer)

    def _flush(self, peer: str) -> None:
        queue = self._outbox[peer]
        start = 0
        while start < len(queue):
            size, end = 0, start
            while end < len(queue) and (end == start or size + len(queue[end]) <= BATCH_BYTES):
                size += len(queue[end])
                end += 1
            message = wire_pb2.Txs(txs=queue[start:end]).SerializeToString()
            if not self._switch.try_send(peer, ChannelId.MEMPOOL, message):
                self.dropped += end - start  # its queue is full: it will not get these from us
            start = end
        queue.clear()
        self._outbox_bytes[peer] = 0

    async def _flush_forever(self) -> None:
        while True:
            await trio.sleep(FLUSH_S)
            for peer, queue in list(self._outbox.items()):
                if queue:
                    self._flush(peer)

    async def _admit_forever(self) -> None:
        while True:
            await self._incoming_ready.wait()
            self._incoming_ready = trio.Event()
            incoming, self._incoming, self._incoming_count = self._incoming, [], 0
            raws = [raw for _, batch in incoming for raw in batch]
            try:
                await self._admit(raws, [peer for peer, batch in incoming for _ in batch])
            finally:  # admitted ones are now known to the mempool; refused ones may come again
                self._in_flight.difference_update(map(sha256, raws))

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._flush_forever)
            nursery.start_soon(self._admit_forever)
