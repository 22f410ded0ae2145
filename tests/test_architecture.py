"""The floor plan of okchain, read from the code's own imports (parsed, not imported).

A room is a top-level package or module under okchain/. Each room sits on one floor and imports only rooms
on lower floors, so no two rooms import each other, directly or round a circle; the chain modules and the
consensus machine reach no database, network or async driver, however indirectly; no file grows past 600
lines and no function past 100 (the generated protobuf code aside). The floors are drawn in the README's
architecture section: change both together.
"""

import ast
from collections.abc import Iterable, Mapping

import pytest

from tests.helpers.imports import ROOT, imports_of, okchain_imports, package_modules

# Bottom-up; "__init__" is okchain/__init__.py (the version).
FLOORS: tuple[tuple[str, ...], ...] = (
    ("__init__", "errors", "durable"),
    ("crypto",),
    ("types",),
    ("state", "genesis", "p2p"),
    ("modules", "consensus"),
    ("tx", "query", "sim"),
    ("deliver", "client"),
    ("app",),
    ("mempool",),
    ("node",),
    ("rpc",),
    ("gateway",),
    ("cli",),
)
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}
DRIVERS = ("plyvel", "trio", "grpc")
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 100


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def room_imports() -> dict[str, dict[str, list[str]]]:
    """room → imported room → the ``importer imports imported`` lines behind that edge."""
    edges: dict[str, dict[str, list[str]]] = {}
    for module in package_modules():
        for imported in okchain_imports(module):
            if room(imported) != room(module):
                edges.setdefault(room(module), {}).setdefault(room(imported), []).append(
                    f"{module} imports {imported}"
                )
    return edges


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def driver_path(module: str) -> list[str] | None:
    """The chain of okchain imports from ``module`` to a file importing a driver, or None."""
    modules = package_modules()
    came_from: dict[str, str | None] = {module: None}
    todo = [module]
    while todo:
        name = todo.pop()
        if any(imported.split(".")[0] in DRIVERS for imported in imports_of(modules[name])):
            path = [name]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        for imported in sorted(okchain_imports(name)):
            if imported not in came_from:
                came_from[imported] = name
                todo.append(imported)
    return None


PURE = sorted(m for m in package_modules() if room(m) in ("modules", "consensus"))


def test_the_scan_sees_the_package_and_finds_circles_and_drivers() -> None:
    assert {"okchain.app", "okchain.state.store", "okchain.modules.dex.endblock", "okchain.cli.main"} <= set(
        package_modules()
    )
    assert not any(m.startswith("okchain._pb") for m in package_modules())
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert driver_path("okchain.state.leveldb") == ["okchain.state.leveldb"]
    assert driver_path("okchain.node.api") is not None  # node/ is built on trio
    assert "okchain.modules.bank.keeper" in PURE and "okchain.consensus.machine" in PURE


def test_every_room_has_a_floor() -> None:
    rooms = {room(m) for m in package_modules()}
    assert rooms == set(FLOOR), "add new rooms to FLOORS and to the README's floor plan"


def test_rooms_import_only_rooms_below() -> None:
    upward = [
        f"{line} (floor {FLOOR[src]} {src} → floor {FLOOR[dst]} {dst})"
        for src, targets in sorted(room_imports().items())
        for dst, lines in sorted(targets.items())
        if FLOOR[dst] >= FLOOR[src]
        for line in sorted(lines)
    ]
    assert upward == []


def test_no_import_circles_between_rooms_or_modules() -> None:
    assert cycles(room_imports()) == []
    assert cycles({m: okchain_imports(m) for m in package_modules()}) == []


@pytest.mark.parametrize("module", PURE)
def test_modules_and_consensus_reach_no_driver(module: str) -> None:
    """State transitions and the consensus machine code against protocols; plyvel, trio and grpc are for
    the files that run them."""
    assert driver_path(module) is None


def test_files_and_functions_stay_small() -> None:
    too_big = []
    for module, path in package_modules().items():
        source = path.read_text()
        lines = len(source.splitlines())
        if lines > MAX_FILE_LINES:
            too_big.append(f"{path.relative_to(ROOT)}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{module}.{node.name}: {length} lines")
    assert too_big == []
