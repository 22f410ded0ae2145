"""The chaos runner's short mode (``scripts/chaos --short``): one fault of each kind against a localnet
of real nodes under load, then every check; a failure names what broke and the seed that reproduces it."""

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.chaos.runner import SHORT_PLAN

SEED = 16


def test_short_chaos_run_ends_with_one_chain_balanced_books_and_no_process_left(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    run = subprocess.run(
        [sys.executable, "-m", "tests.helpers.chaos", "--short", "--seed", str(SEED), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(out.read_text())
    assert report["failures"] == []
    assert [e["fault"] for e in report["events"]] == list(SHORT_PLAN)
    assert report["kills"] >= 2 and report["pauses"] == report["partitions"] == report["link_faults"] == 1
    assert report["txs"]["committed"] > 0
    assert not Path(report["directory"]).exists()  # the runner's own folder is gone with its tmpfs
