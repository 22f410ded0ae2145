"""Block sync, the node side: the reactor on the BLOCKSYNC channel.

At all times it serves peers' status and block requests from committed data, and polls peers' status so the
node knows how far behind it is (``behind_by``). ``sync()`` catches up: a ``BlockPool``
(``okchain.p2p.blocksync``, pure) decides what to ask whom and which blocks are proven decided; this shell
sends the requests, feeds responses in, bans the liars the pool names and applies each proven block through
the node's one ``apply_block(block, commit)``.

Two kinds of work run beside the apply loop, on other threads or cores, where they pay:
* commit checks (ed25519, which releases the GIL) of blocks already received are batched onto threads, so
  by the time a block's turn comes its commit is usually verified;
* the txs of the next received blocks go to ``prewarm`` (the node passes ``Application.precheck_many`` over
  its signature process pool), so their secp256k1 signers are recovered on another core while the current
  block executes, and ``finalize_block`` finds them in the signature cache.
"""

import inspect
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import trio
from google.protobuf.message import DecodeError

from okchain._pb.blocksync.v1 import blocksync_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.crypto import ed25519
from okchain.errors import OKChainError
from okchain.p2p.blocksync import BlockPool, BlockSyncError, CommitCheck, PoolConfig, Verified
from okchain.p2p.channels import ChannelId, ChannelSpec, PeerSender
from okchain.p2p.errors import PeerMisbehaved
from okchain.state import schema, versions
from okchain.state.snapshot import Progress
from okchain.state.store import KVReader
from okchain.types.block import Block, BlockDecodeError, Commit, block_message_limit
from okchain.types.commit_check import Verifier
from okchain.types.params import ChainParams
from okchain.types.refusal import Refusal

log = logging.getLogger("okchain.blocksync")

_MAX_DISCREDITED = 1024  # peers remembered as discredited (until they serve a block)
PROGRESS_S = 0.25  # least time between two progress reports of a sync
_STATUS_REQUEST = blocksync_pb2.Message(status_request=blocksync_pb2.StatusRequest()).SerializeToString()


@dataclass(frozen=True, slots=True)
class BlockSyncConfig:
    pool: PoolConfig = field(default_factory=PoolConfig)
    status_interval_s: float = 1.0  # how often run() asks every peer for its range
    retry_s: float = 0.05  # sync() re-checks time-outs this often when no response arrives
    verify_threads: int = 2  # threads for batched commit checks (0: each check inline in the apply loop)
    prewarm_blocks: int = 4  # most blocks in one ``prewarm`` call ...
    prewarm_txs: int = 500  # ... and most txs (a call takes at least one block)
    doubt_s: float = 60.0  # a peer discredited by the pool does not count as ahead this long, doubling
    # each time it is discredited again without serving a block in between (up to 64 x)
    serve_per_peer: int = 64  # one peer's block requests waiting to be served (and responses queued to it);
    # beyond it the peer gets a no-block answer, so a flooding peer cannot starve the others' syncs
    priority: int = 3  # channel priority: below consensus traffic


def response_limit(params: ChainParams, validators: int) -> int:
    """Largest valid block sync message: a full block with the commit that decided it."""
    return block_message_limit(params.max_block_bytes, validators)


def decode_commit(raw: bytes) -> Commit:
    try:
        return Commit.from_proto(types_pb2.Commit.FromString(raw))
    except DecodeError as exc:
        raise BlockDecodeError(f"not a Commit protobuf: {exc}") from exc


def _status_response(base: int, height: int) -> bytes:
    status = blocksync_pb2.StatusResponse(base=base, height=height)
    return blocksync_pb2.Message(status_response=status).SerializeToString()


def _block_request(height: int) -> bytes:
    return blocksync_pb2.Message(block_request=blocksync_pb2.BlockRequest(height=height)).SerializeToString()


def _block_response(block: bytes, commit: bytes) -> bytes:
    response = blocksync_pb2.BlockResponse(block=block, commit=commit)
    return blocksync_pb2.Message(block_response=response).SerializeToString()


def _no_block(height: int) -> bytes:
    answer = blocksync_pb2.NoBlockResponse(height=height)
    return blocksync_pb2.Message(no_block_response=answer).SerializeToString()


class BlockSyncReactor:
    """Implements the switch's ``Reactor`` protocol on ``ChannelId.BLOCKSYNC``.

    ``db`` holds committed blocks and commits; ``validators(h)`` is the set that signs height ``h`` as
    (ed25519 public key, power) pairs, or ``None`` while the applied blocks have not decided it yet;
    ``apply_block`` is the node's one way to commit a decided block (sync or async). ``prewarm``, if given,
    receives batches of raw txs on a worker thread (the node passes
    ``lambda raws: app.precheck_many(raws, sigpool.recover)``). ``verify`` runs on worker threads, so it
    must be thread-safe; passing the node's ``VerifyCache.verify`` (also given to the application) lets
    the application's own last-commit check answer from what block sync already verified. ``progress``,
    if given, hears ``("sync", applied, target)`` counted from where a sync started, at its start, at most
    every ``PROGRESS_S`` while blocks are applied and at its end (the target grows as peers do).
    """

    def __init__(
        self,
        *,
        chain_id: str,
        db: KVReader,
        validators: Callable[[int], Sequence[tuple[bytes, int]] | None],
        max_validators: int,
        last_height: Callable[[], int],
        apply_block: Callable[[Block, Commit], Awaitable[None] | None],
        switch: PeerSender,
        params: ChainParams | None = None,  # the chain's size limits (default ones if None)
        config: BlockSyncConfig = BlockSyncConfig(),
        prewarm: Callable[[list[bytes]], object] | None = None,
        verify: Verifier = ed25519.verify,
        progress: Progress | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.validators = validators
        self.config = config
        self._db = db
        self._last_height = last_height
        self._apply_block = apply_block
        self._switch = switch
        self._prewarm = prewarm
        self._verify = verify
        self._progress = progress
        self._reported_at = -math.inf  # when a sync last reported its progress
        self._limit = response_limit(params or ChainParams(), max_validators)
        self._status: dict[str, tuple[int, int]] = {}  # peer -> (base, height) from its last status
        # (peer, height) -> block requests not answered yet: a peer that timed out once may be asked for the
        # same height again, and then answers both
        self._sent: dict[tuple[str, int], int] = {}
        self._doubted: dict[str, float] = {}  # peer -> until when its claimed height does not count
        self._discredits: dict[str, int] = {}  # peer -> times discredited since it last served a block
        self._pool: BlockPool | None = None
        self._warming: dict[int, trio.Event] = {}  # height -> set when its pre-warm batch is done
        self._changed = trio.Event()  # set (and replaced) whenever a response or an applied block lands
        self._serving: dict[str, int] = {}  # peer -> its block requests waiting in the serve queue
        # bounded by peers × serve_per_peer (the per-peer cap in receive), not by a shared count a flood fills
        self._serve_tx, self._serve_rx = trio.open_memory_channel[tuple[str, int]](math.inf)

    # --- Reactor protocol (trio thread, never blocks) ---
    def channels(self) -> Sequence[ChannelSpec]:
        # a peer's queue holds at most the responses to its waiting requests plus a few small messages, not
        # the default 1,024 messages of up to a full block each
        queue = self.config.serve_per_peer + 2 * self.config.pool.per_peer + 8
        return [ChannelSpec(ChannelId.BLOCKSYNC, self.config.priority, self._limit, send_queue=queue)]

    def peer_added(self, peer: str) -> None:
        self._send(peer, self._status_message())
        self._send(peer, _STATUS_REQUEST)

    def peer_removed(self, peer: str) -> None:
        self._status.pop(peer, None)
        self._sent = {key: n for key, n in self._sent.items() if key[0] != peer}
        if self._pool is not None:
            self._pool.remove_peer(peer)
        self._notify()

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        try:
            msg = blocksync_pb2.Message.FromString(message)
        except DecodeError as exc:
            raise PeerMisbehaved(f"undecodable block sync message: {exc}") from exc
        kind = msg.WhichOneof("sum")
        if kind == "status_request":
            self._send(peer, self._status_message())
        elif kind == "status_response":
            self._on_status(peer, msg.status_response.base, msg.status_response.height)
        elif kind == "block_request":
            waiting = self._serving.get(peer, 0)
            if waiting >= self.config.serve_per_peer:
                self._send(peer, _no_block(msg.block_request.height))
            else:
                self._serving[peer] = waiting + 1
                self._serve_tx.send_nowait((peer, msg.block_request.height))
        elif kind == "block_response":
            self._on_block(peer, msg.block_response)
        elif kind == "no_block_response":
            self._on_no_block(peer, msg.no_block_response.height)
        else:
            raise PeerMisbehaved("empty block sync message")

    # --- public API ---
    async def run(self) -> None:
        """Serve block requests and poll every peer's status, until cancelled."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._serve)
            while True:
                self._switch.broadcast(ChannelId.BLOCKSYNC, _STATUS_REQUEST)
                await trio.sleep(self.config.status_interval_s)

    async def sync(self) -> int:
        """Fetch, verify and apply blocks until caught up with the best peer; the height reached."""
        if self._pool is not None:
            raise BlockSyncError("block sync is already running")
        start = self._last_height()
        pool = BlockPool(
            chain_id=self.chain_id,
            validators=self.validators,
            height=start,
            now_ns=self._now(),
            config=self.config.pool,
            verify=self._verify,
        )
        for peer, (base, height) in sorted(self._status.items()):
            pool.set_peer(peer, base, height)
        doubted = self._in_doubt()
        for peer in sorted(self._discredits):  # discredited before: no second chance in this run either
            pool.doubt(peer, strikes=2 if peer in doubted else 1)
        self._pool = pool
        self._switch.broadcast(ChannelId.BLOCKSYNC, _STATUS_REQUEST)
        began = trio.current_time()
        self._report(start, force=True)
        try:
            async with trio.open_nursery() as nursery:
                if self.config.verify_threads > 0:
                    nursery.start_soon(self._verify_ahead, pool)
                if self._prewarm is not None:
                    nursery.start_soon(self._prewarm_ahead, pool, self._prewarm)
                await self._fetch_and_apply(pool, start)
                nursery.cancel_scope.cancel()
            self._report(start, force=True)
        finally:
            self._pool = None
        took = trio.current_time() - began
        log.info("block sync: %d -> %d in %.2f s (%d peers)", start, pool.height, took, len(self._status))
        return pool.height

    def peer_ranges(self) -> dict[str, tuple[int, int]]:
        """Each connected peer's stored range (base, height) from its last status, for status reports."""
        return dict(self._status)

    def behind_by(self) -> int:
        """Best peer height minus ours (0 with no peers). A peer that recently failed to serve a height it
        claimed does not count (unless all do), so a liar cannot keep the node in block sync."""
        doubted = self._in_doubt()
        heights = [h for peer, (_, h) in self._status.items() if peer not in doubted]
        best = max(heights or [h for _, h in self._status.values()], default=0)
        return max(0, best - self._last_height())

    def _discredit(self, peer: str) -> None:
        """``peer`` failed twice in a row to serve a height it claimed: its claim stops counting for
        ``doubt_s``, doubled per repeat, so a peer claiming heights it never serves cannot pull a running node
        out of consensus into block sync every ``doubt_s``."""
        count = self._discredits.pop(peer, 0) + 1
        self._discredits[peer] = count
        while len(self._discredits) > _MAX_DISCREDITED:  # node ids are free: forget the oldest
            del self._discredits[next(iter(self._discredits))]
        self._doubted[peer] = trio.current_time() + self.config.doubt_s * 2 ** min(count - 1, 6)

    def _in_doubt(self) -> set[str]:
        now = trio.current_time()
        self._doubted = {peer: until for peer, until in self._doubted.items() if until > now}
        return set(self._doubted)

    # --- sync internals ---
    async def _fetch_and_apply(self, pool: BlockPool, start: int) -> None:
        while True:
            changed = self._changed
            while (verified := pool.pop()) is not None:
                self._request(pool)  # keep peers busy while this block executes
                await self._apply(verified)
                self._report(start)
            self._request(pool)
            if pool.caught_up(self._now()):
                return
            with trio.move_on_after(self.config.retry_s):
                await changed.wait()

    async def _apply(self, verified: Verified) -> None:
        warming = self._warming.get(verified.block.header.height)
        if warming is not None:
            await warming.wait()
        try:
            result = self._apply_block(verified.block, verified.commit)
            if inspect.isawaitable(result):
                await result
        except OKChainError as exc:
            h = verified.block.header.height
            raise BlockSyncError(
                f"block {h}, decided by +2/3 of the validators, could not be applied: {exc}"
            ) from exc
        self._notify()
        await trio.sleep(0)  # let responses that arrived meanwhile in

    def _report(self, start: int, *, force: bool = False) -> None:
        """Tell ``progress`` how far this sync got: at most every ``PROGRESS_S``, since a bar redrawn per
        block would cost more than the block on a fast sync; ``force`` at a sync's start and end."""
        if self._progress is None:
            return
        now, height = trio.current_time(), self._last_height()
        if not force and now - self._reported_at < PROGRESS_S:
            return
        self._reported_at = now
        self._progress("sync", height - start, height + self.behind_by() - start)

    def _request(self, pool: BlockPool) -> None:
        """Send what the pool schedules; disconnect the peers it blames."""
        for peer, height in pool.schedule(self._now()):
            if self._send(peer, _block_request(height)):
                self._sent[peer, height] = self._sent.get((peer, height), 0) + 1
            else:
                pool.cancel(peer, height)
        for fault in pool.faults():
            if not fault.ban:
                self._discredit(fault.peer)
            log.warning(
                "block sync: %s peer %s: %s", "banning" if fault.ban else "dropping", fault.peer, fault.reason
            )
            self._switch.stop_peer(fault.peer, fault.reason, ban=fault.ban)

    async def _verify_ahead(self, pool: BlockPool) -> None:
        """Check the commits of received blocks on threads, ahead of the apply loop."""
        limiter = trio.CapacityLimiter(self.config.verify_threads)
        while True:
            changed = self._changed
            checks = pool.pending_checks(skip=1)
            if not checks:
                await changed.wait()
                continue
            size = -(-len(checks) // self.config.verify_threads)
            results: dict[CommitCheck, Refusal | None] = {}
            async with trio.open_nursery() as nursery:
                for i in range(0, len(checks), size):
                    nursery.start_soon(self._check_on_thread, pool, checks[i : i + size], limiter, results)
            pool.record_checks(results)

    @staticmethod
    async def _check_on_thread(
        pool: BlockPool,
        checks: list[CommitCheck],
        limiter: trio.CapacityLimiter,
        out: dict[CommitCheck, Refusal | None],
    ) -> None:
        done = await trio.to_thread.run_sync(lambda: [pool.check(c) for c in checks], limiter=limiter)
        out.update(zip(checks, done, strict=True))

    async def _prewarm_ahead(self, pool: BlockPool, prewarm: Callable[[list[bytes]], object]) -> None:
        """Recover the signers of the next blocks' txs elsewhere while the current block executes. A block
        whose pre-warm is under way when its turn comes is waited for (``_apply``), never recovered twice;
        one whose pre-warm has not started is applied cold and skipped here."""
        warmed = pool.height
        while True:
            changed = self._changed
            warmed = max(warmed, pool.height)
            blocks = pool.received_run(warmed + 1, self.config.prewarm_blocks, self.config.prewarm_txs)
            if not blocks:
                await changed.wait()
                continue
            done = trio.Event()
            heights = [b.header.height for b in blocks]
            for h in heights:
                self._warming[h] = done
            try:
                await trio.to_thread.run_sync(prewarm, [tx for b in blocks for tx in b.txs])
            finally:
                for h in heights:
                    del self._warming[h]
                done.set()
            warmed = heights[-1]

    # --- responses ---
    def _on_status(self, peer: str, base: int, height: int) -> None:
        self._status[peer] = (base, height)
        if self._pool is not None:
            self._pool.set_peer(peer, base, height)  # the pool keeps its own doubts across re-adds
            self._notify()

    def _on_block(self, peer: str, response: blocksync_pb2.BlockResponse) -> None:
        try:
            block = Block.decode(response.block)
            commit = decode_commit(response.commit)
        except BlockDecodeError as exc:
            raise PeerMisbehaved(f"undecodable block response: {exc}") from exc
        height = block.header.height
        if not self._answered(peer, height):
            raise PeerMisbehaved(f"sent block {height}, which was not requested from it")
        pool = self._pool
        if pool is None or not pool.expects(peer, height):
            return  # answered after its request timed out, or after sync ended: harmless
        reason = pool.add_block(peer, block, commit, len(response.block) + len(response.commit))
        if reason:
            raise PeerMisbehaved(reason)
        self._doubted.pop(peer, None)
        self._discredits.pop(peer, None)
        self._notify()

    def _on_no_block(self, peer: str, height: int) -> None:
        if not self._answered(peer, height):
            raise PeerMisbehaved(f"no-block answer for height {height}, which was not requested from it")
        if self._pool is not None and self._pool.expects(peer, height):
            self._pool.no_block(peer, height)
            if self._pool.discredited(peer):
                self._discredit(peer)
            self._notify()

    def _answered(self, peer: str, height: int) -> bool:
        """Count one answer to a request for ``height`` sent to ``peer``; False if none is outstanding."""
        n = self._sent.pop((peer, height), 0)
        if n > 1:
            self._sent[peer, height] = n - 1
        return n > 0

    # --- serving ---
    async def _serve(self) -> None:
        async for peer, height in self._serve_rx:
            waiting = self._serving.pop(peer, 0) - 1
            if waiting > 0:
                self._serving[peer] = waiting
            self._send(peer, self._block_message(height))
            await trio.sleep(0)

    def _block_message(self, height: int) -> bytes:
        """The stored block and commit bytes as they are (no decoding), or a no-block answer."""
        if self._base() <= height <= self._last_height():
            block, commit = self._db.get(schema.block(height)), self._db.get(schema.commit(height))
            if block is not None and commit is not None:  # both go in one batch; pruning may just have run
                return _block_response(block, commit)
        return _no_block(height)

    def _status_message(self) -> bytes:
        return _status_response(self._base(), self._last_height())

    def _base(self) -> int:
        """Lowest stored block: the earliest kept height, or the one above it at genesis (no block 0)."""
        earliest = versions.earliest_height(self._db)
        return earliest if self._db.get(schema.block(earliest)) is not None else earliest + 1

    # --- helpers ---
    def _send(self, peer: str, message: bytes) -> bool:
        return self._switch.try_send(peer, ChannelId.BLOCKSYNC, message)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    @staticmethod
    def _now() -> int:
        return round(trio.current_time() * 10**9)
