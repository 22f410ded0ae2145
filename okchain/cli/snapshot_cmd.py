"""``okchaind snapshot export|import``: move a verified state snapshot between homes (node stopped)."""

import argparse
import json
import shutil
from pathlib import Path

from okchain.app import genesis_marker
from okchain.cli.common import POSITIVE, UINT64, CLIError, add_home_arg
from okchain.genesis.document import load_genesis
from okchain.node.home import Home
from okchain.state import blockstore
from okchain.state.leveldb import LevelDB
from okchain.state.snapshot import SnapshotError, export_snapshot
from okchain.state.snapshot_import import import_snapshot
from okchain.state.store import StoreError


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    snapshot = sub.add_parser("snapshot", help="export or import a state snapshot (with the node stopped)")
    s = snapshot.add_subparsers(dest="snapshot_command", required=True)
    export = s.add_parser("export", help="write the state after a height into a snapshot directory")
    add_home_arg(export)
    export.add_argument("--height", type=UINT64, default=None, help="default: the latest height - 1")
    export.add_argument("--out", type=Path, required=True, help="snapshot directory to create")
    export.add_argument("--chunk-keys", type=POSITIVE, default=100_000, help="state entries per chunk")
    export.set_defaults(func=cmd_export)
    imp = s.add_parser("import", help="start an initialised home with no data from a verified snapshot")
    add_home_arg(imp)
    imp.add_argument("snapshot", type=Path, help="snapshot directory")
    imp.add_argument(
        "--genesis",
        type=Path,
        default=None,
        help="the snapshot's chain's genesis.json, put into the home first (a home made by `okchaind init` "
        "holds a genesis of its own)",
    )
    imp.add_argument(
        "--trust-hash",
        type=_block_hash,
        default=None,
        help="hex hash of block H + 1 from a source you trust; needed once the validator set has changed "
        "since genesis",
    )
    imp.set_defaults(func=cmd_import)


def _block_hash(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not hex") from None
    if len(raw) != 32:
        raise argparse.ArgumentTypeError(f"a block hash is 32 bytes (64 hex characters), got {len(raw)}")
    return raw


def _home(path: Path) -> Home:
    home = Home(path)
    if not home.initialised():
        raise CLIError(f"{home.root} is not an initialised home; run `okchaind init` first")
    return home


def _adopt_genesis(db: LevelDB, home: Home, path: Path) -> None:
    """Put the genesis at ``path`` into an empty home, checked first, so the import can verify against it."""
    for _ in db.iterate(b""):
        raise CLIError(f"{home.root} already holds data; --genesis is only for a home with no data yet")
    load_genesis(path)  # refuses a malformed document before the home's own is replaced
    shutil.copyfile(path, home.genesis_file)


def _open(home: Home) -> LevelDB:
    try:
        return LevelDB(home.data_dir)
    except StoreError as exc:
        raise CLIError(f"{exc} (is the node running? stop it first: LevelDB admits one process)") from exc


def cmd_export(args: argparse.Namespace) -> int:
    home = _home(args.home)
    if args.out.exists() and any(args.out.iterdir()):
        raise CLIError(f"{args.out} is not empty; choose a new directory")
    db = _open(home)
    try:
        reader = db.snapshot()
        last = blockstore.last_committed(reader)
        if last is None:
            raise CLIError(f"{home.root} has no committed blocks")
        height = last.height - 1 if args.height is None else args.height
        manifest = export_snapshot(reader, height, args.out, chunk_keys=args.chunk_keys)
    finally:
        db.close()
    print(
        json.dumps(
            {
                "height": manifest.height,
                "app_hash": manifest.app_hash.hex(),
                "keys": manifest.keys,
                "chunks": len(manifest.chunks),
                "out": str(args.out),
            },
            indent=2,
        )
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    home = _home(args.home)
    db = _open(home)
    try:
        if args.genesis is not None:
            _adopt_genesis(db, home, args.genesis)
        genesis = load_genesis(home.genesis_file)
        try:
            last = import_snapshot(
                db,
                args.snapshot,
                chain_id=genesis.header.chain_id,
                validators=genesis.header.validators,
                genesis_marker=genesis_marker(genesis),
                trusted_hash=args.trust_hash,
            )
        except SnapshotError as exc:
            if args.genesis is not None:
                raise
            hint = f"{home.genesis_file} must be the snapshot's chain's genesis: pass it with --genesis FILE"
            raise CLIError(f"{exc} ({hint})") from exc
    finally:
        db.close()
    print(
        json.dumps({"height": last.height, "app_hash": last.app_hash.hex(), "home": str(home.root)}, indent=2)
    )
    return 0
