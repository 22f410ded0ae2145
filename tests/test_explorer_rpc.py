"""ExplorerQuery over gRPC against a real node process: recent blocks paged newest first, the search box
(hashes, heights, addresses in both forms) and network figures checked against the blocks themselves; and
the service known to health checking like the others."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from okchain._pb.explorer.v1 import query_pb2, query_pb2_grpc
from okchain._pb.node.v1 import query_pb2 as node_pb2
from okchain._pb.node.v1 import query_pb2_grpc as node_grpc
from okchain.crypto.address import to_bech32, to_checksum
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.modules.staking.messages import Deposit
from okchain.rpc.paging import encode_token
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.params import ChainParams
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys
from tests.helpers.processes import NodeProcess, init_node, serve
from tests.helpers.staking import create

OPERATOR, VOTER, PAYER = funded_keys(3)
GAS = 400_000
DEPOSIT = 300 * OKT
Status = grpc.StatusCode


@dataclass
class Explorer:
    stub: query_pb2_grpc.ExplorerQueryStub
    nodes: node_grpc.NodeServiceStub
    channel: grpc.Channel
    heights: list[int]  # of the fixture's txs, in order sent
    hashes: list[bytes]


def commit(
    channel: grpc.Channel, key: AccountKey, nonce: int, msgs: list[Msg]
) -> node_pb2.BroadcastTxResponse:
    raw = build_tx(key, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=GAS, fee=GAS * 10**9)
    request = node_pb2.BroadcastTxRequest(tx=raw, mode=node_pb2.BROADCAST_MODE_COMMIT, timeout_ms=20_000)
    reply = node_grpc.TxServiceStub(channel).BroadcastTx(request, timeout=30)
    assert reply.committed and reply.result.code == 0, reply
    return reply


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from serve(
        init_node(tmp_path_factory.mktemp("explorer"), [OPERATOR, VOTER, PAYER], block_time_ms=100)
    )


@pytest.fixture(scope="module")
def explorer(node: NodeProcess) -> Iterator[Explorer]:
    with grpc.insecure_channel(node.target) as channel:
        sent = [commit(channel, OPERATOR, 0, [create(0, "alpha")])]
        sent.append(commit(channel, VOTER, 0, [Deposit(DEPOSIT)]))
        sent += [commit(channel, PAYER, n, [Transfer(VOTER.address, "okt", 1)]) for n in range(4)]
        yield Explorer(
            query_pb2_grpc.ExplorerQueryStub(channel),
            node_grpc.NodeServiceStub(channel),
            channel,
            [int(r.height) for r in sent],
            [r.tx_hash for r in sent],
        )


def refused(call: Callable[[], object], code: grpc.StatusCode, text: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code and text in (caught.value.details() or ""), caught.value.details()


def test_recent_blocks_newest_first_across_pages(explorer: Explorer) -> None:
    top = explorer.heights[-1]
    seen: list[query_pb2.BlockSummary] = []
    token = ""
    while not seen or token:
        reply = explorer.stub.RecentBlocks(
            query_pb2.RecentBlocksRequest(height=top, page_size=4, page_token=token)
        )
        seen += list(reply.blocks)
        token = reply.next_page_token
    assert [b.height for b in seen] == list(range(top, 0, -1))  # down to the first block, then no token
    validator = explorer.nodes.NodeInfo(node_pb2.NodeInfoRequest()).validator_address
    for summary in seen:
        block = explorer.nodes.BlockByHeight(node_pb2.BlockByHeightRequest(height=summary.height))
        assert summary.block_hash == block.block_hash and summary.tx_count == len(block.block.txs)
        assert summary.time_ns == block.block.header.time_ns and summary.proposer_address == validator
    assert sum(b.tx_count for b in seen) == len(explorer.hashes)
    latest = explorer.stub.RecentBlocks(query_pb2.RecentBlocksRequest())
    assert len(latest.blocks) == min(30, latest.blocks[0].height) and latest.blocks[0].height >= top
    refused(
        lambda: explorer.stub.RecentBlocks(query_pb2.RecentBlocksRequest(height=10**9)),
        Status.OUT_OF_RANGE,
        "above the latest committed height",
    )
    for token in ("junk", encode_token(0)):
        refused(
            lambda: explorer.stub.RecentBlocks(query_pb2.RecentBlocksRequest(page_token=token)),  # noqa: B023
            Status.INVALID_ARGUMENT,
            "page token",
        )


def test_search_finds_blocks_txs_heights_and_addresses(explorer: Explorer) -> None:
    def search(text: str) -> query_pb2.SearchResponse:
        return explorer.stub.Search(query_pb2.SearchRequest(query=text))

    tx_hash, height = explorer.hashes[2], explorer.heights[2]
    for text in (tx_hash.hex(), "0x" + tx_hash.hex().upper(), f"  {tx_hash.hex()} "):
        found = search(text)
        assert found.WhichOneof("found") == "tx" and found.tx.tx_hash == tx_hash and found.tx.height == height
    assert found.tx.signer == to_checksum(PAYER.address) and found.tx.nonce == 0
    block_hash = explorer.nodes.BlockByHeight(node_pb2.BlockByHeightRequest(height=height)).block_hash
    by_hash, by_height = search(block_hash.hex()), search(str(height))
    assert by_hash.WhichOneof("found") == "block" and by_hash.block == by_height.block
    assert by_height.block.height == height and by_height.block.block_hash == block_hash
    for text in (to_checksum(OPERATOR.address), to_bech32(OPERATOR.address)):
        who = search(text)
        assert who.WhichOneof("found") == "address" and who.address.address == to_checksum(OPERATOR.address)
        assert who.address.bech32 == to_bech32(OPERATOR.address) and who.address.nonce == 1
        assert who.address.validator and int(who.address.okt_balance) > 0
    assert not search(to_checksum(PAYER.address)).address.validator
    refused(lambda: search("ab" * 32), Status.NOT_FOUND, f"no block or tx with hash {'ab' * 32}")
    refused(lambda: search("0"), Status.NOT_FOUND, "no block at height 0")
    refused(lambda: search(str(10**9)), Status.OUT_OF_RANGE, "above the latest committed height")
    refused(lambda: search("hello"), Status.INVALID_ARGUMENT, "hello")
    refused(lambda: search(OPERATOR.address.hex()), Status.INVALID_ARGUMENT, "must start with 0x")
    refused(lambda: search(" "), Status.INVALID_ARGUMENT, "search for a hash, a height or an address")


def test_network_stats_agree_with_the_blocks(explorer: Explorer) -> None:
    top = explorer.heights[-1] + 2
    while explorer.nodes.NodeInfo(node_pb2.NodeInfoRequest()).latest_height < top:
        time.sleep(0.05)
    blocks = list(explorer.stub.RecentBlocks(query_pb2.RecentBlocksRequest(height=top, page_size=100)).blocks)
    by_height = {b.height: b for b in blocks}
    supply = node_grpc.QueryServiceStub(explorer.channel).Supply(
        node_pb2.SupplyRequest(denom="okt", height=top)
    )
    for window in (5, 0, 10**9):  # 0: the default, 100 blocks; more than the chain: from its first block
        stats = explorer.stub.NetworkStats(query_pb2.NetworkStatsRequest(blocks=window, height=top))
        first = max(top - (window or 100), 1)
        assert stats.height == top and stats.total_txs == len(explorer.hashes)
        assert stats.window_blocks == top - first
        assert stats.window_txs == sum(by_height[h].tx_count for h in range(first + 1, top + 1))
        assert stats.window_ns == by_height[top].time_ns - by_height[first].time_ns
        assert stats.average_block_time_ms == stats.window_ns // stats.window_blocks // 1_000_000
        milli = stats.window_txs * 10**12 // stats.window_ns
        assert stats.tps == f"{milli // 1000}.{milli % 1000:03d}"
    assert stats.okt_supply == supply.supply.amount
    bonded = ChainParams().staking_min_self_deposit + DEPOSIT
    assert int(stats.bonded_okt) == bonded
    assert int(stats.bonded_ratio) == bonded * 10**18 // int(stats.okt_supply) > 0


def test_health_checking_knows_the_explorer(explorer: Explorer) -> None:
    """(Reflection lists it too: tests/test_reflection.py.)"""
    health = health_pb2_grpc.HealthStub(explorer.channel)
    answer = health.Check(health_pb2.HealthCheckRequest(service="okchain.explorer.v1.ExplorerQuery"))
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
