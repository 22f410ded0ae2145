"""The README's wallet example, run as written against a node funded like the devnet (only the node's
address and genesis path differ), in its own Python process."""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from okchain.crypto.hd import account_from_mnemonic
from tests.helpers.processes import NodeProcess, init_node, serve

README = Path(__file__).resolve().parent.parent / "README.md"
DEV = account_from_mnemonic("test test test test test test test test test test test junk")


def wallet_example() -> str:
    found = re.search(r"<!-- wallet-example -->\n```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert found, "the README has no wallet example"
    return found.group(1)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    yield from serve(init_node(tmp_path_factory.mktemp("wallet"), [DEV], block_time_ms=200))


def test_the_readme_wallet_example_runs(node: NodeProcess) -> None:
    code = wallet_example()
    assert '"127.0.0.1:9090"' in code and '".devnet/config/genesis.json"' in code
    code = code.replace("127.0.0.1:9090", node.target)
    code = code.replace(".devnet/config/genesis.json", str(node.home / "config" / "genesis.json"))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"dev holds {1_000_000 * 10**18} base units of OKT"
    height = int(re.fullmatch(r"sent in block (\d+) ok", lines[1]).group(1))  # type: ignore[union-attr]
    assert lines[2] == f"next block {height + 1}"
    assert re.fullmatch(r"friend holds 1000000000000000000 proven against app hash [0-9a-f]{64}", lines[3])
