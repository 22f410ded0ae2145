"""What client commands share: the gRPC channel to ``--node`` and JSON rendering of chain objects."""

import argparse
import json
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.json_format import MessageToDict

from okchain._pb.dex.v1 import query_pb2_grpc as dex_query_pb2_grpc
from okchain._pb.distribution.v1 import query_pb2_grpc as distribution_query_pb2_grpc
from okchain._pb.mint.v1 import query_pb2_grpc as mint_query_pb2_grpc
from okchain._pb.node.v1 import query_pb2_grpc
from okchain._pb.slashing.v1 import query_pb2_grpc as slashing_query_pb2_grpc
from okchain._pb.staking.v1 import query_pb2_grpc as staking_query_pb2_grpc
from okchain._pb.token.v1 import query_pb2_grpc as token_query_pb2_grpc
from okchain._pb.types.v1 import types_pb2
from okchain.cli.common import CLIError, positive_seconds
from okchain.crypto.address import to_checksum

T = TypeVar("T")
DEFAULT_NODE = "localhost:9090"


def add_node_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", default=DEFAULT_NODE, help="gRPC address of a node (default %(default)s)")
    parser.add_argument("--timeout", type=positive_seconds, default=30.0, help="seconds to wait for the node")


class Client:
    """Stubs for the node's services over one channel."""

    def __init__(self, target: str, timeout: float) -> None:
        self.channel = grpc.insecure_channel(target)
        self.timeout = timeout
        self.tx = query_pb2_grpc.TxServiceStub(self.channel)
        self.query = query_pb2_grpc.QueryServiceStub(self.channel)
        self.node = query_pb2_grpc.NodeServiceStub(self.channel)
        self.token = token_query_pb2_grpc.TokenQueryStub(self.channel)
        self.dex = dex_query_pb2_grpc.DexQueryStub(self.channel)
        self.staking = staking_query_pb2_grpc.StakingQueryStub(self.channel)
        self.slashing = slashing_query_pb2_grpc.SlashingQueryStub(self.channel)
        self.distribution = distribution_query_pb2_grpc.DistributionQueryStub(self.channel)
        self.mint = mint_query_pb2_grpc.MintQueryStub(self.channel)

    def call(self, method: Callable[..., T], request: Any) -> T:
        """Invoke and turn gRPC errors into a CLI error that carries the node's precise message."""
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as exc:
            code = exc.code().name if hasattr(exc, "code") else "UNKNOWN"
            details = exc.details() if hasattr(exc, "details") else str(exc)
            raise CLIError(f"{code}: {details}") from None

    def pages(self, method: Callable[..., Any], request_of: Callable[[str], Any]) -> list[Any]:
        """Every page of a paged query, in order: ``request_of(page_token)`` builds each request, and the
        response whose ``next_page_token`` is empty is the last."""
        out = [self.call(method, request_of(""))]
        while out[-1].next_page_token:
            out.append(self.call(method, request_of(out[-1].next_page_token)))
        return out


def print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2))


def message_json(message: Any) -> dict[str, object]:
    """A query response as JSON with the proto field names, every field shown (zeros and empties too)."""
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def result_json(r: types_pb2.TxResult) -> dict[str, object]:
    return {
        "code": r.code,
        "log": r.log,
        "gas_wanted": str(r.gas_wanted),
        "gas_used": str(r.gas_used),
        "signer": to_checksum(r.signer) if len(r.signer) == 20 else "",
        "nonce": str(r.nonce),
        "fee": r.fee,
        "events": [{"type": e.type, "attributes": {a.key: a.value for a in e.attributes}} for e in r.events],
    }


def header_json(h: types_pb2.Header) -> dict[str, object]:
    return {
        "chain_id": h.chain_id,
        "height": str(h.height),
        "time_ns": str(h.time_ns),
        "last_block_hash": h.last_block_hash.hex(),
        "txs_hash": h.txs_hash.hex(),
        "app_hash": h.app_hash.hex(),
        "last_results_hash": h.last_results_hash.hex(),
        "validators_hash": h.validators_hash.hex(),
        "proposer_address": h.proposer_address.hex(),
    }
