"""StreamQuery: committed history replayed from the block store, then the chain followed as it commits.

Each stream runs on one grpcio thread (or a gateway thread) and reads what it sends from committed LevelDB
snapshots, for history and live blocks alike; the node's hub (``okchain.node.hub``) only says which
height committed, or which consensus step the node reached. So a stream has no gaps or duplicates: it
keeps the next height it owes, and each commit event sends every stored block from there up to the
latest. A stream holds its subscription (and its place under the node's cap) from the start, but
buffers events only once history is read (a long replay cannot overflow it), then reads once more what
committed in between.
"""

from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, TypeVar

import grpc

from okchain._pb.stream.v1 import stream_pb2, stream_pb2_grpc
from okchain.consensus.machine import Phase
from okchain.crypto.address import to_checksum
from okchain.crypto.hashing import sha256
from okchain.errors import OKChainError
from okchain.modules.dex import history
from okchain.node.hub import ConsensusStep, Subscription, Topic
from okchain.query import StateQuery
from okchain.rpc.convert import RequestError, address_arg
from okchain.rpc.servicers import ServicerBase, abort_refused
from okchain.state.blockstore import stored_tx
from okchain.tx.addresses import recipients
from okchain.tx.envelope import decode_tx

POLL_S = 0.5  # how often a stream with nothing to send checks that its client is still there
REPLAY_CHUNK = 64  # heights read from one snapshot while replaying (a snapshot is not held for long)
MAX_FILLS = 1_000_000  # fills of one pair in one block: far above what a block can hold
M = TypeVar("M")
Render = Callable[[StateQuery, int], Iterable[M]]
Replay = Generator[M, None, int]  # yields messages, returns the next height owed


def streaming(fn: Callable[..., Iterator[M]]) -> Callable[..., Iterator[M]]:
    """A streaming method whose refusals (bad request, pruned height, node limits, a subscriber too
    slow) end the stream with their gRPC status and message (``servicers.status_of``)."""

    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[M]:
        try:
            yield from fn(self, request, context)
        except (RequestError, OKChainError) as exc:
            abort_refused(context, exc)

    wrapper.__name__ = fn.__name__
    return wrapper


def end_call(context: grpc.ServicerContext, message: str) -> None:
    """End a call with RESOURCE_EXHAUSTED from another thread: its own thread may be blocked sending to a
    client that stopped reading, and would only see the overflow once the client reads again. grpcio's
    public ``cancel()`` sends CANCELLED; its call object sends the status we mean. The gateway's context
    has no such object: its ``cancel()`` ends the event stream."""
    call = getattr(getattr(context, "_rpc_event", None), "call", None)
    if call is None:
        context.cancel()
    else:
        call.cancel(grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], message)


def _block_event(q: StateQuery, height: int) -> Iterator[stream_pb2.BlockEvent]:
    block, results = q.block(height), q.results(height)
    if block is None or results is None:  # the first kept height may hold only state (genesis, snapshot)
        return
    header = block.header
    yield stream_pb2.BlockEvent(
        height=header.height,
        block_hash=block.hash,
        time_ns=header.time_ns,
        proposer_address=header.proposer_address,
        tx_count=len(block.txs),
        app_hash=results.app_hash,
    )


def _tx_events(address: bytes | None) -> Render[stream_pb2.TxEvent]:
    def render(q: StateQuery, height: int) -> Iterator[stream_pb2.TxEvent]:
        block, results = q.block(height), q.results(height)
        if block is None or results is None:
            return
        for index in range(len(block.txs)):
            stored = stored_tx(block, results, index)
            signer = stored.result.signer
            if address not in (None, signer) and address not in recipients(decode_tx(stored.raw).msgs):
                continue
            yield stream_pb2.TxEvent(
                tx_hash=sha256(stored.raw),
                height=height,
                index=index,
                code=int(stored.result.code),
                signer=to_checksum(signer) if signer else "",
            )

    return render


def _deal_events(pair_name: str) -> Render[stream_pb2.DealEvent]:
    def render(q: StateQuery, height: int) -> Iterator[stream_pb2.DealEvent]:
        dex = q.dex()
        pair = dex.pair(pair_name)
        if pair is None:
            return
        for d in dex.deals_at(pair, height, MAX_FILLS):
            yield stream_pb2.DealEvent(
                pair=pair.name,
                height=d.height,
                time_ns=d.time_ns,
                order_id=d.order_id,
                side=d.side,  # type: ignore[arg-type]
                price=d.price,
                quantity=d.quantity,
            )

    return render


def _step_event(height: int, round_: int, phase: int) -> stream_pb2.ConsensusEvent:
    return stream_pb2.ConsensusEvent(height=height, round=round_, step=Phase(phase).name.lower())


def _decided(q: StateQuery, height: int) -> Iterator[stream_pb2.ConsensusEvent]:
    commit = q.commit(height)
    if commit is not None:
        yield _step_event(height, commit.round, Phase.COMMIT)


class StreamQueryService(ServicerBase, stream_pb2_grpc.StreamQueryServicer):
    @streaming
    def SubscribeBlocks(
        self, request: stream_pb2.SubscribeBlocksRequest, context: grpc.ServicerContext
    ) -> Iterator[stream_pb2.BlockEvent]:
        return self._follow(context, request.from_height, _block_event)

    @streaming
    def SubscribeTxs(
        self, request: stream_pb2.SubscribeTxsRequest, context: grpc.ServicerContext
    ) -> Iterator[stream_pb2.TxEvent]:
        address = address_arg(request.address) if request.address else None
        return self._follow(context, request.from_height, _tx_events(address))

    @streaming
    def SubscribeDeals(
        self, request: stream_pb2.SubscribeDealsRequest, context: grpc.ServicerContext
    ) -> Iterator[stream_pb2.DealEvent]:
        q = self.query()
        if q.dex().pair(request.pair) is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"pair {request.pair[:80]!r} is not listed")
        earliest = history.earliest_kept(self.node.app.params, q.latest_height)
        if request.from_height and request.from_height < earliest:
            raise RequestError(
                grpc.StatusCode.OUT_OF_RANGE,
                f"deals of height {request.from_height} are pruned; DEX history is kept from height "
                f"{earliest}",
            )
        return self._follow(context, request.from_height, _deal_events(request.pair))

    @streaming
    def SubscribeConsensus(
        self, request: stream_pb2.SubscribeConsensusRequest, context: grpc.ServicerContext
    ) -> Iterator[stream_pb2.ConsensusEvent]:
        """Committed heights' deciding rounds from ``from_height``, then every step the node takes."""
        with self._subscribe(context, Topic.CONSENSUS) as sub:
            after = yield from self._history(sub, request.from_height, _decided)
            while context.is_active():
                event = sub.get(POLL_S)
                if isinstance(event, ConsensusStep) and event.height >= after:
                    yield _step_event(event.height, event.round, event.phase)

    def _first(self, from_height: int) -> int:
        """The first height a stream owes: ``from_height`` (checked to be kept), or after the latest."""
        q = self.query()
        if not from_height:
            return q.latest_height + 1
        if from_height <= q.latest_height:
            q.kept_height(from_height)  # OUT_OF_RANGE below the earliest height kept
        return from_height

    def _subscribe(self, context: grpc.ServicerContext, topic: Topic) -> Subscription:
        sub = self.node.hub.subscribe(topic)
        sub.on_overflow = lambda message: end_call(context, message)
        return sub

    def _history(self, sub: Subscription, from_height: int, render: Render[M]) -> Replay[M]:
        """Replay from ``from_height``, start buffering live events, replay what committed meanwhile;
        returns the next height owed."""
        after = yield from self._replay(self._first(from_height), render)
        sub.start()
        return (yield from self._replay(after, render))

    def _replay(self, height: int, render: Render[M]) -> Replay[M]:
        """Everything stored from ``height`` to the latest, a snapshot per chunk; returns the next height."""
        while True:
            q = self.query()
            end = min(q.latest_height, height + REPLAY_CHUNK - 1)
            if end < height:
                return height
            for h in range(height, end + 1):
                yield from render(q, h)
            height = end + 1

    def _follow(self, context: grpc.ServicerContext, from_height: int, render: Render[M]) -> Iterator[M]:
        with self._subscribe(context, Topic.COMMITS) as sub:
            after = yield from self._history(sub, from_height, render)
            while context.is_active():
                event = sub.get(POLL_S)
                if isinstance(event, int) and event >= after:
                    after = yield from self._replay(after, render)
