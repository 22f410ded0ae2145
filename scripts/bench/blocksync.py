#!/usr/bin/env python3
"""Block sync rate: a fresh node syncs N blocks x M transfers from 2 peers over loopback into a fresh LevelDB.

Set-up (not timed): a 4-validator chain is built on real LevelDB (txs signed on every core) and copied, and
a second process serves both copies, each through its own Switch and BlockSyncReactor. Timed: one
``BlockSyncReactor.sync()`` in this process, from the call until it returns caught up — fetching over
encrypted connections, commit checks, the tx pre-warm and ``finalize_block`` + ``commit`` of every block.
Variants: with and without the signature pre-warm (``Application.precheck_many`` over the node's signature
process pool), so the table shows what it buys; each runs ``--repeat`` times, alternating, and the median
is reported (the machine is shared, so single runs are noisy; the 1-minute load average is recorded).
Prints a table, writes JSON.
"""

import argparse
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trio

from okchain.app import Application
from okchain.node.blocksync_reactor import BlockSyncConfig, BlockSyncReactor
from okchain.node.sigpool import SignaturePool, default_workers
from okchain.node.verify_cache import VerifyCache
from okchain.p2p.blocksync import PoolConfig
from okchain.p2p.keys import NodeKey, parse_peer_address
from okchain.p2p.switch import Switch
from okchain.state import blockstore
from okchain.state.leveldb import LevelDB
from okchain.types.block import Block, Commit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import emit

from tests.helpers.blocksync import (
    VALIDATOR_KEYS,
    Server,
    build_chain,
    four_validator_genesis,
    p2p_config,
    transfers,
    validator_powers,
)
from tests.helpers.chain import CHAIN_ID

REPO = Path(__file__).resolve().parents[2]


def make_chain(path: Path, blocks: int, txs: int) -> None:
    with multiprocessing.Pool() as pool:
        signed = pool.starmap(transfers, [(b, txs, txs) for b in range(blocks)])
    db = LevelDB(path)
    app = Application(db, four_validator_genesis(txs))
    build_chain(app, iter(signed))
    db.close()


async def serve(paths: list[Path], accounts: int, ports_file: Path) -> None:
    """The serving process: one Switch and reactor per copy of the chain, until SIGTERM."""
    dbs = [LevelDB(p) for p in paths]
    app = Application(dbs[0], four_validator_genesis(accounts))  # for the validator set and params
    servers = [Server(db, app) for db in dbs]
    with trio.open_signal_receiver(signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            addresses = [await s.start(nursery) for s in servers]
            ports_file.write_text("\n".join(f"{a.node_id}@{a.host}:{a.port}" for a in addresses))
            async for _ in signals:
                nursery.cancel_scope.cancel()


async def sync_once(
    home: Path, peers: list[str], accounts: int, prewarm: bool, config: BlockSyncConfig
) -> dict:
    db = LevelDB(home)
    verifier = VerifyCache()  # as in the node: the app's last-commit check reuses block sync's answers
    app = Application(db, four_validator_genesis(accounts), verify=verifier.verify)
    sig_pool = SignaturePool(default_workers()) if prewarm else None

    def apply(block: Block, commit: Commit) -> None:
        app.finalize_block(block, commit)
        app.commit()

    switch = Switch(
        NodeKey.generate(), p2p_config(tuple(parse_peer_address(p) for p in peers)), network=CHAIN_ID
    )
    reactor = BlockSyncReactor(
        chain_id=CHAIN_ID,
        db=db,
        validators=validator_powers(app),
        max_validators=len(VALIDATOR_KEYS),
        last_height=lambda: app.last.height,
        apply_block=apply,
        switch=switch,
        params=app.params,
        config=config,
        prewarm=None if sig_pool is None else lambda raws: app.precheck_many(raws, sig_pool.recover),
        verify=verifier.verify,
    )
    switch.add_reactor(reactor)
    async with trio.open_nursery() as nursery:
        await nursery.start(switch.run)
        nursery.start_soon(reactor.run)
        t0, cpu0 = time.perf_counter(), time.process_time()
        height = await reactor.sync()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        nursery.cancel_scope.cancel()
    last = app.last
    db.close()
    if sig_pool is not None:
        sig_pool.close()
    return {"height": height, "seconds": elapsed, "cpu_seconds": cpu, "app_hash": last.app_hash.hex()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--txs", type=int, default=500, help="transfers per block")
    parser.add_argument("--window", type=int, default=128)
    parser.add_argument("--per-peer", type=int, default=16)
    parser.add_argument("--verify-threads", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each variant, alternating; median kept"
    )
    parser.add_argument("--serve", nargs="+", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ports-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path("bench-results/blocksync.json"))
    args = parser.parse_args()
    if args.serve:
        trio.run(serve, args.serve, args.txs, args.ports_file)
        return 0
    config = BlockSyncConfig(
        pool=PoolConfig(window=args.window, per_peer=args.per_peer), verify_threads=args.verify_threads
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        make_chain(root / "server0", args.blocks, args.txs)
        build_s = time.perf_counter() - t0
        shutil.copytree(root / "server0", root / "server1")
        db = LevelDB(root / "server0")
        expected = blockstore.last_committed(db)
        db.close()
        assert expected is not None
        ports = root / "ports"
        server = subprocess.Popen(
            [
                *(sys.executable, __file__, "--txs", str(args.txs), "--ports-file", str(ports)),
                *("--serve", str(root / "server0"), str(root / "server1")),
            ],
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            deadline = time.monotonic() + 60
            while not ports.exists() or len(ports.read_text().split()) < 2:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the serving process did not start")
                time.sleep(0.1)
            peers = ports.read_text().split()
            runs: dict[str, list[dict]] = {"prewarm": [], "no_prewarm": []}
            for i in range(args.repeat):
                for name, prewarm in (("prewarm", True), ("no_prewarm", False)):
                    run = trio.run(sync_once, root / f"fresh-{name}-{i}", peers, args.txs, prewarm, config)
                    if run["height"] != expected.height or run["app_hash"] != expected.app_hash.hex():
                        raise SystemExit(f"{name}: synced to {run} but the chain is {expected}")
                    runs[name].append(run)
                    shutil.rmtree(root / f"fresh-{name}-{i}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    txs = args.blocks * args.txs
    result: dict[str, float | int | str] = {
        "blocks": args.blocks,
        "txs_per_block": args.txs,
        "peers": 2,
        "window": args.window,
        "per_peer": args.per_peer,
        "verify_threads": args.verify_threads,
        "signature_workers": default_workers(),
        "chain_build_s": build_s,
    }
    result["load_average_1m"] = os.getloadavg()[0]
    for name, variant in runs.items():
        run = sorted(variant, key=lambda r: r["seconds"])[len(variant) // 2]
        result[f"{name}_s"] = run["seconds"]
        result[f"{name}_blocks_per_s"] = args.blocks / run["seconds"]
        result[f"{name}_tx_per_s"] = txs / run["seconds"]
        result[f"{name}_best_tx_per_s"] = txs / min(r["seconds"] for r in variant)
        result[f"{name}_cpu_us_per_tx"] = run["cpu_seconds"] / txs * 1e6  # this process, all threads
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
