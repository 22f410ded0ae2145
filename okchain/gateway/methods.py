"""The gateway's view of the gRPC services: one route per method, requests from JSON or query strings, the
servicer called in-process with a context whose ``abort`` raises, and gRPC statuses as HTTP ones.

Messages use the protobuf JSON mapping (``json_format``): field names as in the proto files (camelCase is
accepted on input), 64-bit integers as strings, bytes as base64, enums by name, fields at their defaults
included in replies.
"""

from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import grpc
import trio
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message

from okchain.node.api import NodeAPI
from okchain.rpc.server import SERVICES

# Methods that take a signed tx (a body, never a URL that logs and caches keep): POST; the rest GET.
POSTED = frozenset({"BroadcastTx", "BroadcastTxs", "Simulate"})

# gRPC status → HTTP status, as grpc-gateway maps them. OUT_OF_RANGE (a height not kept) is 400, not 416:
# 416 is about byte ranges of one resource, which a height is not.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}


class Refused(Exception):
    """A call ended with a gRPC status (the servicer aborted, or the request did not parse)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    def body(self) -> dict[str, str]:
        """The JSON error body: the gRPC code's name and the servicer's precise message."""
        return {"code": self.code.name, "message": self.message}


class Context:
    """What the servicers use of ``grpc.ServicerContext``: ``abort`` raises ``Refused``; ``is_active`` is
    False once the HTTP client has gone (streams then end); ``cancel`` ends a stream from another thread
    (``on_cancel``: what ends its HTTP response)."""

    def __init__(self, on_cancel: Callable[[], None] = lambda: None) -> None:
        self.active = True
        self._on_cancel = on_cancel

    def cancel(self) -> None:
        self.active = False
        self._on_cancel()

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise Refused(code, details)

    def is_active(self) -> bool:
        return self.active


@dataclass(frozen=True, slots=True)
class Route:
    path: str  # /okchain/<area>/v1/<Method>
    verb: str  # GET or POST
    method: MethodDescriptor
    handler: Callable[[Message, Context], Any]  # the servicer's bound method

    @property
    def streaming(self) -> bool:
        return bool(self.method.server_streaming)

    def parse(self, fields: dict[str, Any]) -> Message:
        """The request message from a JSON body or query parameters; INVALID_ARGUMENT if it does not fit."""
        request = message_factory.GetMessageClass(self.method.input_type)()
        try:
            json_format.ParseDict(fields, request)
        except json_format.ParseError as exc:
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from exc
        return request

    def query_fields(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        """Query parameters as JSON fields: a repeated field takes every value given, others the last."""
        fields: dict[str, Any] = {}
        for key, value in params:
            field = _field(self.method.input_type, key)
            if field is not None and field.is_repeated:
                fields.setdefault(key, []).append(value)
            else:
                fields[key] = value
        return fields

    def call(self, request: Message) -> dict[str, Any]:
        """Run the unary servicer method (on a worker thread) and return its reply as JSON."""
        return to_json(self.handler(request, Context()))

    def stream(self, request: Message, context: Context) -> Generator[dict[str, Any], None, None]:
        """The streaming servicer method's messages as JSON (iterated on a worker thread)."""
        with closing(self.handler(request, context)) as replies:
            for reply in replies:
                yield to_json(reply)


def _field(message: Descriptor, name: str) -> FieldDescriptor | None:
    for field in message.fields:
        if name in (field.name, field.json_name):
            return field
    return None


def to_json(message: Message) -> dict[str, Any]:
    reply: dict[str, Any] = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return reply


def service_path(full_name: str, method: str) -> str:
    """``okchain.node.v1.TxService``'s ``BroadcastTx`` → ``/okchain/node/v1/BroadcastTx``."""
    package = full_name.rsplit(".", 1)[0]
    return "/" + package.replace(".", "/") + "/" + method


def routes(node: NodeAPI, token: trio.lowlevel.TrioToken) -> list[Route]:
    """Every method of every service the gRPC server registers, bound to servicers of its own."""
    out: dict[str, Route] = {}
    for _add, servicer_class, service in SERVICES:
        servicer = servicer_class(node, token)
        for method in service.methods:
            path = service_path(service.full_name, method.name)
            if path in out:  # two services of one package with a method of the same name
                raise ValueError(f"{method.full_name} and {out[path].method.full_name} both map to {path}")
            verb = "POST" if method.name in POSTED else "GET"
            out[path] = Route(path, verb, method, getattr(servicer, method.name))
    return list(out.values())
