"""Signature recovery on other cores: coincurve holds the GIL, so threads cannot parallelise it.

Workers are spawned (never forked: grpcio's threads do not survive a fork) before the gRPC server starts.
Batches are split across workers; small batches are recovered in the calling thread, where a process hop
would cost more than it saves. A worker ends itself when the node that spawned it is gone, even after a
``kill -9`` that gave the node no chance to shut the pool down (and with the last worker, multiprocessing's
resource tracker ends too).
"""

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from okchain.crypto.address import Address
from okchain.tx.envelope import recover_signers

MIN_POOLED_BATCH = 32
ORPHAN_CHECK_S = 0.5


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: a daemon thread that ends the worker once its parent process has died."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def default_workers() -> int:
    """Every CPU but the one the node's consensus thread needs, and at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


class SignaturePool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        self._pool.submit(recover_signers, []).result()  # start the workers now, not on the first tx
        self._lock = threading.Lock()
        self._queued = 0  # signatures handed to workers and not recovered yet (callers run on many threads)

    @property
    def queued(self) -> int:
        return self._queued

    def recover(self, items: list[tuple[bytes, bytes]]) -> list[Address | str]:
        if len(items) < MIN_POOLED_BATCH:
            return recover_signers(items)
        size = -(-len(items) // self.workers)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        with self._lock:
            self._queued += len(items)
        try:
            return [signer for part in self._pool.map(recover_signers, chunks) for signer in part]
        finally:
            with self._lock:
                self._queued -= len(items)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
