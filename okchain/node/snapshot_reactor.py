"""The SNAPSHOT channel: serve snapshot offers, manifests, chunks and light blocks; pass answers on.

Every node answers light-block requests from its block store; a node with a snapshot store also offers its
snapshots and serves their manifests and chunks. Reads (a chunk is megabytes) run on a worker thread, one
request at a time, and each peer has at most ``SERVE_PER_PEER`` requests waiting: a greedy peer is slowed,
the others are served. A request that cannot be queued is dropped; the asker's time-out retries elsewhere.
Answers to our own requests (a state-syncing node) go to ``on_answer`` after they decode.
"""

import logging
import os
from collections import deque
from collections.abc import Callable, Sequence

import trio
from google.protobuf.message import DecodeError

from okchain._pb.snapshot.v1 import snapshot_pb2
from okchain.node.snapshots import SnapshotStore
from okchain.p2p.channels import ChannelId, ChannelSpec, PeerSender
from okchain.p2p.errors import PeerMisbehaved
from okchain.state import blockstore, schema
from okchain.state.snapshot import CHUNK_BYTES
from okchain.state.store import KVReader
from okchain.types.params import ChainParams

log = logging.getLogger("okchain.snapshots")

SERVE_PER_PEER = 4
MAX_HEIGHT = 2**64 - 1
MAX_OFFERS = 16  # snapshots one offer message may list
REQUESTS = ("offers_request", "manifest_request", "chunk_request", "light_block_request")

# Fault injection for tests: a node started with this set to 1 serves every chunk with one byte flipped
# (a lying peer, for the state-sync test). Never set it on a real node.
CORRUPT_ENV = "OKCHAIN_TEST_CORRUPT_CHUNKS"

Answer = Callable[[str, snapshot_pb2.Message], None]


def message_limit(params: ChainParams) -> int:
    """Largest valid message: a manifest holds two blocks hex-encoded (and sets), a chunk ``CHUNK_BYTES``
    and one entry past it."""
    return max(5 * params.max_block_bytes, 2 * CHUNK_BYTES) + (1 << 20)


def encode(**field: object) -> bytes:
    return snapshot_pb2.Message(**field).SerializeToString()  # type: ignore[arg-type]


def light_block_answer(db: KVReader, height: int) -> snapshot_pb2.LightBlockResponse:
    """Header, commit and the sets of ``height`` and ``height + 1`` as stored; ``missing`` if any is not."""
    if height >= MAX_HEIGHT:  # no height has a successor there (and its key would not encode)
        return snapshot_pb2.LightBlockResponse(height=height, missing=True)
    block = blockstore.block_at(db, height)
    commit = db.get(schema.commit(height))
    sets = db.get(schema.validator_set(height)), db.get(schema.validator_set(height + 1))
    if block is None or commit is None or sets[0] is None or sets[1] is None:
        return snapshot_pb2.LightBlockResponse(height=height, missing=True)
    header = block.header.encode()
    return snapshot_pb2.LightBlockResponse(
        height=height, header=header, commit=commit, validators=sets[0], next_validators=sets[1]
    )


class SnapshotReactor:
    """Implements the switch's ``Reactor`` protocol on ``ChannelId.SNAPSHOT``. ``db`` (None before the
    node has state) serves light blocks, ``store`` (None when the node takes no snapshots) snapshots."""

    def __init__(
        self,
        *,
        switch: PeerSender,
        params: ChainParams,
        db: KVReader | None = None,
        store: SnapshotStore | None = None,
        on_answer: Answer | None = None,
    ) -> None:
        self._switch = switch
        self._db = db
        self._store = store
        self.on_answer = on_answer
        self.limit = message_limit(params)
        self._queue: deque[tuple[str, snapshot_pb2.Message]] = deque()
        self._waiting: dict[str, int] = {}
        self._wake = trio.Event()
        self._corrupt = os.environ.get(CORRUPT_ENV) == "1"

    def channels(self) -> Sequence[ChannelSpec]:
        # two answers queued per peer: a chunk is megabytes, and the asker keeps two requests in flight
        return [ChannelSpec(ChannelId.SNAPSHOT, priority=1, max_message_bytes=self.limit, send_queue=2)]

    def peer_added(self, peer: str) -> None:
        pass

    def peer_removed(self, peer: str) -> None:
        self._waiting.pop(peer, None)

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        try:
            msg = snapshot_pb2.Message.FromString(message)
        except DecodeError as exc:
            raise PeerMisbehaved(f"malformed snapshot message: {exc}") from None
        kind = msg.WhichOneof("sum")
        if kind is None:
            raise PeerMisbehaved("empty snapshot message")
        if kind in REQUESTS:
            if self._waiting.get(peer, 0) < SERVE_PER_PEER:
                self._waiting[peer] = self._waiting.get(peer, 0) + 1
                self._queue.append((peer, msg))
                self._wake.set()
        elif self.on_answer is not None:
            self.on_answer(peer, msg)

    async def run(self) -> None:
        """Serve queued requests, one at a time, reading on a worker thread."""
        while True:
            if not self._queue:
                await self._wake.wait()
                self._wake = trio.Event()
                continue
            peer, msg = self._queue.popleft()
            if peer not in self._waiting:
                continue  # gone since it asked
            self._waiting[peer] -= 1
            answer = await trio.to_thread.run_sync(self.answer, msg)
            if not self._switch.try_send(peer, ChannelId.SNAPSHOT, answer):
                log.debug("snapshot answer to %s dropped: its send queue is full", peer)

    def answer(self, msg: snapshot_pb2.Message) -> bytes:
        """The encoded answer to one request (worker thread)."""
        kind = msg.WhichOneof("sum")
        store, db = self._store, self._db
        if kind == "offers_request":
            offers = [
                snapshot_pb2.Offer(
                    height=m.height,
                    chunks=len(m.chunks),
                    keys=m.keys,
                    chunks_hash=m.chunks_hash,
                    app_hash=m.app_hash,
                )
                for m in (store.manifests() if store is not None else [])[:MAX_OFFERS]
            ]
            return encode(offers_response=snapshot_pb2.OffersResponse(offers=offers))
        if kind == "manifest_request":
            r = msg.manifest_request
            raw = store.manifest_bytes(r.height, r.chunks_hash) if store is not None else None
            answer = snapshot_pb2.ManifestResponse(
                height=r.height, chunks_hash=r.chunks_hash, missing=raw is None
            )
            if raw is not None:
                answer.manifest = raw
            return encode(manifest_response=answer)
        if kind == "chunk_request":
            c = msg.chunk_request
            data = store.chunk(c.height, c.chunks_hash, c.index) if store is not None else None
            chunk = snapshot_pb2.ChunkResponse(
                height=c.height, chunks_hash=c.chunks_hash, index=c.index, missing=data is None
            )
            if data is not None:
                chunk.data = bytes([data[0] ^ 1]) + data[1:] if self._corrupt and data else data
            return encode(chunk_response=chunk)
        height = msg.light_block_request.height
        if db is None:
            return encode(light_block_response=snapshot_pb2.LightBlockResponse(height=height, missing=True))
        return encode(light_block_response=light_block_answer(db, height))
