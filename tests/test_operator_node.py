"""Operator tools against a real ``okchaind start`` process: JSON log lines (one per block), the metrics
endpoint from ``--metrics-listen``, and ``okchaind status`` (up, stale, unreachable)."""

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.chain import free_port, funded_keys
from tests.helpers.processes import NodeProcess, init_node, okchaind, serve
from tests.test_metrics import scrape


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    directory = tmp_path_factory.mktemp("operator")
    proc = init_node(directory, funded_keys(1), block_time_ms=200)
    port = free_port()
    proc.extra_args = (
        "--log-format",
        "json",
        "--log-level",
        "info",
        "--metrics-listen",
        f"127.0.0.1:{port}",
    )
    # `status --home` finds the node through the home's config.toml
    config = proc.home / "config" / "config.toml"
    config.write_text(
        re.sub(r'(?m)^grpc_listen = ".*"$', f'grpc_listen = "{proc.target}"', config.read_text())
    )
    yield from serve(proc)


def metrics_port(node: NodeProcess) -> int:
    return int(node.extra_args[node.extra_args.index("--metrics-listen") + 1].rsplit(":", 1)[1])


def wait_height(node: NodeProcess, height: int, timeout_s: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = json.loads(okchaind("status", "--node", node.target, "--json").stdout)
        if status["height"] >= height or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_status_reports_a_moving_validator(node: NodeProcess) -> None:
    first = wait_height(node, 2)
    assert first["height"] >= 2
    later = wait_height(node, int(first["height"]) + 2)
    assert later["height"] >= first["height"] + 2
    assert later["catching_up"] is False
    assert later["peers"] == 0
    assert later["is_validator"] is True
    assert len(str(later["validator_address"])) == 40
    assert 0 <= later["last_block_age_s"] < 10
    assert later["consensus_height"] >= later["height"]
    text = okchaind("status", "--node", node.target).stdout
    assert re.search(r"^height +\d+ \(consensus at \d+/\d+\)$", text, re.M), text
    assert re.search(r"^role +validator [0-9a-f]{40}$", text, re.M), text
    assert re.search(r"^last block +\d+\.\d s ago$", text, re.M), text
    assert re.search(r"^catching up +no$", text, re.M), text


def test_status_finds_the_local_node_through_its_home(node: NodeProcess) -> None:
    status = json.loads(okchaind("status", "--home", str(node.home), "--json").stdout)
    assert status["node"] == node.target
    assert status["height"] >= 1


def test_status_exit_codes_tell_down_from_stale(node: NodeProcess, tmp_path: Path) -> None:
    wait_height(node, 1)
    assert okchaind("status", "--node", node.target, "--max-block-age", "3600").returncode == 0
    stale = okchaind("status", "--node", node.target, "--max-block-age", "0.000001", check=False)
    assert stale.returncode == 3
    assert "stale: last block" in stale.stderr
    port = free_port()  # nothing listens here
    down = okchaind("status", "--node", f"127.0.0.1:{port}", check=False)
    assert down.returncode == 1
    assert f"error: node at 127.0.0.1:{port} is unreachable: UNAVAILABLE" in down.stderr
    assert down.stdout == ""
    empty_home = okchaind(
        "status", "--home", str(tmp_path / "none"), "--node", f"127.0.0.1:{port}", check=False
    )
    assert empty_home.returncode == 1


def test_json_logs_have_one_line_per_block(node: NodeProcess) -> None:
    wait_height(node, 5)
    blocks = []
    for line in node.log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)  # every JSON line parses
            assert {"ts", "level", "logger", "msg"} <= entry.keys()
            if entry["msg"] == "committed block":
                blocks.append(entry)
    heights = [b["height"] for b in blocks]
    assert heights[:5] == [1, 2, 3, 4, 5]
    assert heights == list(range(1, len(heights) + 1))
    for b in blocks:
        assert b["level"] == "info" and b["logger"] == "okchain.node"
        assert b["txs"] == 0
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", b["time"])
        assert re.fullmatch(r"[0-9a-f]{16}", b["app_hash"])
        assert b["ms"] >= 0


def test_metrics_flag_serves_prometheus(node: NodeProcess) -> None:
    port = metrics_port(node)
    first = scrape(port)
    wait_height(node, int(first["okchain_height"]) + 2)
    later = scrape(port)
    assert later["okchain_height"] >= first["okchain_height"] + 2
    assert later["okchain_committed_blocks_total"] >= 2
    assert later["okchain_db_size_bytes"] > 0
    assert later["okchain_is_validator"] == 1
