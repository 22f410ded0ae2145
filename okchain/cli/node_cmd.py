"""``okchaind init`` and ``okchaind start``: make a single-validator home from the OKB snapshot, run it."""

import argparse
import functools
import json
from dataclasses import replace
from pathlib import Path

import trio

from okchain.cli.common import POSITIVE, CLIError, add_home_arg
from okchain.cli.ports import check_listen_addresses
from okchain.crypto.ed25519 import ValidatorKey
from okchain.errors import OKChainError
from okchain.gateway.server import GatewayServer
from okchain.genesis.document import GenesisValidator
from okchain.genesis.migrate import migrate_snapshot
from okchain.node.api import FrontendFactory
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.logs import FORMATS, LEVELS
from okchain.node.logs import configure as configure_logs
from okchain.node.metrics import MetricsServer
from okchain.node.node import Node
from okchain.node.progress import line_per_run, terminal_progress
from okchain.node.statesync import state_sync
from okchain.p2p.keys import NodeKey
from okchain.rpc.server import GrpcServer

BUNDLED_SNAPSHOT = Path(__file__).resolve().parents[2] / "genesis" / "okb-snapshot.csv"


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    init = sub.add_parser(
        "init", help="create a single-validator home: key, genesis from the OKB snapshot, config"
    )
    add_home_arg(init)
    init.add_argument("--chain-id", default="okchain-devnet-1")
    init.add_argument("--snapshot", type=Path, default=BUNDLED_SNAPSHOT, help="OKB holder snapshot CSV")
    init.add_argument("--moniker", default="okchain-devnet")
    init.add_argument("--grpc-listen", default="127.0.0.1:9090")
    init.add_argument("--block-time-ms", type=POSITIVE, default=1000)
    init.add_argument("--power", type=POSITIVE, default=10, help="voting power of this validator")
    init.set_defaults(func=cmd_init)

    start = sub.add_parser("start", help="run the node")
    add_home_arg(start)
    start.add_argument("--grpc-listen", default=None, help="override config grpc_listen")
    start.add_argument(
        "--p2p-listen", default=None, help="override config p2p_listen (port 0: any free port)"
    )
    start.add_argument(
        "--metrics-listen", default=None, help="override config metrics_listen (host:port; empty: off)"
    )
    start.add_argument(
        "--api-listen", default=None, help="override config api_listen (JSON gateway host:port; empty: off)"
    )
    start.add_argument(
        "--log-level", type=str.lower, choices=LEVELS, default=None, help="override config log_level"
    )
    start.add_argument(
        "--log-format",
        choices=FORMATS,
        default=None,
        help="override config log_format: text (key=value pairs) or json (one object per line)",
    )
    start.set_defaults(func=cmd_start)


def cmd_init(args: argparse.Namespace) -> int:
    home = Home(args.home)
    if home.config_file.exists() or home.genesis_file.exists() or home.validator_key_file.exists():
        raise CLIError(f"{home.root} already holds a node; choose another --home or remove it")
    if not args.snapshot.is_file():
        raise CLIError(f"snapshot {args.snapshot} not found")
    key = ValidatorKey.generate()
    validator = GenesisValidator(args.moniker, key.public_key, args.power)
    home.genesis_file.parent.mkdir(parents=True, exist_ok=True)
    # The genesis is written atomically and only if the snapshot is valid; the key and config follow, so a
    # failed init leaves nothing that blocks a retry.
    info = migrate_snapshot(args.snapshot, args.chain_id, home.genesis_file, validators=[validator])
    home.write_validator_key(key)
    node_key = NodeKey.load_or_create(home.node_key_file)
    config = NodeConfig(moniker=args.moniker, grpc_listen=args.grpc_listen, block_time_ms=args.block_time_ms)
    home.config_file.write_text(config.to_toml())
    print(
        json.dumps(
            {
                "home": str(home.root),
                "chain_id": args.chain_id,
                "validator_pub_key": key.public_key.hex(),
                "node_id": node_key.node_id,
                "genesis": str(home.genesis_file),
                "holders": info.holders,
                "total_okt_base_units": str(info.total),
                "snapshot_sha256": info.snapshot_sha256,
            },
            indent=2,
        )
    )
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    home = Home(args.home)
    config = NodeConfig.load(home.config_file)
    configure_logs(args.log_level or config.log_level, args.log_format or config.log_format)
    if args.grpc_listen:
        config = replace(config, grpc_listen=args.grpc_listen)
    if args.p2p_listen:
        config = replace(config, p2p_listen=args.p2p_listen)
    if args.metrics_listen is not None:
        config = replace(config, metrics_listen=args.metrics_listen)
    if args.api_listen is not None:
        config = replace(config, api_listen=args.api_listen)
    config.validated("okchaind start")  # the flags' values follow config.toml's rules
    check_listen_addresses(config)  # a taken port is named with the process holding it
    frontends: list[FrontendFactory] = [GrpcServer]
    if config.metrics_listen:
        frontends.append(MetricsServer)
    if config.api_listen:
        frontends.append(GatewayServer)
    try:
        if config.statesync:  # only an empty database is synced; one holding a chain starts as usual
            with terminal_progress() as bar:
                trio.run(state_sync, home, config, bar)
        with terminal_progress() as bar:  # block sync draws a bar only on a terminal
            node = Node(home, config, progress=None if bar is None else line_per_run(bar))
            trio.run(functools.partial(node.run, frontends=frontends))
    except BaseExceptionGroup as group:
        reason = _own_error(group)
        if reason is None:
            raise
        raise reason from None  # one line an operator can act on (a full disk, say), not trio's nesting
    return 0


def _own_error(group: BaseExceptionGroup[BaseException]) -> OKChainError | None:
    """The node's own error that stopped it from inside trio's exception groups, if nothing else failed."""
    match, rest = group.split(OKChainError)
    if match is None or rest is not None:
        return None
    leaf: BaseException = match
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    return leaf if isinstance(leaf, OKChainError) else None
