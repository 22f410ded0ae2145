"""okchain/consensus, the chain modules (okchain/modules) and the block-sync pool must stay pure: no database
driver, sockets, files, clocks, threads, trio, asyncio or randomness.

Every module in the package is parsed (not imported) and each import is checked, then the okchain modules
it imports are checked the same way, transitively: purity must not leak in through a helper.
"""

from pathlib import Path

import pytest

from tests.helpers.imports import ROOT, imports_of, module_path

PACKAGE = ROOT / "okchain" / "consensus"

FORBIDDEN = {
    "asyncio", "concurrent", "datetime", "http", "io", "multiprocessing", "os", "pathlib", "plyvel", "grpc",
    "random", "secrets", "select", "selectors", "shutil", "signal", "socket", "socketserver", "ssl",
    "subprocess", "tempfile", "threading", "time", "trio", "urllib", "uuid",
}  # fmt: skip
FORBIDDEN_OKCHAIN = (
    "okchain.node",
    "okchain.rpc",
    "okchain.cli",
    "okchain.p2p",
    "okchain.sim",
    "okchain.app",
)


def problems(module: str, allowed: tuple[str, ...] = ()) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = module_path(name)
        if name in seen or path is None or name.startswith("okchain._pb"):
            continue
        seen.add(name)
        for imported in sorted(imports_of(path)):
            top = imported.split(".")[0]
            if imported in allowed:
                todo.append(imported)
            elif top in FORBIDDEN or imported.startswith(FORBIDDEN_OKCHAIN):
                found.append(f"{name} imports {imported}")
            elif top == "okchain":
                todo.append(imported)
    return found


MODULES = sorted(f"okchain.consensus.{p.stem}" for p in PACKAGE.glob("*.py"))
CHAIN_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in (ROOT / "okchain" / "modules").rglob("*.py")
)


def test_the_scan_sees_the_package_and_catches_an_impure_import(tmp_path: Path) -> None:
    assert {"okchain.consensus.machine", "okchain.consensus.votes", "okchain.consensus.signer"} <= set(
        MODULES
    )
    impure = tmp_path / "impure.py"
    impure.write_text("import time\nfrom threading import Lock\nfrom okchain.node import node\n")
    assert imports_of(impure) >= {"time", "threading", "threading.Lock", "okchain.node"}
    assert {"okchain.modules.bank.keeper", "okchain.modules.dex.endblock"} <= set(CHAIN_MODULES)
    assert "okchain.state.leveldb imports plyvel" in problems("okchain.state.leveldb")
    assert problems("okchain.state.store") == []  # what the modules and the tree read through


@pytest.mark.parametrize("module", MODULES)
def test_consensus_module_is_pure(module: str) -> None:
    assert problems(module) == []


@pytest.mark.parametrize("module", CHAIN_MODULES)
def test_chain_module_is_pure(module: str) -> None:
    """State transitions run against the store protocols; a database, network or clock is the node's."""
    assert problems(module) == []


def test_block_sync_pool_is_pure() -> None:
    """The pool decides what to fetch and what to trust with the time passed in; its reactor does the I/O."""
    errors = ("okchain.p2p.errors", "okchain.p2p.errors.P2PError")
    assert problems("okchain.p2p.blocksync", allowed=errors) == []
    assert problems("okchain.node.blocksync_reactor", allowed=errors)  # the reactor is where trio lives
