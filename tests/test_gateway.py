"""The JSON gateway over real HTTP against a real node process: GET queries equal their gRPC answers, POST
broadcasts and simulates, gRPC statuses become HTTP ones with a JSON body, CORS for the configured origin,
a server-sent event stream of blocks, and an OpenAPI document that validates and lists every route."""

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from openapi_spec_validator import validate

from okchain._pb.explorer.v1 import query_pb2 as explorer_pb2
from okchain._pb.explorer.v1 import query_pb2_grpc as explorer_grpc
from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.modules.bank.messages import Transfer
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.rpc.server import SERVICES
from okchain.tx.envelope import build_tx
from tests.helpers.chain import CHAIN_ID, OKT, free_port, funded_keys
from tests.helpers.processes import NodeProcess, configure, init_node, serve

SENDER, RECEIVER = funded_keys(2)
ORIGIN = "https://explorer.example"
GAS = 400_000


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    proc = init_node(tmp_path_factory.mktemp("gateway"), [SENDER, RECEIVER], block_time_ms=100)
    yield from serve(configure(proc, api_listen=f"127.0.0.1:{free_port()}", api_cors_origins=ORIGIN))


@pytest.fixture(scope="module")
def base(node: NodeProcess) -> str:
    return "http://" + NodeConfig.load(Home(node.home).config_file).api_listen


@pytest.fixture(scope="module")
def channel(node: NodeProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(node.target) as ch:
        yield ch


def http(url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
    """(status, headers, JSON) of a GET, or of a POST of ``body``; HTTP errors are returned, not raised."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.headers, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, json.loads(exc.read())


def same(reply: Any, expected: Message) -> None:
    status, _, body = reply
    assert status == 200, body
    assert json_format.ParseDict(body, type(expected)()) == expected


def commit_height(channel: grpc.Channel, height: int) -> None:
    stub = query_pb2_grpc.NodeServiceStub(channel)
    while stub.NodeInfo(query_pb2.NodeInfoRequest()).latest_height < height:
        time.sleep(0.05)


def test_get_queries_equal_their_grpc_answers(base: str, channel: grpc.Channel) -> None:
    commit_height(channel, 4)
    nodes = query_pb2_grpc.NodeServiceStub(channel)
    state = query_pb2_grpc.QueryServiceStub(channel)
    explorer = explorer_grpc.ExplorerQueryStub(channel)
    address = to_checksum(RECEIVER.address)
    same(
        http(f"{base}/okchain/node/v1/BlockByHeight?height=3"),
        nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=3)),
    )
    same(
        http(f"{base}/okchain/node/v1/Balance?address={address}&height=2"),
        state.Balance(query_pb2.BalanceRequest(address=address, height=2)),
    )
    same(
        http(f"{base}/okchain/explorer/v1/RecentBlocks?height=4&page_size=2"),
        explorer.RecentBlocks(explorer_pb2.RecentBlocksRequest(height=4, page_size=2)),
    )
    same(
        http(f"{base}/okchain/node/v1/Headers?from_height=1&to_height=3"),
        nodes.Headers(query_pb2.HeadersRequest(from_height=1, to_height=3)),
    )
    status, _, body = http(f"{base}/okchain/node/v1/Supply?height=2")
    assert status == 200 and isinstance(body["supply"]["amount"], str) and isinstance(body["height"], str)


def test_post_broadcast_commits_and_simulate_estimates(base: str, channel: grpc.Channel) -> None:
    raw = build_tx(
        SENDER,
        chain_id=CHAIN_ID,
        nonce=0,
        msgs=[Transfer(RECEIVER.address, "okt", OKT)],
        gas_limit=GAS,
        fee=GAS * 10**9,
    )
    tx = base64.b64encode(raw).decode()
    status, _, simulated = http(f"{base}/okchain/node/v1/Simulate", {"tx": tx})
    assert status == 200 and simulated["result"]["code"] == 0 and int(simulated["gas_estimate"]) > 0
    body = {"tx": tx, "mode": "BROADCAST_MODE_COMMIT", "timeout_ms": 20_000}
    status, _, sent = http(f"{base}/okchain/node/v1/BroadcastTx", body)
    assert status == 200 and sent["committed"] and sent["result"]["code"] == 0, sent
    hash_b64 = urllib.request.quote(sent["tx_hash"])
    status, _, found = http(f"{base}/okchain/node/v1/GetTx?hash={hash_b64}")
    assert (
        status == 200
        and found["height"] == sent["height"]
        and found["info"]["signer"] == to_checksum(SENDER.address)
    )


@pytest.mark.parametrize(
    ("path", "body", "status", "code", "text"),
    [
        ("/okchain/node/v1/BlockByHeight?height=999999", None, 404, "NOT_FOUND", "above the latest height"),
        ("/okchain/node/v1/GetTx?hash=AAAA", None, 400, "INVALID_ARGUMENT", "hash must be 32 bytes"),
        ("/okchain/node/v1/BlockByHeight?height=abc", None, 400, "INVALID_ARGUMENT", "height"),
        ("/okchain/node/v1/Balance?address=0x12", None, 400, "INVALID_ARGUMENT", ""),
        ("/okchain/node/v1/BlockByHeight?colour=red", None, 400, "INVALID_ARGUMENT", "colour"),
        ("/okchain/node/v1/Supply?height=99999999", None, 400, "OUT_OF_RANGE", "above the latest"),
        ("/okchain/node/v1/Simulate", {"tx": "not base64!"}, 400, "INVALID_ARGUMENT", ""),
        ("/okchain/node/v1/BroadcastTx", None, 405, "UNIMPLEMENTED", "Method Not Allowed"),
        ("/okchain/nothing/v1/Here", None, 404, "NOT_FOUND", "Not Found"),
        ("/okchain/stream/v1/SubscribeDeals?pair=no_okt", None, 404, "NOT_FOUND", "not listed"),
    ],
)
def test_errors_are_http_statuses_with_a_json_body(
    base: str, path: str, body: dict[str, Any] | None, status: int, code: str, text: str
) -> None:
    got, _, error = http(base + path, body)
    assert (got, error["code"]) == (status, code) and text in error["message"], error


def test_cors_for_the_configured_origin_only(base: str) -> None:
    _, headers, _ = http(f"{base}/okchain/node/v1/NodeInfo", headers={"Origin": ORIGIN})
    assert headers["access-control-allow-origin"] == ORIGIN
    _, headers, _ = http(f"{base}/okchain/node/v1/NodeInfo", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in headers
    preflight = urllib.request.Request(
        f"{base}/okchain/node/v1/BroadcastTx",
        method="OPTIONS",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    with urllib.request.urlopen(preflight, timeout=10) as reply:
        assert reply.status == 200 and "POST" in reply.headers["access-control-allow-methods"]


def test_server_sent_events_deliver_blocks_in_order(base: str, channel: grpc.Channel) -> None:
    commit_height(channel, 5)
    with urllib.request.urlopen(
        f"{base}/okchain/stream/v1/SubscribeBlocks?from_height=2", timeout=30
    ) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = []
        for line in reply:
            if line.startswith(b"data: "):
                events.append(json.loads(line[len(b"data: ") :]))
            if len(events) == 6:
                break
    assert [int(e["height"]) for e in events] == list(range(2, 8))
    stored = query_pb2_grpc.NodeServiceStub(channel).BlockByHeight(query_pb2.BlockByHeightRequest(height=2))
    assert base64.b64decode(events[0]["block_hash"]) == stored.block_hash


def test_openapi_document_validates_and_lists_every_method(base: str) -> None:
    status, _, spec = http(f"{base}/openapi.json")
    assert status == 200
    validate(spec)
    methods = {
        f"/{s.full_name.rsplit('.', 1)[0].replace('.', '/')}/{m.name}"
        for _, _, s in SERVICES
        for m in s.methods
    }
    assert set(spec["paths"]) == methods
    assert "post" in spec["paths"]["/okchain/node/v1/BroadcastTx"]
    blocks = spec["paths"]["/okchain/stream/v1/SubscribeBlocks"]["get"]
    assert "text/event-stream" in blocks["responses"]["200"]["content"]
    (height,) = spec["paths"]["/okchain/node/v1/BlockByHeight"]["get"]["parameters"]
    assert height == {
        "name": "height",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "uint64"},
    }
    assert spec["components"]["schemas"]["okchain.bank.v1.Coin"]["properties"]["amount"] == {"type": "string"}
