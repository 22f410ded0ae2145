"""The signature pool's worker processes do not outlive a node killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

POOL_PROGRAM = (
    "import os, time\n"
    "from okchain.node.sigpool import SignaturePool\n"
    "pool = SignaturePool(2)\n"
    "print(os.getpid(), flush=True)\n"
    "time.sleep(120)\n"
)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_and_resource_tracker_end_when_the_node_is_killed() -> None:
    node = subprocess.Popen([sys.executable, "-c", POOL_PROGRAM], stdout=subprocess.PIPE, text=True)
    try:
        assert node.stdout is not None
        pid = int(node.stdout.readline())
        helpers = children_of(pid)
        commands = [Path(f"/proc/{h}/cmdline").read_bytes() for h in helpers]
        assert any(b"multiprocessing.resource_tracker" in c for c in commands), commands
        assert any(b"multiprocessing.spawn" in c for c in commands), commands
    finally:
        node.send_signal(signal.SIGKILL)
        node.wait()
    deadline = time.monotonic() + 10
    while any(alive(h) for h in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [h for h in helpers if alive(h)]
    for h in left:
        os.kill(h, signal.SIGKILL)
    assert left == [], f"processes outlived the killed node: {left}"


def test_queued_counts_signatures_in_the_workers_and_returns_to_zero() -> None:
    from okchain.crypto.secp import AccountKey
    from okchain.node.sigpool import SignaturePool
    from okchain.tx.envelope import sign_digest

    key = AccountKey(bytes([7]) * 32)
    body = b"body"
    signed = (body, key.sign_digest(sign_digest(body)))
    items = [signed] * 20_000
    pool = SignaturePool(1)
    try:
        seen: list[int] = []
        worker = threading.Thread(target=lambda: seen.append(len(pool.recover(items))))
        worker.start()
        peak = 0
        while worker.is_alive():
            peak = max(peak, pool.queued)
        worker.join()
        assert seen == [len(items)]
        assert peak == len(items)
        assert pool.queued == 0
        assert pool.recover(items[:5]) == [key.address] * 5  # small batches never reach the workers
        assert pool.queued == 0
    finally:
        pool.close()
