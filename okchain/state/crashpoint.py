"""Test-only crash hook: ``OKCHAIN_TEST_CRASH_AT=<point>:<height>`` makes the process SIGKILL itself there.

Crash tests use it to stop a real node at an exact point of a commit or of pruning. Unset (always, outside
tests) it costs one string comparison; it never influences state, only whether the process dies.
"""

import os
import signal

_TARGET = os.environ.get("OKCHAIN_TEST_CRASH_AT", "")


def crash_point(point: str, height: int) -> None:
    if _TARGET and f"{point}:{height}" == _TARGET:
        os.kill(os.getpid(), signal.SIGKILL)
