"""The node: one trio nursery running block production, the gRPC bridge and signal handling.

Everything that touches the application and the mempool runs on the trio thread; gRPC threads reach it
through ``trio.from_thread.run`` and read committed data from LevelDB snapshots.
"""

import logging
import signal
import time
from dataclasses import dataclass

import trio

from okchain.app import Application
from okchain.consensus import solo
from okchain.crypto.ed25519 import validator_address
from okchain.crypto.hashing import sha256
from okchain.errors import OKChainError
from okchain.genesis.document import load_genesis
from okchain.mempool.pool import AddResult, Mempool, MempoolConfig
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.sigpool import SignaturePool, default_workers
from okchain.rpc.server import GrpcServer
from okchain.state import blockstore
from okchain.state.kv import LevelDB
from okchain.state.pruning import Pruner
from okchain.types.results import Code, TxResult
from okchain.types.tx import Recoverer, recover_signers

log = logging.getLogger("okchain.node")

PRUNE_STEP_HEIGHTS = 16  # heights per pruning call: bounds how long a stopping node waits for the worker


class NodeError(OKChainError):
    """The node cannot start or run with this home and config."""


@dataclass(frozen=True, slots=True)
class BroadcastOutcome:
    add: AddResult
    committed: bool = False
    height: int = 0
    result: TxResult | None = None
    timed_out: bool = False


class Node:
    def __init__(self, home: Home, config: NodeConfig) -> None:
        if not home.initialised():
            raise NodeError(f"{home.root} is not an initialised home; run `okchaind init` first")
        self.home = home
        self.config = config
        genesis = load_genesis(home.genesis_file)
        self.key = home.read_validator_key()
        self.db = LevelDB(home.data_dir)
        try:
            self.app = Application(
                self.db,
                genesis,
                min_gas_price=config.min_gas_price,
                tree_cache_size=config.tree_cache_nodes,
                state_cache_size=config.state_cache_entries,
            )
            self.pruner = Pruner(self.db, config.state_retention_heights)
        except BaseException:
            self.db.close()
            raise
        self.validator_address = validator_address(self.key.public_key)
        if [v.address for v in self.app.validators] != [self.validator_address]:
            self.db.close()
            raise NodeError(
                "single-validator mode: this node's validator key must be the only genesis validator"
            )
        self.mempool = Mempool(
            self.app,
            MempoolConfig(
                config.mempool_max_txs,
                config.mempool_max_bytes,
                config.mempool_max_future_per_account,
                config.mempool_max_future_total,
                config.mempool_future_ttl_blocks,
            ),
        )
        self._last_commit = blockstore.commit_at(self.db, self.app.last.height)
        workers = config.signature_workers
        if workers < 0:
            workers = default_workers()
        self.recover: Recoverer = recover_signers
        self._sig_pool: SignaturePool | None = None
        if workers > 0:
            self._sig_pool = SignaturePool(workers)
            self.recover = self._sig_pool.recover
        self._waiters: dict[bytes, trio.Event] = {}
        self._outcomes: dict[bytes, tuple[int, TxResult]] = {}

    # --- called from gRPC threads via trio.from_thread.run ---
    async def broadcast(self, raw: bytes, *, wait: bool, timeout_s: float) -> BroadcastOutcome:
        """Add to the mempool; in commit mode wait for the block. A tx queued behind a missing nonce is not
        waited for (it may never commit), and commit waits are capped because each holds a gRPC thread."""
        if wait and len(self._waiters) >= self.config.max_commit_waiters:
            busy = f"{len(self._waiters)} commit-mode broadcasts are already waiting; use sync mode and GetTx"
            return BroadcastOutcome(AddResult(sha256(raw), TxResult(Code.NODE_BUSY, busy, 0, 0)))
        added = self.mempool.add(raw)
        if not wait or not added.result.ok or added.queued:
            return BroadcastOutcome(added)
        event = self._waiters.setdefault(added.tx_hash, trio.Event())
        with trio.move_on_after(timeout_s):
            await event.wait()
        outcome = self._outcomes.pop(added.tx_hash, None)
        if not event.is_set():
            self._waiters.pop(added.tx_hash, None)
        if outcome is None:
            return BroadcastOutcome(added, timed_out=True)
        return BroadcastOutcome(added, committed=True, height=outcome[0], result=outcome[1])

    def add_many(self, raws: list[bytes]) -> list[AddResult]:
        return [self.mempool.add(raw) for raw in raws]

    # --- block production ---
    def produce_block(self) -> None:
        proposal = self.app.prepare_proposal(
            self.mempool.reap(self.app.params.max_block_txs, self.app.params.max_block_bytes)
        )
        txs = proposal.txs
        tip = solo.ChainTip(self.app.chain_id, self.app.last, self.app.validators_hash, self._last_commit)
        block, commit = solo.decide(tip, txs, time.time_ns(), self.key)
        finalized = self.app.finalize_block(block, commit)
        last = self.app.commit()
        self._last_commit = commit
        self.mempool.update(block.txs, all(r.ok for r in finalized.results) and not proposal.rejected)
        for raw, result in zip(block.txs, finalized.results, strict=True):
            tx_hash = sha256(raw)
            event = self._waiters.pop(tx_hash, None)
            if event is not None:
                self._outcomes[tx_hash] = (last.height, result)
                event.set()
        if txs:
            log.info(
                "committed height=%d txs=%d app_hash=%s mempool=%d",
                last.height,
                len(txs),
                last.app_hash.hex()[:16],
                len(self.mempool),
            )

    async def _produce_forever(self) -> None:
        interval = self.config.block_time_ms / 1000
        deadline = trio.current_time()
        while True:
            deadline = max(deadline + interval, trio.current_time())
            await trio.sleep_until(deadline)
            self.produce_block()
            await trio.lowlevel.checkpoint()

    async def _prune_forever(self) -> None:
        """Prune below the retention window on a worker thread, off the consensus path. Each call is a few
        heights, each its own write batch; a stopping node waits for the current call (not cancellable, so
        the database is never closed under it)."""
        interval = self.config.block_time_ms / 1000
        while True:
            earliest = await trio.to_thread.run_sync(self.pruner.run, PRUNE_STEP_HEIGHTS)
            if earliest >= self.pruner.target():
                await trio.sleep(interval)
            else:
                await trio.lowlevel.checkpoint()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        server: GrpcServer | None = None
        try:
            server = GrpcServer(self, trio.lowlevel.current_trio_token())
            port = server.start()
            host = self.config.grpc_listen.rsplit(":", 1)[0]
            print(
                f"okchain node {self.config.moniker}: chain {self.app.chain_id}, "
                f"height {self.app.last.height}, app hash {self.app.last.app_hash.hex()}",
                flush=True,
            )
            print(f"gRPC listening on {host}:{port} (reflection and grpc.health.v1 enabled)", flush=True)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._produce_forever)
                nursery.start_soon(self._prune_forever)
                nursery.start_soon(self._stop_on_signal, nursery.cancel_scope)
                task_status.started()
        finally:
            if server is not None:
                server.stop(grace=1.0)
            if self._sig_pool is not None:
                self._sig_pool.close()
            self.db.close()
            print("okchain node stopped", flush=True)

    async def _stop_on_signal(self, scope: trio.CancelScope) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                log.info("received %s, shutting down", signal.Signals(signum).name)
                scope.cancel()
                return
