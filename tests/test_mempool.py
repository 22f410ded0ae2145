"""The mempool over a real application: nonce ordering, limits, fee priority, recheck, signature cache."""

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest import MonkeyPatch

from okchain.app import Application, FinalizedBlock
from okchain.consensus import solo
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.hashing import sha256
from okchain.crypto.secp import AccountKey
from okchain.mempool.pool import Mempool, MempoolConfig, full_refusal
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank import keeper as bank
from okchain.modules.bank.messages import Transfer
from okchain.rpc.convert import RequestError
from okchain.state import blockstore
from okchain.state.store import MemoryKV
from okchain.tx.envelope import build_tx, decode_tx
from okchain.types.results import Code
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys, make_genesis

BALANCE = 1_000 * OKT
GAS = 100_000
VALIDATOR = ValidatorKey(b"\x02" * 32)
KEYS = funded_keys(4)
A, B, C, D = KEYS


def make_app(min_gas_price: int = 0) -> Application:
    return Application(MemoryKV(), make_genesis(KEYS, VALIDATOR, BALANCE), min_gas_price=min_gas_price)


def send(
    key: AccountKey,
    nonce: int,
    amount: int = 1,
    *,
    fee: int = 10**14,
    gas_limit: int = GAS,
    to: AccountKey | None = None,
) -> bytes:
    recipient = (to or D).address
    return build_tx(
        key,
        chain_id=CHAIN_ID,
        nonce=nonce,
        msgs=[Transfer(recipient, "okt", amount)],
        gas_limit=gas_limit,
        fee=fee,
    )


def commit_block(
    app: Application, txs: list[bytes], pool: Mempool | None = None, rejected: bool = False
) -> FinalizedBlock:
    """Decide, execute and commit a block of ``txs`` like the node does, then update ``pool``."""
    tip = solo.ChainTip(
        app.chain_id,
        app.last,
        app.validators_hash,
        app.next_validators_hash,
        blockstore.commit_at(app.db, app.last.height),
    )
    block, commit = solo.decide(tip, txs, app.last.time_ns + 1_000_000_000, VALIDATOR)
    finalized = app.finalize_block(block, commit)
    app.commit()
    if pool is not None:
        pool.update(block.txs, all(r.ok for r in finalized.results) and not rejected)
    return finalized


def produce(app: Application, pool: Mempool) -> FinalizedBlock:
    proposal = app.prepare_proposal(pool.reap(app.params.max_block_txs, app.params.max_block_bytes))
    return commit_block(app, proposal.txs, pool, bool(proposal.rejected))


def test_future_nonces_wait_and_are_promoted() -> None:
    app = make_app()
    pool = Mempool(app)
    t0, t1, t2, t3 = (send(A, n) for n in range(4))
    r2 = pool.add(t2)
    assert r2.queued and r2.result.code == Code.OK
    assert r2.result.log == "queued: nonce 2 waits for nonce 0"
    r1 = pool.add(t1)
    assert r1.queued and r1.result.log == "queued: nonce 1 waits for nonce 0"
    assert len(pool) == 2
    assert pool.reap(100, 10**9) == []  # nothing is ready while nonce 0 is missing
    r0 = pool.add(t0)
    assert r0.result.ok and not r0.queued
    assert pool.reap(100, 10**9) == [t0, t1, t2]  # the gap closed: 1 and 2 were promoted
    r3 = pool.add(t3)
    assert r3.result.ok and not r3.queued  # the check state already counts 0..2
    assert pool.size_bytes == sum(map(len, (t0, t1, t2, t3)))
    fin = produce(app, pool)
    assert [r.code for r in fin.results] == [Code.OK] * 4
    assert len(pool) == 0 and pool.size_bytes == 0
    assert get_nonce(app.db, A.address) == 4


def test_future_txs_per_account_are_bounded() -> None:
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_future_per_account=2))
    assert pool.add(send(A, 1)).queued
    assert pool.add(send(A, 2)).queued
    refused = pool.add(send(A, 3))
    assert refused.result.code == Code.BAD_NONCE
    assert (
        refused.result.log
        == "nonce mismatch: expected 0, got 3 (a tx may wait at most 2 nonces ahead; 2 already waiting)"
    )
    other = pool.add(send(A, 1, amount=2))  # same nonce, different tx
    assert other.result.code == Code.BAD_NONCE
    assert other.result.log == "a tx with nonce 1 is already waiting"
    assert pool.add(send(B, 2)).queued  # the bound is per account
    assert not pool.add(send(B, 5)).queued  # and the window too: at most 2 nonces ahead
    assert len(pool) == 3
    assert sha256(send(A, 3)) not in pool


def test_stale_nonce_and_duplicates_refused() -> None:
    app = make_app()
    pool = Mempool(app)
    t0 = send(A, 0)
    assert pool.add(t0).result.ok
    dup = pool.add(t0)
    assert dup.result.code == Code.DUPLICATE_TX and dup.result.log == "tx is already in the mempool"
    future = send(A, 5)
    assert pool.add(future).queued
    assert pool.add(future).result.code == Code.DUPLICATE_TX
    assert len(pool) == 2
    produce(app, pool)
    stale = pool.add(send(A, 0, amount=9))
    assert stale.result.code == Code.BAD_NONCE
    assert stale.result.log == "nonce mismatch: expected 1, got 0"
    # A committed tx that comes back is no longer a duplicate in the pool: it is a replay.
    assert pool.add(t0).result.code == Code.BAD_NONCE


def test_total_size_limits() -> None:
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_txs=2))
    assert pool.add(send(A, 0)).result.ok
    assert pool.add(send(B, 0)).result.ok
    full = pool.add(send(C, 0))
    assert full.result.code == Code.MEMPOOL_FULL
    assert full.result.log.startswith("mempool is full (2 txs, ")
    produce(app, pool)
    assert len(pool) == 0
    assert pool.add(send(C, 0)).result.ok  # room again after the commit

    t_a, t_b = send(A, 1), send(B, 1)
    pool = Mempool(app, MempoolConfig(max_bytes=len(t_a) + len(t_b) - 1))
    assert pool.add(t_a).result.ok
    full = pool.add(t_b)
    assert full.result.code == Code.MEMPOOL_FULL
    assert full.result.log.startswith(f"mempool is full (1 txs, {len(t_a)} bytes): a fee of at least ")
    assert pool.size_bytes == len(t_a)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=3, max_size=3), st.integers(1, 60))
def test_the_cheap_full_pool_refusal_agrees_with_the_full_path(fees: list[int], offered: int) -> None:
    """What the API refuses from the encoded tx alone (no signature recovery) while the pool is full is
    exactly what the pool would refuse after the whole check: a tx paying no more than the cheapest."""
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_txs=3, evict_batch=1))
    assert pool.admission_floor() is None  # room: nothing is refused early
    for key, fee in zip((A, B, C), fees, strict=True):
        assert pool.add(send(key, 0, fee=fee * GAS)).result.ok
    full = pool.admission_floor()
    assert full is not None and full[1].startswith("3 txs, ")
    newcomer = send(D, 0, fee=offered * GAS)
    early = full_refusal(newcomer, *full)
    added = pool.add(newcomer)
    if early is not None:
        assert offered <= min(fees) and added.result.code == Code.MEMPOOL_FULL == early.code
        assert early.log.endswith("else retry after the next block") and early.log == added.result.log
    else:
        assert offered > min(fees) and added.result.ok  # it displaced the cheapest


def test_reap_orders_by_fee_per_gas_but_keeps_nonce_order() -> None:
    app = make_app()
    pool = Mempool(app)
    a0 = send(A, 0, fee=1 * GAS)  # cheapest
    a1 = send(A, 1, fee=100 * GAS)  # the most generous, but must wait for a0
    b0 = send(B, 0, fee=10 * GAS)
    c0 = send(C, 0, fee=40 * GAS, gas_limit=GAS)  # 40 per gas
    c1 = send(C, 1, fee=80 * GAS, gas_limit=4 * GAS)  # twice the fee but 4x the gas: 20 per gas
    d0 = send(D, 0, fee=10 * GAS)  # ties with b0: arrival order decides
    for raw in (a0, a1, b0, c0, c1, d0):
        assert pool.add(raw).result.ok
    assert pool.reap(100, 10**9) == [c0, c1, b0, d0, a0, a1]
    assert pool.reap(3, 10**9) == [c0, c1, b0]
    assert pool.reap(100, len(c0) + len(c1)) == [c0, c1]
    fin = produce(app, pool)
    assert all(r.ok for r in fin.results)
    assert len(pool) == 0


def test_check_state_carries_admitted_effects() -> None:
    app = make_app()
    pool = Mempool(app)
    fee = 10**14
    assert pool.add(send(A, 0, amount=BALANCE - 2 * fee, fee=fee)).result.ok
    broke = pool.add(send(A, 1, amount=1, fee=2 * fee))
    assert broke.result.code == Code.INSUFFICIENT_FEE_FUNDS
    assert broke.result.log == f"insufficient funds for fee: balance {fee}okt, needs {2 * fee}okt"
    assert pool.add(send(A, 1, amount=1, fee=fee // 2)).result.ok  # nonce 1 is still free after the refusal


def test_recheck_after_commit_drops_txs_that_became_invalid() -> None:
    app = make_app()
    pool = Mempool(app)
    a0 = send(A, 0, amount=1)
    b1 = send(B, 1, amount=1)  # waits for B's nonce 0
    c0 = send(C, 0, amount=1)
    assert pool.add(a0).result.ok
    assert pool.add(b1).queued
    assert pool.add(c0).result.ok
    # Another proposer's block: A and B spend everything with txs this pool never saw.
    fee = 10**14
    drain_a = send(A, 0, amount=BALANCE - fee, fee=fee, to=D)
    drain_b = send(B, 0, amount=BALANCE - fee, fee=fee, to=D)
    fin = commit_block(app, [drain_a, drain_b], pool)
    assert all(r.ok for r in fin.results)
    assert bank.get_balance(app.db, A.address, "okt") == 0
    assert sha256(a0) not in pool  # nonce 0 is used up
    assert sha256(b1) not in pool  # promoted, then refused: B cannot pay the fee any more
    assert sha256(c0) in pool  # still valid
    assert len(pool) == 1 and pool.size_bytes == len(c0)
    assert pool.reap(10, 10**9) == [c0]


def test_fee_below_min_gas_price_refused() -> None:
    app = make_app(min_gas_price=10)
    pool = Mempool(app)
    low = pool.add(send(A, 0, fee=10 * GAS - 1))
    assert low.result.code == Code.FEE_TOO_LOW
    assert low.result.log == f"fee too low: {10 * GAS - 1} < gas limit {GAS} × min gas price 10 = {10 * GAS}"
    assert len(pool) == 0
    assert pool.add(send(A, 0, fee=10 * GAS)).result.ok  # exactly the minimum; the refusal kept nothing
    fin = produce(app, pool)
    assert fin.results[0].ok and fin.results[0].fee == 10 * GAS


def test_signature_cache_filled_by_check_tx() -> None:
    app = make_app()
    pool = Mempool(app)
    t0, t1 = send(A, 0), send(B, 0)
    assert app.sig_cache.get(sha256(t0)) is None
    pool.add(t0)
    pool.add(t1)
    # check_tx recovered the signers once and cached them under the tx hash for block execution.
    assert app.sig_cache.get(sha256(t0)) == A.address
    assert app.sig_cache.get(sha256(t1)) == B.address
    txs = pool.reap(10, 10**9)
    tip = solo.ChainTip(app.chain_id, app.last, app.validators_hash, app.next_validators_hash, None)
    block, commit = solo.decide(tip, txs, app.last.time_ns + 1, VALIDATOR)
    finalized = app.finalize_block(block, commit)
    assert [r.signer for r in finalized.results] == [A.address, B.address]
    assert app.sig_cache.get(sha256(t0)) == A.address  # still there while the block is only finalized
    app.commit()
    pool.update(block.txs, all(r.ok for r in finalized.results))
    # Committed txs leave the cache (a replay fails on its nonce anyway).
    assert app.sig_cache.get(sha256(t0)) is None and app.sig_cache.get(sha256(t1)) is None


def test_signature_cache_is_bounded() -> None:
    app = Application(MemoryKV(), make_genesis(KEYS, VALIDATOR, BALANCE), sig_cache_size=2)
    pool = Mempool(app)
    txs = [send(k, 0) for k in (A, B, C)]
    for raw in txs:
        assert pool.add(raw).result.ok
    assert app.sig_cache.get(sha256(txs[0])) is None  # the oldest entry was evicted
    assert [app.sig_cache.get(sha256(t)) for t in txs[1:]] == [B.address, C.address]
    fin = produce(app, pool)  # an evicted entry only costs a second recovery
    assert [r.signer for r in fin.results] == [A.address, B.address, C.address]
    assert all(r.ok for r in fin.results)


def test_unfunded_future_txs_cannot_fill_the_pool() -> None:
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_txs=8))
    strangers = [AccountKey((1000 + i).to_bytes(32, "big")) for i in range(8)]
    results = [pool.add(send(s, 1)) for s in strangers]
    assert pool.add(send(A, 0)).result.ok, "a funded, correctly priced tx must not be locked out"
    assert all(r.result.code == Code.INSUFFICIENT_FEE_FUNDS and not r.queued for r in results)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["add", "block"]), st.integers(0, 2), st.integers(-1, 3), st.integers(1, 50)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_random_ops_keep_invariants(ops: list[tuple[str, int, int, int]]) -> None:
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_future_per_account=2))
    added: set[bytes] = set()
    for op, who, delta, fee_units in ops:
        if op == "block":
            before: dict[bytes, int] = {k.address: get_nonce(app.db, k.address) for k in KEYS[:3]}
            fin = produce(app, pool)
            seen: dict[bytes, list[int]] = {}
            for raw, result in zip(fin.block.txs, fin.results, strict=True):
                assert result.code != Code.BAD_NONCE
                tx = decode_tx(raw)
                seen.setdefault(result.signer, []).append(tx.nonce)
            for signer, nonces in seen.items():
                assert nonces == list(range(before[signer], before[signer] + len(nonces)))
            assert all(sha256(raw) not in pool for raw in fin.block.txs)
        else:
            key = KEYS[who]
            nonce = max(get_nonce(app.db, key.address) + delta, 0)
            raw = send(key, nonce, amount=fee_units, fee=fee_units * GAS)
            added.add(raw)
            pool.add(raw)
        inside = [raw for raw in added if sha256(raw) in pool]
        assert len(pool) == len(inside)
        assert pool.size_bytes == sum(map(len, inside))


def _check_view(pool: Mempool) -> tuple[list[bytes], list[tuple[int, int]]]:
    """What admission depends on: the ready txs in order, and every account's nonce and balance."""
    ready = [e.tx.hash for queue in pool._ready.values() for e in queue]
    accounts = [
        (get_nonce(pool._check_state, k.address), bank.get_balance(pool._check_state, k.address, "okt"))
        for k in KEYS
    ]
    return sorted(ready), accounts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["add", "add", "block"]), st.integers(0, 3), st.integers(0, 3), st.integers(1, 7)
        ),
        min_size=1,
        max_size=25,
    )
)
def test_fast_update_matches_a_full_recheck(ops: list[tuple[str, int, int, int]]) -> None:
    """The post-commit fast path must leave exactly what rebuilding the check state would."""
    app = make_app()
    pool = Mempool(app)
    for op, who, to, hundreds in ops:
        if op == "block":
            produce(app, pool)
            fast = _check_view(pool)
            pool._recheck_all()
            assert _check_view(pool) == fast
        else:
            key = KEYS[who]
            nonce = get_nonce(pool._check_state, key.address)
            pool.add(send(key, nonce, amount=hundreds * 100 * OKT, to=KEYS[to]))  # may exhaust funds


def test_parked_txs_must_be_runnable_and_paid_for() -> None:
    app = make_app(min_gas_price=1)
    pool = Mempool(app, MempoolConfig(max_future_per_account=8))
    stranger = AccountKey(b"\x55" * 32)  # holds nothing
    free = pool.add(send(stranger, 1, fee=0, gas_limit=0))
    assert free.result.code == Code.OUT_OF_GAS and not free.queued
    cheap = pool.add(send(A, 1, fee=GAS - 1))
    assert cheap.result.code == Code.FEE_TOO_LOW
    unfunded = pool.add(send(stranger, 1, fee=GAS))
    assert unfunded.result.code == Code.INSUFFICIENT_FEE_FUNDS
    assert "fees of waiting txs" in unfunded.result.log
    assert len(pool) == 0
    assert app.sig_cache.get(sha256(send(stranger, 1, fee=GAS))) is None  # refused txs leave the cache


def test_parked_txs_are_capped_in_total_and_expire() -> None:
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_future_total=2, future_ttl_blocks=2))
    assert pool.add(send(A, 1)).queued and pool.add(send(B, 1)).queued
    full = pool.add(send(C, 1))
    assert full.result.code == Code.MEMPOOL_FULL and "waiting for earlier nonces" in full.result.log
    for _ in range(3):
        assert len(pool) == 2
        produce(app, pool)
    assert len(pool) == 0  # waited more than 2 blocks for nonce 0
    assert pool.add(send(C, 1)).queued


def test_fee_priority_never_puts_a_failing_tx_in_a_block() -> None:
    """E is funded only by A's pending transfer; E's higher fee puts it first in the reap, so the proposer
    must leave it out of this block (it would fail unpaid) and include it once the funding is committed."""
    app = make_app()
    pool = Mempool(app)
    e = AccountKey(b"\x66" * 32)
    fund = send(A, 0, amount=10 * OKT, fee=10**14, to=e)
    spend = send(e, 0, amount=1, fee=10**15, to=B)
    assert pool.add(fund).result.ok and pool.add(spend).result.ok
    assert pool.reap(10, 10**9) == [spend, fund]
    first = produce(app, pool)
    assert first.block.txs == (fund,) and [r.code for r in first.results] == [Code.OK]
    assert sha256(spend) in pool
    second = produce(app, pool)
    assert second.block.txs == (spend,) and [r.code for r in second.results] == [Code.OK]
    assert len(pool) == 0


def test_unseen_committed_txs_are_replayed_not_rechecked(monkeypatch: MonkeyPatch) -> None:
    """Another proposer's block holding a tx this pool never saw keeps the fast path: the unseen tx runs on
    the check state (signer taken from the commit, no recovery) and nothing is re-checked."""
    app = make_app()
    pool = Mempool(app)
    a0, a1 = send(A, 0), send(A, 1)
    assert pool.add(a0).result.ok and pool.add(a1).result.ok
    b0 = send(B, 0, amount=5, to=C)  # never reaches this pool
    assert app.precheck(b0).result.ok  # its signer recovered once, as the node does for a received block
    rechecks: list[int] = []
    monkeypatch.setattr(pool, "_recheck_all", lambda: rechecks.append(1))
    recoveries: list[int] = []
    monkeypatch.setattr("okchain.tx.envelope.recover_address", lambda *_: recoveries.append(1))
    commit_block(app, [b0, a0], pool)
    assert rechecks == [] and recoveries == []
    assert sha256(a0) not in pool and sha256(a1) in pool
    assert get_nonce(pool._check_state, B.address) == 1
    assert get_nonce(pool._check_state, A.address) == 2
    assert bank.get_balance(pool._check_state, C.address, "okt") == bank.get_balance(app.db, C.address, "okt")


def test_unseen_tx_with_a_nonce_held_here_falls_back_to_a_recheck() -> None:
    app = make_app()
    pool = Mempool(app)
    mine = send(A, 0, amount=1)
    assert pool.add(mine).result.ok
    theirs = send(A, 0, amount=2)  # same nonce, another tx: cannot run on the check state
    commit_block(app, [theirs], pool)
    assert len(pool) == 0
    assert get_nonce(pool._check_state, A.address) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["add", "add", "foreign", "block"]),
            st.integers(0, 3),
            st.integers(0, 3),
            st.integers(1, 7),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_update_with_unseen_txs_matches_a_full_recheck(ops: list[tuple[str, int, int, int]]) -> None:
    """Blocks mixing this pool's txs with txs it never saw (another node's proposal) must leave exactly the
    check state and ready set that rebuilding from committed state would."""
    app = make_app()
    pool = Mempool(app)
    foreign: list[bytes] = []
    foreign_nonce: dict[int, int] = {}
    for op, who, to, hundreds in ops:
        key = KEYS[who]
        if op == "block":
            proposal = app.prepare_proposal(foreign + pool.reap(100, 10**9))
            foreign, foreign_nonce = [], {}
            commit_block(app, proposal.txs, pool)  # another proposer's block: what it left out is not ours
            fast = _check_view(pool)
            pool._recheck_all()
            assert _check_view(pool) == fast
        elif op == "foreign":
            nonce = max(get_nonce(app.db, key.address), foreign_nonce.get(who, 0))
            foreign_nonce[who] = nonce + 1
            foreign.append(send(key, nonce, amount=hundreds * 100 * OKT, to=KEYS[to]))
        else:
            nonce = get_nonce(pool._check_state, key.address)
            pool.add(send(key, nonce, amount=hundreds * 100 * OKT, to=KEYS[to]))


# --- a full pool: eviction for better-paying txs, refusal with a hint otherwise ---
def test_full_pool_refuses_equal_payers_with_a_hint_and_evicts_for_a_better_one() -> None:
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_txs=3, evict_batch=1))
    a0, a1, b0 = send(A, 0, fee=GAS), send(A, 1, fee=GAS), send(B, 0, fee=2 * GAS)
    assert all(pool.add(raw).result.ok for raw in (a0, a1, b0))
    same = pool.add(send(C, 0, fee=GAS))
    assert same.result.code == Code.MEMPOOL_FULL
    assert same.result.log.endswith(
        f"a fee of at least {GAS + 1}okt at this gas limit displaces its lowest-paying txs; else retry "
        "after the next block"
    )
    c0 = send(C, 0, fee=3 * GAS)
    assert pool.add(c0).result.ok
    assert sha256(a1) not in pool and sha256(a0) in pool  # A's last tx went, never the one before it
    assert pool.reap(10, 10**9) == [c0, b0, a0]
    assert pool.pending_nonce(A.address) == 1  # the evicted tx's effects left the check state
    assert pool.add(send(A, 1, fee=4 * GAS)).result.ok  # the freed nonce can come back, paying more
    refusal = RequestError.refusing(same.result)  # what BroadcastTx answers a wallet
    assert refusal.status == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "retry after the next block" in str(refusal)


def test_eviction_frees_a_batch_and_never_the_newcomers_own_txs() -> None:
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_txs=4, evict_batch=2))
    for raw in (send(A, 0, fee=GAS), send(A, 1, fee=GAS), send(B, 0, fee=GAS), send(B, 1, fee=GAS)):
        assert pool.add(raw).result.ok
    assert pool.add(send(B, 2, fee=5 * GAS)).result.ok  # evicts A's two, not B's own (its nonce order)
    assert len(pool) == 3 and pool.pending_nonce(A.address) == 0 and pool.pending_nonce(B.address) == 3
    assert pool.add(send(C, 0, fee=GAS)).result.ok  # the batch left room for one more


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["add", "add", "add", "ahead", "block"]), st.integers(0, 3), st.integers(1, 9)
        ),
        min_size=8,
        max_size=30,
    )
)
def test_eviction_leaves_what_a_full_recheck_would(ops: list[tuple[str, int, int]]) -> None:
    """After every admission into a small, full pool (evicting ready or parked txs, or refusing) the ready
    set and check state are what rebuilding from committed state would give, and the pool stays within its
    limit."""
    app = make_app()
    pool = Mempool(app, MempoolConfig(max_txs=4, evict_batch=2))
    for op, who, price in ops:
        if op == "block":
            produce(app, pool)
        else:
            key = KEYS[who]
            nonce = pool.pending_nonce(key.address) + (op == "ahead")  # "ahead": parked behind a gap
            pool.add(send(key, nonce, amount=price * 10 * OKT, fee=price * GAS))
        assert len(pool) <= 4
        view = _check_view(pool)
        pool._recheck_all()
        assert _check_view(pool) == view
