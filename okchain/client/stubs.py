"""The node's gRPC services over one channel, named as ``Call.service`` names them."""

from collections.abc import Callable
from typing import Any

import grpc

from okchain._pb.dex.v1 import query_pb2_grpc as dex_grpc
from okchain._pb.distribution.v1 import query_pb2_grpc as distribution_grpc
from okchain._pb.explorer.v1 import query_pb2_grpc as explorer_grpc
from okchain._pb.mint.v1 import query_pb2_grpc as mint_grpc
from okchain._pb.node.v1 import query_pb2_grpc as node_grpc
from okchain._pb.slashing.v1 import query_pb2_grpc as slashing_grpc
from okchain._pb.staking.v1 import query_pb2_grpc as staking_grpc
from okchain._pb.stream.v1 import stream_pb2_grpc
from okchain._pb.token.v1 import query_pb2_grpc as token_grpc
from okchain.client.core import Call
from okchain.client.errors import NodeError

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # above any answer a node sends (its cap is 4× its request cap)


def open_channel(target: str) -> grpc.Channel:
    """A plaintext channel to ``target`` (``host:port``) that accepts any answer a node may send."""
    return grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)])


class Stubs:
    """One stub per service of the node."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.tx = node_grpc.TxServiceStub(channel)
        self.query = node_grpc.QueryServiceStub(channel)
        self.node = node_grpc.NodeServiceStub(channel)
        self.token = token_grpc.TokenQueryStub(channel)
        self.dex = dex_grpc.DexQueryStub(channel)
        self.staking = staking_grpc.StakingQueryStub(channel)
        self.slashing = slashing_grpc.SlashingQueryStub(channel)
        self.distribution = distribution_grpc.DistributionQueryStub(channel)
        self.mint = mint_grpc.MintQueryStub(channel)
        self.explorer = explorer_grpc.ExplorerQueryStub(channel)
        self.stream = stream_pb2_grpc.StreamQueryStub(channel)

    def method(self, call: Call) -> Callable[..., Any]:
        method: Callable[..., Any] = getattr(getattr(self, call.service), call.method)
        return method


def node_error(exc: grpc.RpcError) -> NodeError:
    """The node's status and message of a failed call (grpcio raises errors that are also calls)."""
    code = exc.code().name if isinstance(exc, grpc.Call) else "UNKNOWN"
    details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
    return NodeError(code, details or "")
