"""What client commands share: the gRPC channel to ``--node`` and JSON rendering of chain objects."""

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf.json_format import MessageToDict

import okchain.client
from okchain._pb.types.v1 import types_pb2
from okchain.cli.common import UINT64, CLIError, positive_seconds
from okchain.client.stubs import Stubs, open_channel
from okchain.crypto.address import to_checksum

T = TypeVar("T")
DEFAULT_NODE = "localhost:9090"


def add_node_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", default=DEFAULT_NODE, help="gRPC address of a node (default %(default)s)")
    parser.add_argument("--timeout", type=positive_seconds, default=30.0, help="seconds to wait for the node")


class Client(Stubs):
    """Stubs for the node's services over one channel, with CLI errors and paging."""

    def __init__(self, target: str, timeout: float) -> None:
        self.channel = open_channel(target)
        self.timeout = timeout
        self.target = target
        super().__init__(self.channel)

    def verify_if(
        self, args: argparse.Namespace, op: Callable[[okchain.client.Client], okchain.client.Verified[Any]]
    ) -> okchain.client.Verified[Any] | None:
        """With ``--verify``: the verified answer (at ``--height``, default the newest provable one), which
        the command then reads plainly at the same height and shows next to it."""
        return self.verified(op, args.genesis) if args.verify else None

    def verified(self, op: Callable[[okchain.client.Client], T], genesis: Path | None) -> T:
        """Run ``op`` on a library client that trusts ``genesis``'s validators; a node whose answer does
        not verify is a CLI error that says why."""
        if genesis is None:
            raise CLIError("--verify needs --genesis FILE: the chain's genesis, whose validators to trust")
        try:
            with okchain.client.Client(self.target, genesis=str(genesis), timeout=self.timeout) as client:
                return op(client)
        except okchain.client.ClientError as exc:
            raise CLIError(str(exc)) from None

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


def add_height_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--height", type=UINT64, default=0, help="state after this block (default: latest); must be retained"
    )


def add_verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verify",
        action="store_true",
        help="trust nothing from the node: check its Merkle proofs against a header verified from --genesis",
    )
    parser.add_argument("--genesis", type=Path, default=None, help="genesis.json: whose validators to trust")


def agree(proven: object, shown: object, what: str) -> None:
    """The node's plain answer is the proven one (a node lying in one and not the other is caught)."""
    if proven != shown:
        raise CLIError(f"the node shows {what} {shown} but proves {proven}")


def proven_json(proven: okchain.client.Verified[Any]) -> dict[str, object]:
    """A verified answer as JSON: the proven record (addresses EIP-55, other bytes hex, integers as
    strings), its height and the app hash it was proven against."""

    def plain(value: object) -> object:
        if isinstance(value, bytes):
            return to_checksum(value) if len(value) == 20 else value.hex()
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return str(value)

    value = proven.value
    is_record = dataclasses.is_dataclass(value) and not isinstance(value, type)
    record = plain(dataclasses.asdict(value)) if is_record else plain(value)
    return {"height": str(proven.height), "app_hash": proven.app_hash.hex(), "value": record}
