"""Profiles every thread of an ``okchaind start`` process when ``OKCHAIN_PROFILE_DIR`` is set.

``localnet_tps.py --profile DIR`` puts this folder on the nodes' ``PYTHONPATH``. Each thread gets its own
``cProfile.Profile`` (started by a one-shot ``threading.setprofile`` hook for threads started later); at
exit they are merged into ``DIR/<pid>.prof`` for ``profile_report.py``. Never imported by the node itself.
"""

import atexit
import cProfile
import os
import pstats
import sys
import threading

_DIR = os.environ.get("OKCHAIN_PROFILE_DIR")
_profiles: list[cProfile.Profile] = []


def _start_thread_profile(*_: object) -> None:
    """First profile event of a new thread: hand the thread to its own profiler."""
    profile = cProfile.Profile()
    _profiles.append(profile)
    profile.enable()


def _dump() -> None:
    for profile in _profiles:
        profile.disable()
    assert _DIR is not None
    stats = pstats.Stats(_profiles[0])
    for profile in _profiles[1:]:
        try:
            stats.add(profile)
        except TypeError:  # a thread that never recorded a call
            continue
    stats.dump_stats(os.path.join(_DIR, f"{os.getpid()}.prof"))


if _DIR and "start" in sys.argv:
    threading.setprofile(_start_thread_profile)
    _start_thread_profile()
    atexit.register(_dump)
