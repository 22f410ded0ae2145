"""Server reflection as both ``grpc.reflection.v1`` (what current grpcurl, Postman and grpc-java try first)
and ``grpc.reflection.v1alpha`` (what older clients know).

grpcio-reflection implements only v1alpha. The v1 messages (proto/grpc/reflection/v1/reflection.proto) have
exactly the same fields and numbers, so the v1 servicer re-reads each request's bytes as v1alpha, lets
grpcio-reflection answer it over the same descriptor pool, and re-reads the answer's bytes as v1: one
implementation, two package names, byte-identical answers.

Both also resolve a method (``okchain.node.v1.NodeService.NodeInfo``) or a field to the file declaring its
service or message, as the reflection spec's ``<package>.<service>[.<method>]`` asks (grpcurl's
``describe`` of a method sends exactly that); protobuf's Python descriptor pool finds only top-level symbols.
"""

from collections.abc import Iterable, Iterator

import grpc
from google.protobuf import descriptor_pool
from grpc_reflection.v1alpha import reflection as v1alpha
from grpc_reflection.v1alpha import reflection_pb2 as v1alpha_pb2
from grpc_reflection.v1alpha import reflection_pb2_grpc as v1alpha_pb2_grpc

from okchain._pb.grpc.reflection.v1 import reflection_pb2, reflection_pb2_grpc

V1_SERVICE_NAME: str = reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"].full_name
V1ALPHA_SERVICE_NAME: str = v1alpha.SERVICE_NAME


def declaring_symbol(pool: descriptor_pool.DescriptorPool, name: str) -> str:
    """``name``, or the service or message that declares it when ``name`` is a method or a field."""
    try:
        pool.FindFileContainingSymbol(name)
        return name
    except KeyError:
        pass
    parent, _, member = name.rpartition(".")
    try:
        if member in pool.FindServiceByName(parent).methods_by_name:
            return parent
    except KeyError:
        pass
    try:
        if member in pool.FindMessageTypeByName(parent).fields_by_name:
            return parent
    except KeyError:
        pass
    return name


class ReflectionV1alphaServicer(v1alpha.ReflectionServicer):  # type: ignore[misc]
    """grpcio-reflection's servicer over the default pool, also resolving methods and fields."""

    def _file_containing_symbol(
        self, request: v1alpha_pb2.ServerReflectionRequest, fully_qualified_name: str
    ) -> v1alpha_pb2.ServerReflectionResponse:
        symbol = declaring_symbol(descriptor_pool.Default(), fully_qualified_name)
        answer: v1alpha_pb2.ServerReflectionResponse = super()._file_containing_symbol(request, symbol)
        return answer


class ReflectionV1Servicer(reflection_pb2_grpc.ServerReflectionServicer):
    """``grpc.reflection.v1.ServerReflection`` answered by grpcio-reflection's v1alpha servicer."""

    def __init__(self, service_names: Iterable[str]) -> None:
        self._v1alpha = ReflectionV1alphaServicer(list(service_names))

    def ServerReflectionInfo(
        self,
        request_iterator: Iterator[reflection_pb2.ServerReflectionRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[reflection_pb2.ServerReflectionResponse]:
        requests = (
            v1alpha_pb2.ServerReflectionRequest.FromString(r.SerializeToString()) for r in request_iterator
        )
        for answer in self._v1alpha.ServerReflectionInfo(requests, context):
            yield reflection_pb2.ServerReflectionResponse.FromString(answer.SerializeToString())


def enable_reflection(service_names: Iterable[str], server: grpc.Server) -> None:
    """Offer ``service_names`` and both reflection services themselves over v1 and v1alpha on ``server``."""
    names = [*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME]
    v1alpha_pb2_grpc.add_ServerReflectionServicer_to_server(ReflectionV1alphaServicer(names), server)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(ReflectionV1Servicer(names), server)
