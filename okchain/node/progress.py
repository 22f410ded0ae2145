"""Progress of long work (migration, block sync, snapshot export/import): a bar redrawn in place on a
terminal, nothing otherwise, so logs and pipes stay quiet."""

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

_BAR_WIDTH = 30


class TerminalProgress:
    """A one-line progress bar redrawn in place; called as ``bar(phase, done, total)``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last: tuple[str, int] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        percent = min(100, 100 * done // total) if total > 0 else 100
        if self._last == (phase, percent):
            return
        self._last = (phase, percent)
        filled = _BAR_WIDTH * percent // 100
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        self.stream.write(f"\r{phase:<5} [{bar}] {percent:3d}% ({done:,}/{total:,})")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (if it drew one); a later call draws a new bar on the next line."""
        if self._last is not None:
            self._last = None
            self.stream.write("\n")
            self.stream.flush()


def line_per_run(bar: TerminalProgress) -> Callable[[str, int, int], None]:
    """``bar``, ending its line each time the work is done: a node block-syncs again whenever it falls
    behind, and the log lines between two syncs must not run on from a finished bar."""

    def report(phase: str, done: int, total: int) -> None:
        bar(phase, done, total)
        if done >= total:
            bar.close()

    return report


@contextlib.contextmanager
def terminal_progress(stream: TextIO | None = None) -> Iterator[TerminalProgress | None]:
    """A bar on ``stream`` (stderr by default) when it is a terminal, else ``None``; ends its line on exit."""
    out = sys.stderr if stream is None else stream
    bar = TerminalProgress(out) if out.isatty() else None
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()
