"""The package's import graph read from source (parsed, never imported), for the architecture and purity
tests: what each file imports, and which okchain modules those names are."""

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "okchain"
GENERATED = "okchain._pb"


@functools.cache
def imports_of(path: Path) -> frozenset[str]:
    """Every name an import in ``path`` names, at any depth (lazy and TYPE_CHECKING imports included):
    ``from a.b import c`` gives ``a.b`` and ``a.b.c``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@functools.cache
def package_modules() -> dict[str, Path]:
    """Every okchain module but the generated protobuf code, by dotted name."""
    paths = sorted(PACKAGE.rglob("*.py"))
    return {module_name(p): p for p in paths if not module_name(p).startswith(GENERATED)}


@functools.cache
def okchain_imports(module: str) -> frozenset[str]:
    """The okchain modules (generated code aside) that ``module`` imports."""
    modules = package_modules()
    return frozenset(name for name in imports_of(modules[module]) if name in modules and name != module)
