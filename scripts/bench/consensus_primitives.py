"""Benchmark the consensus primitives a validator runs per message: vote decode + verify, safe signing
(memory and durable file store), proposer rotation on large sets, and WAL appends and scans on disk.

Each figure is the median of ``--repeat`` timed runs (wall clock; the host may be shared and noisy).

    .venv/bin/python scripts/bench/consensus_primitives.py [--votes 2000] [--repeat 5]
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from report import emit  # scripts/bench is on sys.path when run as a script

from okchain.consensus.messages import Vote, VoteType
from okchain.consensus.proposer import ConsensusValidator, ValidatorSet
from okchain.consensus.signer import MemorySignerStore, SafeSigner
from okchain.consensus.wal import RecordKind, WALRecord, scan
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.node.signer_file import FileSignerStore
from okchain.node.wal_file import FileWAL

CHAIN = "okchain-bench-1"


def median_rate(n: int, repeat: int, run: Callable[[], None]) -> float:
    """Operations per second: ``n`` operations per ``run``, median over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench-results/consensus_primitives.json"))
    args = parser.parse_args()
    n, rep = args.votes, args.repeat
    key = ValidatorKey(b"\x01" * 32)
    addr = validator_address(key.public_key)
    votes = [
        Vote(VoteType.PREVOTE, 1 + i, 0, (i + 1).to_bytes(32, "big"), 1_700_000_000 * 10**9 + i, addr, b"")
        for i in range(n)
    ]
    wire = [v.signed(key.sign(v.sign_bytes(CHAIN))).encode() for v in votes]
    result: dict[str, float | int | str] = {}

    def decode_all() -> None:
        for w in wire:
            Vote.decode(w)

    def decode_verify_all() -> None:
        for w in wire:
            if not Vote.decode(w).verify(CHAIN, key.public_key):
                raise SystemExit("a benchmark vote failed to verify")

    result["vote_decode_per_s"] = median_rate(n, rep, decode_all)
    result["vote_decode_verify_per_s"] = median_rate(n, rep, decode_verify_all)

    def sign_all(signer_factory: Callable[[], SafeSigner]) -> Callable[[], None]:
        def run() -> None:
            signer = signer_factory()
            for v in votes:
                signer.sign_vote(CHAIN, v)

        return run

    result["safe_sign_memory_per_s"] = median_rate(
        n, rep, sign_all(lambda: SafeSigner(key, MemorySignerStore()))
    )
    with tempfile.TemporaryDirectory(prefix="cons-bench-") as tmp:
        counter = iter(range(10**9))
        few = max(50, n // 20)  # each durable signature costs two fsyncs; keep the run short

        def file_signer() -> None:
            with FileSignerStore(Path(tmp) / f"state-{next(counter)}.json") as store:
                signer = SafeSigner(key, store)
                for v in votes[:few]:
                    signer.sign_vote(CHAIN, v)

        result["safe_sign_file_per_s"] = median_rate(few, rep, file_signer)

        records = [WALRecord(RecordKind.MESSAGE_VOTE, w) for w in wire]

        def wal_append(sync: bool, count: int) -> Callable[[], None]:
            def run() -> None:
                with FileWAL(Path(tmp) / f"wal-{next(counter)}") as wal:
                    for r in records[:count]:
                        wal.append(r, sync)

            return run

        result["wal_append_per_s"] = median_rate(n, rep, wal_append(False, n))
        result["wal_append_synced_per_s"] = median_rate(few, rep, wal_append(True, few))
        big = Path(tmp) / "big.wal"
        with FileWAL(big) as wal:
            for _ in range(20):
                for r in records:
                    wal.append(r, False)
        data = big.read_bytes()
        scanned = scan(data)
        if scanned.error or len(scanned.records) != 20 * n:
            raise SystemExit(f"WAL scan lost records: {scanned.error}")
        result["wal_scan_mb_per_s"] = median_rate(len(data), rep, lambda: _scan(data)) / 1e6
        result["wal_scan_records"] = len(scanned.records)

    for size in (100, 1000):
        vset = ValidatorSet.genesis(
            [ConsensusValidator(i.to_bytes(20, "big"), b"", 1 + i % 97) for i in range(size)]
        )
        result[f"proposer_increment_{size}_us"] = 1e6 / median_rate(100, rep, lambda s=vset: _turns(s, 100))
    emit(result, args.out)


def _scan(data: bytes) -> None:
    scan(data)


def _turns(vset: ValidatorSet, turns: int) -> None:
    for _ in range(turns):
        vset = vset.increment(1)


if __name__ == "__main__":
    main()
