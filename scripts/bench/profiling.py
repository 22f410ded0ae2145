"""``--profile DIR`` for the benchmarks that start real node processes: the environment that makes a node
load ``profile_hook/sitecustomize.py`` (cProfile of every thread, ``DIR/<pid>.prof`` at exit), read by
``profile_report.py``."""

import os
from pathlib import Path

HOOK = Path(__file__).resolve().parent / "profile_hook"


def profile_env(directory: Path) -> dict[str, str]:
    """Environment additions for a node process profiled into ``directory`` (created here)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(filter(None, [str(HOOK), os.environ.get("PYTHONPATH")]))
    return {"OKCHAIN_PROFILE_DIR": str(directory.resolve()), "PYTHONPATH": path}
