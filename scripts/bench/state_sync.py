#!/usr/bin/env python3
"""Joining a chain of 1,000,000 accounts: state sync versus replaying its blocks, each a real node process.

Set-up (not timed): a four-validator chain whose genesis holds ``--accounts`` accounts is built on real
LevelDB in this process (``--blocks`` blocks of ``--txs`` signed transfers), a snapshot of the height before
the tip is taken into its snapshot store, and the home is copied; two ``okchaind start`` processes serve
the two copies (the validators are absent, so the chain stands still at its tip). Timed, each a fresh
``okchaind start`` of a new home that lists both servers as peers, from spawn until its gRPC reports the
tip: ``statesync = true`` (offers, light-client check, chunks from both peers, streamed import, then block
sync of the last block) and ``statesync = false`` (genesis of every account, then block sync of every
block). The joining process's peak RSS is read from /proc just before it is stopped; chunks/s is the chunk
count over the time between the node's "verified ... fetching" and "imported" log lines.

    .venv/bin/python scripts/bench/state_sync.py [--accounts 1000000] [--blocks 50] [--txs 1000]
"""

import argparse
import dataclasses
import multiprocessing
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.app import Application
from okchain.crypto.ed25519 import ValidatorKey
from okchain.genesis.document import GenesisAccount, GenesisDoc
from okchain.genesis.writer import write_genesis
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.snapshots import SnapshotStore
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.state.leveldb import LevelDB

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import emit, status_mib

from tests.helpers.blocksync import build_chain, four_validator_genesis, transfers
from tests.helpers.localnet import free_port_base
from tests.helpers.processes import NodeProcess

SENDERS = 1_000  # funded accounts that sign the transfers (each sends once per block)


def _genesis(accounts: int, senders: int) -> GenesisDoc:
    base = four_validator_genesis(senders)
    filler = (GenesisAccount((10**6 + i).to_bytes(20, "big"), 1 + i % 1000) for i in range(accounts))
    return dataclasses.replace(
        base, accounts=tuple(sorted((*base.accounts, *filler), key=lambda a: a.address))
    )


def _home(root: Path, name: str, genesis_file: Path, config: NodeConfig) -> Home:
    home = Home(root / name)
    home.genesis_file.parent.mkdir(parents=True)
    shutil.copyfile(genesis_file, home.genesis_file)
    home.write_validator_key(ValidatorKey.generate())  # not in the set: a full node
    home.config_file.write_text(dataclasses.replace(config, moniker=name).to_toml())
    return home


def build(root: Path, accounts: int, blocks: int, txs: int) -> tuple[Home, int]:
    """The serving home: genesis, ``blocks`` blocks and a snapshot of the height before the tip."""
    genesis = _genesis(accounts, SENDERS)
    genesis_file = root / "genesis.json"
    write_genesis(genesis.header, genesis.accounts, genesis_file)
    source = _home(root, "source", genesis_file, NodeConfig(snapshot_interval=1_000_000))
    with multiprocessing.Pool() as pool:
        signed = pool.starmap(transfers, [(b, txs, SENDERS) for b in range(blocks)])
    db = LevelDB(source.data_dir)
    app = Application(db, genesis)
    build_chain(app, iter(signed))
    tip = app.last.height
    SnapshotStore(source.data_dir.parent / "snapshots", keep=2).take(db.snapshot(), tip - 1)
    db.close()
    return source, tip


def _height(target: str) -> int:
    with grpc.insecure_channel(target) as channel:
        try:
            info = query_pb2_grpc.NodeServiceStub(channel).NodeInfo(query_pb2.NodeInfoRequest(), timeout=2)
        except grpc.RpcError:
            return -1
        return int(info.latest_height)


def _log_time(log: str, pattern: str) -> float | None:
    found = re.search(r"ts=(\S+) .*" + pattern, log)
    return datetime.fromisoformat(found[1].replace("Z", "+00:00")).timestamp() if found else None


def join(node: NodeProcess, tip: int, timeout: float) -> dict[str, Any]:
    """Spawn ``node`` and time it until it serves the tip; its peak RSS before it is stopped."""
    t0 = time.perf_counter()
    node.spawn()
    assert node.proc is not None
    while _height(node.target) < tip:
        if node.proc.poll() is not None or time.perf_counter() - t0 > timeout:
            raise SystemExit(f"{node.home.name} did not reach {tip}:\n{node.log.read_text()[-3000:]}")
        time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    peak = status_mib("VmHWM", node.proc.pid)
    node.stop()
    log = node.log.read_text()
    fetching, imported = _log_time(log, "verified .* fetching"), _log_time(log, "imported height")
    import_s = imported - fetching if fetching is not None and imported is not None else 0.0
    return {"s": elapsed, "peak_rss_mib": peak, "import_s": import_s}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=50)
    parser.add_argument("--txs", type=int, default=1_000, help="transfers per block")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--out", type=Path, default=Path("bench-results/state_sync.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="state-sync-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        source, tip = build(root, args.accounts, args.blocks, args.txs)
        build_s = time.perf_counter() - t0
        mirror = Home(root / "mirror")
        shutil.copytree(source.root, mirror.root)
        mirror.node_key_file.unlink(missing_ok=True)  # a peer of its own (node keys are made at first start)
        base = free_port_base(8)
        servers = []
        for i, home in enumerate((source, mirror)):
            p2p = f"127.0.0.1:{base + i}"
            home.config_file.write_text(
                dataclasses.replace(NodeConfig.load(home.config_file), p2p_listen=p2p).to_toml()
            )
            servers.append(
                NodeProcess(home.root, base + 4 + i, root / f"{home.root.name}.log", p2p_listen=p2p)
            )
        peers = ",".join(
            str(PeerAddress(NodeKey.load_or_create(h.node_key_file).node_id, "127.0.0.1", base + i))
            for i, h in enumerate((source, mirror))
        )
        manifest = SnapshotStore(source.data_dir.parent / "snapshots", keep=2).manifests()[0]
        try:
            for s in servers:
                s.start()
            runs = {}
            for i, (name, statesync) in enumerate((("state_sync", True), ("block_sync", False))):
                config = NodeConfig(persistent_peers=peers, statesync=statesync, statesync_discovery_ms=2_000)
                home = _home(root, name, root / "genesis.json", config)
                node = NodeProcess(
                    home.root, base + 6 + i, root / f"{name}.log", p2p_listen=f"127.0.0.1:{base + 2 + i}"
                )
                runs[name] = join(node, tip, args.timeout)
        finally:
            for s in servers:
                if s.proc is not None and s.proc.poll() is None:
                    s.stop()
    sync, replay = runs["state_sync"], runs["block_sync"]
    chunks = len(manifest.chunks)
    emit(
        {
            "accounts": args.accounts,
            "state_entries": manifest.keys,
            "blocks": tip,
            "txs_per_block": args.txs,
            "chunks": chunks,
            "peers": 2,
            "chain_build_s": build_s,
            "state_sync_join_s": sync["s"],
            "state_sync_import_s": sync["import_s"],
            "state_sync_chunks_per_s": chunks / sync["import_s"],
            "state_sync_entries_per_s": manifest.keys / sync["import_s"],
            "state_sync_peak_rss_mib": sync["peak_rss_mib"],
            "block_sync_join_s": replay["s"],
            "block_sync_peak_rss_mib": replay["peak_rss_mib"],
            "speedup": replay["s"] / sync["s"],
        },
        args.out,
    )


if __name__ == "__main__":
    main()
