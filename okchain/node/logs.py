"""Structured log lines: ``text`` (logfmt, ``key=value`` pairs) or ``json`` (one object per line).

A log call adds fields with ``extra``: ``log.info("committed block", extra={"height": 5, "txs": 0})``
gives ``ts=… level=info logger=okchain.node msg="committed block" height=5 txs=0`` or
``{"ts": "…", "level": "info", "logger": "okchain.node", "msg": "committed block", "height": 5, "txs": 0}``.
Field names must not be ``LogRecord`` attributes (``msg``, ``args``, ``name``, …: logging refuses those).
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

LEVELS = ("debug", "info", "warning", "error", "critical")
FORMATS = ("text", "json")

# Everything a LogRecord carries by itself; any other attribute came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def iso_ns(time_ns: int) -> str:
    """Unix nanoseconds as RFC 3339 UTC with milliseconds (integer arithmetic: no float rounding)."""
    seconds, rest = divmod(time_ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{rest // 1_000_000:03d}Z"


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra`` fields of ``record``, in the order they were given."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _base(record: logging.LogRecord) -> dict[str, Any]:
    return {
        "ts": iso_ns(round(record.created * 1e6) * 1000),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and not any(c in text for c in ' "=\\\n\t') and text.isprintable():
        return text
    return json.dumps(text)


class KeyValueFormatter(logging.Formatter):
    """logfmt: ``key=value`` pairs; a value holding spaces, quotes or ``=`` is quoted with JSON escapes."""

    def format(self, record: logging.LogRecord) -> str:
        items = {**_base(record), **fields(record)}
        if record.exc_info:
            items["exc"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in items.items())


class JSONFormatter(logging.Formatter):
    """One JSON object per line; values JSON cannot carry are written as their ``str``."""

    def format(self, record: logging.LogRecord) -> str:
        items = {**_base(record), **fields(record)}
        if record.exc_info:
            items["exc"] = self.formatException(record.exc_info)
        return json.dumps(items, default=str)


def configure(level: str, fmt: str, stream: IO[str] | None = None) -> None:
    """Send every log record at ``level`` and above to ``stream`` (stderr) in format ``fmt``, replacing the
    root logger's handlers."""
    if level.lower() not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
