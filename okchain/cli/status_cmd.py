"""``okchaind status``: is the local node up and moving? Height, catching up, peers, validator or not, and how
old the latest block is, from gRPC NodeInfo and LatestBlock.

Exit codes: 0 the node answered (and, with ``--max-block-age``, its latest block is recent enough); 1 it
could not be reached (or the home's config cannot be read); 3 it answered but its latest block is older than
``--max-block-age`` or it is catching up, so a supervisor or a health check can tell "down" from "stuck".
"""

import argparse
import sys
import time
from pathlib import Path

from okchain._pb.node.v1 import query_pb2
from okchain.cli.client import DEFAULT_NODE, Client, print_json
from okchain.cli.common import CLIError, add_home_arg, positive_seconds
from okchain.node.config import NodeConfig
from okchain.node.home import Home

STALE = 3
ANY_HOSTS = ("0.0.0.0", "::", "[::]", "")


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser(
        "status",
        help="the local node: height, catching up, peers, validator or not, last block age (exit 1 if down)",
    )
    add_home_arg(p)
    p.add_argument(
        "--node",
        default=None,
        help=f"gRPC address (default: grpc_listen of the home's config.toml, else {DEFAULT_NODE})",
    )
    p.add_argument("--timeout", type=positive_seconds, default=5.0, help="seconds to wait for the node")
    p.add_argument(
        "--max-block-age",
        type=positive_seconds,
        default=None,
        help="exit 3 if the latest block is older than this many seconds or the node is catching up",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_status)


def local_target(home: Path) -> str:
    """Where the node of ``home`` serves gRPC, as a client on this machine reaches it."""
    home_ = Home(home)
    if not home_.config_file.exists():
        return DEFAULT_NODE
    host, _, port = NodeConfig.load(home_.config_file).grpc_listen.rpartition(":")
    return f"{'127.0.0.1' if host in ANY_HOSTS else host}:{port}"


def fetch_status(target: str, timeout: float) -> dict[str, object]:
    client = Client(target, timeout)
    try:
        info = client.call(client.node.NodeInfo, query_pb2.NodeInfoRequest())
        block_time_ns = 0
        if info.latest_height > 0:
            latest = client.call(client.node.LatestBlock, query_pb2.LatestBlockRequest())
            block_time_ns = latest.block.header.time_ns
    except CLIError as exc:
        raise CLIError(f"node at {target} is unreachable: {exc}") from None
    finally:
        client.channel.close()
    age = max(0.0, time.time() - block_time_ns / 1e9) if block_time_ns else None
    return {
        "node": target,
        "chain_id": info.chain_id,
        "moniker": info.moniker,
        "node_id": info.node_id,
        "version": info.version,
        "height": info.latest_height,
        "latest_block_hash": info.latest_block_hash.hex(),
        "latest_block_time_ns": str(block_time_ns),
        "last_block_age_s": None if age is None else round(age, 3),
        "catching_up": info.catching_up,
        "peers": info.peers,
        "is_validator": info.is_validator,
        "validator_address": info.validator_address.hex(),
        "consensus_height": info.consensus_height,
        "consensus_round": info.consensus_round,
    }


def _age_text(age: object) -> str:
    if not isinstance(age, float):
        return "no block yet"
    return f"{age:.1f} s ago" if age < 120 else f"{age / 60:.1f} min ago"


def status_text(s: dict[str, object]) -> str:
    role = f"validator {s['validator_address']}" if s["is_validator"] else "full node (not a validator)"
    rows = [
        ("node", f"{s['moniker']} ({s['node_id']}) at {s['node']}, version {s['version']}"),
        ("chain", str(s["chain_id"])),
        ("height", f"{s['height']} (consensus at {s['consensus_height']}/{s['consensus_round']})"),
        ("last block", _age_text(s["last_block_age_s"])),
        ("catching up", "yes" if s["catching_up"] else "no"),
        ("peers", str(s["peers"])),
        ("role", role),
    ]
    return "\n".join(f"{name:<12} {value}" for name, value in rows)


def cmd_status(args: argparse.Namespace) -> int:
    target = args.node or local_target(args.home)
    s = fetch_status(target, args.timeout)
    if args.json:
        print_json(s)
    else:
        print(status_text(s))
    if args.max_block_age is not None:
        age = s["last_block_age_s"]
        if s["catching_up"] or not isinstance(age, float) or age > args.max_block_age:
            why = "catching up" if s["catching_up"] else f"last block {_age_text(age)}"
            print(f"stale: {why} (limit {args.max_block_age} s)", file=sys.stderr)
            return STALE
    return 0
