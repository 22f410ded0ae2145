"""StreamQuery against real node processes: live blocks in order, resuming from a past height without gaps or
duplicates, txs filtered by address, DEX fills, consensus steps; and the limits: heights no longer kept, a
subscriber too slow to keep up, the cap on subscribers."""

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc
import pytest

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain._pb.stream.v1 import stream_pb2, stream_pb2_grpc
from okchain.crypto.address import to_bech32, to_checksum
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex.messages import ListPair, Side
from okchain.modules.token.messages import IssueToken
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys
from tests.helpers.dex import order, place
from tests.helpers.processes import NodeProcess, configure, init_node, serve

PAYER, PAYEE, OTHER, DEALER = funded_keys(4)
GAS = 400_000
BUFFER = 4
CAP = 2
T = TypeVar("T")
Status = grpc.StatusCode


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from serve(
        init_node(tmp_path_factory.mktemp("streams"), [PAYER, PAYEE, OTHER, DEALER], block_time_ms=100)
    )


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """A node keeping 5 heights, serving at most ``CAP`` streams, each buffering ``BUFFER`` events."""
    proc = init_node(tmp_path_factory.mktemp("streams-limited"), [PAYER, PAYEE], block_time_ms=100)
    configure(proc, state_retention_heights=5, stream_max_subscribers=CAP, stream_buffer_events=BUFFER)
    yield from serve(proc)


@pytest.fixture(scope="module")
def channel(node: NodeProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(node.target) as ch:
        yield ch


def streams(channel: grpc.Channel) -> stream_pb2_grpc.StreamQueryStub:
    return stream_pb2_grpc.StreamQueryStub(channel)


def latest(channel: grpc.Channel) -> int:
    info = query_pb2_grpc.NodeServiceStub(channel).NodeInfo(query_pb2.NodeInfoRequest(), timeout=10)
    return int(info.latest_height)


def take(stream: Any, n: int) -> list[Any]:
    out = list(itertools.islice(stream, n))
    stream.cancel()
    return out


def commit(
    channel: grpc.Channel, key: AccountKey, nonce: int, msgs: list[Msg]
) -> query_pb2.BroadcastTxResponse:
    raw = build_tx(key, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=GAS, fee=GAS * 10**9)
    request = query_pb2.BroadcastTxRequest(tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=20_000)
    reply: query_pb2.BroadcastTxResponse = query_pb2_grpc.TxServiceStub(channel).BroadcastTx(
        request, timeout=30
    )
    assert reply.committed and reply.result.code == 0, reply
    return reply


def refused(call: Callable[[], object], code: grpc.StatusCode, text: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code and text in (caught.value.details() or ""), caught.value.details()


def eventually(check: Callable[[], T], timeout_s: float = 10.0) -> T:
    """``check()`` once it stops raising (a stream's slot is freed a moment after its client leaves)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return check()
        except (AssertionError, grpc.RpcError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_live_blocks_arrive_in_order(channel: grpc.Channel) -> None:
    before = latest(channel)
    events = take(streams(channel).SubscribeBlocks(stream_pb2.SubscribeBlocksRequest(), timeout=30), 5)
    heights = [e.height for e in events]
    assert heights[0] > before and heights == list(range(heights[0], heights[0] + 5))
    stub = query_pb2_grpc.NodeServiceStub(channel)
    for e in events:
        stored = stub.BlockByHeight(query_pb2.BlockByHeightRequest(height=e.height))
        assert e.block_hash == stored.block_hash and e.time_ns == stored.block.header.time_ns
        assert e.app_hash == stored.results.app_hash and e.tx_count == len(stored.block.txs)


def test_resume_replays_history_then_continues(channel: grpc.Channel) -> None:
    while latest(channel) < 12:
        time.sleep(0.1)
    start = latest(channel) - 10
    events = take(
        streams(channel).SubscribeBlocks(stream_pb2.SubscribeBlocksRequest(from_height=start), timeout=30), 25
    )
    assert [e.height for e in events] == list(range(start, start + 25))  # 10 stored, then live: no gap
    assert len({e.block_hash for e in events}) == 25


def test_txs_filtered_by_address(channel: grpc.Channel) -> None:
    first = commit(channel, PAYER, 0, [Transfer(PAYEE.address, "okt", OKT)])
    commit(channel, OTHER, 0, [Transfer(OTHER.address, "okt", 1)])  # concerns neither PAYER nor PAYEE
    back = commit(channel, PAYEE, 0, [Transfer(PAYER.address, "okt", 1)])
    for who in (to_checksum(PAYEE.address), to_bech32(PAYEE.address)):
        request = stream_pb2.SubscribeTxsRequest(from_height=first.height, address=who)
        events = take(streams(channel).SubscribeTxs(request, timeout=30), 2)
        assert [(e.tx_hash, e.height) for e in events] == [
            (first.tx_hash, first.height),
            (back.tx_hash, back.height),
        ]
        assert [e.signer for e in events] == [to_checksum(PAYER.address), to_checksum(PAYEE.address)]
        assert all(e.code == 0 for e in events)
    every = take(streams(channel).SubscribeTxs(stream_pb2.SubscribeTxsRequest(from_height=first.height)), 3)
    assert [e.signer for e in every] == [to_checksum(k.address) for k in (PAYER, OTHER, PAYEE)]
    refused(
        lambda: take(streams(channel).SubscribeTxs(stream_pb2.SubscribeTxsRequest(address="0x12")), 1),
        Status.INVALID_ARGUMENT,
        "",
    )


def test_deals_of_a_pair(channel: grpc.Channel) -> None:
    issued = commit(channel, DEALER, 0, [IssueToken("xyz", "XYZ", 1000 * OKT, False)])
    attributes = {a.key: a.value for e in issued.result.events for a in e.attributes}
    pair = f"{attributes['denom']}_okt"
    listed = commit(channel, DEALER, 1, [ListPair(attributes["denom"], "okt", 2, 1, OKT // 2)])
    sell = commit(channel, DEALER, 2, [place(order(pair, Side.SELL, "2", "10"))])
    buy = commit(channel, PAYEE, 1, [place(order(pair, Side.BUY, "2.1", "4"))])
    request = stream_pb2.SubscribeDealsRequest(from_height=listed.height, pair=pair)
    fills = take(streams(channel).SubscribeDeals(request, timeout=30), 2)
    assert {f.order_id for f in fills} == {f"{sell.height}-0", f"{buy.height}-0"}
    assert {(f.pair, f.height, f.quantity) for f in fills} == {(pair, buy.height, "4")}
    assert {f.side for f in fills} == {Side.BUY, Side.SELL}
    refused(
        lambda: take(streams(channel).SubscribeDeals(stream_pb2.SubscribeDealsRequest(pair="no_okt")), 1),
        Status.NOT_FOUND,
        "not listed",
    )


def test_consensus_steps(channel: grpc.Channel) -> None:
    live = take(streams(channel).SubscribeConsensus(stream_pb2.SubscribeConsensusRequest(), timeout=30), 12)
    assert {e.step for e in live} >= {"new_height", "propose", "prevote", "precommit", "commit"}
    assert [e.height for e in live] == sorted(e.height for e in live)
    start = latest(channel) - 3
    request = stream_pb2.SubscribeConsensusRequest(from_height=start)
    replayed = take(streams(channel).SubscribeConsensus(request, timeout=30), 3)
    assert [(e.height, e.round, e.step) for e in replayed] == [
        (h, 0, "commit") for h in range(start, start + 3)
    ]


def test_heights_not_kept_are_out_of_range(limited: NodeProcess) -> None:
    with grpc.insecure_channel(limited.target) as ch:
        while latest(ch) < 20:
            time.sleep(0.1)
        refused(
            lambda: take(streams(ch).SubscribeBlocks(stream_pb2.SubscribeBlocksRequest(from_height=1)), 1),
            Status.OUT_OF_RANGE,
            "earliest available height",
        )


def test_slow_subscriber_is_ended_while_the_node_commits(limited: NodeProcess) -> None:
    """A client that stops reading: once the transport's buffers are full the stream's thread cannot send,
    ``BUFFER`` commits later the stream is ended with RESOURCE_EXHAUSTED, and the chain goes on."""
    txs = [
        build_tx(PAYER, chain_id=CHAIN_ID, nonce=n, msgs=[Transfer(PAYEE.address, "okt", 1)], gas_limit=GAS,
                 fee=GAS * 10**9)
        for n in range(3000)
    ]  # fmt: skip
    # The stream gets a connection of its own with a small receive window and no window growth (BDP
    # probing): a client that stops reading then blocks the node's stream thread after a few events,
    # however much the kernel's loopback buffers would hold; the other calls use a connection of their own.
    slow = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 1024)]
    with (
        grpc.insecure_channel(limited.target, options=slow) as quiet,
        grpc.insecure_channel(limited.target) as ch,
    ):
        stream = streams(quiet).SubscribeTxs(stream_pb2.SubscribeTxsRequest(), timeout=120)
        sender = query_pb2_grpc.TxServiceStub(ch)
        for start in range(0, len(txs), 1000):
            sent = sender.BroadcastTxs(
                query_pb2.BroadcastTxsRequest(txs=txs[start : start + 1000]), timeout=60
            )
            assert all(r.code == 0 for r in sent.results), sent.results[0]
        # Not reading: once every tx is committed its events are queued behind the full transport, and
        # ``BUFFER`` commits later the stream must be ended (waited for by event, not by a guess of time).
        account = query_pb2.AccountRequest(address=to_checksum(PAYER.address))
        query = query_pb2_grpc.QueryServiceStub(ch)
        eventually(lambda: assert_above(query.Account(account, timeout=10).nonce, len(txs) - 1), timeout_s=60)
        height = latest(ch)
        eventually(lambda: assert_above(latest(ch), height + 2 * BUFFER), timeout_s=60)
        with pytest.raises(grpc.RpcError) as caught:
            for _ in stream:
                pass
        assert caught.value.code() == Status.RESOURCE_EXHAUSTED
        assert "subscriber too slow" in (caught.value.details() or "")
        eventually(lambda: assert_above(latest(ch), height + 5))


def assert_above(value: int, floor: int) -> None:
    assert value > floor, (value, floor)


def test_subscriber_cap(limited: NodeProcess) -> None:
    with grpc.insecure_channel(limited.target) as ch:
        request = stream_pb2.SubscribeBlocksRequest()

        def opened() -> Any:
            stream = streams(ch).SubscribeBlocks(request, timeout=60)
            next(stream)
            return stream

        held = [eventually(opened) for _ in range(CAP)]
        refused(lambda: take(streams(ch).SubscribeBlocks(request), 1), Status.RESOURCE_EXHAUSTED, "limit")
        held.pop().cancel()
        held.append(eventually(opened))  # a slot is free again once a client leaves
        for stream in held:
            stream.cancel()
