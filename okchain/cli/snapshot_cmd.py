"""``okchaind snapshot list|export|import``: the snapshots a node keeps, and moving one between homes.

``list`` and ``export`` of a kept snapshot read only the node's snapshot store, so they work while the
node runs (it takes snapshots every ``snapshot_interval`` heights); ``export`` of another height reads the
database, which LevelDB lets only a stopped node's home do. ``import`` fills a new home with no data."""

import argparse
import hashlib
import json
import shutil
from pathlib import Path

from okchain.app import genesis_marker
from okchain.cli.common import POSITIVE, UINT64, CLIError, add_home_arg
from okchain.genesis.document import load_genesis
from okchain.node.home import Home
from okchain.node.progress import terminal_progress
from okchain.node.snapshots import SnapshotStore
from okchain.state import blockstore
from okchain.state.leveldb import LevelDB
from okchain.state.snapshot import MANIFEST, Manifest, Progress, SnapshotError, export_snapshot
from okchain.state.snapshot_import import import_snapshot
from okchain.state.store import StoreError


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    snapshot = sub.add_parser("snapshot", help="list, export or import state snapshots")
    s = snapshot.add_subparsers(dest="snapshot_command", required=True)
    listing = s.add_parser(
        "list", help="the snapshots the node keeps in <home>/data/snapshots (node may run)"
    )
    add_home_arg(listing)
    listing.set_defaults(func=cmd_list)
    export = s.add_parser(
        "export",
        help="copy a kept snapshot (node may run), or write the state after a height (node stopped)",
    )
    add_home_arg(export)
    export.add_argument(
        "--height",
        type=UINT64,
        default=None,
        help="default: the newest kept snapshot, else the latest height - 1",
    )
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
        hint = (
            "is the node running? LevelDB admits one process: stop it, or export a snapshot the node keeps "
            "(`okchaind snapshot list`; set snapshot_interval in config.toml to have it take them)"
        )
        raise CLIError(f"{exc} ({hint})") from exc


def _store(home: Home) -> SnapshotStore | None:
    root = home.data_dir.parent / "snapshots"
    return SnapshotStore(root, keep=0) if root.is_dir() else None


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(_home(args.home))
    rows = [
        {
            "height": m.height,
            "app_hash": m.app_hash.hex(),
            "keys": m.keys,
            "chunks": len(m.chunks),
            "chunks_hash": m.chunks_hash.hex(),
        }
        for m in (store.manifests() if store is not None else [])
    ]
    print(json.dumps(rows, indent=2))
    return 0


def _copy_kept(store: SnapshotStore, manifest: Manifest, out: Path, progress: Progress | None) -> None:
    """Copy a kept snapshot's files, each chunk checked against its manifest hash on the way."""
    out.mkdir(parents=True, exist_ok=True)
    for index, chunk in enumerate(manifest.chunks):
        data = store.chunk(manifest.height, manifest.chunks_hash, index)
        if data is None or hashlib.sha256(data).hexdigest() != chunk.sha256:
            raise CLIError(f"snapshot {manifest.height} changed or was removed while it was copied")
        (out / chunk.file).write_bytes(data)
        if progress is not None:
            progress("copy", index + 1, len(manifest.chunks))
    raw = store.manifest_bytes(manifest.height, manifest.chunks_hash)
    if raw is None:
        raise CLIError(f"snapshot {manifest.height} was removed while it was copied")
    (out / MANIFEST).write_bytes(raw)


def _export_from_db(home: Home, height: int | None, out: Path, chunk_keys: int) -> Manifest:
    db = _open(home)
    try:
        reader = db.snapshot()
        last = blockstore.last_committed(reader)
        if last is None:
            raise CLIError(f"{home.root} has no committed blocks")
        with terminal_progress() as bar:
            return export_snapshot(
                reader,
                last.height - 1 if height is None else height,
                out,
                chunk_keys=chunk_keys,
                progress=bar,
            )
    finally:
        db.close()


def cmd_export(args: argparse.Namespace) -> int:
    home = _home(args.home)
    if args.out.exists() and any(args.out.iterdir()):
        raise CLIError(f"{args.out} is not empty; choose a new directory")
    store = _store(home)
    kept = store.manifests() if store is not None else []
    chosen = next((m for m in kept if args.height in (None, m.height)), None)
    if store is not None and chosen is not None:
        with terminal_progress() as bar:
            _copy_kept(store, chosen, args.out, bar)
        manifest = chosen
    else:
        manifest = _export_from_db(home, args.height, args.out, args.chunk_keys)
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
            with terminal_progress() as bar:
                last = import_snapshot(
                    db,
                    args.snapshot,
                    chain_id=genesis.header.chain_id,
                    validators=genesis.header.validators,
                    genesis_marker=genesis_marker(genesis),
                    trusted_hash=args.trust_hash,
                    progress=bar,
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
