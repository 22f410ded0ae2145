"""grpcio's threaded server with reflection and health checking, bridged to the node's trio thread."""

from concurrent import futures
from typing import Any

import grpc
import trio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from okchain._pb.dex.v1 import query_pb2 as dex_query_pb2
from okchain._pb.dex.v1 import query_pb2_grpc as dex_query_pb2_grpc
from okchain._pb.distribution.v1 import query_pb2 as dist_query_pb2
from okchain._pb.distribution.v1 import query_pb2_grpc as dist_query_pb2_grpc
from okchain._pb.explorer.v1 import query_pb2 as explorer_query_pb2
from okchain._pb.explorer.v1 import query_pb2_grpc as explorer_query_pb2_grpc
from okchain._pb.mint.v1 import query_pb2 as mint_query_pb2
from okchain._pb.mint.v1 import query_pb2_grpc as mint_query_pb2_grpc
from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain._pb.slashing.v1 import query_pb2 as slashing_query_pb2
from okchain._pb.slashing.v1 import query_pb2_grpc as slashing_query_pb2_grpc
from okchain._pb.staking.v1 import query_pb2 as staking_query_pb2
from okchain._pb.staking.v1 import query_pb2_grpc as staking_query_pb2_grpc
from okchain._pb.stream.v1 import stream_pb2, stream_pb2_grpc
from okchain._pb.token.v1 import query_pb2 as token_query_pb2
from okchain._pb.token.v1 import query_pb2_grpc as token_query_pb2_grpc
from okchain.errors import OKChainError
from okchain.node.api import NodeAPI
from okchain.rpc.dex_servicer import DexQueryService
from okchain.rpc.distribution_servicer import DistributionQueryService, MintQueryService
from okchain.rpc.explorer_servicer import ExplorerQueryService
from okchain.rpc.reflection import enable_reflection
from okchain.rpc.servicers import NodeService, QueryService, ServicerBase, TxService
from okchain.rpc.slashing_servicer import SlashingQueryService
from okchain.rpc.staking_servicer import StakingQueryService
from okchain.rpc.stream_servicer import StreamQueryService
from okchain.rpc.token_servicer import TokenQueryService

STOP_GRACE_S = 1.0

# Every service the node serves: (grpcio's add function, the servicer class, its descriptor). One line per
# service; reflection and health list them all, and the JSON gateway (okchain/gateway/) mirrors them.
SERVICES: tuple[tuple[Any, type[ServicerBase], Any], ...] = (
    (query_pb2_grpc.add_TxServiceServicer_to_server, TxService,
     query_pb2.DESCRIPTOR.services_by_name["TxService"]),
    (query_pb2_grpc.add_QueryServiceServicer_to_server, QueryService,
     query_pb2.DESCRIPTOR.services_by_name["QueryService"]),
    (query_pb2_grpc.add_NodeServiceServicer_to_server, NodeService,
     query_pb2.DESCRIPTOR.services_by_name["NodeService"]),
    (token_query_pb2_grpc.add_TokenQueryServicer_to_server, TokenQueryService,
     token_query_pb2.DESCRIPTOR.services_by_name["TokenQuery"]),
    (dex_query_pb2_grpc.add_DexQueryServicer_to_server, DexQueryService,
     dex_query_pb2.DESCRIPTOR.services_by_name["DexQuery"]),
    (staking_query_pb2_grpc.add_StakingQueryServicer_to_server, StakingQueryService,
     staking_query_pb2.DESCRIPTOR.services_by_name["StakingQuery"]),
    (slashing_query_pb2_grpc.add_SlashingQueryServicer_to_server, SlashingQueryService,
     slashing_query_pb2.DESCRIPTOR.services_by_name["SlashingQuery"]),
    (explorer_query_pb2_grpc.add_ExplorerQueryServicer_to_server, ExplorerQueryService,
     explorer_query_pb2.DESCRIPTOR.services_by_name["ExplorerQuery"]),
    (dist_query_pb2_grpc.add_DistributionQueryServicer_to_server, DistributionQueryService,
     dist_query_pb2.DESCRIPTOR.services_by_name["DistributionQuery"]),
    (mint_query_pb2_grpc.add_MintQueryServicer_to_server, MintQueryService,
     mint_query_pb2.DESCRIPTOR.services_by_name["MintQuery"]),
    (stream_pb2_grpc.add_StreamQueryServicer_to_server, StreamQueryService,
     stream_pb2.DESCRIPTOR.services_by_name["StreamQuery"]),
)  # fmt: skip


class GrpcServer:
    """The node's gRPC services on grpcio's threads, calling into the node's trio thread with ``token``."""

    def __init__(self, node: NodeAPI, token: trio.lowlevel.TrioToken) -> None:
        config = node.config
        limit = config.grpc_max_message_bytes
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=config.grpc_workers, thread_name_prefix="grpc"),
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", 4 * limit),
                ("grpc.so_reuseport", 0),  # a second node on the same port must fail, not share it
                ("grpc.max_concurrent_streams", config.grpc_max_streams_per_connection),
            ],
            maximum_concurrent_rpcs=config.grpc_max_concurrent_rpcs,
        )
        names = []
        for add, servicer, service in SERVICES:
            add(servicer(node, token), self._server)
            names.append(service.full_name)
        self._health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        enable_reflection([*names, health.SERVICE_NAME], self._server)
        self._listen = config.grpc_listen
        self.port = 0  # bound by start()
        self._names = names

    def start(self) -> str:
        """Bind and start; returns where it listens (the bound port, useful with port 0)."""
        try:
            port: int = self._server.add_insecure_port(self._listen)
            self.port = port
        except RuntimeError as exc:
            raise OKChainError(f"cannot listen for gRPC on {self._listen}: {exc}") from exc
        self._server.start()
        for name in ["", *self._names]:
            self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        host = self._listen.rsplit(":", 1)[0]
        return f"gRPC listening on {host}:{port} (reflection v1 and v1alpha, grpc.health.v1 enabled)"

    def stop(self) -> None:
        """Refuse new calls and give running ones a second to finish."""
        self._health.enter_graceful_shutdown()
        self._server.stop(STOP_GRACE_S).wait()
