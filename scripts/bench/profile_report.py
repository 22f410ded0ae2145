#!/usr/bin/env python3
"""Where each node's CPU goes per committed tx, from ``--profile DIR`` output of ``localnet_tps.py``,
``node_tps.py`` or ``dex_node.py`` (pass the order count as ``--txs`` for per-order figures).

For every ``DIR/<pid>.prof`` (one node, all its threads merged) prints the cumulative time of the
pipeline's phases divided by the committed tx count; phases nest (``finalize_block`` includes its Merkle
update), so rows do not add up. cProfile roughly doubles Python-level costs: compare rows, not totals.
"""

import argparse
import pstats
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "scripts" / "bench")]
from report import emit  # noqa: E402

# phase -> (file suffix, function name); the first match's cumulative time is used
PHASES: dict[str, tuple[str, str]] = {
    "grpc BroadcastTxs": ("okchain/rpc/servicers.py", "BroadcastTxs"),
    "precheck_many (decode+recover)": ("okchain/deliver.py", "precheck_many"),
    "  decode_tx": ("okchain/tx/envelope.py", "decode_tx"),
    "  recover_signers (inline)": ("okchain/tx/envelope.py", "recover_signers"),
    "Node.add_many (gRPC to mempool)": ("okchain/node/node.py", "add_many"),
    "Node.admit_from_peers": ("okchain/node/node.py", "admit_from_peers"),
    "Mempool.add (check_tx)": ("okchain/mempool/pool.py", "add"),
    "gossip receive (Txs decode, known)": ("okchain/node/mempool_reactor.py", "receive"),
    "gossip announce+flush": ("okchain/node/mempool_reactor.py", "announce"),
    "gossip flush (timer)": ("okchain/node/mempool_reactor.py", "_flush"),
    "prepare_proposal": ("okchain/app/application.py", "prepare_proposal"),
    "process_proposal": ("okchain/app/application.py", "process_proposal"),
    "apply_block": ("okchain/node/node.py", "apply_block"),
    "  finalize_block": ("okchain/app/application.py", "finalize_block"),
    "    deliver_tx (all callers)": ("okchain/deliver.py", "deliver_tx"),
    "    Merkle tree.update": ("okchain/state/merkle.py", "update"),
    "    versions.history_writes": ("okchain/state/versions.py", "history_writes"),
    "    seal_results": ("okchain/types/block.py", "seal_results"),
    "    block.encode": ("okchain/types/block.py", "encode"),
    "  commit": ("okchain/app/application.py", "commit"),
    "    LevelDB write": ("okchain/state/leveldb.py", "write"),
    "    dex place_orders (handler)": ("okchain/modules/dex/handler.py", "place_orders"),
    "    dex end_block": ("okchain/modules/dex/endblock.py", "end_block"),
    "      dex run_block (auction)": ("okchain/modules/dex/auction.py", "run_block"),
    "  dex from_proto (order decode)": ("okchain/modules/dex/codec.py", "from_proto"),
    "  Mempool.update": ("okchain/mempool/pool.py", "update"),
    "    recheck_all": ("okchain/mempool/pool.py", "_recheck_all"),
    "prewarm (block txs)": ("okchain/node/node.py", "_prewarm"),
    "p2p frame decrypt": ("okchain/p2p/conn.py", "_open"),
    "sha256 (all)": ("okchain/crypto/hashing.py", "sha256"),
}


# functions whose call count per committed tx shows repeated work, whatever the box's load
COUNTED = ("deliver_tx", "decode_tx", "check_tx", "_recheck_all", "_replay_unseen")


def phase_times(path: Path) -> tuple[dict[str, float], dict[str, int]]:
    """(cumulative seconds per phase, calls per counted function) of one node."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    times: dict[str, float] = {}
    for phase, (suffix, name) in PHASES.items():
        times[phase] = sum(
            ct
            for (file, _, func), (_, _, _, ct, _) in stats.items()
            if file.endswith(suffix) and func == name
        )
    calls = {
        name: sum(
            nc
            for (file, _, func), (_, nc, _, _, _) in stats.items()
            if func == name and file.startswith(str(REPO / "okchain"))
        )
        for name in COUNTED
    }
    return times, calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile_dir", type=Path)
    parser.add_argument(
        "--txs", type=int, required=True, help="committed txs (or DEX orders) in the profiled run"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/profile_report.json"))
    args = parser.parse_args()
    nodes = {p.stem: phase_times(p) for p in sorted(args.profile_dir.glob("*.prof"))}
    table: dict[str, float | int | str] = {}
    for phase in PHASES:
        cells = [nodes[n][0][phase] / args.txs * 1e6 for n in nodes]
        table[f"{phase} µs/tx"] = " ".join(f"{c:7.1f}" for c in cells)
    for name in COUNTED:
        table[f"{name} calls/tx"] = " ".join(f"{nodes[n][1][name] / args.txs:7.2f}" for n in nodes)
    emit(table, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
