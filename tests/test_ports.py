"""``okchaind start`` refuses a taken listen port before opening anything, naming the config key, the
address and the process that holds the port; ``scripts/devnet`` (which runs ``start``) fails with it."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from okchain.cli.main import main
from okchain.cli.ports import bind_problem, port_holder
from tests.helpers.chain import free_port, funded_keys, write_snapshot


@pytest.fixture
def held() -> Iterator[int]:
    """A port this test process listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    snapshot = tmp_path / "s.csv"
    write_snapshot(snapshot, funded_keys(1))
    home = tmp_path / "home"
    assert main(["init", "--home", str(home), "--snapshot", str(snapshot)]) == 0
    return home


def test_the_holder_of_a_port_is_found(held: int) -> None:
    assert bind_problem("127.0.0.1", held) == "is in use"
    holder = port_holder(held)
    assert holder is not None and holder.startswith(f"pid {os.getpid()} (")
    assert bind_problem("127.0.0.1", free_port()) is None
    assert port_holder(free_port()) is None


def test_another_process_holding_the_port_is_named(tmp_path: Path) -> None:
    program = "import socket,sys,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen()\n"
    program += "print(s.getsockname()[1],flush=True);time.sleep(60)\n"
    other = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None
        port = int(other.stdout.readline())
        holder = port_holder(port)
        assert holder is not None and holder.startswith(f"pid {other.pid} ({sys.executable} -c import socket")
    finally:
        other.kill()
        other.wait()


def test_start_names_the_key_the_address_and_the_holder(
    home: Path, held: int, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        ["start", "--home", str(home), "--grpc-listen", f"127.0.0.1:{held}", "--p2p-listen", "127.0.0.1:0"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: cannot start: grpc_listen 127.0.0.1:{held} is in use by pid {os.getpid()} ("
    )
    assert not (home / "data" / "state.db").exists()  # refused before the database was opened


def test_every_taken_or_shared_port_is_listed(
    home: Path, held: int, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    grpc = f"127.0.0.1:{free_port()}"
    argv = ["start", "--home", str(home), "--grpc-listen", grpc, "--p2p-listen", f"127.0.0.1:{held}"]
    assert main([*argv, "--metrics-listen", grpc]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error: cannot start:"
    assert lines[1].startswith(f"  p2p_listen 127.0.0.1:{held} is in use by pid {os.getpid()}")
    assert lines[2] == f"  metrics_listen {grpc} is also grpc_listen: each server needs its own port"


def test_devnet_fails_loudly_on_a_taken_port(tmp_path: Path, held: int) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "OKCHAIN_HOME": str(tmp_path / "devnet"),
        "OKCHAIN_GRPC_LISTEN": f"127.0.0.1:{free_port()}",
        "OKCHAIN_P2P_LISTEN": "127.0.0.1:0",
        "OKCHAIN_METRICS_LISTEN": f"127.0.0.1:{held}",
        "OKCHAIN_API_LISTEN": "",  # off: the default 1317 may be taken on a shared machine
    }
    run = subprocess.run(
        [str(root / "scripts" / "devnet")], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 1
    assert (
        f"error: cannot start: metrics_listen 127.0.0.1:{held} is in use by pid {os.getpid()}" in run.stderr
    )
