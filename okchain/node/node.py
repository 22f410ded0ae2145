"""The node: one trio nursery running consensus, pruning and signal handling, with its servers around it.

Everything that touches the application and the mempool runs on the trio thread; server threads (gRPC)
reach it through ``NodeAPI`` and ``trio.from_thread.run`` and read committed data from LevelDB snapshots.
Consensus is the pure Tendermint machine driven by ``ConsensusDriver``; every decided block, from consensus
or block sync, is committed through ``Node.apply_block``.
"""

import logging
import signal
import time
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import ExitStack

import trio

from okchain.app import Application
from okchain.consensus.config import ConsensusConfig
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.machine import ConsensusMachine
from okchain.consensus.signer import SafeSigner
from okchain.crypto.ed25519 import validator_address
from okchain.crypto.hashing import sha256
from okchain.errors import OKChainError
from okchain.genesis.document import load_genesis
from okchain.mempool.pool import AddResult, Mempool, MempoolConfig
from okchain.node.api import BroadcastOutcome, CommitObserver, Frontend, FrontendFactory, NodeStatus
from okchain.node.blocksync_reactor import BlockSyncReactor
from okchain.node.config import NodeConfig
from okchain.node.consensus_driver import ConsensusDriver, DriverHooks, Message
from okchain.node.consensus_reactor import ConsensusReactor
from okchain.node.equivocate import Equivocator
from okchain.node.evidence_reactor import EvidenceReactor
from okchain.node.home import Home
from okchain.node.hub import EventHub
from okchain.node.logs import iso_ns
from okchain.node.mempool_reactor import MempoolReactor
from okchain.node.signer_file import FileSignerStore
from okchain.node.sigpool import SignaturePool, default_workers
from okchain.node.snapshot_reactor import SnapshotReactor
from okchain.node.snapshots import SnapshotStore, SnapshotTaker
from okchain.node.verify_cache import VerifyCache
from okchain.node.wal_file import FileWAL
from okchain.p2p.keys import NodeKey
from okchain.p2p.switch import Switch
from okchain.state import blockstore
from okchain.state.leveldb import LevelDB
from okchain.state.pruning import Pruner
from okchain.state.snapshot import Progress
from okchain.tx.envelope import Recoverer, recover_signers
from okchain.types.block import Block, Commit, Header, evidence_hash, last_commit_hash, txs_hash
from okchain.types.results import Code, TxResult

log = logging.getLogger("okchain.node")

PRUNE_STEP_HEIGHTS = 16  # heights per pruning call: bounds how long a stopping node waits for the worker
STARTUP_STATUS_S = (
    2.0  # at start, how long to wait for peers' heights before choosing block sync or consensus
)
BEHIND_CHECK_S = 1.0  # how often a running node compares its height with its peers'
RECENT_TXS = 200_000  # hashes of recently committed txs: copies gossiped late are dropped unchecked
MS = 1_000_000
COST_SAMPLE_TXS = 100  # blocks with fewer txs say little about the cost per tx


def consensus_config(config: NodeConfig) -> ConsensusConfig:
    """The machine's timing from config.toml; the block time is the commit delay between heights."""
    delta = config.timeout_delta_ms * MS
    return ConsensusConfig(
        propose_ns=config.timeout_propose_ms * MS,
        propose_delta_ns=delta,
        prevote_ns=config.timeout_prevote_ms * MS,
        prevote_delta_ns=delta,
        precommit_ns=config.timeout_precommit_ms * MS,
        precommit_delta_ns=delta,
        commit_delay_ns=config.block_time_ms * MS,
    )


def mempool_config(config: NodeConfig) -> MempoolConfig:
    return MempoolConfig(
        config.mempool_max_txs,
        config.mempool_max_bytes,
        config.mempool_max_future_per_account,
        config.mempool_max_future_total,
        config.mempool_future_ttl_blocks,
    )


class NodeError(OKChainError):
    """The node cannot start or run with this home and config."""


class Node:
    def __init__(self, home: Home, config: NodeConfig, *, progress: Progress | None = None) -> None:
        """``progress``, if given, hears how far each block sync got (a bar when stderr is a terminal)."""
        if not home.initialised():
            raise NodeError(f"{home.root} is not an initialised home; run `okchaind init` first")
        self.home = home
        self.config = config
        self._progress = progress
        # Everything opened (database, consensus files, the signature pool's processes) is closed by
        # ``_close``, also when a later step of the assembly fails.
        self._resources = ExitStack()
        try:
            self._assemble()
        except BaseException:
            self._close()
            raise

    def _assemble(self) -> None:
        home, config = self.home, self.config
        genesis = load_genesis(home.genesis_file)
        self.key = home.read_validator_key()
        self.verifier = VerifyCache()
        self.db = LevelDB(home.data_dir)
        self._resources.callback(self.db.close)
        self.app = Application(
            self.db,
            genesis,
            min_gas_price=config.min_gas_price,
            tree_cache_size=config.tree_cache_nodes,
            state_cache_size=config.state_cache_entries,
            verify=self.verifier.verify,
            address_index=config.address_index,
        )
        self.pruner = Pruner(
            self.db, config.state_retention_heights, keep_sets=self.app.params.evidence_max_age_blocks
        )
        self.validator_address = validator_address(self.key.public_key)
        self._wal, self._signer = self._open_consensus_files()
        # streams to users: committed heights and consensus steps, read by server threads
        self.hub = EventHub(config.stream_max_subscribers, config.stream_buffer_events)
        self.driver = self._new_driver()
        self.node_key = NodeKey.load_or_create(home.node_key_file)
        p2p_config = config.p2p_config(
            home.data_dir.parent / "addrbook.json", home.data_dir.parent / "bans.json"
        )
        self.mempool = Mempool(self.app, mempool_config(config))
        workers = config.signature_workers
        if workers < 0:
            workers = default_workers()
        self.recover: Recoverer = recover_signers
        self._sig_pool: SignaturePool | None = None
        if workers > 0:
            self._sig_pool = SignaturePool(workers)
            self._resources.callback(self._sig_pool.close)
            self.recover = self._sig_pool.recover
        self._rejected: list[bytes] = []  # what our last prepare_proposal left out (mempool fast path)
        self._tx_cost_s = 0.0  # seconds to commit one tx, averaged over recent blocks (0: not measured)
        self._recent: OrderedDict[bytes, None] = OrderedDict()  # committed tx hashes, oldest first
        # a node with peers to ask may be behind them until it has asked (block sync or consensus decides)
        self.catching_up = bool(config.persistent_peers or config.seeds)
        max_validators = max(self.app.params.staking_max_validators, len(genesis.header.validators))
        self.switch = Switch(self.node_key, p2p_config, network=self.app.chain_id, moniker=config.moniker)
        self.consensus_reactor = ConsensusReactor(
            switch=self.switch,
            driver=self.driver,
            verifier=self.verifier,
            validator_keys=lambda: self.app.validator_keys,
            max_validators=max_validators,
            db=self.db,
            committed_height=lambda: self.app.last.height,
            own_address=self.validator_address,
            max_block_bytes=self.app.params.max_block_bytes,
            prewarm=self._prewarm,
            has_signer=lambda tx_hash: self.app.sig_cache.get(tx_hash) is not None,
        )
        self.mempool_reactor = MempoolReactor(
            switch=self.switch,
            admit=self.admit_from_peers,
            contains=self.knows_tx,
            max_tx_bytes=self.app.params.max_tx_bytes,
        )
        self.evidence_reactor = EvidenceReactor(
            switch=self.switch,
            chain_id=self.app.chain_id,
            validators=self.app.known_validator_set,  # evidence of heights not kept is not checked
            height=lambda: self.driver.machine.height,
        )
        self.blocksync = BlockSyncReactor(
            chain_id=self.app.chain_id,
            db=self.db,
            validators=self.app.validator_powers,
            max_validators=max_validators,
            last_height=lambda: self.app.last.height,
            apply_block=self.apply_block,
            switch=self.switch,
            params=self.app.params,
            prewarm=self._prewarm,
            verify=self.verifier.verify,
            progress=self._progress,
        )
        self.snapshots, self.snapshot_reactor = self._snapshot_service()
        reactors = (
            self.consensus_reactor,
            self.mempool_reactor,
            self.evidence_reactor,
            self.blocksync,
            self.snapshot_reactor,
        )
        for reactor in reactors:
            self.switch.add_reactor(reactor)
        self._waiters: dict[bytes, trio.Event] = {}
        self._outcomes: dict[bytes, tuple[int, TxResult]] = {}
        self.commit_observers: list[CommitObserver] = [self.hub.committed]  # and metrics
        if self.snapshots is not None:
            self.commit_observers.append(self.snapshots.observe)

    def _snapshot_service(self) -> tuple[SnapshotTaker | None, SnapshotReactor]:
        """The snapshot taker (when ``snapshot_interval`` is set) and the reactor serving its snapshots and
        every node's light blocks to state-syncing peers."""
        config, taker = self.config, None
        if config.snapshot_interval:
            root = self.home.data_dir.parent / "snapshots"
            store = SnapshotStore(root, config.snapshot_keep_recent, config.snapshot_chunk_keys)
            taker = SnapshotTaker(
                store, self.db.snapshot, config.snapshot_interval, catching_up=lambda: self.catching_up
            )
        reactor = SnapshotReactor(
            switch=self.switch, params=self.app.params, db=self.db, store=taker.store if taker else None
        )
        return taker, reactor

    # --- called from gRPC threads via trio.from_thread.run ---
    async def broadcast(self, raw: bytes, *, wait: bool, timeout_s: float) -> BroadcastOutcome:
        """Add to the mempool; in commit mode wait for the block. A tx queued behind a missing nonce is not
        waited for (it may never commit), and commit waits are capped because each holds a gRPC thread."""
        if wait and len(self._waiters) >= self.config.max_commit_waiters:
            busy = f"{len(self._waiters)} commit-mode broadcasts are already waiting; use sync mode and GetTx"
            return BroadcastOutcome(AddResult(sha256(raw), TxResult(Code.NODE_BUSY, busy, 0, 0)))
        added = self.mempool.add(raw)
        if added.result.ok:
            self.mempool_reactor.announce((raw,), None)
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
        """Pre-checked txs from gRPC: into the mempool, and the admitted ones on to every peer."""
        added = [self.mempool.add(raw) for raw in raws]
        self.mempool_reactor.announce([raw for raw, a in zip(raws, added, strict=True) if a.result.ok], None)
        return added

    async def admit_from_peers(self, raws: list[bytes], sources: list[str]) -> None:
        """Txs gossiped by peers take the gRPC path: the stateless pre-check (signature recovery on the
        signature pool) off the trio thread, then the mempool; admitted ones go on to the other peers."""
        checked = await trio.to_thread.run_sync(self.app.precheck_many, raws, self.recover)
        by_source: dict[str, list[bytes]] = {}
        for raw, source, delivered in zip(raws, sources, checked, strict=True):
            # a block may have committed it while it was pre-checked (and dropped its cached signer)
            fresh = delivered.result.ok and delivered.tx is not None and not self.knows_tx(delivered.tx.hash)
            if fresh and self.mempool.add(raw).result.ok:
                by_source.setdefault(source, []).append(raw)
        for source, admitted in by_source.items():
            self.mempool_reactor.announce(admitted, source)

    def _prewarm(self, raws: list[bytes]) -> None:
        """Recover and cache the signers of a received block's txs (worker thread; signature pool)."""
        self.app.precheck_many(raws, self.recover)

    def knows_tx(self, tx_hash: bytes) -> bool:
        """In the mempool or recently committed: a peer's copy needs no signature recovery (each tx reaches
        a node once from its origin and again from every peer that relays it, often after it committed)."""
        return tx_hash in self.mempool or tx_hash in self._recent

    def status(self) -> NodeStatus:
        height, round_, _ = self.driver.step
        return NodeStatus(
            node_id=self.node_key.node_id,
            p2p_port=self.switch.listen_port,
            peers=len(self.switch.peers()),
            catching_up=self.catching_up,
            is_validator=self.is_validator,
            consensus_height=height,
            consensus_round=round_,
            signature_queue=self._sig_pool.queued if self._sig_pool else 0,
        )

    # --- consensus ---
    def _open_consensus_files(self) -> tuple[FileWAL, SafeSigner]:
        """The consensus WAL and the double-sign-safe signer over its state file (every node has a key and
        signs once staking puts it in the set); both hold a lock for the node's lifetime and are closed by
        ``_close``."""
        data = self.home.data_dir.parent
        wal = FileWAL(data / "consensus.wal")
        self._resources.callback(wal.close)
        store = FileSignerStore(data / "signer_state.json")
        self._resources.callback(store.close)
        return wal, SafeSigner(self.key, store)

    def _new_driver(self) -> ConsensusDriver:
        """A machine at the height after the committed one (at start, and again after block sync)."""
        height = self.app.last.height + 1
        machine = ConsensusMachine(
            chain_id=self.app.chain_id,
            height=height,
            validators=self.app.validator_set(height),
            address=self.validator_address,  # it signs at the heights whose set holds it
            validate=self.app.process_proposal,
            config=consensus_config(self.config),
            verify=self.verifier.verify,
        )
        hooks = DriverHooks(
            build_block=self.build_block,
            before_apply=self._before_apply,
            apply_block=self.apply_block,
            broadcast=self._broadcast_consensus,
            report_evidence=self._report_evidence,
            step_changed=self._step_changed,
            step_passed=self.hub.stepped,
            validator_set=self.app.validator_set,
        )
        return ConsensusDriver(
            machine,
            wal=self._wal,
            signer=self._signer,
            committed_height=lambda: self.app.last.height,
            hooks=hooks,
            equivocator=Equivocator.from_env(self.key),
        )

    @property
    def is_validator(self) -> bool:
        """Whether this node's key is in the set that signs the next height."""
        return self.app.validator_set(self.app.last.height + 1).by_address(self.validator_address) is not None

    def build_block(self, height: int, round_: int) -> Block:
        """Our proposal for ``height``: mempool txs by fee that succeed in order (``prepare_proposal``)."""
        app = self.app
        last = app.last
        last_commit = blockstore.commit_at(self.db, last.height)
        if last_commit is not None:
            last_commit = self.driver.machine.last_commit(last_commit)
        proposal = app.prepare_proposal(
            self.mempool.reap(self._proposal_max_txs(), app.params.max_block_bytes),
            self.evidence_reactor.pending(),
            last_commit,
        )
        header = Header(
            chain_id=app.chain_id,
            height=height,
            time_ns=app.block_time_ns(last_commit),
            last_block_hash=last.block_hash,
            txs_hash=txs_hash(proposal.txs),
            app_hash=last.app_hash,
            last_results_hash=last.results_hash,
            validators_hash=app.validators_hash,
            next_validators_hash=app.next_validators_hash,
            proposer_address=self.validator_address,
            last_commit_hash=last_commit_hash(last_commit),
            evidence_hash=evidence_hash(proposal.evidence),
        )
        self._rejected = proposal.rejected
        log.debug("built block %d/%d with %d txs", height, round_, len(proposal.txs))
        return Block(header, tuple(proposal.txs), last_commit, tuple(proposal.evidence))

    def _proposal_max_txs(self) -> int:
        """The chain's limit, or fewer: as many txs as this node executes in ``proposal_exec_budget_ms``
        at the cost per tx of recent blocks, so a flood fills the mempool (which refuses the excess) and
        not the blocks, and block times hold. A proposer's own choice: nothing deterministic depends on it."""
        limit = self.app.params.max_block_txs
        budget_s = self.config.proposal_exec_budget_ms / 1000
        if not budget_s or not self._tx_cost_s:
            return limit
        return max(1, min(limit, int(budget_s / self._tx_cost_s)))

    def apply_block(self, block: Block, commit: Commit) -> None:
        """Commit a decided block (from consensus or block sync): execute, write, update the mempool and
        wake the commit-mode broadcasts waiting for its txs."""
        started = time.perf_counter()
        finalized = self.app.finalize_block(block, commit)
        last = self.app.commit()
        ours = block.header.proposer_address == self.validator_address
        clean = all(r.ok for r in finalized.results) and not (ours and self._rejected)
        self._rejected = []
        self.mempool.update(block.txs, clean)
        self.evidence_reactor.committed(block.evidence)
        for raw, result in zip(block.txs, finalized.results, strict=True):
            tx_hash = sha256(raw)
            self._recent[tx_hash] = None
            event = self._waiters.pop(tx_hash, None)
            if event is not None:
                self._outcomes[tx_hash] = (last.height, result)
                event.set()
        while len(self._recent) > RECENT_TXS:
            self._recent.popitem(last=False)
        elapsed = time.perf_counter() - started
        if len(block.txs) >= COST_SAMPLE_TXS:  # a moving average: one slow block moves it a fifth
            cost = elapsed / len(block.txs)
            self._tx_cost_s = cost if not self._tx_cost_s else 0.8 * self._tx_cost_s + 0.2 * cost
        log.info(  # every block, empty ones too: an operator sees the chain move
            "committed block",
            extra={
                "height": last.height,
                "round": commit.round,
                "txs": len(block.txs),
                "time": iso_ns(block.header.time_ns),
                "app_hash": last.app_hash.hex()[:16],
                "mempool": len(self.mempool),
                "ms": round(elapsed * 1000, 1),
            },
        )
        for observe in self.commit_observers:
            observe(block, elapsed)

    async def _before_apply(self, block: Block) -> None:
        await self.consensus_reactor.warmed(block)

    def _broadcast_consensus(self, message: Message) -> None:
        self.consensus_reactor.broadcast_own(message)

    def _report_evidence(self, evidence: DuplicateVoteEvidence) -> None:
        self.evidence_reactor.report(evidence)

    def _step_changed(self) -> None:
        self.consensus_reactor.step_changed()

    async def _consensus_or_sync(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Block sync while peers are ahead, consensus otherwise. At start, peers' heights are awaited a
        moment (when there are peers to ask); a running node that falls more than
        ``blocksync_switch_back_blocks`` behind stops its machine, syncs, and starts a new machine at the
        height after the last block applied."""
        if self.config.persistent_peers or self.config.seeds:
            with trio.move_on_after(STARTUP_STATUS_S):
                while not self.blocksync.peer_ranges():
                    await trio.sleep(0.05)
        first = True
        while True:
            if self.blocksync.behind_by() > (0 if first else self.config.blocksync_switch_back_blocks):
                self.catching_up = True
                await self.blocksync.sync()
                # The WAL ends no height block sync applied: mark the synced height ended, or a later
                # restart finds no marker for its committed height (and cannot start, or skips replaying
                # the height it was voting in, forgetting its lock).
                await trio.to_thread.run_sync(self._wal.checkpoint, self.app.last.height)
                self.driver = self._new_driver()
                self.consensus_reactor.attach(self.driver)
            async with trio.open_nursery() as nursery:
                await nursery.start(self.driver.run)
                self.catching_up = False
                if first:
                    task_status.started()
                    first = False
                while self.blocksync.behind_by() <= self.config.blocksync_switch_back_blocks:
                    await trio.sleep(BEHIND_CHECK_S)
                log.info("%d blocks behind the best peer: back to block sync", self.blocksync.behind_by())
                nursery.cancel_scope.cancel()

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

    async def run(
        self,
        *,
        frontends: Sequence[FrontendFactory] = (),
        handle_signals: bool = True,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until cancelled (or SIGINT/SIGTERM when ``handle_signals``; in-process tests running
        several nodes in one trio run pass False), with the servers ``frontends`` build around the node."""
        started: list[Frontend] = []
        try:
            token = trio.lowlevel.current_trio_token()
            announcements = []
            for build in frontends:
                frontend = build(self, token)
                announcements.append(frontend.start())
                started.append(frontend)
            print(
                f"okchain node {self.config.moniker}: chain {self.app.chain_id}, "
                f"height {self.app.last.height}, app hash {self.app.last.app_hash.hex()}",
                flush=True,
            )
            for line in announcements:
                print(line, flush=True)
            async with trio.open_nursery() as nursery:
                if handle_signals:  # first: start-up can wait for peers and block-sync for a long time
                    await nursery.start(self._stop_on_signal, nursery.cancel_scope)
                p2p_port = await nursery.start(self.switch.run)
                print(f"p2p node {self.node_key.node_id} listening on port {p2p_port}", flush=True)
                nursery.start_soon(self.consensus_reactor.run)
                nursery.start_soon(self.mempool_reactor.run)
                nursery.start_soon(self.blocksync.run)
                nursery.start_soon(self.snapshot_reactor.run)
                if self.snapshots is not None:
                    nursery.start_soon(self.snapshots.run)
                await nursery.start(self._consensus_or_sync)
                nursery.start_soon(self._prune_forever)
                task_status.started()
        finally:
            self.hub.close()  # server threads streaming to users end first
            for frontend in reversed(started):
                frontend.stop()
            self._close()
            print("okchain node stopped", flush=True)

    def _close(self) -> None:
        self._resources.close()

    async def _stop_on_signal(
        self, scope: trio.CancelScope, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                log.info("received %s, shutting down", signal.Signals(signum).name)
                scope.cancel()
                return
