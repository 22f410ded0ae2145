"""``okchaind keys`` run in-process: JSON on stdout, precise errors on stderr with exit code 1."""

import getpass
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from okchain.cli.main import main
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic, validate_mnemonic
from okchain.crypto.keystore import decrypt_keystore
from tests.helpers.keystore_vectors import PBKDF2_VECTOR

HARDHAT = "test test test test test test test test test test test junk"


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OKCHAIN_HOME", raising=False)
    monkeypatch.delenv("OKCHAIN_PASSWORD", raising=False)

    def no_prompt(prompt: str = "") -> str:
        raise AssertionError(f"unexpected prompt {prompt!r}")

    monkeypatch.setattr(getpass, "getpass", no_prompt)
    yield


class Cli:
    """Runs ``okchaind keys ...`` against one temporary home with a password file."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.home = tmp_path / "home"
        self.password_file = tmp_path / "password"
        self.password_file.write_text("s3cret\nignored second line\n")
        self.capsys = capsys
        self.tmp_path = tmp_path

    def write(self, name: str, text: str) -> str:
        path = self.tmp_path / name
        path.write_text(text)
        return str(path)

    def run(self, *argv: str, password: bool = False) -> tuple[int, str, str]:
        args = ["keys", *argv, "--home", str(self.home)]
        if password:
            args += ["--password-file", str(self.password_file)]
        code = main(args)
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *argv: str, password: bool = False) -> Any:
        code, out, err = self.run(*argv, password=password)
        assert code == 0, err
        return json.loads(out)

    def fails(self, *argv: str, password: bool = False) -> str:
        code, out, err = self.run(*argv, password=password)
        assert code == 1 and out == ""
        assert err.startswith("error: ")
        return err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


def test_add_generates_mnemonic_once(cli: Cli) -> None:
    out = cli.ok("add", "alice", password=True)
    assert set(out) == {"name", "address", "bech32", "path", "mnemonic", "warning"}
    assert out["name"] == "alice" and out["bech32"].startswith("ok1")
    assert len(validate_mnemonic(out["mnemonic"]).split()) == 24
    assert "write this mnemonic down" in out["warning"].lower()
    assert out["address"] == to_checksum(account_from_mnemonic(out["mnemonic"]).address)
    shown = cli.ok("show", "alice")
    assert shown == {"name": "alice", "address": out["address"], "bech32": out["bech32"]}
    assert out["mnemonic"] not in (cli.home / "keyring" / "alice.json").read_text()


def test_recover_from_mnemonic_file_matches_hardhat(cli: Cli) -> None:
    phrase = cli.write("phrase", HARDHAT + "\n")
    out = cli.ok("add", "hh0", "--recover", "--mnemonic-file", phrase, password=True)
    assert out["address"] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert "mnemonic" not in out
    out = cli.ok(
        "add", "hh1", "--recover", "--mnemonic-file", phrase, "--path", "m/44'/60'/0'/0/1", password=True
    )
    assert out["address"] == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert out["path"] == "m/44'/60'/0'/0/1"


def test_list_show_export(cli: Cli) -> None:
    phrase = cli.write("phrase", HARDHAT)
    cli.ok("add", "zed", "--recover", "--mnemonic-file", phrase, password=True)
    cli.ok("add", "amy", password=True)
    listed = cli.ok("list")
    assert [entry["name"] for entry in listed] == ["amy", "zed"]
    assert listed[1]["address"] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    exported = cli.ok("export", "zed")
    assert exported["address"] == "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    assert decrypt_keystore(exported, "s3cret") == account_from_mnemonic(HARDHAT)  # first line only


def test_import_official_vector(cli: Cli) -> None:
    keystore = cli.write("vector.json", json.dumps(PBKDF2_VECTOR))
    keystore_password = cli.write("vector.pw", "testpassword\n")
    out = cli.ok("import", "vec", keystore, "--keystore-password-file", keystore_password, password=True)
    assert out["address"] == "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b"
    exported = cli.ok("export", "vec")
    assert decrypt_keystore(exported, "s3cret").secret.hex().startswith("7a28b5ba")


def test_import_wrong_keystore_password(cli: Cli) -> None:
    keystore = cli.write("vector.json", json.dumps(PBKDF2_VECTOR))
    wrong = cli.write("vector.pw", "nope\n")
    err = cli.fails("import", "vec", keystore, "--keystore-password-file", wrong, password=True)
    assert "wrong password or corrupted keystore (MAC mismatch)" in err
    assert cli.ok("list") == []


def test_import_missing_file(cli: Cli) -> None:
    err = cli.fails("import", "vec", str(cli.tmp_path / "absent.json"), password=True)
    assert "cannot read keystore file" in err


def test_duplicate_name_refused(cli: Cli) -> None:
    cli.ok("add", "alice", password=True)
    assert "key 'alice' already exists" in cli.fails("add", "alice", password=True)


def test_invalid_name_refused(cli: Cli) -> None:
    assert "must be 1-64 characters" in cli.fails("add", "a/b", password=True)


def test_bad_mnemonic_refused(cli: Cli) -> None:
    phrase = cli.write("phrase", " ".join(["abandon"] * 12))
    assert "checksum" in cli.fails("add", "x", "--recover", "--mnemonic-file", phrase, password=True)
    assert cli.ok("list") == []


def test_mnemonic_file_needs_recover(cli: Cli) -> None:
    phrase = cli.write("phrase", HARDHAT)
    assert "--mnemonic-file only applies with --recover" in cli.fails("add", "x", "--mnemonic-file", phrase)


def test_show_missing_key(cli: Cli) -> None:
    assert "no key named 'ghost'" in cli.fails("show", "ghost")


def test_env_home_and_password(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OKCHAIN_HOME", str(cli.home))
    monkeypatch.setenv("OKCHAIN_PASSWORD", "from-env")
    phrase = cli.write("phrase", HARDHAT)
    assert main(["keys", "add", "env", "--recover", "--mnemonic-file", phrase]) == 0
    capsys.readouterr()
    exported = cli.ok("export", "env")
    assert decrypt_keystore(exported, "from-env") == account_from_mnemonic(HARDHAT)


def test_prompted_passwords_must_match(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([HARDHAT, "one", "two"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert "the two passwords differ" in cli.fails("add", "p", "--recover")
    assert cli.ok("list") == []
