"""Before ``okchaind start`` opens anything: is each listen address free? A taken one is named with its
config key and, when this machine lets us see it (Linux ``/proc``, same user or root), the process that
holds it, so ``scripts/devnet`` and ``scripts/localnet`` fail loudly and say why.

The check binds and closes at once (with ``SO_REUSEADDR``, as the servers bind), so it refuses only what the
servers would be refused; port 0 (any free port) is never checked.
"""

import errno
import os
import socket
from pathlib import Path

from okchain.cli.common import CLIError
from okchain.node.config import NodeConfig

LISTEN_KEYS = ("grpc_listen", "p2p_listen", "metrics_listen", "api_listen")
_LISTEN_STATE = "0A"  # TCP_LISTEN in /proc/net/tcp
_CMDLINE_CHARS = 160


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def bind_problem(host: str, port: int) -> str | None:
    """None if a server could listen on ``host:port`` now, else why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot resolve {host!r}: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "is in use"
            return f"cannot be bound: {exc.strerror}"
    return None


def _listen_inodes(port: int) -> set[str]:
    """Socket inodes listening on TCP ``port`` (any address, IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == _LISTEN_STATE and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def port_holder(port: int) -> str | None:
    """``pid N (command line)`` of a process listening on TCP ``port``, if it can be seen."""
    inodes = {f"socket:[{inode}]" for inode in _listen_inodes(port)}
    if not inodes:
        return None
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fds = os.listdir(proc / "fd")
        except OSError:
            continue  # gone, or not ours to look at
        for fd in fds:
            try:
                target = os.readlink(proc / "fd" / fd)
            except OSError:
                continue
            if target in inodes:
                try:
                    args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    args = "?"
                args = args.strip()
                if len(args) > _CMDLINE_CHARS:
                    args = args[: _CMDLINE_CHARS - 1] + "…"
                return f"pid {proc.name} ({args})"
    return None


def listen_problems(config: NodeConfig) -> list[str]:
    """Every listen address of ``config`` that a server could not bind now (or that two servers share)."""
    problems = []
    seen: dict[tuple[str, int], str] = {}
    for key in LISTEN_KEYS:
        listen: str = getattr(config, key)
        if not listen:
            continue
        host, port = split_listen(listen)
        if port == 0:
            continue
        if (host, port) in seen:
            problems.append(f"{key} {listen} is also {seen[host, port]}: each server needs its own port")
            continue
        seen[host, port] = key
        problem = bind_problem(host, port)
        if problem is None:
            continue
        if problem == "is in use":
            holder = port_holder(port)
            problem += f" by {holder}" if holder else " (by a process this user cannot see)"
        problems.append(f"{key} {listen} {problem}")
    return problems


def check_listen_addresses(config: NodeConfig) -> None:
    problems = listen_problems(config)
    if len(problems) == 1:
        raise CLIError(f"cannot start: {problems[0]}")
    if problems:
        raise CLIError("cannot start:\n  " + "\n  ".join(problems))
