"""The application driven block by block like a node does (solo.decide → finalize_block → commit)."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from okchain.app import AppError, Application
from okchain.crypto.hashing import sha256
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank.messages import MultiSend, Output, Transfer
from okchain.state import blockstore, schema
from okchain.state.leveldb import LevelDB
from okchain.state.merkle_proof import reference_root
from okchain.state.store import KVStore, MemoryKV
from okchain.tx.envelope import decode_tx
from okchain.tx.gas import required_gas
from okchain.types.block import Block, results_hash, txs_hash
from okchain.types.params import ChainParams
from okchain.types.refusal import RefusalCode
from okchain.types.results import Code
from tests.helpers.app import (
    BALANCE,
    FEE,
    KEYS,
    VALIDATOR,
    Chain,
    assert_supply_conserved,
    genesis,
    okt,
    send,
    state_items,
    tx,
    tx_state_items,
    with_signature,
)
from tests.helpers.chain import OKT, make_genesis


@pytest.fixture(params=["memory", "leveldb"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KVStore]:
    store: KVStore = MemoryKV() if request.param == "memory" else LevelDB(tmp_path / "db")
    yield store
    store.close()


def test_genesis_state(db: KVStore) -> None:
    chain = Chain(db, genesis())
    assert chain.app.last.height == 0
    for key in KEYS:
        assert okt(db, key) == BALANCE
        assert get_nonce(db, key.address) == 0
    assert okt(db, FEE_COLLECTOR) == 0
    assert_supply_conserved(db)
    assert chain.app.last.app_hash == reference_root(state_items(db)) == chain.app.tree.root()


def test_transfers_move_exact_amounts(db: KVStore) -> None:
    chain = Chain(db, genesis())
    a, b, c, d = KEYS
    t1 = send(a, 0, b, 7, fee=FEE)
    t2 = tx(a, 1, [MultiSend((Output(c.address, "okt", 11), Output(d.address, "okt", 13)))], fee=3 * FEE)
    t3 = send(b, 0, a, 5 * OKT, fee=0)
    fin = chain.produce([t1, t2, t3])
    assert [r.code for r in fin.results] == [Code.OK, Code.OK, Code.OK]
    params = chain.app.params
    assert [r.gas_used for r in fin.results] == [required_gas(decode_tx(t), params) for t in (t1, t2, t3)]
    assert [r.fee for r in fin.results] == [FEE, 3 * FEE, 0]
    assert fin.results[0].signer == a.address and fin.results[2].signer == b.address
    assert okt(db, a) == BALANCE - 7 - FEE - 24 - 3 * FEE + 5 * OKT
    assert okt(db, b) == BALANCE + 7 - 5 * OKT
    assert okt(db, c) == BALANCE + 11
    assert okt(db, d) == BALANCE + 13
    assert okt(db, FEE_COLLECTOR) == 4 * FEE
    assert (get_nonce(db, a.address), get_nonce(db, b.address), get_nonce(db, c.address)) == (2, 1, 0)
    events = fin.results[1].events
    assert [dict(e.attributes)["amount"] for e in events] == ["11", "13"]
    assert_supply_conserved(db)
    # A transfer to an unknown address creates the account; sending it all empties (deletes) the balance.
    fresh = AccountKey(b"\x42" * 32)
    chain.produce([send(c, 0, fresh, 2 * FEE)])
    assert okt(db, fresh) == 2 * FEE
    chain.produce([send(fresh, 0, d, FEE, fee=FEE)])
    assert okt(db, fresh) == 0
    assert db.get(schema.balance(fresh.address, "okt")) is None
    assert_supply_conserved(db)


def test_failed_txs_pay_fee_bump_nonce_and_roll_back(db: KVStore) -> None:
    chain = Chain(db, genesis())
    a, b, c, _ = KEYS
    too_much = send(a, 0, c, BALANCE)  # fee is charged first, then the balance is short by FEE
    out_of_gas = send(b, 0, c, 1, gas_limit=1_000)
    half_good = tx(c, 0, [Transfer(a.address, "okt", 1), Transfer(b.address, "okt", 2 * BALANCE)])
    fin = chain.produce([too_much, out_of_gas, half_good])
    codes = [r.code for r in fin.results]
    assert codes == [Code.INSUFFICIENT_FUNDS, Code.OUT_OF_GAS, Code.INSUFFICIENT_FUNDS]
    assert fin.results[0].log == (
        f"insufficient funds for transfer: balance {BALANCE - FEE}okt, needs {BALANCE}okt"
    )
    needed = required_gas(decode_tx(out_of_gas), chain.app.params)
    assert fin.results[1].log == f"out of gas: needs {needed}, gas limit is 1000"
    assert fin.results[1].gas_used == 1_000
    # Fee paid and nonce bumped; nothing else moved (the first transfer of half_good is rolled back too).
    assert okt(db, a) == BALANCE - FEE
    assert okt(db, b) == BALANCE - FEE
    assert okt(db, c) == BALANCE - FEE
    assert okt(db, FEE_COLLECTOR) == 3 * FEE
    assert [get_nonce(db, k.address) for k in (a, b, c)] == [1, 1, 1]
    assert all(r.fee == FEE for r in fin.results)
    assert all(r.events == () for r in fin.results)
    assert_supply_conserved(db)
    # The next nonce is 1 for each of them and works.
    fin = chain.produce([send(a, 1, b, 1), send(b, 1, c, 1), send(c, 1, a, 1)])
    assert all(r.ok for r in fin.results)


def test_rejected_txs_change_nothing(db: KVStore) -> None:
    chain = Chain(db, genesis())
    a, b, _, _ = KEYS
    chain.produce([send(a, 0, b, 1)])  # a's next nonce is 1
    before_state = tx_state_items(db)
    good = send(a, 1, b, 1)
    stranger = AccountKey(b"\x33" * 32)
    nonce0 = decode_tx(send(a, 0, b, 2))  # signed by a, but v flipped: recovers an unfunded address (nonce 0)
    flipped = with_signature(nonce0.raw, nonce0.signature[:64] + bytes([nonce0.signature[64] ^ 1]))
    cases: list[tuple[bytes, Code, str]] = [
        (send(a, 0, b, 1), Code.BAD_NONCE, "nonce mismatch: expected 1, got 0"),
        (send(a, 2, b, 1), Code.BAD_NONCE, "nonce mismatch: expected 1, got 2"),
        (flipped, Code.INSUFFICIENT_FEE_FUNDS, f"insufficient funds for fee: balance 0okt, needs {FEE}okt"),
        (send(stranger, 0, b, 1), Code.INSUFFICIENT_FEE_FUNDS, "insufficient funds for fee"),
    ]
    malformed: list[tuple[bytes, Code, str]] = [
        (
            send(a, 1, b, 1, chain_id="other-chain"),
            Code.WRONG_CHAIN_ID,
            "wrong chain id: expected 'okchain-test-1', got 'other-chain'",
        ),
        (
            with_signature(good, decode_tx(good).signature[:64] + b"\x07"),
            Code.BAD_SIGNATURE,
            "signature recovery id must be 0..3, got 7",
        ),
        (b"\xde\xad\xbe\xef", Code.TX_DECODE, "tx is not a valid TxRaw protobuf"),
        (b"", Code.TX_DECODE, "signature must be 65 bytes, got 0"),
        (b"\x00" * (64 * 1024 + 1), Code.TX_TOO_LARGE, "tx is 65537 bytes, limit is 65536"),
        (
            send(a, 1, b, 1, gas_limit=10_000_001),
            Code.GAS_LIMIT_TOO_HIGH,
            "gas limit 10000001 exceeds the maximum 10000000",
        ),
    ]
    for raw, code, log in malformed:  # library verdicts (decoding, recovery) never reach a block
        chain.refuse_malformed(raw, code, log)
    fin = chain.produce([raw for raw, _, _ in cases])
    for (_, code, log), result in zip(cases, fin.results, strict=True):
        assert result.code == code
        assert log in result.log
        assert result.gas_used == 0 and result.fee == 0
    assert tx_state_items(db) == before_state
    assert chain.app.last.height == 2
    # The block and its results are stored even though no state changed.
    stored = blockstore.block_at(db, 2)
    assert stored is not None and list(stored.txs) == [raw for raw, _, _ in cases]
    results = blockstore.results_at(db, 2)
    assert results is not None and [r.code for r in results.tx_results] == [int(c) for _, c, _ in cases]


def test_multisend_and_message_limits(tmp_path: Path) -> None:
    params = ChainParams(max_multisend_outputs=3, max_msgs_per_tx=2)
    chain = Chain(MemoryKV(), genesis(params))
    a, b, c, d = KEYS
    outs = tuple(Output(k.address, "okt", 1) for k in (b, c, d, b))
    too_many_outputs = tx(a, 0, [MultiSend(outs)])
    too_many_msgs = tx(a, 0, [Transfer(b.address, "okt", 1)] * 3)
    at_limit = tx(a, 0, [MultiSend(outs[:3]), Transfer(b.address, "okt", 1)])
    # refused before the fee: nonce and balances untouched, and no block may carry them
    chain.refuse_malformed(
        too_many_outputs, Code.INVALID_MSG, "message 0: multi-send has 4 outputs, limit is 3"
    )
    chain.refuse_malformed(too_many_msgs, Code.INVALID_MSG, "tx has 3 messages, limit is 2")
    fin = chain.produce([at_limit])
    assert fin.results[0].code == Code.OK
    assert okt(chain.db, b) == BALANCE + 2
    assert_supply_conserved(chain.db)


def _mixed_blocks() -> list[list[bytes]]:
    a, b, c, d = KEYS
    return [
        [send(a, 0, b, 1), send(b, 0, c, 2 * OKT), tx(c, 0, [MultiSend((Output(d.address, "okt", 5),))])],
        [send(a, 1, b, BALANCE), send(c, 5, a, 1), send(d, 0, a, 3, gas_limit=10), send(a, 7, b, 1)],
        [],
        [send(a, 2, d, 9, fee=0), send(d, 1, a, 4, fee=2 * FEE, memo="last")],
    ]


def test_two_apps_execute_identically(tmp_path: Path) -> None:
    one = Chain(MemoryKV(), genesis())
    two = Chain(LevelDB(tmp_path / "two"), genesis())
    try:
        assert one.app.last == two.app.last
        hashes = [one.app.last.app_hash]
        for txs in _mixed_blocks():
            block, commit = one.decide(txs)
            assert two.decide(txs) == (block, commit)  # same tip, time and key: the same signed block
            f1, f2 = one.apply(block, commit), two.apply(block, commit)
            assert f1.app_hash == f2.app_hash
            assert f1.results == f2.results
            assert one.app.last == two.app.last
            assert state_items(one.db) == state_items(two.db)
            hashes.append(f1.app_hash)
        assert len(set(hashes)) == 5  # genesis + 4 blocks, the empty one too: its begin counts signatures
        assert_supply_conserved(one.db)
    finally:
        two.db.close()


def test_restart_continues_from_leveldb(tmp_path: Path) -> None:
    path = tmp_path / "db"
    twin = Chain(MemoryKV(), genesis())
    chain = Chain(LevelDB(path), genesis())
    blocks = _mixed_blocks()
    for txs in blocks[:3]:
        block, commit = chain.decide(txs)
        chain.apply(block, commit)
        twin.apply(block, commit)
    last, root = chain.app.last, chain.app.tree.root()
    chain.db.close()

    reopened = Chain(LevelDB(path), genesis())
    try:
        assert reopened.app.last == last
        assert reopened.app.tree.root() == root == last.app_hash
        assert reopened.last_commit is not None and reopened.last_commit.height == last.height
        assert reopened.decide(blocks[3]) == twin.decide(blocks[3])
        fin = reopened.apply(*reopened.decide(blocks[3]))
        twin_fin = twin.apply(*twin.decide(blocks[3]))
        assert fin.app_hash == twin_fin.app_hash
        assert [r.code for r in fin.results] == [Code.OK, Code.OK]
        assert reopened.app.last.height == last.height + 1
    finally:
        reopened.db.close()

    base = genesis()
    other_chain = GenesisDoc(dataclasses.replace(base.header, chain_id="okchain-other-1"), base.accounts)
    db = LevelDB(path)
    try:
        with pytest.raises(AppError, match="different genesis or chain id"):
            Application(db, other_chain)
    finally:
        db.close()


def test_restart_refuses_genesis_with_other_accounts(tmp_path: Path) -> None:
    db = LevelDB(tmp_path / "db")
    try:
        Chain(db, genesis())
        with pytest.raises(AppError, match="different genesis"):
            Application(db, make_genesis(KEYS[:2], VALIDATOR, BALANCE))
    finally:
        db.close()


def test_process_proposal_rejects_bad_blocks() -> None:
    chain = Chain(MemoryKV(), genesis())
    chain.produce([send(KEYS[0], 0, KEYS[1], 1)])
    txs = [send(KEYS[0], 1, KEYS[1], 1)]
    block, commit = chain.decide(txs)
    assert chain.app.process_proposal(block) is None

    def with_header(**changes: object) -> Block:
        return dataclasses.replace(block, header=dataclasses.replace(block.header, **changes))  # type: ignore[arg-type]

    bad = [
        (with_header(height=3), "expected height 2, got 3"),
        (with_header(height=1), "expected height 2, got 1"),
        (with_header(app_hash=b"\x00" * 32), "app hash does not match"),
        (with_header(txs_hash=txs_hash([])), "txs hash does not match"),
        (dataclasses.replace(block, txs=(*block.txs, b"extra")), "txs hash does not match"),
        (with_header(chain_id="other"), "wrong chain id 'other'"),
        (with_header(last_block_hash=b"\x01" * 32), "last block hash does not match"),
        (with_header(last_results_hash=b"\x01" * 32), "last results hash does not match"),
        (with_header(validators_hash=b"\x01" * 32), "validators hash does not match"),
        (with_header(time_ns=chain.app.last.time_ns), "is not the BFT time of the last commit"),
    ]
    for candidate, reason in bad:
        refusal = chain.app.process_proposal(candidate)
        assert refusal is not None and reason in refusal.reason
        with pytest.raises(AppError, match="cannot finalize block"):
            chain.app.finalize_block(candidate, commit)
    with pytest.raises(AppError, match="commit called without a finalized block"):
        chain.app.commit()
    assert chain.app.last.height == 1
    fin = chain.apply(block, commit)
    assert fin.results[0].ok


def test_header_links_previous_block() -> None:
    chain = Chain(MemoryKV(), genesis())
    first = chain.produce([send(KEYS[0], 0, KEYS[1], 1), send(KEYS[1], 3, KEYS[0], 1)])
    block, _ = chain.decide([])
    assert block.header.last_block_hash == first.block.hash
    assert block.header.app_hash == first.app_hash
    assert block.header.last_results_hash == results_hash(first.results)
    assert block.last_commit is not None and block.last_commit.block_hash == first.block.hash


def test_merkle_root_equals_reference_root(db: KVStore) -> None:
    chain = Chain(db, genesis())
    for txs in _mixed_blocks():
        fin = chain.produce(txs)
        items = state_items(db)
        assert reference_root(items) == fin.app_hash == chain.app.tree.root() == chain.app.last.app_hash
    assert any(k.startswith(schema.STATE + b"auth/n/") for k in state_items(db))


def test_block_store_and_tx_index(db: KVStore) -> None:
    chain = Chain(db, genesis())
    t1, t2 = send(KEYS[0], 0, KEYS[1], 1), send(KEYS[0], 1, KEYS[1], BALANCE)
    fin = chain.produce([t1, t2])
    assert blockstore.block_at(db, 1) == fin.block
    assert blockstore.commit_at(db, 1) == fin.commit
    assert blockstore.height_of_hash(db, fin.block.hash) == 1
    assert blockstore.last_committed(db) == chain.app.last
    stored = blockstore.tx_by_hash(db, sha256(t2))
    assert stored is not None
    assert (stored.raw, stored.height, stored.index) == (t2, 1, 1)
    assert stored.result.code == Code.INSUFFICIENT_FUNDS
    assert stored.time_ns == fin.block.header.time_ns
    assert blockstore.tx_by_hash(db, sha256(b"nope")) is None


def test_block_with_the_same_tx_twice_is_refused() -> None:
    chain = Chain(MemoryKV(), genesis())
    t = send(KEYS[0], 0, KEYS[1], 1)
    block, _ = chain.decide([t, t])
    refusal = chain.app.process_proposal(block)
    assert refusal is not None and refusal.code == RefusalCode.DUPLICATE_TX
    assert refusal.reason == "block contains the same tx twice"


def test_tx_replayed_in_a_later_block_keeps_its_original_index() -> None:
    chain = Chain(MemoryKV(), genesis())
    t = send(KEYS[0], 0, KEYS[1], 1)
    first = chain.produce([t])
    replay = chain.produce([t])  # a byzantine proposer may re-include a committed tx
    assert [r.code for r in first.results] == [Code.OK]
    assert [r.code for r in replay.results] == [Code.BAD_NONCE]
    stored = blockstore.tx_by_hash(chain.db, sha256(t))
    assert stored is not None
    assert stored.height == first.block.header.height and stored.result.code == Code.OK
