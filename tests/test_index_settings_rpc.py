"""The address index under the node's settings, from real node processes: pruned with the blocks by
``state_retention_heights`` (served pages, height and cursor refusals, and the keys left in LevelDB), and
not written at all with ``address_index = false``."""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.crypto.hashing import sha256
from okchain.modules.bank.messages import Transfer
from okchain.node.home import Home
from okchain.rpc.paging import encode_token
from okchain.state import schema, versions
from okchain.state.leveldb import LevelDB
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from tests.helpers.chain import CHAIN_ID, funded_keys
from tests.helpers.processes import NodeProcess, init_node

SENDER, RECEIVER = funded_keys(2)
RETENTION = 8


@contextmanager
def node_with(directory: Path, **settings: str) -> Iterator[NodeProcess]:
    """A started node whose config.toml has ``settings``; killed after the block if still running."""
    proc = init_node(directory, [SENDER, RECEIVER], block_time_ms=100)
    config = Home(proc.home).config_file
    text = config.read_text()
    for key, value in settings.items():
        text, found = _replace_setting(text, key, value)
        assert found, key
    config.write_text(text)
    proc.start()
    try:
        yield proc
    finally:
        if proc.proc is not None and proc.proc.poll() is None:
            proc.kill()


def _replace_setting(text: str, key: str, value: str) -> tuple[str, bool]:
    lines = text.splitlines()
    at = [i for i, line in enumerate(lines) if line.startswith(f"{key} = ")]
    for i in at:
        lines[i] = f"{key} = {value}"
    return "\n".join(lines) + "\n", bool(at)


def send(channel: grpc.Channel, nonce: int) -> int:
    """Commit SENDER → RECEIVER transfer ``nonce``; its height."""
    msgs: list[Msg] = [Transfer(RECEIVER.address, "okt", 1)]
    raw = build_tx(SENDER, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=100_000, fee=100_000 * 10**9)
    request = query_pb2.BroadcastTxRequest(tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=20_000)
    reply = query_pb2_grpc.TxServiceStub(channel).BroadcastTx(request, timeout=30)
    assert reply.committed and reply.result.code == 0 and reply.tx_hash == sha256(raw)
    return int(reply.height)


def earliest(channel: grpc.Channel) -> int:
    return int(query_pb2_grpc.NodeServiceStub(channel).NodeInfo(query_pb2.NodeInfoRequest()).earliest_height)


def index_heights(home: Path, prefix: bytes) -> list[int]:
    """The heights of the index keys under ``prefix`` in the stopped node's LevelDB."""
    db = LevelDB(Home(home).data_dir)
    try:
        keys = [key for key, _ in db.iterate(prefix)]
        if prefix == schema.ADDRESS_TXS:
            return [schema.read_address_txs_position(key[-12:])[0] for key in keys]
        return [schema.read_u64(key[-8:]) for key in keys]
    finally:
        db.close()


def stored_earliest(home: Path) -> int:
    db = LevelDB(Home(home).data_dir)
    try:
        return versions.earliest_height(db)
    finally:
        db.close()


def test_the_index_is_pruned_with_the_blocks(tmp_path: Path) -> None:
    with node_with(tmp_path, state_retention_heights=str(RETENTION)) as node:
        with grpc.insecure_channel(node.target) as channel:
            txs = query_pb2_grpc.TxServiceStub(channel)
            me = to_checksum(SENDER.address)
            old = [send(channel, n) for n in range(3)]
            first = txs.TxsByAddress(query_pb2.TxsByAddressRequest(address=me, page_size=1))
            assert first.txs[0].height == old[-1] and first.next_page_token
            deadline = time.monotonic() + 30
            while earliest(channel) <= old[-1] + 1:
                assert time.monotonic() < deadline, "the node did not prune"
                time.sleep(0.1)
            new = send(channel, 3)
            listed = txs.TxsByAddress(query_pb2.TxsByAddressRequest(address=me))
            assert [t.height for t in listed.txs] == [new] and listed.next_page_token == ""
            pruned = rf"height {old[0]} is pruned; earliest available height is \d+"
            for request in (
                query_pb2.TxsByAddressRequest(address=me, height=old[0]),
                query_pb2.TxsByAddressRequest(address=me, page_token=encode_token(old[0], 0)),
            ):
                with pytest.raises(grpc.RpcError) as gone:
                    txs.TxsByAddress(request)
                assert gone.value.code() == grpc.StatusCode.OUT_OF_RANGE
                assert re.fullmatch(pruned, gone.value.details() or ""), gone.value.details()
            with pytest.raises(grpc.RpcError) as block_gone:
                txs.TxsByBlock(query_pb2.TxsByBlockRequest(height=old[0]))
            assert block_gone.value.code() == grpc.StatusCode.OUT_OF_RANGE
            # the pruner keeps running: the earliest height may have moved since
            assert re.search(r"earliest available height is \d+", block_gone.value.details() or "")
        assert node.stop() == 0
        floor = stored_earliest(node.home)
        for prefix in (schema.ADDRESS_TXS, schema.ADDRESS_TXS_OF_BLOCK, schema.TX_TOTALS):
            heights = index_heights(node.home, prefix)
            assert heights and min(heights) >= floor, (prefix, floor, heights)
        assert index_heights(node.home, schema.ADDRESS_TXS) == [new, new]  # as signer, as recipient


def test_address_index_off(tmp_path: Path) -> None:
    with node_with(tmp_path, address_index="false") as node:
        with grpc.insecure_channel(node.target) as channel:
            height = send(channel, 0)
            txs = query_pb2_grpc.TxServiceStub(channel)
            with pytest.raises(grpc.RpcError) as off:
                txs.TxsByAddress(query_pb2.TxsByAddressRequest(address=to_checksum(SENDER.address)))
            assert off.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "address_index = false" in (off.value.details() or "")
            in_block = txs.TxsByBlock(query_pb2.TxsByBlockRequest(height=height))
            assert [t.signer for t in in_block.txs] == [to_checksum(SENDER.address)]
        assert node.stop() == 0
        assert index_heights(node.home, schema.ADDRESS_TXS) == []
        assert index_heights(node.home, schema.ADDRESS_TXS_OF_BLOCK) == []
        assert height in index_heights(node.home, schema.TX_TOTALS)
