"""Process bookkeeping for the chaos runner: a node's descendants (the signature pool's workers and
multiprocessing's resource tracker), recorded so the runner can prove none outlives the node."""

import os
from pathlib import Path

Proc = tuple[
    int, int
]  # (pid, start time in clock ticks since boot): a pid that was reused is another process


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on; the name may hold spaces


def identity(pid: int) -> Proc | None:
    fields = _stat(pid)
    return None if fields is None else (pid, int(fields[19]))


def descendants(pid: int) -> set[Proc]:
    """Every live process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[Proc] = set()
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        if (ident := identity(child)) is not None:
            found.add(ident)
        todo.extend(children.get(child, []))
    return found


def alive(procs: set[Proc]) -> set[Proc]:
    """Those of ``procs`` still running (a zombie counts as gone: it holds nothing but its exit status)."""
    return {p for p in procs if identity(p[0]) == p and (_stat(p[0]) or ["Z"])[0] != "Z"}
