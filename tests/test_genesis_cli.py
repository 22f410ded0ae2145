"""``okchaind genesis migrate|verify`` end to end in-process, and the genesis loader's checks."""

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from okchain.cli.main import main
from okchain.crypto.address import Address, to_checksum
from okchain.genesis.document import (
    GenesisAccount,
    GenesisError,
    GenesisFileError,
    GenesisHeader,
    MigrationInfo,
    load_genesis,
)
from okchain.genesis.migrate import migrate_snapshot, verify_genesis
from okchain.genesis.writer import write_genesis
from okchain.node.progress import TerminalProgress
from okchain.types.params import ChainParams

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "genesis" / "okb-snapshot.csv"
OKB = 10**18
PUBKEY = "ab" * 32
HOLDER_AA = to_checksum(bytes(19) + b"\xaa")
HARDHAT = ("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "okb.csv"
    rows = [
        "# SYNTHETIC test snapshot",
        '"HolderAddress","Balance","PendingBalanceUpdate"',
        f'"{HARDHAT[0]}","1000000","No"',
        f'"{HARDHAT[1].lower()}","0.000000000000000001","No"',
        '"0x00000000000000000000000000000000000000aa","12.5","No"',
        '"0x00000000000000000000000000000000000000bb","0","No"',
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def migrate(capsys: pytest.CaptureFixture[str], snapshot: Path, out: Path, *extra: str) -> dict[str, Any]:
    code, stdout, err = run(
        capsys, "genesis", "migrate", "--snapshot", str(snapshot), "--chain-id", "okchain-test-1",
        "--out", str(out), "--genesis-time", "2026-11-25T00:00:00Z", *extra,
    )  # fmt: skip
    assert code == 0, err
    summary: dict[str, Any] = json.loads(stdout)
    return summary


def test_migrate_then_verify(capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "genesis.json"
    summary = migrate(capsys, snapshot, out, "--validator", f"v0:{PUBKEY}:10")
    assert summary["holders"] == 3 and summary["zero_balances_skipped"] == 1
    assert summary["total"] == str(1_000_000 * OKB + 1 + 12 * OKB + OKB // 2)

    doc = load_genesis(out)
    assert doc.header.chain_id == "okchain-test-1"
    assert doc.header.genesis_time == datetime(2026, 11, 25, tzinfo=UTC)
    assert [v.name for v in doc.header.validators] == ["v0"]
    assert [a.address for a in doc.accounts] == sorted(a.address for a in doc.accounts)
    balances = {to_checksum(a.address): a.balance for a in doc.accounts}
    assert balances[HARDHAT[0]] == 1_000_000 * OKB and balances[HARDHAT[1]] == 1

    data = json.loads(out.read_text())
    assert list(data) == [
        "chain_id",
        "genesis_time",
        "initial_height",
        "params",
        "validators",
        "migration",
        "accounts",
    ]
    assert data["accounts"][0] == {
        "address": HOLDER_AA,
        "balance": str(12 * OKB + OKB // 2),
    }
    assert data["migration"]["snapshot_file"] == "okb.csv" and data["migration"]["format"] == "etherscan"

    code, stdout, _ = run(capsys, "genesis", "verify", "--snapshot", str(snapshot), str(out))
    assert code == 0 and json.loads(stdout)["ok"] is True


def tamper(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data["accounts"])
    data["accounts"].sort(key=lambda a: bytes.fromhex(a["address"][2:]))
    path.write_text(json.dumps(data))  # a different layout: the loader's general JSON path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda accts: accts[0].update(balance=str(int(accts[0]["balance"]) + 1)), "genesis balance"),
        (lambda accts: accts.pop(), "missing from genesis"),
        (lambda accts: accts.append({"address": to_checksum(b"\x01" * 20), "balance": "5"}), "not a holder"),
    ],
    ids=["tampered-balance", "missing-account", "extra-account"],
)
def test_verify_reports_each_difference(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path, change: Any, expected: str
) -> None:
    out = tmp_path / "genesis.json"
    migrate(capsys, snapshot, out)
    tamper(out, change)
    code, stdout, err = run(capsys, "genesis", "verify", "--snapshot", str(snapshot), str(out))
    assert code != 0 and stdout == ""
    assert err.startswith("error: genesis") and expected in err
    assert "migration." in err  # the record no longer matches the accounts either
    differences = verify_genesis(snapshot, out)
    assert any(expected in d for d in differences)
    with pytest.raises(GenesisFileError, match="migration"):
        load_genesis(out)  # the node refuses it too


def test_verify_against_a_different_snapshot(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path
) -> None:
    out = tmp_path / "genesis.json"
    migrate(capsys, snapshot, out)
    other = tmp_path / "other.csv"
    other.write_text(snapshot.read_text().replace('"12.5"', '"12.50000000000000001"'))
    differences = verify_genesis(other, out)
    assert any("snapshot_sha256" in d for d in differences)
    assert any("migration.total" in d for d in differences)
    assert any(f"{HOLDER_AA}: genesis balance" in d for d in differences)


def test_bad_snapshot_fails_with_line_numbers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("address,amount\n0x1234,5\n" + "0x" + "11" * 20 + ",-1\n")
    out = tmp_path / "genesis.json"
    code, stdout, err = run(
        capsys, "genesis", "migrate", "--snapshot", str(bad), "--chain-id", "c", "--out", str(out)
    )
    assert code == 1 and stdout == ""
    assert "line 2:" in err and "line 3:" in err and "nothing was written" in err
    assert not out.exists()


def test_bundled_snapshot_migrates_and_verifies(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    head = BUNDLED.read_text().splitlines()[:6]
    assert "SYNTHETIC" in head[0] and head[5] == '"HolderAddress","Balance","PendingBalanceUpdate"'
    out = tmp_path / "genesis.json"
    summary = migrate(capsys, BUNDLED, out)
    assert summary["holders"] == 10_000 and summary["format"] == "etherscan"
    assert summary["zero_balances_skipped"] > 0
    code, _, err = run(capsys, "genesis", "verify", "--snapshot", str(BUNDLED), str(out))
    assert code == 0, err
    balances = {a.address: a.balance for a in load_genesis(out).accounts}
    for name in HARDHAT:
        assert balances[Address(bytes.fromhex(name[2:]))] == 1_000_000 * OKB
    assert any(b % OKB and len(str(b % OKB).rstrip("0")) == 18 for b in balances.values())  # full decimals


def test_default_genesis_time_is_now_in_whole_seconds(snapshot: Path, tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    migrate_snapshot(snapshot, "okchain-test-1", tmp_path / "g.json")
    when = load_genesis(tmp_path / "g.json").header.genesis_time
    assert before <= when <= datetime.now(UTC) and when.microsecond == 0


def test_params_file(capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"max_block_txs": "7"}))
    migrate(capsys, snapshot, tmp_path / "g.json", "--params", str(params))
    assert load_genesis(tmp_path / "g.json").header.params == ChainParams(max_block_txs=7)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--validator", "v0:abcd:10"], "64 hex"),
        (["--validator", f"v0:{PUBKEY}:0"], "at least 1"),
        (["--validator", "v0"], "NAME:PUBKEYHEX:POWER"),
        (["--validator", f"v0:{PUBKEY}:1", "--validator", f"v0:{PUBKEY}:2"], "distinct"),
        (["--genesis-time", "2026-11-25 00:00"], "genesis_time"),
    ],
)
def test_bad_options(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path, extra: list[str], needle: str
) -> None:
    argv = [
        "genesis",
        "migrate",
        "--snapshot",
        str(snapshot),
        "--chain-id",
        "c-1",
        "--out",
        str(tmp_path / "g.json"),
    ]
    code, _, err = run(capsys, *argv, *extra)
    assert code == 1 and needle in err
    assert not (tmp_path / "g.json").exists()


def test_bad_chain_id_and_self_overwrite(snapshot: Path, tmp_path: Path) -> None:
    with pytest.raises(GenesisError, match="chain_id"):
        migrate_snapshot(snapshot, "bad chain id", tmp_path / "g.json")
    with pytest.raises(GenesisError, match="overwrite"):
        migrate_snapshot(snapshot, "okchain-test-1", snapshot)


# --- the loader on hand-made documents -----------------------------------------------------------


def header(**kwargs: Any) -> GenesisHeader:
    return GenesisHeader(chain_id="okchain-test-1", genesis_time=datetime(2026, 11, 25, tzinfo=UTC), **kwargs)


def written(tmp_path: Path, accounts: list[GenesisAccount], **kwargs: Any) -> dict[str, Any]:
    path = tmp_path / "g.json"
    write_genesis(header(**kwargs), accounts, path)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def load_json(tmp_path: Path, data: Any) -> None:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    load_genesis(path)


ACCOUNTS = [GenesisAccount(Address(bytes([1]) * 20), 5), GenesisAccount(Address(bytes([2]) * 20), 7)]


def test_writer_and_loader_round_trip_with_and_without_migration(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    write_genesis(header(), ACCOUNTS, path)
    assert load_genesis(path).accounts == tuple(ACCOUNTS)
    write_genesis(header(), [], path)
    assert load_genesis(path).accounts == ()
    assert json.loads(path.read_text())["accounts"] == []


def test_loader_accepts_any_valid_json_spelling(tmp_path: Path) -> None:
    lower, upper = "0x" + "ab" * 20, "0X" + "CD" * 20
    text = (
        '{"accounts":[{"balance":"1","address":"' + lower + '"},\n\t{ "address" : "' + upper + '" , '
        '"balance" : "2" }],"validators":[],"params":' + json.dumps(ChainParams().to_json()) + ","
        '"initial_height":"3","genesis_time":"2026-11-25T00:00:00Z","chain_id":"c-1"}'
    )
    path = tmp_path / "g.json"
    path.write_text(text)
    doc = load_genesis(path)
    assert [(a.address.hex(), a.balance) for a in doc.accounts] == [("ab" * 20, 1), ("cd" * 20, 2)]
    assert (doc.header.initial_height, doc.header.migration, doc.header.params) == (3, None, ChainParams())


def test_progress_bar_draws_in_place() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    for done in (0, 50, 50, 100):
        bar("read", done, 100)
    bar.close()
    text = stream.getvalue()
    assert (
        text.count("\r") == 3
        and text.endswith("100% (100/100)\n")
        and "[" + "#" * 15 + "-" * 15 + "]" in text
    )


def test_writer_refuses_unsorted_or_mismatched_accounts(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    with pytest.raises(GenesisError, match="sorted"):
        write_genesis(header(), list(reversed(ACCOUNTS)), path)
    info = MigrationInfo("s.csv", "00" * 32, "plain", holders=2, total=13, zero_balances_skipped=0)
    with pytest.raises(GenesisError, match="migration record"):
        write_genesis(header(migration=info), ACCOUNTS, path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d["accounts"][0].update(balance=5), "decimal string"),
        (lambda d: d["accounts"][0].update(balance="05"), "decimal string"),
        (lambda d: d["accounts"][0].update(balance="-5"), "decimal string"),
        (lambda d: d["accounts"].reverse(), "sorted"),
        (lambda d: d["accounts"].append(d["accounts"][-1]), "sorted"),
        (lambda d: d["accounts"][1].update(address=d["accounts"][1]["address"].swapcase()), "EIP-55"),
        (lambda d: d["accounts"][1].update(address="0x1234"), "40 hex digits"),
        (lambda d: d["accounts"][0].update(extra=1), "unknown field"),
        (lambda d: d.update(surprise=1), "unknown field"),
        (lambda d: d.pop("params"), "missing params"),
        (lambda d: d.update(initial_height="0"), "initial_height"),
        (lambda d: d.update(genesis_time="2026-11-25T00:00:00+01:00"), "genesis_time"),
        (lambda d: d["params"].update(max_tx_bytes="x"), "params"),
        (lambda d: d["params"].pop("max_tx_gas"), "params is missing max_tx_gas"),
        (lambda d: d["validators"].append({"name": "v", "pub_key": "zz", "power": "1"}), "pub_key"),
        (lambda d: d["migration"].update(holders=3), "migration.holders"),
        (lambda d: d["migration"].update(total="13"), "migration.total"),
        (lambda d: d["migration"].update(total=12), "migration.total"),
    ],
)
def test_loader_rejects_with_a_precise_reason(tmp_path: Path, edit: Any, needle: str) -> None:
    accounts = [GenesisAccount(Address(b"\xaa" * 20), 5), GenesisAccount(Address(b"\xbb" * 20), 7)]
    info = MigrationInfo("s.csv", "00" * 32, "plain", holders=2, total=12, zero_balances_skipped=0)
    data = written(tmp_path, accounts, migration=info)
    edit(data)
    with pytest.raises(GenesisFileError, match=needle):
        load_json(tmp_path, data)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "expected '{'"),
        ('{"chain_id": "a", "chain_id": "b"}', "twice"),
        ('{"accounts": [{"address": "0x' + "11" * 20 + '", "balance": 1.5}]}', "floating point"),
        ('{"accounts": [}', "line 1 column"),
        ("{} []", "after the genesis object"),
    ],
)
def test_loader_rejects_bad_json(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(GenesisFileError, match=needle):
        load_json(tmp_path, text)
