#!/usr/bin/env python3
"""Export and import a state snapshot of a 1,000,000-account state, timed, each in a fresh process.

Set-up (not timed): an application on real LevelDB with a genesis of ``--accounts`` accounts, then two
blocks (the second with a few transfers, so exporting height 1 reads through the version history). Then,
each in its own spawned process so its peak RSS is its own: ``export_snapshot`` at height 1 from a LevelDB
snapshot, and ``import_snapshot`` into an empty LevelDB (checks every chunk, the signed header of height 2
and the rebuilt root before writing). Finally the imported database is opened by ``Application``, which
checks its tree root against the committed app hash.

    .venv/bin/python scripts/bench/state_snapshot.py [--accounts 1000000] [--chunk-keys 100000]
"""

import argparse
import dataclasses
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from okchain.app import Application, genesis_marker
from okchain.consensus import solo
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisAccount, GenesisDoc, GenesisHeader
from okchain.modules.bank.messages import Transfer
from okchain.state import blockstore
from okchain.state.leveldb import IMPORT_CACHE_MIB, LevelDB
from okchain.state.snapshot import export_snapshot
from okchain.state.snapshot_import import import_snapshot
from okchain.tx.envelope import build_tx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from report import emit, status_mib

from tests.helpers.chain import CHAIN_ID, OKT, make_genesis

GAS = 50_000


def _export(db_path: Path, out: Path, chunk_keys: int) -> dict[str, Any]:
    db = LevelDB(db_path)
    t0 = time.perf_counter()
    manifest = export_snapshot(db.snapshot(), 1, out, chunk_keys=chunk_keys)
    elapsed = time.perf_counter() - t0
    db.close()
    return {
        "s": elapsed,
        "keys": manifest.keys,
        "chunks": len(manifest.chunks),
        "peak_rss_mib": status_mib("VmHWM"),
    }


def _import(db_path: Path, snap: Path, header: GenesisHeader, marker: bytes) -> dict[str, Any]:
    """Import in a process holding what a node holds while it imports: the genesis header and marker (not
    the million genesis accounts, which the import never reads)."""
    baseline = status_mib("VmRSS")
    db = LevelDB(db_path, cache_mib=IMPORT_CACHE_MIB)
    t0 = time.perf_counter()
    last = import_snapshot(
        db, snap, chain_id=header.chain_id, validators=header.validators, genesis_marker=marker
    )
    elapsed = time.perf_counter() - t0
    db.close()
    return {
        "s": elapsed,
        "height": last.height,
        "app_hash": last.app_hash.hex(),
        "peak_rss_mib": status_mib("VmHWM"),
        "baseline_rss_mib": baseline,
    }


def in_child(fn: Any, *args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result: dict[str, Any] = pool.submit(fn, *args).result()
        return result


def setup(db_path: Path, accounts: int) -> GenesisDoc:
    validator = ValidatorKey(bytes(32))
    senders = [AccountKey((i + 1).to_bytes(32, "big")) for i in range(10)]
    base = make_genesis(senders, validator)
    filler = (GenesisAccount((10**6 + i).to_bytes(20, "big"), 1 + i % 1000 * OKT) for i in range(accounts))
    genesis = dataclasses.replace(
        base, accounts=tuple(sorted((*base.accounts, *filler), key=lambda a: a.address))
    )
    db = LevelDB(db_path)
    app = Application(db, genesis)
    last_commit = blockstore.commit_at(db, app.last.height)
    for txs in (
        [],
        [
            build_tx(
                k,
                chain_id=CHAIN_ID,
                nonce=0,
                msgs=[Transfer(senders[0].address, "okt", 5)],
                gas_limit=GAS,
                fee=GAS,
            )
            for k in senders[1:]
        ],
    ):
        tip = solo.ChainTip(
            app.chain_id, app.last, app.validators_hash, app.next_validators_hash, last_commit
        )
        block, last_commit = solo.decide(tip, txs, app.last.time_ns + 1_000_000_000, validator)
        app.finalize_block(block, last_commit)
        app.commit()
    db.close()
    # Reopen once: LevelDB replays the genesis batch from its log into tables (a restarted node does the
    # same), so the export below measures the export and not that one-off recovery.
    LevelDB(db_path).close()
    return genesis


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--chunk-keys", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("bench-results/state_snapshot.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="state-snapshot-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        genesis = setup(root / "source", args.accounts)
        setup_s = time.perf_counter() - t0
        exported = in_child(_export, root / "source", root / "snap", args.chunk_keys)
        size = sum(f.stat().st_size for f in (root / "snap").iterdir())
        imported = in_child(
            _import, root / "imported", root / "snap", genesis.header, genesis_marker(genesis)
        )
        t1 = time.perf_counter()
        db = LevelDB(root / "imported")
        app = Application(db, genesis)  # refuses a tree root that differs from the committed app hash
        reopen_s = time.perf_counter() - t1
        assert app.last.height == 1 and app.last.app_hash.hex() == imported["app_hash"]
        db.close()
    emit(
        {
            "accounts": args.accounts,
            "state_entries": exported["keys"],
            "chunks": exported["chunks"],
            "snapshot_mib": size / 2**20,
            "setup_s": setup_s,
            "export_s": exported["s"],
            "export_peak_rss_mib": exported["peak_rss_mib"],
            "import_s": imported["s"],
            "import_peak_rss_mib": imported["peak_rss_mib"],
            "import_baseline_rss_mib": imported["baseline_rss_mib"],
            "reopen_s": reopen_s,
        },
        args.out,
    )


if __name__ == "__main__":
    main()
