"""The mempool: admits checked txs, keeps each account's txs in nonce order, hands out blocks by fee.

- Ready txs have been run against the check state in nonce order; a tx whose nonce is ahead waits in the
  account's future queue (bounded) until the gap closes.
- Reaping merges accounts by fee per gas of their next tx (ties by arrival), never breaking nonce order.
- A full pool makes room for a tx that pays more per gas than its lowest-paying ones by evicting those
  (``_make_room``); otherwise it refuses with the fee that would get in and when to retry.
- After each commit the check state is brought up to the new committed state: by carrying the block's
  effects into it when only this pool's commuting txs ran (the fast path), else by rebuilding it from
  committed state and re-checking every remaining tx, dropping those that became invalid.
"""

import heapq
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from okchain.app import Application
from okchain.crypto.address import Address
from okchain.crypto.hashing import sha256
from okchain.deliver import unknown_signer_hint
from okchain.errors import OKChainError
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank.keeper import get_balance
from okchain.modules.bank.messages import MultiSend, Transfer
from okchain.modules.dex.messages import PlaceOrders
from okchain.state import schema
from okchain.state.cache import CacheKV
from okchain.state.codec import decode_uint, encode_uint
from okchain.state.store import KVReader
from okchain.tx.envelope import Tx, decode_tx
from okchain.tx.gas import required_gas
from okchain.types.fields import TxDecodeError
from okchain.types.params import OKT_DENOM
from okchain.types.results import Code, TxResult

_PRICE_SCALE = 10**9


class MempoolError(OKChainError):
    """A mempool invariant does not hold."""


@dataclass(frozen=True, slots=True)
class MempoolConfig:
    max_txs: int = 200_000
    max_bytes: int = 512 * 1024 * 1024
    max_future_per_account: int = 64
    max_future_total: int = 50_000  # txs waiting for an earlier nonce, all accounts together
    future_ttl_blocks: int = 100  # how long such a tx may wait
    # txs evicted at once when a better-paying tx finds the pool full: the re-check an eviction needs is
    # shared by the arrivals that follow
    evict_batch: int = 1_000


def tx_price(tx: Tx) -> int:
    """Fee per gas, scaled so integer division keeps the order of close prices."""
    return tx.fee * _PRICE_SCALE // max(tx.gas_limit, 1)


def full_refusal(raw: bytes, floor: int, held: str) -> TxResult | None:
    """The refusal of ``raw`` by a full pool (holding ``held``) whose evictable txs pay ``floor`` or more per
    gas, decided from the encoded tx alone, with no signature recovery: what keeps the excess of a flood
    cheap. None when it pays more (it may displace some) or does not decode (the pre-check names that)."""
    try:
        tx = decode_tx(raw)
    except TxDecodeError:
        return None
    if tx_price(tx) > floor:
        return None
    return TxResult(Code.MEMPOOL_FULL, _full_message(held, floor, tx.gas_limit), 0, 0)


def _full_message(held: str, floor: int, gas_limit: int) -> str:
    needed = floor * gas_limit // _PRICE_SCALE + 1
    return (
        f"mempool is full ({held}): a fee of at least {needed}{OKT_DENOM} at this gas limit displaces its "
        "lowest-paying txs; else retry after the next block"
    )


@dataclass(slots=True)
class _Entry:
    raw: bytes
    tx: Tx
    signer: Address
    seq: int
    since: int = 0  # height at which a future-nonce tx was parked
    price: int = field(init=False)

    def __post_init__(self) -> None:
        self.price = tx_price(self.tx)


@dataclass(frozen=True, slots=True)
class AddResult:
    tx_hash: bytes
    result: TxResult
    queued: bool = False  # accepted but waiting for an earlier nonce


def _refuse(tx_hash: bytes, code: Code, log: str) -> AddResult:
    return AddResult(tx_hash, TxResult(code, log, 0, 0))


# Messages whose admission depends only on balances and nonces that they change by pure additions and
# subtractions, so the order of txs inside a block cannot change which of them are admissible. Transfers
# qualify; so does PlaceOrders: it only debits its signer (the lock) and needs its pairs listed, which only
# DelistPair (outside this set) changes; the order records it writes into the check state are never read by
# admission (a new block's orders go to new keys). Every other kind (token, cancel, list) stays out, and
# while any tx of another kind waits in the pool (``_non_commuting``) every update re-checks in full: such a
# tx ran against check state built for a block that may not have included it. What the block hooks wrote
# (fills, refunds, expiries, unbondings) is carried into the check state by ``_apply_block_end``.
_COMMUTING = (Transfer, MultiSend, PlaceOrders)


class _PreBlockView:
    """Reads the check state's own values, else what committed state held before the last block."""

    __slots__ = ("_held", "_prior", "_state")

    def __init__(
        self, held: Mapping[bytes, bytes | None], prior: Mapping[bytes, bytes | None], state: KVReader
    ):
        self._held, self._prior, self._state = held, prior, state

    def get(self, key: bytes) -> bytes | None:
        if key in self._held:
            return self._held[key]
        if key in self._prior:
            return self._prior[key]
        return self._state.get(key)

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        raise MempoolError("a replayed committed tx iterated state: only bank sends may be replayed")


def _placed_by(key: bytes, height: int) -> bool:
    """``key`` is a per-height order record of ``height`` or earlier."""
    placed = schema.dex_placed_height(key)
    return placed is not None and placed <= height


def _commutes(tx: Tx) -> bool:
    return all(isinstance(msg, _COMMUTING) for msg in tx.msgs)


def _replayable(tx: Tx) -> bool:
    """Bank sends: they read and write only balances and the nonce (``_replay_unseen`` needs point reads)."""
    return all(isinstance(msg, (Transfer, MultiSend)) for msg in tx.msgs)


class Mempool:
    """Single-threaded: called from the node's trio thread only."""

    def __init__(self, app: Application, config: MempoolConfig | None = None) -> None:
        self.app = app
        self.config = config or MempoolConfig()
        self._check_state = app.new_check_state()
        self._ready: dict[Address, list[_Entry]] = {}
        self._future: dict[Address, dict[int, _Entry]] = {}
        self._by_hash: dict[bytes, _Entry] = {}
        self._bytes = 0
        self._parked = 0
        self._non_commuting = 0  # waiting txs with a message outside _COMMUTING
        self._floor: int | None = None  # lowest price among the evictable txs; None: not known
        self._seq = itertools.count()

    def pending_nonce(self, signer: Address) -> int:
        """The nonce a new tx of ``signer`` should carry, counting the ready txs this pool holds."""
        return get_nonce(self._check_state, signer)

    def __len__(self) -> int:
        return len(self._by_hash)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __contains__(self, tx_hash: bytes) -> bool:
        return tx_hash in self._by_hash

    def add(self, raw: bytes) -> AddResult:
        added = self._admit(raw)
        if not added.result.ok and added.result.code != Code.DUPLICATE_TX:
            self.app.sig_cache.discard(added.tx_hash)  # refused txs must not crowd the cache
        return added

    def _admit(self, raw: bytes) -> AddResult:
        tx_hash = sha256(raw)
        if tx_hash in self._by_hash:
            return _refuse(tx_hash, Code.DUPLICATE_TX, "tx is already in the mempool")
        if self._full(len(self._by_hash), self._bytes + len(raw)):
            refused = self._make_room(raw, tx_hash)
            if refused is not None:
                return refused
        delivered = self.app.check_tx(raw, self._check_state)
        if delivered.result.ok:
            assert delivered.tx is not None and delivered.signer is not None
            entry = _Entry(raw, delivered.tx, delivered.signer, next(self._seq))
            self._insert_ready(entry)
            self._promote(entry.signer)
            return AddResult(tx_hash, delivered.result)
        tx, signer = delivered.tx, delivered.signer
        if delivered.result.code == Code.BAD_NONCE and tx is not None and signer is not None:
            expected = get_nonce(self._check_state, signer)
            if tx.nonce > expected:
                return self._park(_Entry(raw, tx, signer, next(self._seq)), expected)
        return AddResult(tx_hash, delivered.result)

    def held(self) -> str:
        return f"{len(self._by_hash)} txs, {self._bytes} bytes"

    def admission_floor(self) -> tuple[int, str] | None:
        """While the pool is full, the price (``tx_price``) a new tx must beat to displace the cheapest, and
        what the pool holds; None while there is room."""
        if not self._full(len(self._by_hash), self._bytes):
            return None
        if self._floor is None:
            self._floor = min((e.price for _, e in self._tails()), default=0)
        return self._floor, self.held()

    def _full(self, txs: int, size: int) -> bool:
        return txs >= self.config.max_txs or size > self.config.max_bytes

    def _make_room(self, raw: bytes, tx_hash: bytes) -> AddResult | None:
        """Evict the lowest-fee-per-gas txs for ``raw`` if it pays more per gas than they do and could run
        now; else the refusal (``MEMPOOL_FULL``, RESOURCE_EXHAUSTED over gRPC) saying what fee would get
        in and when to retry. A flood of txs that pay no more than the pool's cheapest costs a lookup each.

        Only an account's last ready tx or a parked one can leave without breaking nonce order, so victims
        come from the accounts' tails, lowest price (then newest) first, never the newcomer's own. Up to
        ``evict_batch`` go at once: evicted ready txs ran on the check state, which one re-check rebuilds.
        """
        verified = self.app.sig_cache.get_verified(tx_hash)
        if verified is None:
            checked = self.app.precheck(raw)
            if checked.tx is None or checked.signer is None:
                return AddResult(tx_hash, checked.result)
            verified = checked.tx, checked.signer
        tx, signer = verified
        price = _Entry(raw, tx, signer, 0).price
        if self._floor is None:
            self._floor = min((e.price for _, e in self._tails()), default=price)
        victims = None
        if price > self._floor:
            probe = self.app.check_tx(raw, self._check_state.branch(), verified)
            if not probe.result.ok and probe.result.code != Code.BAD_NONCE:
                return AddResult(tx_hash, probe.result)
            victims = self._victims(price, signer, len(raw)) if probe.result.ok else None
        if victims is None:
            message = _full_message(self.held(), self._floor, tx.gas_limit)
            return _refuse(tx_hash, Code.MEMPOOL_FULL, message)
        self._evict(victims)
        return None

    def _tails(self) -> Iterator[tuple[int, _Entry]]:
        """(position from the end of its account's ready queue, 0 if parked) of every tx that can leave the
        pool alone: each account's last ready tx, and every parked one."""
        for queue in self._ready.values():
            yield from ((1, e) for e in queue[-1:])
        for waiting in self._future.values():
            yield from ((0, e) for e in waiting.values())

    def _victims(self, price: int, signer: bytes, size: int) -> list[tuple[int, _Entry]] | None:
        """What to evict for a newcomer of ``price`` and ``size`` bytes from ``signer`` (``None``: too few
        txs pay less): the cheapest tails, each account's ready queue shrinking from its end."""
        heap = [(e.price, -e.seq, depth, e) for depth, e in self._tails() if e.signer != signer]
        heapq.heapify(heap)
        victims: list[tuple[int, _Entry]] = []
        txs, size = len(self._by_hash), self._bytes + size
        while heap and (self._full(txs, size) or len(victims) < self.config.evict_batch):
            cheapest, _, depth, entry = heapq.heappop(heap)
            if cheapest >= price:
                break
            victims.append((depth, entry))
            txs, size = txs - 1, size - len(entry.raw)
            queue = self._ready[entry.signer] if depth else []
            if depth and depth < len(queue):
                nxt = queue[-1 - depth]
                heapq.heappush(heap, (nxt.price, -nxt.seq, depth + 1, nxt))
        return None if self._full(txs, size) else victims

    def _evict(self, victims: list[tuple[int, _Entry]]) -> None:
        ready = [e for depth, e in victims if depth]
        for entry in ready:
            self._drop(entry)
        for signer in {e.signer for e in ready}:
            queue = [e for e in self._ready[signer] if e.tx.hash in self._by_hash]
            if queue:
                self._ready[signer] = queue
            else:
                del self._ready[signer]
        for entry in (e for depth, e in victims if not depth):
            self._unpark(entry.signer, entry.tx.nonce)
            if not self._future[entry.signer]:
                del self._future[entry.signer]
        if ready:
            self._recheck_all()

    def _insert_ready(self, entry: _Entry) -> None:
        self._floor = None
        self._ready.setdefault(entry.signer, []).append(entry)
        self._by_hash[entry.tx.hash] = entry
        self._bytes += len(entry.raw)
        self._non_commuting += not _commutes(entry.tx)

    def _park(self, entry: _Entry, expected: int) -> AddResult:
        """Hold a tx whose nonce is ahead, within a window, for a bounded number of blocks.

        A parked tx must be one that could run: enough gas, a fee at the minimum price, and the account
        must be able to pay the fees of everything it has parked, so unfunded keys cannot fill the pool.
        """
        tx, tx_hash = entry.tx, entry.tx.hash
        gas = required_gas(tx, self.app.params)
        if tx.gas_limit < gas:
            return _refuse(tx_hash, Code.OUT_OF_GAS, f"out of gas: needs {gas}, gas limit is {tx.gas_limit}")
        shortfall = self.app.fee_shortfall(tx)
        if shortfall:
            return _refuse(tx_hash, Code.FEE_TOO_LOW, shortfall)
        waiting = self._future.setdefault(entry.signer, {})
        if tx.nonce in waiting:
            return _refuse(tx_hash, Code.BAD_NONCE, f"a tx with nonce {tx.nonce} is already waiting")
        window = self.config.max_future_per_account
        if len(waiting) >= window or tx.nonce > expected + window:
            return _refuse(
                tx_hash,
                Code.BAD_NONCE,
                f"nonce mismatch: expected {expected}, got {tx.nonce} (a tx may "
                f"wait at most {window} nonces ahead; {len(waiting)} already waiting)",
            )
        if self._parked >= self.config.max_future_total:
            return _refuse(
                tx_hash,
                Code.MEMPOOL_FULL,
                f"mempool holds {self._parked} txs waiting for earlier nonces; send the missing nonce first",
            )
        fees = tx.fee + sum(e.tx.fee for e in waiting.values())
        funds = get_balance(self._check_state, entry.signer, OKT_DENOM)
        if funds < fees:
            return _refuse(
                tx_hash,
                Code.INSUFFICIENT_FEE_FUNDS,
                f"insufficient funds for the fees of waiting txs: balance {funds}{OKT_DENOM}, needs "
                f"{fees}{OKT_DENOM}" + unknown_signer_hint(self._check_state, entry.signer),
            )
        entry.since = self.app.last.height
        self._floor = None
        waiting[tx.nonce] = entry
        self._by_hash[tx_hash] = entry
        self._bytes += len(entry.raw)
        self._non_commuting += not _commutes(entry.tx)
        self._parked += 1
        log = f"queued: nonce {tx.nonce} waits for nonce {expected}"
        return AddResult(tx_hash, TxResult(Code.OK, log, tx.gas_limit, 0), queued=True)

    def _unpark(self, signer: Address, nonce: int) -> _Entry | None:
        entry = self._future[signer].pop(nonce, None)
        if entry is not None:
            self._parked -= 1
            self._drop(entry)
        return entry

    def _promote(self, signer: Address) -> None:
        """Move waiting txs whose nonce is now next into the ready queue, re-checking each."""
        waiting = self._future.get(signer)
        while waiting:
            entry = self._unpark(signer, get_nonce(self._check_state, signer))
            if entry is None:
                break
            delivered = self.app.check_tx(entry.raw, self._check_state)
            if delivered.result.ok:
                self._insert_ready(entry)
        if waiting is not None and not waiting:
            del self._future[signer]

    def _drop(self, entry: _Entry) -> None:
        self._floor = None
        if self._by_hash.pop(entry.tx.hash, None) is not None:
            self._bytes -= len(entry.raw)
            self._non_commuting -= not _commutes(entry.tx)

    def reap(self, max_txs: int, max_bytes: int) -> list[bytes]:
        """Highest fee per gas first across accounts, nonce order within each account."""
        heap = [(-q[0].price, q[0].seq, 0, signer) for signer, q in self._ready.items() if q]
        heapq.heapify(heap)
        out: list[bytes] = []
        size = 0
        while heap and len(out) < max_txs:
            _, _, index, signer = heapq.heappop(heap)
            entry = self._ready[signer][index]
            if size + len(entry.raw) > max_bytes:
                break
            out.append(entry.raw)
            size += len(entry.raw)
            queue = self._ready[signer]
            if index + 1 < len(queue):
                nxt = queue[index + 1]
                heapq.heappush(heap, (-nxt.price, nxt.seq, index + 1, signer))
        return out

    def update(self, committed: Sequence[bytes], all_succeeded: bool) -> None:
        """After a commit: drop committed txs and bring the check state up to the new committed state.

        Fast path: when every committed tx was either a ready tx of this pool or one it never saw, all
        succeeded and all commute, the check state is already right once the unseen ones are replayed into
        it (``_replay_unseen``). Transfers and fees only add to and subtract from balances and bump nonces,
        so the final state does not depend on order; an account's debits come only from its own txs, which a
        block takes as a nonce-ordered prefix, so every remaining tx still sees at least the balance it was
        checked against; what the block hooks wrote is then carried over (``_apply_block_end``). Otherwise
        (a failed tx, a parked tx in the block, an unseen tx that does not run on the check state, a hook
        write that cannot be carried over) the check state is rebuilt from committed state and every
        remaining tx is re-checked.
        """
        hashes = [sha256(raw) for raw in committed]
        entries = [self._by_hash.get(h) for h in hashes]
        fast = all_succeeded and all(e is None or (self._is_ready(e) and _commutes(e.tx)) for e in entries)
        for entry in entries:
            if entry is not None:
                self._drop(entry)
        unseen = [(h, raw) for h, raw, e in zip(hashes, committed, entries, strict=True) if e is None]
        fast = fast and bool(self._by_hash) and self._non_commuting == 0 and self._replay_unseen(unseen)
        fast = fast and self._apply_block_end()
        if fast:
            for signer in {e.signer for e in entries if e is not None}:
                queue = [e for e in self._ready[signer] if e.tx.hash in self._by_hash]
                if queue:
                    self._ready[signer] = queue
                else:
                    del self._ready[signer]
            for signer in {self.app.committed_verified[h][1] for h, _ in unseen}:
                self._settle_future(signer)
        else:  # also when the pool is empty: a fresh check state costs nothing then
            self._recheck_all()
        self._expire_parked()

    def _replay_unseen(self, unseen: list[tuple[bytes, bytes]]) -> bool:
        """Bring the check state's own values up to date with committed txs this pool never held (another
        node's, or not yet gossiped here); False if that cannot be done, and the caller re-checks all.

        Keys the check state never wrote already read the new committed values. Keys it wrote hold the
        pre-block value plus this pool's effects, so the unseen txs' effects must be added to them: the txs
        run, in block order, on a view of the check state's values over the pre-block committed state
        (``committed_prior``), and only the keys the check state holds take their results. Each must run
        there as it ran in the block (else, e.g., its signer has ready txs of the same nonce here). Their
        decoded form and signer come from the commit, so nothing is recovered again."""
        replay = CacheKV(_PreBlockView(self._check_state.writes, self.app.committed_prior, self.app.state))
        for tx_hash, raw in unseen:
            verified = self.app.committed_verified.get(tx_hash)
            if verified is None or not _replayable(verified[0]):
                return False
            if not self.app.check_tx(raw, replay, verified).result.ok:
                return False
        held = self._check_state.writes
        for key, value in replay.writes.items():
            if key in held:
                held[key] = value
        return True

    def _apply_block_end(self) -> bool:
        """Carry what the block hooks wrote outside every tx (fills, refunds, expiries, unbondings) into the
        check state; False if a write cannot be carried over, and the caller re-checks all.

        A held balance takes the hooks' net change: a credit only adds to what a remaining tx was checked
        against; a debit (the lock account paying out) is taken only from an account that signs no tx left
        in the pool, so none of them can come to lack funds. Per-height order records of the committed
        height are dropped, hook-written or not: they hold this pool's guess at that block's orders, and the
        txs still waiting will place theirs at a later height (the per-block order cap is the proposer's to
        enforce, as no pool knows which block a tx lands in). Any other hook-written key held here (a record
        only non-commuting txs write) forces the re-check."""
        held = self._check_state.writes
        height = self.app.last.height
        stale = {key for key in held if key.startswith(schema.DEX) and _placed_by(key, height)}
        hooks = self.app.block_end
        signers: set[bytes] | None = None
        credits: list[tuple[bytes, int]] = []
        for key in [k for k in hooks.keys if k in held and k not in stale]:
            credit = hooks.credits.get(key)
            if credit is None:
                return False
            if credit < 0:
                if signers is None:
                    signers = {e.signer for e in self._by_hash.values()}
                if schema.balance_owner(key) in signers:
                    return False
            credits.append((key, credit))
        for key in stale:
            del held[key]
        for key, credit in credits:
            amount = decode_uint(held[key]) + credit
            if amount < 0:
                raise MempoolError(f"block hooks took more than the check state holds under {key.hex()}")
            held[key] = encode_uint(amount) if amount else None  # a zero balance is deleted, as bank does
        return True

    def _is_ready(self, entry: _Entry) -> bool:
        return self._future.get(entry.signer, {}).get(entry.tx.nonce) is not entry

    def _recheck_all(self) -> None:
        self._check_state = self.app.new_check_state()
        old_ready, self._ready = self._ready, {}
        for entries in old_ready.values():
            for entry in entries:
                if entry.tx.hash not in self._by_hash:
                    continue
                self._drop(entry)
                if self.app.check_tx(entry.raw, self._check_state).result.ok:
                    self._insert_ready(entry)
        for signer in list(self._future):
            self._settle_future(signer)

    def _settle_future(self, signer: Address) -> None:
        """Drop ``signer``'s parked txs whose nonce is used up; promote the one now next, if any."""
        waiting = self._future.get(signer)
        if waiting is None:
            return
        floor = get_nonce(self._check_state, signer)
        for nonce in [n for n in waiting if n < floor]:
            self._unpark(signer, nonce)
        self._promote(signer)

    def _expire_parked(self) -> None:
        """Drop txs that waited more than ``future_ttl_blocks`` for their missing nonce."""
        oldest = self.app.last.height - self.config.future_ttl_blocks
        for signer in list(self._future):
            for nonce in [n for n, e in self._future[signer].items() if e.since < oldest]:
                self._unpark(signer, nonce)
            if not self._future[signer]:
                del self._future[signer]
