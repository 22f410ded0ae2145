"""``okchaind init`` and client argument checks, in-process."""

from pathlib import Path

import pytest

from okchain.cli.main import main
from okchain.cli.node_cmd import _own_error
from okchain.state.store import StoreError
from tests.helpers.chain import funded_keys, write_snapshot


def test_failed_init_leaves_nothing_behind_and_a_retry_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("address,amount\n0x12,5\n")
    home = tmp_path / "home"
    assert main(["init", "--home", str(home), "--snapshot", str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err
    assert not (home / "config" / "validator_key.json").exists()
    assert not (home / "config" / "genesis.json").exists()
    good = tmp_path / "good.csv"
    write_snapshot(good, funded_keys(2))
    assert main(["init", "--home", str(home), "--snapshot", str(good)]) == 0
    assert (home / "config" / "validator_key.json").stat().st_mode & 0o777 == 0o600
    assert main(["init", "--home", str(home), "--snapshot", str(good)]) == 1
    assert "already holds a node" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["init", "--block-time-ms", "0"], "0 is outside 1.."),
        (["init", "--power", "-3"], "-3 is outside 1.."),
        (["query", "block", "-5"], "-5 is outside 0..18446744073709551615"),
        (["query", "block", "18446744073709551616"], "is outside 0..18446744073709551615"),
        (["tx", "send", "a", "0x" + "00" * 20, "1", "--nonce", "-1"], "-1 is outside"),
        (["tx", "send", "a", "0x" + "00" * 20, "1", "--gas-limit", "x"], "'x' is not an integer"),
        (["query", "node", "--timeout", "-1"], "outside (0, 86400]"),
    ],
)
def test_out_of_range_arguments_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_nodes_own_error_is_found_inside_trios_exception_groups() -> None:
    """`okchaind start` prints it as one `error:` line (a full disk, say) instead of nested groups; a group
    holding anything else is a bug and keeps its traceback."""
    full = StoreError("cannot write to LevelDB at /x: No space left on device")
    assert _own_error(ExceptionGroup("node", [ExceptionGroup("consensus", [full])])) is full
    assert _own_error(ExceptionGroup("node", [full, RuntimeError("a bug")])) is None
    assert _own_error(ExceptionGroup("node", [KeyError("a bug")])) is None
