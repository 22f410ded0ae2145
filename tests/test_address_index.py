"""The address index and tx totals on their own (``okchain.state.indexes``, ``okchain.tx.addresses``): who a
block's txs concern, newest-first pages that read a bounded number of keys, and pruning that removes
exactly what a block wrote."""

from collections.abc import Iterator

from okchain.crypto.address import Address
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import MultiSend, Output, Transfer
from okchain.state import indexes, schema
from okchain.state.store import MemoryKV
from okchain.tx.addresses import block_index_writes, recipients
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.results import Code, TxResult
from tests.helpers.chain import CHAIN_ID, funded_keys

A, B, C = funded_keys(3)
SENDER, RECIPIENT = indexes.Role.SENDER, indexes.Role.RECIPIENT
BOTH = (SENDER, RECIPIENT)
START = (10**6, indexes.LAST_INDEX)


def _addr(i: int) -> Address:
    return Address(bytes([7]) + i.to_bytes(19, "big"))


class CountingKV(MemoryKV):
    """Counts the keys iterations hand out, to show a page's cost does not grow with the index."""

    read = 0

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        for item in super().iterate(prefix, start):
            self.read += 1
            yield item


def _block(db: MemoryKV, height: int, txs: list[tuple[bytes, bytes]], addresses: bool = True) -> None:
    """Commit the index writes of a block of ``(raw tx, signer)`` pairs."""
    results = [TxResult(Code.OK, "", 0, 0, (), signer) for _, signer in txs]
    raws = [raw for raw, _ in txs]
    db.write(block_index_writes(db, height, raws, results, lambda tx_hash: None, addresses))


def _send(key: AccountKey, nonce: int, *msgs: Msg) -> bytes:
    return build_tx(key, chain_id=CHAIN_ID, nonce=nonce, msgs=list(msgs), gas_limit=1, fee=1)


def test_recipients_in_message_order_each_once() -> None:
    msgs = (
        Transfer(B.address, "okt", 1),
        MultiSend((Output(C.address, "okt", 1), Output(B.address, "okt", 2), Output(A.address, "okt", 3))),
    )
    assert recipients(msgs) == (B.address, C.address, A.address)


def test_pages_are_newest_first_and_a_tx_in_both_roles_shows_once() -> None:
    db = MemoryKV()
    _block(db, 1, [(_send(A, 0, Transfer(B.address, "okt", 1)), A.address)])
    _block(db, 2, [(_send(B, 0, Transfer(A.address, "okt", 1)), B.address)])
    self_pay = _send(A, 1, Transfer(A.address, "okt", 1))
    _block(db, 3, [(_send(C, 0, Transfer(C.address, "okt", 1)), C.address), (self_pay, A.address)])
    assert indexes.txs_of(db, A.address, BOTH, START, 10) == ([(3, 1), (2, 0), (1, 0)], None)
    assert indexes.txs_of(db, A.address, (SENDER,), START, 10) == ([(3, 1), (1, 0)], None)
    assert indexes.txs_of(db, A.address, (RECIPIENT,), START, 10) == ([(3, 1), (2, 0)], None)
    assert indexes.txs_of(db, A.address, BOTH, START, 2) == ([(3, 1), (2, 0)], (1, 0))
    assert indexes.txs_of(db, A.address, BOTH, (1, 0), 2) == ([(1, 0)], None)
    assert indexes.txs_of(db, A.address, BOTH, (2, indexes.LAST_INDEX), 5) == ([(2, 0), (1, 0)], None)
    assert indexes.tx_total(db, 3) == 4 and indexes.tx_total(db, 1) == 1


def test_a_page_reads_a_bounded_number_of_keys_whatever_the_index_size() -> None:
    db = CountingKV()
    for height in range(1, 401):
        _block(db, height, [(_send(A, height, Transfer(_addr(height), "okt", 1)), A.address)])
    for start in (START, (200, 0)):
        db.read = 0
        found, following = indexes.txs_of(db, A.address, BOTH, start, 30)
        assert len(found) == 30 and following is not None
        assert db.read <= 2 * 31


def test_pruning_removes_exactly_what_a_block_wrote() -> None:
    db = MemoryKV()
    _block(
        db,
        1,
        [(_send(A, 0, MultiSend((Output(B.address, "okt", 1), Output(C.address, "okt", 1)))), A.address)],
    )
    before = dict(db.iterate(b""))
    _block(db, 2, [(_send(B, 0, Transfer(A.address, "okt", 1)), B.address)])
    db.write(indexes.prune_writes(db, 2))
    assert dict(db.iterate(b"")) == before
    db.write(indexes.prune_writes(db, 1))
    assert dict(db.iterate(b"")) == {}


def test_without_the_address_index_only_tx_totals_are_written() -> None:
    db = MemoryKV()
    raw = _send(A, 0, Transfer(B.address, "okt", 1))
    _block(db, 5, [(raw, A.address)], addresses=False)
    assert list(db.iterate(b"")) == [(schema.tx_total(5), schema.u64(1))]
