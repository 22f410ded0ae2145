"""The gateway's OpenAPI 3 document, generated from the same descriptors as its routes (so it cannot drift
from what is served): a path per method, query parameters from a GET request's scalar fields, a JSON body
for POST, one schema per message in the protobuf JSON mapping, and the error body."""

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from okchain import __version__
from okchain.gateway.methods import Route

_F = FieldDescriptor
_INT64 = (_F.TYPE_INT64, _F.TYPE_SINT64, _F.TYPE_SFIXED64)
_UINT64 = (_F.TYPE_UINT64, _F.TYPE_FIXED64)
_INT32 = (_F.TYPE_INT32, _F.TYPE_SINT32, _F.TYPE_SFIXED32)
_UINT32 = (_F.TYPE_UINT32, _F.TYPE_FIXED32)
_SCALARS: dict[int, dict[str, Any]] = {
    **{t: {"type": "string", "format": "int64"} for t in _INT64},  # 64-bit ints are JSON strings
    **{t: {"type": "string", "format": "uint64"} for t in _UINT64},
    **{t: {"type": "integer", "format": "int32"} for t in _INT32},
    **{t: {"type": "integer", "minimum": 0} for t in _UINT32},
    _F.TYPE_BOOL: {"type": "boolean"},
    _F.TYPE_STRING: {"type": "string"},
    _F.TYPE_BYTES: {"type": "string", "format": "byte"},  # base64
    _F.TYPE_DOUBLE: {"type": "number"},
    _F.TYPE_FLOAT: {"type": "number"},
}
ERROR = "okchain.gateway.Error"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


class _Schemas:
    """The components' schemas, each message added once, with the messages it holds."""

    def __init__(self) -> None:
        self.out: dict[str, Any] = {
            ERROR: {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "gRPC status code name, e.g. NOT_FOUND"},
                    "message": {"type": "string"},
                },
                "required": ["code", "message"],
            }
        }

    def message(self, descriptor: Descriptor) -> dict[str, str]:
        name = descriptor.full_name
        if name not in self.out:
            self.out[name] = {}  # placeholder: a message may hold itself
            self.out[name] = {
                "type": "object",
                "properties": {f.name: self.field(f) for f in descriptor.fields},
            }
        return _ref(name)

    def value(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.message(field.message_type)
        if field.enum_type is not None:
            return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
        return dict(_SCALARS[field.type])

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.is_repeated:
            return {"type": "array", "items": self.value(field)}
        return self.value(field)


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    method = route.method
    media = "text/event-stream" if route.streaming else "application/json"
    what = "server-sent events, each one message" if route.streaming else "the reply"
    op: dict[str, Any] = {
        "operationId": method.full_name.replace(".", "_"),
        "tags": [method.containing_service.full_name],
        "summary": f"gRPC {method.full_name}",
        "responses": {
            "200": {"description": what, "content": {media: {"schema": schemas.message(method.output_type)}}},
            "default": {
                "description": "the gRPC status as an HTTP one, with its code and message",
                "content": {"application/json": {"schema": _ref(ERROR)}},
            },
        },
    }
    if route.verb == "POST":
        body = {"schema": schemas.message(method.input_type)}
        op["requestBody"] = {"required": True, "content": {"application/json": body}}
    else:
        op["parameters"] = [
            {"name": f.name, "in": "query", "required": False, "schema": schemas.field(f)}
            for f in method.input_type.fields
            if f.type != _F.TYPE_MESSAGE
        ]
    return op


def document(table: list[Route], moniker: str) -> dict[str, Any]:
    schemas = _Schemas()
    paths = {r.path: {r.verb.lower(): _operation(r, schemas)} for r in table}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"okchain JSON gateway ({moniker})",
            "version": __version__,
            "description": "The node's gRPC services over HTTP in the protobuf JSON mapping: 64-bit integers "
            "and amounts are strings, bytes base64; errors carry the gRPC code name.",
        },
        "paths": paths,
        "components": {"schemas": schemas.out},
    }
