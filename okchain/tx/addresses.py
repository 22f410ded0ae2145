"""Who a transaction concerns: its recipients (read from its decoded messages), and the address-index
entries a block's txs make (``okchain.state.indexes`` lays out the keys)."""

from collections.abc import Callable, Sequence

from okchain.crypto.address import Address
from okchain.crypto.hashing import sha256
from okchain.modules.bank.messages import MultiSend, Transfer
from okchain.state import indexes
from okchain.state.store import KVReader
from okchain.tx.envelope import Tx, decode_tx
from okchain.tx.registry import Msg
from okchain.types.fields import TxDecodeError
from okchain.types.results import TxResult


def recipients(msgs: Sequence[Msg]) -> tuple[Address, ...]:
    """The accounts a tx's messages pay: bank transfer recipients and multi-send outputs, in message order,
    each once. The one place that decides who "received" a tx (the address index and ``TxInfo`` use it)."""
    found: dict[Address, None] = {}
    for msg in msgs:
        if isinstance(msg, Transfer):
            found[msg.to] = None
        elif isinstance(msg, MultiSend):
            found.update(dict.fromkeys(o.to for o in msg.outputs))
    return tuple(found)


def block_index_writes(
    reader: KVReader,
    height: int,
    txs: Sequence[bytes],
    results: Sequence[TxResult],
    known: Callable[[bytes], tuple[Tx, Address] | None],
    addresses: bool,
) -> dict[bytes, bytes | None]:
    """The index writes of block ``height`` for its write batch: the running tx count, and with
    ``addresses`` (node setting ``address_index``) the address-index entries. ``reader``: committed data
    (the previous block's count)."""
    writes = indexes.tx_total_writes(reader, height, len(txs))
    if addresses:
        writes.update(address_index_writes(height, txs, results, known))
    return writes


def address_index_writes(
    height: int,
    txs: Sequence[bytes],
    results: Sequence[TxResult],
    known: Callable[[bytes], tuple[Tx, Address] | None],
) -> dict[bytes, bytes | None]:
    """The address-index entries of block ``height`` (signer and recipients of every tx, failed ones too:
    they paid their fee). ``known``: an already decoded tx by hash (the signature cache's
    ``get_verified``), so most txs are not decoded again."""
    entries: list[indexes.Entry] = []
    for index, (raw, result) in enumerate(zip(txs, results, strict=True)):
        if result.signer:
            entries.append(indexes.Entry(Address(result.signer), indexes.Role.SENDER, index))
        verified = known(sha256(raw))
        if verified is not None:
            tx = verified[0]
        else:
            try:
                tx = decode_tx(raw)
            except TxDecodeError:  # cannot be in a committed block (process_proposal refuses it)
                continue
        entries.extend(indexes.Entry(to, indexes.Role.RECIPIENT, index) for to in recipients(tx.msgs))
    return indexes.block_writes(height, entries)
