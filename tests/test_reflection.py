"""Server reflection as a generic client uses it (grpcurl, Postman, grpc-java try ``grpc.reflection.v1``
first): no generated okchain stubs, only what reflection tells, against a real node process on loopback."""

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from grpc_reflection.v1alpha import reflection_pb2 as v1alpha_pb2
from grpc_reflection.v1alpha import reflection_pb2_grpc as v1alpha_grpc

from okchain._pb.grpc.reflection.v1 import reflection_pb2 as v1_pb2
from okchain._pb.grpc.reflection.v1 import reflection_pb2_grpc as v1_grpc
from tests.helpers.chain import CHAIN_ID, funded_keys
from tests.helpers.processes import NodeProcess, init_node, serve

README = Path(__file__).resolve().parent.parent / "README.md"
EXPECTED = {
    "okchain.node.v1.TxService",
    "okchain.node.v1.QueryService",
    "okchain.node.v1.NodeService",
    "okchain.token.v1.TokenQuery",
    "okchain.dex.v1.DexQuery",
    "okchain.staking.v1.StakingQuery",
    "okchain.explorer.v1.ExplorerQuery",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from serve(init_node(tmp_path_factory.mktemp("reflection"), funded_keys(1), block_time_ms=200))


def ask_v1(
    channel: grpc.Channel, *requests: v1_pb2.ServerReflectionRequest
) -> list[v1_pb2.ServerReflectionResponse]:
    stub = v1_grpc.ServerReflectionStub(channel)
    return list(stub.ServerReflectionInfo(iter(requests), timeout=10))


def pool_from(files: list[bytes]) -> descriptor_pool.DescriptorPool:
    """A fresh pool holding the reflected files, each added after the files it imports."""
    protos = {}
    for raw in files:
        proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
        protos[proto.name] = proto
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(name: str) -> None:
        if name in added:
            return
        for dependency in protos[name].dependency:
            add(dependency)
        pool.Add(protos[name])
        added.add(name)

    for name in protos:
        add(name)
    return pool


def test_v1_lists_services_and_resolves_a_method_then_calls_it(channel: grpc.Channel) -> None:
    listed, resolved = ask_v1(
        channel,
        v1_pb2.ServerReflectionRequest(list_services=""),
        v1_pb2.ServerReflectionRequest(file_containing_symbol="okchain.node.v1.NodeService.NodeInfo"),
    )
    assert listed.WhichOneof("message_response") == "list_services_response"
    assert {s.name for s in listed.list_services_response.service} >= EXPECTED
    assert resolved.original_request.file_containing_symbol == "okchain.node.v1.NodeService.NodeInfo"
    files = list(resolved.file_descriptor_response.file_descriptor_proto)
    names = {descriptor_pb2.FileDescriptorProto.FromString(f).name for f in files}
    assert {
        "okchain/node/v1/query.proto",
        "okchain/bank/v1/bank.proto",
        "okchain/types/v1/types.proto",
    } <= names

    # what a generic client does next: build the types from the descriptors alone and make the call
    pool = pool_from(files)
    method = pool.FindServiceByName("okchain.node.v1.NodeService").methods_by_name["NodeInfo"]
    request_type = message_factory.GetMessageClass(method.input_type)
    response_type = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(
        "/okchain.node.v1.NodeService/NodeInfo",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString,
    )
    info: Message = call(request_type(), timeout=10)
    assert getattr(info, "chain_id") == CHAIN_ID  # noqa: B009 - a dynamic message
    assert len(getattr(info, "app_hash")) == 32  # noqa: B009


def test_v1_describes_itself_and_reports_unknown_symbols(channel: grpc.Channel) -> None:
    own, by_file, missing = ask_v1(
        channel,
        v1_pb2.ServerReflectionRequest(file_containing_symbol="grpc.reflection.v1.ServerReflection"),
        v1_pb2.ServerReflectionRequest(file_by_filename="okchain/tx/v1/tx.proto"),
        v1_pb2.ServerReflectionRequest(file_containing_symbol="okchain.node.v1.NoSuchService"),
    )
    pool = pool_from(list(own.file_descriptor_response.file_descriptor_proto))
    service = pool.FindServiceByName("grpc.reflection.v1.ServerReflection")
    assert service.file.name == "grpc/reflection/v1/reflection.proto"
    assert service.methods_by_name["ServerReflectionInfo"].input_type.full_name == (
        "grpc.reflection.v1.ServerReflectionRequest"
    )
    tx_files = [
        descriptor_pb2.FileDescriptorProto.FromString(f)
        for f in by_file.file_descriptor_response.file_descriptor_proto
    ]
    assert tx_files[0].name == "okchain/tx/v1/tx.proto"
    assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_v1alpha_still_answers_the_same(channel: grpc.Channel) -> None:
    stub = v1alpha_grpc.ServerReflectionStub(channel)
    (listed,) = stub.ServerReflectionInfo(
        iter([v1alpha_pb2.ServerReflectionRequest(list_services="")]), timeout=10
    )
    (v1_listed,) = ask_v1(channel, v1_pb2.ServerReflectionRequest(list_services=""))
    assert (
        listed.list_services_response.SerializeToString()
        == v1_listed.list_services_response.SerializeToString()
    )


def test_v1alpha_resolves_methods_and_fields_too(channel: grpc.Channel) -> None:
    stub = v1alpha_grpc.ServerReflectionStub(channel)
    symbols = ["okchain.node.v1.TxService.BroadcastTx", "okchain.node.v1.BroadcastTxRequest.mode"]
    answers = stub.ServerReflectionInfo(
        iter([v1alpha_pb2.ServerReflectionRequest(file_containing_symbol=s) for s in symbols]), timeout=10
    )
    for answer in answers:
        first = answer.file_descriptor_response.file_descriptor_proto[0]
        assert descriptor_pb2.FileDescriptorProto.FromString(first).name == "okchain/node/v1/query.proto"


def test_the_readme_reflection_client_runs(node: NodeProcess) -> None:
    """The README's grpc-requests example, as written but for the node's address, in its own process."""
    found = re.search(r"<!-- reflection-example -->\n```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert found, "the README has no reflection example"
    code = found.group(1).replace("127.0.0.1:9090", node.target)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    services, chain, balance = run.stdout.splitlines()[:3]
    assert EXPECTED - {"grpc.reflection.v1.ServerReflection"} <= set(ast.literal_eval(services))
    assert chain.split()[0] == CHAIN_ID and int(chain.split()[1]) >= 1
    assert "'denom': 'okt'" in balance
