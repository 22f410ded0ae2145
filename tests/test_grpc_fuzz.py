"""Every unary gRPC method of a real node process, called with request fields of arbitrary values (drawn
from each request's descriptor: strings, bytes, integers to their type's bounds, nested messages): the node
answers or refuses with a status naming the bad argument, never UNKNOWN or INTERNAL (an exception that
escaped a servicer), and keeps serving."""

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain.crypto.address import to_bech32, to_checksum
from okchain.rpc.server import SERVICES
from tests.helpers.chain import funded_keys
from tests.helpers.processes import NodeProcess, init_node, serve

KEY = funded_keys(1)[0]
# Broadcasts wait for commits (their bytes are fuzzed by the tx decoder tests); streams never end.
SKIPPED = {"BroadcastTx", "BroadcastTxs"}
METHODS = [
    m
    for _, _, service in SERVICES
    for m in service.methods
    if not (m.client_streaming or m.server_streaming) and m.name not in SKIPPED
]
REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.OUT_OF_RANGE,
            grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.RESOURCE_EXHAUSTED}  # fmt: skip
T = FieldDescriptor
INTS = {T.TYPE_UINT64: (0, 2**64 - 1), T.TYPE_UINT32: (0, 2**32 - 1), T.TYPE_INT64: (-(2**63), 2**63 - 1),
        T.TYPE_INT32: (-(2**31), 2**31 - 1), T.TYPE_ENUM: (0, 9)}  # fmt: skip
STRINGS = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", "okt", "0", "-1", "1e9", to_checksum(KEY.address), to_bech32(KEY.address), "0x" + "0" * 40]
    ),
)


def _value(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.type == T.TYPE_MESSAGE:
        return _message(field.message_type, depth + 1) if depth < 2 else st.just(None)
    if field.type == T.TYPE_STRING:
        return STRINGS
    if field.type == T.TYPE_BYTES:
        return st.one_of(
            st.binary(max_size=64), st.binary(min_size=20, max_size=20), st.binary(min_size=32, max_size=32)
        )
    if field.type == T.TYPE_BOOL:
        return st.booleans()
    low, high = INTS.get(field.type, (0, 2**32 - 1))
    return st.one_of(st.integers(low, high), st.integers(max(low, -3), 3))


def _message(descriptor: Any, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of some of the message's fields, each with an arbitrary value of its type."""
    fields = {}
    for f in descriptor.fields:
        value = _value(f, depth)
        fields[f.name] = st.lists(value, max_size=3) if f.is_repeated else value
    return st.fixed_dictionaries({}, optional=fields)


def _build(cls: type[Message], values: dict[str, Any]) -> Message:
    msg = cls()
    for name, value in values.items():
        field = cls.DESCRIPTOR.fields_by_name[name]
        if field.type == T.TYPE_MESSAGE:
            sub = GetMessageClass(field.message_type)
            items = value if field.is_repeated else [value]
            built = [_build(sub, v) for v in items if v is not None]
            if field.is_repeated:
                getattr(msg, name).extend(built)
            elif built:
                getattr(msg, name).CopyFrom(built[0])
        elif field.is_repeated:
            getattr(msg, name).extend(value)
        else:
            setattr(msg, name, value)
    return msg


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from serve(init_node(tmp_path_factory.mktemp("grpcfuzz"), [KEY]))


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.full_name)
def test_arbitrary_request_fields_get_an_answer_or_a_named_refusal(
    node: NodeProcess, channel: grpc.Channel, method: MethodDescriptor
) -> None:
    request_cls = GetMessageClass(method.input_type)
    call = channel.unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=GetMessageClass(method.output_type).FromString,
    )

    @settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_message(method.input_type))
    def check(values: dict[str, Any]) -> None:
        request = _build(request_cls, values)
        try:
            call(request, timeout=10)
        except grpc.RpcError as exc:
            assert exc.code() in REFUSALS, f"{method.name}({request}): {exc.code()} {exc.details()}"
            assert exc.details()

    check()
