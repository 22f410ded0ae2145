"""Structured log lines (logfmt and JSON) and the one line per committed block, empty blocks included."""

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from okchain.node.logs import JSONFormatter, KeyValueFormatter, configure, iso_ns
from okchain.node.node import Node
from tests.helpers.node import config, make_homes, run_to_height


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("okchain.test", logging.WARNING, __file__, 1, msg, args, None)
    made.__dict__.update(extra)
    made.created = 1_700_000_000.25
    return made


def test_logfmt_quotes_only_what_needs_it() -> None:
    line = KeyValueFormatter().format(record("peer %s gone", "abc", height=7, note='say "hi"', empty=""))
    assert line == (
        'ts=2023-11-14T22:13:20.250Z level=warning logger=okchain.test msg="peer abc gone" height=7 '
        'note="say \\"hi\\"" empty=""'
    )


def test_json_lines_carry_the_extra_fields_and_exceptions() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        made = record("failed", height=3, data=b"\x01")
        made.exc_info = sys.exc_info()
    line = JSONFormatter().format(made)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["ts"] == "2023-11-14T22:13:20.250Z"
    assert (parsed["level"], parsed["logger"], parsed["msg"], parsed["height"]) == (
        "warning",
        "okchain.test",
        "failed",
        3,
    )
    assert parsed["data"] == "b'\\x01'"
    assert "ValueError: boom" in parsed["exc"]


def test_iso_ns_is_exact() -> None:
    assert iso_ns(0) == "1970-01-01T00:00:00.000Z"
    assert iso_ns(1_700_000_000_999_999_999) == "2023-11-14T22:13:20.999Z"


def test_configure_sets_level_and_format(restore_root_logger: None) -> None:
    out = io.StringIO()
    configure("WARNING", "json", out)
    logging.getLogger("okchain.x").info("hidden")
    logging.getLogger("okchain.x").warning("shown", extra={"k": 1})
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["msg"] == "shown"
    with pytest.raises(ValueError, match="log level must be one of debug, info"):
        configure("loud", "text", out)
    with pytest.raises(ValueError, match="log format must be one of text, json"):
        configure("info", "xml", out)


def test_every_committed_block_logs_one_line_even_when_empty(
    tmp_path: Path, restore_root_logger: None
) -> None:
    out = io.StringIO()
    configure("info", "text", out)
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, config(block_time_ms=50))

    run_to_height(node, 4)
    pattern = re.compile(
        r"ts=\S+Z level=info logger=okchain.node msg=\"committed block\" height=(\d+) round=\d+ txs=0 "
        r"time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z app_hash=([0-9a-f]{16}) mempool=0 ms=[\d.]+$"
    )
    lines = [m for m in map(pattern.match, out.getvalue().splitlines()) if m]
    heights = [int(m.group(1)) for m in lines]
    assert heights[:4] == [1, 2, 3, 4]
    assert heights == list(range(1, len(heights) + 1))  # one line per block
    assert len({m.group(2) for m in lines}) >= 1
