"""Block, header and tx lists over gRPC from a real node process: TxsByAddress, TxsByBlock, BlockWithTxs,
BlockResults and Headers paged across page boundaries (by count and by bytes), their error codes, GetTx's
decoded form and Simulate's gas estimate."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import grpc
import pytest

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import Address, to_bech32, to_checksum
from okchain.crypto.hashing import sha256
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import MultiSend, Output, Transfer
from okchain.rpc.paging import PAGE_BYTES, encode_token
from okchain.tx.envelope import build_tx, decode_tx
from okchain.tx.gas import required_gas
from okchain.tx.registry import Msg
from okchain.types.block import Header, txs_hash
from okchain.types.params import ChainParams
from okchain.types.results import Code
from tests.helpers.chain import CHAIN_ID, funded_keys
from tests.helpers.processes import NodeProcess, init_node, serve

SENDER, RECEIVER, BIG, FRESH = funded_keys(4)
SENT = 110  # SENDER → RECEIVER transfers: more than one full page of 100
RETURNED = 5  # RECEIVER → SENDER
BIG_TXS, OUTPUTS = 30, 1000  # multi-sends of ~30 KB: their block pages by bytes, not by count
Status = grpc.StatusCode


def signed(key: AccountKey, nonce: int, msgs: list[Msg], gas: int = 100_000) -> bytes:
    return build_tx(key, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=gas, fee=gas * 10**9)


def big_send(nonce: int) -> bytes:
    outputs = tuple(
        Output(Address(bytes([nonce + 1]) + i.to_bytes(19, "big")), "okt", 1) for i in range(OUTPUTS)
    )
    return signed(BIG, nonce, [MultiSend(outputs)], gas=6_000_000)


@dataclass
class Api:
    txs: query_pb2_grpc.TxServiceStub
    nodes: query_pb2_grpc.NodeServiceStub
    tx_heights: dict[bytes, int]  # every tx the fixture sent → its height


def broadcast(api: Api, raws: list[bytes]) -> None:
    checked = api.txs.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=raws), timeout=60)
    assert [c.code for c in checked.results] == [0] * len(raws), checked.results[:3]


def wait_committed(api: Api, raws: list[bytes]) -> None:
    for raw in raws:
        for _ in range(600):
            try:
                api.tx_heights[sha256(raw)] = api.txs.GetTx(query_pb2.GetTxRequest(hash=sha256(raw))).height
                break
            except grpc.RpcError as exc:
                assert exc.code() == Status.NOT_FOUND
                time.sleep(0.05)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from serve(init_node(tmp_path_factory.mktemp("block-queries"), [SENDER, RECEIVER, BIG, FRESH]))


@pytest.fixture(scope="module")
def api(node: NodeProcess) -> Iterator[Api]:
    with grpc.insecure_channel(node.target) as channel:  # the default 4 MiB receive cap
        api = Api(query_pb2_grpc.TxServiceStub(channel), query_pb2_grpc.NodeServiceStub(channel), {})
        sent = [signed(SENDER, n, [Transfer(RECEIVER.address, "okt", n + 1)]) for n in range(SENT)]
        sent += [signed(RECEIVER, n, [Transfer(SENDER.address, "okt", 1)]) for n in range(RETURNED)]
        big = [big_send(n) for n in range(BIG_TXS)]
        broadcast(api, sent)
        broadcast(api, big)
        wait_committed(api, sent + big)
        yield api


def error(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def all_pages(fetch: Callable[[str], tuple[list[query_pb2.TxInfo], str]]) -> list[query_pb2.TxInfo]:
    found, token = fetch("")
    while token:
        page, token = fetch(token)
        assert page
        found += page
    return found


def by_address(
    api: Api, address: str, role: int = 0, size: int = 0, height: int = 0
) -> list[query_pb2.TxInfo]:
    def fetch(token: str) -> tuple[list[query_pb2.TxInfo], str]:
        request = query_pb2.TxsByAddressRequest(
            address=address, role=role, page_size=size, page_token=token, height=height
        )
        reply = api.txs.TxsByAddress(request, timeout=10)
        assert len(reply.txs) == min(size or 30, 100) or not reply.next_page_token
        return list(reply.txs), reply.next_page_token

    return all_pages(fetch)


def test_txs_by_address_newest_first_by_role_across_pages(api: Api) -> None:
    me = to_checksum(SENDER.address)
    every = by_address(api, me, size=7)
    positions = [(t.height, t.index) for t in every]
    assert positions == sorted(set(positions), reverse=True) and len(every) == SENT + RETURNED
    sent = by_address(api, me, query_pb2.ADDRESS_ROLE_SENDER)
    received = by_address(api, me, query_pb2.ADDRESS_ROLE_RECIPIENT, size=2)
    assert [t.nonce for t in sent] == list(reversed(range(SENT)))
    assert len(received) == RETURNED and {t.signer for t in received} == {to_checksum(RECEIVER.address)}
    assert sorted(sent + received, key=lambda t: (t.height, t.index), reverse=True) == every
    assert by_address(api, to_bech32(SENDER.address), size=100) == every  # ok1… names the same account
    first = api.txs.TxsByAddress(query_pb2.TxsByAddressRequest(address=me, page_size=1000), timeout=10)
    assert len(first.txs) == 100 and first.next_page_token
    default = api.txs.TxsByAddress(query_pb2.TxsByAddressRequest(address=me), timeout=10)
    assert list(default.txs) == every[:30]
    newest = sent[0]
    assert newest.signer == me and list(newest.recipients) == [to_checksum(RECEIVER.address)]
    assert newest.tx_hash == sha256(newest.tx) and newest.fee == str(100_000 * 10**9)
    assert newest.messages[0].transfer.amount == str(SENT) and newest.result.code == 0
    assert newest.result.events and newest.time_ns > 0


def test_txs_by_address_at_a_height_and_with_new_blocks_between_pages(api: Api) -> None:
    me = to_checksum(SENDER.address)
    every = by_address(api, me, size=50)
    middle = every[len(every) // 2].height
    assert by_address(api, me, size=9, height=middle) == [t for t in every if t.height <= middle]
    fresh = to_checksum(FRESH.address)
    first, second = (signed(FRESH, n, [Transfer(FRESH.address, "okt", 1)]) for n in range(2))
    for raw in (first, second):
        broadcast(api, [raw])
        wait_committed(api, [raw])
    page = api.txs.TxsByAddress(query_pb2.TxsByAddressRequest(address=fresh, page_size=1), timeout=10)
    assert [t.tx for t in page.txs] == [second]  # paying itself: signer and recipient, shown once
    third = signed(FRESH, 2, [Transfer(FRESH.address, "okt", 1)])
    broadcast(api, [third])
    wait_committed(api, [third])
    rest = api.txs.TxsByAddress(
        query_pb2.TxsByAddressRequest(address=fresh, page_size=5, page_token=page.next_page_token), timeout=10
    )
    assert [t.tx for t in rest.txs] == [first] and rest.next_page_token == ""
    assert [t.tx for t in by_address(api, fresh)] == [third, second, first]


def test_txs_by_address_refusals(api: Api) -> None:
    me = to_checksum(SENDER.address)
    cases = [
        (query_pb2.TxsByAddressRequest(address="0x1234"), Status.INVALID_ARGUMENT, "address"),
        (query_pb2.TxsByAddressRequest(address=me, role=7), Status.INVALID_ARGUMENT, "role 7 is not"),  # type: ignore[arg-type]
        (query_pb2.TxsByAddressRequest(address=me, page_token="zz!"), Status.INVALID_ARGUMENT, "page token"),
        (query_pb2.TxsByAddressRequest(address=me, height=10**9), Status.OUT_OF_RANGE, "above the latest"),
    ]
    for request, code, text in cases:
        refused = error(lambda: api.txs.TxsByAddress(request, timeout=10))  # noqa: B023
        assert refused.code() == code and text in (refused.details() or ""), refused


def busiest(api: Api, raws: list[bytes]) -> int:
    heights = [api.tx_heights[sha256(r)] for r in raws]
    return max(set(heights), key=heights.count)


def test_block_txs_and_results_page_by_count_and_by_bytes(api: Api) -> None:
    small = busiest(api, [signed(SENDER, n, [Transfer(RECEIVER.address, "okt", n + 1)]) for n in range(SENT)])
    large = busiest(api, [big_send(n) for n in range(BIG_TXS)])
    for height, size in ((small, 7), (large, 100)):
        whole = api.nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=height), timeout=10)
        # the large block's txs would pass the reply budget: it comes without them, read by pages instead
        assert whole.txs_omitted == (height == large) and whole.ByteSize() < PAGE_BYTES + 200_000
        pages: list[query_pb2.BlockWithTxsResponse] = []
        token = ""
        while not pages or token:
            request = query_pb2.BlockWithTxsRequest(height=height, page_size=size, page_token=token)
            pages.append(api.nodes.BlockWithTxs(request, timeout=10))
            token = pages[-1].next_page_token
        txs = [t.tx for p in pages for t in p.txs]
        assert all(p.ByteSize() < PAGE_BYTES + 200_000 and p.total_txs == whole.total_txs for p in pages)
        assert len(txs) == whole.total_txs and txs_hash(txs) == whole.block.header.txs_hash
        assert {p.block_hash for p in pages} == {whole.block_hash} and pages[0].header == whole.block.header
        assert pages[0].last_commit == whole.block.last_commit and pages[0].app_hash == whole.results.app_hash
        assert [t.index for p in pages for t in p.txs] == list(range(len(txs)))
        assert len(pages) > 1
        by_block = all_pages(partial(_txs_by_block, api, height, size))
        assert by_block == [t for p in pages for t in p.txs]
        results = []
        token = ""
        while not results or token:
            reply = api.nodes.BlockResults(
                query_pb2.BlockResultsRequest(height=height, page_size=size, page_token=token), timeout=10
            )
            assert reply.first_index == len(results) and reply.height == height
            results += list(reply.tx_results)
            token = reply.next_page_token
        assert [t.result for p in pages for t in p.txs] == results
        if not whole.txs_omitted:
            assert txs == list(whole.block.txs) and results == list(whole.results.tx_results)
    # some page of the large block was cut by the byte budget: fewer than 100 txs, and more to come (which
    # page depends on how the small and the large txs shared blocks)
    assert any(len(p.txs) < 100 and p.next_page_token for p in pages)


def _txs_by_block(api: Api, height: int, size: int, token: str) -> tuple[list[query_pb2.TxInfo], str]:
    reply = api.txs.TxsByBlock(query_pb2.TxsByBlockRequest(height=height, page_size=size, page_token=token))
    return list(reply.txs), reply.next_page_token


def test_block_queries_refusals_and_the_latest(api: Api) -> None:
    latest = api.nodes.BlockWithTxs(query_pb2.BlockWithTxsRequest(), timeout=10)
    assert latest.header.height > 0 and latest.next_page_token == ""
    height = api.tx_heights[sha256(signed(SENDER, 0, [Transfer(RECEIVER.address, "okt", 1)]))]
    token = api.txs.TxsByBlock(query_pb2.TxsByBlockRequest(height=height, page_size=1)).next_page_token
    assert token
    cases: list[tuple[Callable[[], object], grpc.StatusCode, str]] = [
        (
            lambda: api.txs.TxsByBlock(query_pb2.TxsByBlockRequest(height=height + 1, page_token=token)),
            Status.INVALID_ARGUMENT,
            f"page token is for height {height}, the request asks for height {height + 1}",
        ),
        (
            lambda: api.nodes.BlockResults(query_pb2.BlockResultsRequest(page_token="AAAA")),
            Status.INVALID_ARGUMENT,
            "is not one this query gave",
        ),
        (
            lambda: api.nodes.BlockWithTxs(
                query_pb2.BlockWithTxsRequest(page_token=encode_token(height, 10**6))
            ),
            Status.INVALID_ARGUMENT,
            f"page token starts at item 1000000, height {height} has",
        ),
        (
            lambda: api.nodes.BlockWithTxs(query_pb2.BlockWithTxsRequest(height=10**9)),
            Status.OUT_OF_RANGE,
            "height 1000000000 is above the latest committed height",
        ),
    ]
    for call, code, text in cases:
        refused = error(call)
        assert refused.code() == code and text in (refused.details() or ""), refused.details()


def test_headers_for_a_height_range(api: Api) -> None:
    deadline = time.monotonic() + 60
    while api.nodes.NodeInfo(query_pb2.NodeInfoRequest()).latest_height <= 30:  # a full default page
        assert time.monotonic() < deadline, "the node did not reach height 31"
        time.sleep(0.1)
    latest = api.nodes.NodeInfo(query_pb2.NodeInfoRequest()).latest_height
    found: list[query_pb2.SignedHeader] = []
    token = ""
    while not found or token:
        reply = api.nodes.Headers(
            query_pb2.HeadersRequest(from_height=2, to_height=latest, page_size=4, page_token=token)
        )
        assert len(reply.headers) == 4 or not reply.next_page_token
        found += list(reply.headers)
        token = reply.next_page_token
    assert [h.header.height for h in found] == list(range(2, latest + 1))
    for signed_header in found:
        assert signed_header.block_hash == Header.from_proto(signed_header.header).hash
        assert signed_header.commit.block_hash == signed_header.block_hash
        assert signed_header.commit.height == signed_header.header.height and signed_header.commit.signatures
    default = api.nodes.Headers(query_pb2.HeadersRequest(to_height=10**9))
    assert [h.header.height for h in default.headers] == list(range(1, 31)) and default.next_page_token
    cases = [
        (
            query_pb2.HeadersRequest(from_height=5, to_height=4),
            Status.INVALID_ARGUMENT,
            "from_height 5 is above",
        ),
        (
            query_pb2.HeadersRequest(from_height=10**9),
            Status.OUT_OF_RANGE,
            "above the latest committed height",
        ),
        (
            query_pb2.HeadersRequest(from_height=5, to_height=9, page_token=encode_token(20)),
            Status.INVALID_ARGUMENT,
            "page token starts at height 20, outside the range 5..9",
        ),
    ]
    for request, code, text in cases:
        refused = error(lambda: api.nodes.Headers(request))  # noqa: B023
        assert refused.code() == code and text in (refused.details() or ""), refused.details()


def test_get_tx_decoded_and_simulate_estimates_gas(api: Api) -> None:
    raw = signed(SENDER, 0, [Transfer(RECEIVER.address, "okt", 1)])
    got = api.txs.GetTx(query_pb2.GetTxRequest(hash=sha256(raw)))
    assert got.info.tx == raw and got.info.signer == to_checksum(SENDER.address) and got.info.nonce == 0
    assert got.result.events and got.info.result == got.result and got.info.height == got.height
    nonce = len(by_address(api, to_checksum(SENDER.address), query_pb2.ADDRESS_ROLE_SENDER, size=100))
    for gas in (100_000, 1_000):  # enough, and too little: the estimate is what it needs either way
        trial = signed(SENDER, nonce, [Transfer(RECEIVER.address, "okt", 1)], gas=gas)
        needed = required_gas(decode_tx(trial), ChainParams())
        sim = api.txs.Simulate(query_pb2.SimulateRequest(tx=trial))
        assert sim.gas_estimate == needed
        assert sim.result.code == (Code.OK if gas > needed else Code.OUT_OF_GAS)
        assert bool(sim.result.events) == (gas > needed)
