"""``okchaind genesis migrate|verify``: build the OKT genesis from an OKB holder snapshot and re-prove it."""

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from okchain.cli import gentx_cmd
from okchain.genesis.document import (
    GenesisError,
    GenesisFileError,
    GenesisValidator,
    parse_genesis_time,
)
from okchain.genesis.migrate import GenesisMismatchError, check_genesis, migrate_snapshot
from okchain.genesis.snapshot import MAX_REPORTED_ERRORS
from okchain.node.progress import terminal_progress
from okchain.types.params import ChainParams


def parse_validator(text: str) -> GenesisValidator:
    """``NAME:PUBKEYHEX:POWER`` from the command line."""
    parts = text.split(":")
    if len(parts) != 3:
        raise GenesisError(f"--validator {text!r} must be NAME:PUBKEYHEX:POWER")
    name, pub_key, power = parts
    return GenesisValidator.from_json(
        {"name": name, "pub_key": pub_key, "power": power}, f"--validator {name}"
    )


def load_params(path: str | None) -> ChainParams:
    """Chain params from a JSON file of overrides (the built-in defaults without one)."""
    if path is None:
        return ChainParams()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise GenesisError(f"cannot read params {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise GenesisFileError(f"params {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise GenesisFileError(f"params {path} must hold a JSON object")
    return ChainParams.from_json(data)


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2))


def cmd_migrate(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with terminal_progress() as progress:
        info = migrate_snapshot(
            args.snapshot,
            args.chain_id,
            args.out,
            validators=[parse_validator(v) for v in args.validator],
            params=load_params(args.params),
            genesis_time=None if args.genesis_time is None else parse_genesis_time(args.genesis_time),
            progress=progress,
        )
    _print_json(
        {"genesis": os.fspath(args.out), **info.to_json(), "seconds": round(time.monotonic() - started, 3)}
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with terminal_progress() as progress:
        report = check_genesis(args.snapshot, args.genesis, progress)
    differences = report.differences
    if differences:
        shown = [f"  {d}" for d in differences[:MAX_REPORTED_ERRORS]]
        if len(differences) > MAX_REPORTED_ERRORS:
            shown.append(f"  ... and {len(differences) - MAX_REPORTED_ERRORS} more")
        count = len(differences)
        head = f"genesis {args.genesis} does not match snapshot {args.snapshot}: {count} difference(s)"
        raise GenesisMismatchError("\n".join([head, *shown]), differences)
    _print_json({"ok": True, "genesis": args.genesis, "snapshot": args.snapshot, **report.expected.to_json()})
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    genesis = sub.add_parser("genesis", help="build and check the genesis file")
    commands = genesis.add_subparsers(dest="genesis_command", required=True)

    migrate = commands.add_parser(
        "migrate", help="write a genesis whose OKT balances equal an OKB holder snapshot's, 1:1"
    )
    migrate.add_argument("--snapshot", required=True, help="Etherscan holder export or address,amount CSV")
    migrate.add_argument("--chain-id", required=True)
    migrate.add_argument("--out", required=True, help="genesis JSON to write (replaced atomically)")
    migrate.add_argument("--genesis-time", help="RFC 3339 UTC, e.g. 2026-11-25T00:00:00Z (default: now)")
    migrate.add_argument("--params", help="JSON file of chain params (default: built-in)")
    migrate.add_argument(
        "--validator", action="append", default=[], metavar="NAME:PUBKEYHEX:POWER", help="repeatable"
    )
    migrate.set_defaults(func=cmd_migrate)

    verify = commands.add_parser("verify", help="re-prove that a genesis maps a snapshot 1:1")
    verify.add_argument("--snapshot", required=True)
    verify.add_argument("genesis", help="genesis JSON to check")
    verify.set_defaults(func=cmd_verify)
    gentx_cmd.register(commands)
