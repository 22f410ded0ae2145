"""``Application``: check_tx for the mempool; prepare, process and finalize for consensus; commit; queries.

``finalize_block`` executes a block and computes the new app hash without writing anything; ``commit``
writes state changes, Merkle nodes, their version history (``state/versions.py``), the block, its commit,
results, tx index and the height marker in ONE LevelDB write batch, so a crash leaves either the old state
or the new one.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from okchain.app.checks import encoding_refusal, header_refusal, size_refusal, txs_refusal
from okchain.app.evidence import block_evidence, block_info
from okchain.app.genesis import genesis_marker, init_chain
from okchain.app.hooks import HookWrites, begin_block, end_block
from okchain.consensus import valsets
from okchain.consensus.proposer import ValidatorSet
from okchain.crypto import ed25519
from okchain.crypto.address import Address
from okchain.crypto.hashing import sha256
from okchain.deliver import Delivered, SignatureCache, deliver_tx, precheck, precheck_many
from okchain.errors import OKChainError
from okchain.genesis.document import GenesisDoc
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.blockinfo import BlockInfo, Misbehaviour
from okchain.query import StateQuery
from okchain.state import blockstore, schema, versions
from okchain.state.blockstore import LastCommitted
from okchain.state.cache import CacheKV, ReadCache
from okchain.state.crashpoint import crash_point
from okchain.state.merkle import SparseMerkleTree
from okchain.state.store import KVStore
from okchain.tx.addresses import block_index_writes
from okchain.tx.envelope import Recoverer, Tx, recover_signers
from okchain.types.block import (
    Block,
    Commit,
    field_bytes,
    last_commit_hash,
    max_header_bytes,
    seal_results,
    tx_field_bytes,
)
from okchain.types.commit_check import Verifier, bft_time, commit_problem
from okchain.types.params import OKT_DENOM
from okchain.types.refusal import Refusal, RefusalCode
from okchain.types.results import Code, TxResult

_FEE_COLLECTOR_BALANCE = schema.balance(FEE_COLLECTOR, OKT_DENOM)


class AppError(OKChainError):
    """The application refuses an operation (wrong order of calls, mismatched home, bad block)."""


@dataclass(frozen=True, slots=True)
class FinalizedBlock:
    block: Block
    commit: Commit
    results: tuple[TxResult, ...]
    app_hash: bytes
    writes: dict[bytes, bytes | None]
    node_writes: dict[bytes, bytes | None]
    prior: dict[bytes, bytes | None]  # the committed value before this block of every state key it changes
    validators_after_next: ValidatorSet  # the set of height + 2, changed by the updates this block decided


@dataclass(frozen=True, slots=True)
class Proposal:
    """What ``prepare_proposal`` puts in a block, and the mempool txs it left out because they would fail."""

    txs: list[bytes]
    rejected: list[bytes]
    evidence: list[bytes]


@dataclass(frozen=True, slots=True)
class _Execution:
    """A proposal already executed on top of committed height ``height``."""

    height: int
    info: BlockInfo
    begin: HookWrites  # what the block begin hooks wrote
    txs: tuple[bytes, ...]
    state: CacheKV
    results: tuple[TxResult, ...]


class Application:
    """Owns the database; every call is made from one thread (the node's trio thread or a test)."""

    def __init__(
        self,
        db: KVStore,
        genesis: GenesisDoc,
        *,
        min_gas_price: int = 0,
        sig_cache_size: int = 500_000,
        tree_cache_size: int = 1_000_000,
        state_cache_size: int = 1_000_000,
        verify: Verifier = ed25519.verify,
        address_index: bool = True,
    ) -> None:
        self.db = db
        self.address_index = address_index  # txs by address (okchain/tx/addresses.py); off on validators
        self._verify = verify  # validator signatures (the node passes its cache of already-checked ones)
        self.state = ReadCache(db, state_cache_size)  # committed state reads; refreshed on every commit
        self.genesis_header = genesis.header  # accounts are only needed once, at init
        self.genesis_accounts = len(genesis.accounts)
        self.chain_id = genesis.header.chain_id
        self.params = genesis.header.params
        self.min_gas_price = min_gas_price
        self.sig_cache = SignatureCache(sig_cache_size)
        self._checked_commit: tuple[int, bytes] = (-1, b"")  # (height, hash) of the last commit verified
        self.tree = SparseMerkleTree(db, schema.MERKLE, cache_size=tree_cache_size)
        self._pending: FinalizedBlock | None = None
        self._prepared: _Execution | None = None
        self._max_header_bytes = field_bytes(max_header_bytes(self.chain_id))
        # what the last finalized block's begin and end hooks wrote outside every tx: the mempool's fast
        # path carries it into a check state that caches any of those keys
        self.block_end = HookWrites()
        # the last committed block's txs, decoded with their signers (taken out of the signature cache at
        # commit), and the values its state changes replaced: the mempool replays the txs it never saw into
        # its check state on that pre-block view, without recovering signers again
        self.committed_verified: dict[bytes, tuple[Tx, Address]] = {}
        self.committed_prior: dict[bytes, bytes | None] = {}
        self.last = self._load_or_init(genesis)
        self._sets: dict[int, ValidatorSet] = {}  # the sets of heights last .. last + 2
        self.validator_keys: dict[bytes, bytes] = {}
        self._load_sets()

    # --- start-up ---
    def _load_or_init(self, genesis: GenesisDoc) -> LastCommitted:
        marker = genesis_marker(genesis)
        stored = self.db.get(schema.META_GENESIS)
        raw = self.db.get(schema.META_LAST)
        if self.db.get(schema.META_IMPORTING) is not None:
            raise AppError(
                "a state snapshot import into this database did not finish; delete it and import again"
            )
        if raw is not None:
            if stored != marker:
                raise AppError("this home's database was created from a different genesis or chain id")
            last = LastCommitted.decode(raw)
            if self.tree.root() != last.app_hash:
                raise AppError(
                    f"state tree root {self.tree.root().hex()} does not match committed app hash "
                    f"{last.app_hash.hex()} at height {last.height}"
                )
            if self.db.get(schema.META_EARLIEST) is None:  # made before version history: it starts now
                self.db.write({schema.META_EARLIEST: schema.u64(last.height)})
            return last
        return self._init_chain(genesis, marker)

    def _init_chain(self, genesis: GenesisDoc, marker: bytes) -> LastCommitted:
        """Write genesis state and the height-0 marker in one batch."""
        try:
            return init_chain(self.db, self.tree, genesis, marker)
        except OKChainError as exc:
            raise AppError(f"genesis cannot be staked as written: {exc}") from exc

    def _load_sets(self) -> None:
        """Cache the sets of the committed height and the two after it (none at the initial height)."""
        for height in range(self.last.height, self.last.height + 3):
            stored = valsets.stored(self.db, height)
            if stored is not None:
                self._sets[height] = stored
            elif height > self.last.height:
                raise AppError(
                    f"this home stores no validator set of height {height}: it was made by an older "
                    "version of okchaind; initialise a new home"
                )
        self._refresh_keys()

    # --- validator sets ---
    def known_validator_set(self, height: int) -> ValidatorSet | None:
        """The set that signs ``height``, known for kept heights up to two past the committed one."""
        cached = self._sets.get(height)
        if cached is not None:
            return cached
        return valsets.stored(self.db, height) if height <= self.last.height + 2 else None

    def validator_set(self, height: int) -> ValidatorSet:
        """``known_validator_set``, for a height that must be known."""
        known = self.known_validator_set(height)
        if known is None:
            raise AppError(f"no validator set is known for height {height} (committed: {self.last.height})")
        return known

    def validator_powers(self, height: int) -> tuple[tuple[bytes, int], ...] | None:
        """The known set of ``height`` as the (public key, power) pairs commit checks take."""
        known = self.known_validator_set(height)
        return None if known is None else valsets.powers(known)

    @property
    def validators_hash(self) -> bytes:
        """The next block's ``validators_hash``."""
        return self._sets[self.last.height + 1].hash()

    @property
    def next_validators_hash(self) -> bytes:
        """The next block's ``next_validators_hash``."""
        return self._sets[self.last.height + 2].hash()

    def _refresh_keys(self) -> None:
        """``validator_keys``: address → consensus key of every validator of the committed height and the
        two after it, for checking votes and proposals that may arrive for any of them."""
        self.validator_keys = {v.address: v.pub_key for vs in self._sets.values() for v in vs.validators}

    # --- mempool door ---
    def new_check_state(self) -> CacheKV:
        """A fresh branch over committed state; the mempool runs admitted txs against it in order."""
        return CacheKV(self.state)

    def _deliver(self, store: CacheKV, raw: bytes, verified: tuple[Tx, Address] | None = None) -> Delivered:
        """Run ``raw`` as part of the next block; messages see the last committed block time (MsgContext)."""
        return deliver_tx(
            store,
            raw,
            chain_id=self.chain_id,
            params=self.params,
            sig_cache=self.sig_cache,
            height=self.last.height + 1,
            time_ns=self.last.time_ns,
            verified=verified,
        )

    def precheck(self, raw: bytes) -> Delivered:
        """Stateless half of check_tx (size, decoding, chain id, signature). Thread-safe: gRPC threads run it
        in parallel before the tx reaches the mempool, keeping signature recovery off the consensus thread."""
        return precheck(raw, chain_id=self.chain_id, params=self.params, sig_cache=self.sig_cache)

    def precheck_many(self, raws: Sequence[bytes], recover: Recoverer = recover_signers) -> list[Delivered]:
        """Batch form of ``precheck``; ``recover`` may run signature recovery on other cores."""
        return precheck_many(
            raws, chain_id=self.chain_id, params=self.params, sig_cache=self.sig_cache, recover=recover
        )

    def fee_shortfall(self, tx: Tx) -> str | None:
        """Why ``tx``'s fee is below this node's minimum gas price, or ``None`` (a node-local rule)."""
        needed = tx.gas_limit * self.min_gas_price
        if tx.fee >= needed:
            return None
        price = self.min_gas_price
        return f"fee too low: {tx.fee} < gas limit {tx.gas_limit} × min gas price {price} = {needed}"

    def check_tx(
        self, raw: bytes, check_state: CacheKV, verified: tuple[Tx, Address] | None = None
    ) -> Delivered:
        """Full admission check. On success the tx's effects stay in ``check_state`` (so the next tx of the
        same account sees the bumped nonce and lower balance); on failure nothing is kept. ``verified``:
        the tx's decoded form and signer when already known (``committed_verified``)."""
        branch = check_state.branch()
        delivered = self._deliver(branch, raw, verified)
        tx = delivered.tx
        if delivered.result.ok and tx is not None:
            shortfall = self.fee_shortfall(tx)
            if shortfall:
                res = TxResult(
                    Code.FEE_TOO_LOW,
                    shortfall,
                    tx.gas_limit,
                    0,
                    (),
                    delivered.result.signer,
                    tx.nonce,
                    0,
                )
                return Delivered(res, tx, delivered.signer)
            branch.merge_into(check_state)
        return delivered

    def simulate(self, raw: bytes) -> Delivered:
        """Execute against latest committed state and throw the result away."""
        return self._deliver(CacheKV(self.state), raw)

    # --- consensus door ---
    def prepare_proposal(
        self, txs: list[bytes], evidence: Sequence[bytes] = (), last_commit: Commit | None = None
    ) -> Proposal:
        """Shape a block from mempool txs (in the mempool's order) within the count, byte and gas limits, and
        leave out every tx that would fail in it; carry what the block may carry of ``evidence`` (pieces
        this node verified, oldest first). The block carries ``last_commit`` (default: the commit this node
        stored for the last height).

        Mempool txs were checked in arrival order, but fee priority may reorder them across accounts (a
        spend can come before the transfer that funds it), so the proposer runs them here and keeps only
        those that succeed. The execution is kept: ``finalize_block`` of a block with exactly these txs
        reuses it.
        """
        params = self.params
        kept_evidence = self._usable_evidence(evidence)
        if last_commit is None:
            last_commit = blockstore.commit_at(self.db, self.last.height)
        overhead = self._max_header_bytes + (
            0 if last_commit is None else field_bytes(len(last_commit.encode()))
        )
        room = params.max_block_bytes - overhead - sum(map(tx_field_bytes, kept_evidence))
        gas_room = params.max_block_gas
        offences = self._offences(tuple(kept_evidence), self.last.height + 1, strict=True)
        assert not isinstance(offences, Refusal), "every piece kept passed alone and together"
        info = self._block_info(last_commit, offences)
        state = CacheKV(self.state)
        begin = self._begin(state, info)
        kept: list[bytes] = []
        rejected: list[bytes] = []
        results: list[TxResult] = []
        for raw in txs:
            if len(kept) >= params.max_block_txs or tx_field_bytes(raw) > room:
                break
            branch = state.branch()
            result = self._deliver(branch, raw).result
            if not result.ok:
                rejected.append(raw)
                continue
            if result.gas_wanted > gas_room:
                break  # the block is full; the tx waits in the mempool for the next one
            branch.merge_into(state)
            kept.append(raw)
            results.append(result)
            room -= tx_field_bytes(raw)
            gas_room -= result.gas_wanted
        self._prepared = _Execution(self.last.height, info, begin, tuple(kept), state, tuple(results))
        return Proposal(kept, rejected, kept_evidence)

    def _begin(self, state: CacheKV, info: BlockInfo) -> HookWrites:
        """Run the block begin hooks on ``state``; what they wrote."""
        branch = state.branch()
        begin_block(branch, info, self.params)
        written = HookWrites.of(branch, state)
        branch.merge_into(state)
        return written

    def _usable_evidence(self, evidence: Sequence[bytes]) -> list[bytes]:
        """The longest prefix-greedy selection of ``evidence`` a block at the next height may carry."""
        kept: list[bytes] = []
        height = self.last.height + 1
        for raw in evidence:
            if len(kept) == self.params.max_block_evidence:
                break
            if not isinstance(self._offences((*kept, raw), height, strict=True), Refusal):
                kept.append(raw)
        return kept

    def _offences(
        self, pieces: tuple[bytes, ...], height: int, *, strict: bool
    ) -> Refusal | tuple[Misbehaviour, ...]:
        return block_evidence(
            pieces,
            height,
            chain_id=self.chain_id,
            params=self.params,
            initial_height=self.genesis_header.initial_height,
            known_set=self.known_validator_set,
            state=self.state,
            strict=strict,
        )

    def _block_info(self, last_commit: Commit | None, offences: tuple[Misbehaviour, ...]) -> BlockInfo:
        """What the next block's begin hooks learn: the last commit's signers among the last height's set."""
        last_set = None if self._at_initial_height() else self._sets[self.last.height]
        return block_info(self.last.height + 1, self.last.time_ns, last_commit, last_set, offences)

    def process_proposal(self, block: Block) -> Refusal | None:
        """``None`` if the block may be voted for and executed, else the first rule it breaks. Every byte
        the proposer chose is checked: the header against the committed tip, the last commit exactly, the
        block time against the commit's BFT time, the size of the whole encoded block, and every tx, which
        must be a well-formed tx of this chain with a recoverable signature, within the block gas limit.

        What a tx then does is decided by this chain's own code, so a tx that fails (a wrong nonce, no
        funds, a refused message) is no reason to refuse the block: it fails the same way on every node.
        Decoding and signature recovery are library code whose verdict on odd bytes may differ between
        versions, so a tx they refuse never reaches execution or the results hash."""
        outcome = self._checked(block, strict=True)
        return outcome if isinstance(outcome, Refusal) else None

    def _checked(self, block: Block, *, strict: bool) -> Refusal | tuple[Misbehaviour, ...]:
        """``process_proposal``'s rules, then the offences the block's evidence proves (``strict``: see
        ``okchain.app.evidence``)."""
        tx_hashes = [sha256(raw) for raw in block.txs]  # each tx hashed once for every check below
        expected = self.last.height + 1
        refusal = (
            encoding_refusal(block)
            or header_refusal(
                block,
                tx_hashes,
                chain_id=self.chain_id,
                last=self.last,
                validators=self._sets[expected],
                next_validators=self._sets[expected + 1],
            )
            or self._last_commit_refusal(block)
            or self._time_refusal(block)
            or size_refusal(block, tx_hashes, self.params)
            or txs_refusal(block, tx_hashes, self.params, self._stateless_check)
        )
        return refusal or self._offences(block.evidence, expected, strict=strict)

    def _stateless_check(self, raw: bytes, tx_hash: bytes) -> Tx | str:
        """``raw`` decoded (from the signature cache when this node already checked it), or why not."""
        verified = self.sig_cache.get_verified(tx_hash)
        if verified is not None:
            return verified[0]
        checked = self.precheck(raw)
        if checked.tx is None or not checked.result.ok:
            return f"{checked.result.code.name}: {checked.result.log}"
        return checked.tx

    def _last_commit_refusal(self, block: Block) -> Refusal | None:
        """``None`` if the block carries the exact commit that decided the previous block (none at the
        initial height) and its header hashes it. Verified once per commit: consensus and finalize both
        ask."""
        commit = block.last_commit
        if block.header.last_commit_hash != last_commit_hash(commit):
            return Refusal(
                RefusalCode.LAST_COMMIT_HASH, "last commit hash does not match the block's last commit"
            )
        if self._at_initial_height():
            if commit is None:
                return None
            return Refusal(
                RefusalCode.LAST_COMMIT_UNEXPECTED, "a block at the initial height carries a last commit"
            )
        if commit is None:
            return Refusal(
                RefusalCode.LAST_COMMIT_MISSING,
                f"block {block.header.height} carries no commit of block {self.last.height}",
            )
        digest = block.header.last_commit_hash
        if self._checked_commit == (self.last.height, digest):
            return None
        powers = valsets.powers(self._sets[self.last.height])
        refusal = commit_problem(
            self.chain_id, self.last.height, self.last.block_hash, commit, powers, self._verify
        )
        if refusal is not None:
            return refusal.within("last commit")
        self._checked_commit = (self.last.height, digest)
        return None

    def _at_initial_height(self) -> bool:
        return self.last.height + 1 == self.genesis_header.initial_height

    def block_time_ns(self, last_commit: Commit | None) -> int:
        """The time the next block must carry: the genesis time at the initial height, else the BFT time of
        its (verified) last commit, the power-weighted median of the precommit times. Deterministic: it
        depends on the block only, never on this node's clock."""
        if self._at_initial_height() or last_commit is None:
            return self.last.time_ns
        return bft_time(last_commit, valsets.powers(self._sets[self.last.height]))

    def _time_refusal(self, block: Block) -> Refusal | None:
        expected = self.block_time_ns(block.last_commit)
        got = block.header.time_ns
        if got != expected:
            source = "the genesis time" if self._at_initial_height() else "the BFT time of the last commit"
            return Refusal(
                RefusalCode.BLOCK_TIME,
                f"block time {got} is not {source}, {expected} (the power-weighted median precommit time)",
            )
        if not self._at_initial_height() and got <= self.last.time_ns:
            return Refusal(
                RefusalCode.BLOCK_TIME,
                f"block time {got} does not pass the previous block's {self.last.time_ns}",
            )
        return None

    def finalize_block(self, block: Block, commit: Commit) -> FinalizedBlock:
        """Execute every tx of a decided block (or reuse the proposer's execution of exactly these txs) and
        compute the new app hash. Nothing is written until ``commit``."""
        offences = self._checked(block, strict=False)
        if isinstance(offences, Refusal):
            raise AppError(f"cannot finalize block {block.header.height}: {offences}")
        info = self._block_info(block.last_commit, offences)
        prepared, self._prepared = self._prepared, None
        reuse = prepared is not None and prepared.height == self.last.height
        if prepared is not None and reuse and prepared.info == info and prepared.txs == block.txs:
            state, results, begin = prepared.state, prepared.results, prepared.begin
        else:
            state = CacheKV(self.state)
            begin = self._begin(state, info)
            results = tuple(self._deliver(state, raw).result for raw in block.txs)
        end = state.branch()
        updates = end_block(end, block.header.height, block.header.time_ns, self.params)
        ended = HookWrites.of(end, state)
        end.merge_into(state)
        # the fee collector's balance aside: every tx adds to it and none reads it to decide anything, so a
        # check state holding an old value of it is not stale for admission
        self.block_end = begin.then(ended, ignore=_FEE_COLLECTOR_BALANCE)
        changes = {k: state.writes[k] for k in sorted(state.writes)}
        prior = {k: self.state.get(k) for k in changes}
        app_hash, node_writes = self.tree.update(changes)
        height = block.header.height
        block_hash = block.hash
        writes: dict[bytes, bytes | None] = dict(changes)
        writes.update(node_writes)
        writes.update(
            versions.history_writes(height, changes, prior.__getitem__, self.tree.replaced(node_writes))
        )
        writes[schema.block(height)] = block.encode()
        writes[schema.block_hash(block_hash)] = schema.u64(height)
        writes[schema.commit(height)] = commit.encode()
        after = valsets.following(self._sets[height + 1], ((u.pubkey, u.power) for u in updates))
        writes[schema.validator_set(height + 2)] = after.encode()
        writes[schema.results(height)], res_hash = seal_results(height, results, app_hash)
        for index, raw in enumerate(block.txs):
            key = schema.tx_index(sha256(raw))
            if self.db.get(key) is None:  # a replayed copy in a later block must not hide the original
                writes[key] = schema.tx_location(height, index)
        known = self.sig_cache.get_verified  # indexes: tx totals, and txs by address unless turned off
        writes.update(block_index_writes(self.db, height, block.txs, results, known, self.address_index))
        last = LastCommitted(height, app_hash, block_hash, res_hash, block.header.time_ns)
        writes[schema.META_LAST] = last.encode()
        self._pending = FinalizedBlock(block, commit, results, app_hash, writes, node_writes, prior, after)
        return self._pending

    def commit(self) -> LastCommitted:
        """Persist the finalized block atomically and make it the latest state."""
        pending = self._pending
        if pending is None:
            raise AppError("commit called without a finalized block")
        height = pending.block.header.height
        crash_point("commit-before-write", height)
        self.db.write(pending.writes)
        crash_point("commit-after-write", height)
        self.state.apply(pending.writes)
        self.tree.commit(pending.node_writes)
        self.last = LastCommitted.decode(pending.writes[schema.META_LAST] or b"")
        self._sets.pop(height - 1, None)
        self._sets[height + 2] = pending.validators_after_next
        self._refresh_keys()
        self._pending = None
        self.committed_prior = pending.prior
        self.committed_verified = {}
        for raw in pending.block.txs:
            tx_hash = sha256(raw)
            entry = self.sig_cache.pop(tx_hash)
            if entry is not None:
                self.committed_verified[tx_hash] = entry
        return self.last

    # --- query door (committed state only; thread-safe) ---
    def query(self, height: int | None = None) -> StateQuery:
        """A consistent view of committed state, for wallets and explorers: the latest, or the state after
        block ``height`` if the retention window still holds it (else ``versions.VersionError``)."""
        return StateQuery(self.db.snapshot(), height)
