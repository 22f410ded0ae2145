"""Keyring: encrypted-at-rest storage, file permissions, naming rules, export and import."""

import json
import stat
from pathlib import Path

import pytest

from okchain.crypto.address import to_bech32, to_checksum
from okchain.crypto.keyring import (
    DEFAULT_SCRYPT_N,
    InvalidKeyNameError,
    KeyExistsError,
    KeyInfo,
    KeyNotFoundError,
    Keyring,
)
from okchain.crypto.keystore import WrongPasswordError, decrypt_keystore, encrypt_keystore
from okchain.crypto.secp import AccountKey

FAST_N = 1 << 10


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    return Keyring(tmp_path, scrypt_n=FAST_N)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_add_then_load(keyring: Keyring) -> None:
    key = AccountKey.generate()
    info = keyring.add("alice", key, "pw")
    assert info == KeyInfo("alice", key.address)
    assert keyring.load("alice", "pw") == key
    with pytest.raises(WrongPasswordError):
        keyring.load("alice", "wrong")


def test_default_scrypt_n_is_used(tmp_path: Path) -> None:
    Keyring(tmp_path).add("k", AccountKey.generate(), "pw")
    record = json.loads((tmp_path / "keyring" / "k.json").read_text())
    assert record["crypto"]["kdfparams"]["n"] == DEFAULT_SCRYPT_N


def test_file_is_private_encrypted_and_named(keyring: Keyring, tmp_path: Path) -> None:
    key = AccountKey.generate()
    keyring.add("alice", key, "pw")
    path = tmp_path / "keyring" / "alice.json"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    text = path.read_text()
    assert key.secret.hex() not in text.lower()
    assert key.secret not in path.read_bytes()
    record = json.loads(text)
    assert record["name"] == "alice"
    assert record["address"] == to_checksum(key.address)
    assert decrypt_keystore(record, "pw") == key  # the stored file is itself a valid keystore
    assert [p.name for p in path.parent.iterdir()] == ["alice.json"]  # no temp file left behind


def test_existing_wide_directory_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "keyring").mkdir(mode=0o755)
    (tmp_path / "keyring").chmod(0o755)
    Keyring(tmp_path, scrypt_n=FAST_N).add("a", AccountKey.generate(), "pw")
    assert _mode(tmp_path / "keyring") == 0o700


def test_duplicate_name_refused_and_original_kept(keyring: Keyring) -> None:
    key = AccountKey.generate()
    keyring.add("alice", key, "pw")
    with pytest.raises(KeyExistsError, match="key 'alice' already exists"):
        keyring.add("alice", AccountKey.generate(), "pw2")
    assert keyring.load("alice", "pw") == key


@pytest.mark.parametrize("name", ["", "a/b", "../evil", ".", "..", "a b", "x" * 65, "ключ"])
def test_invalid_names_refused(keyring: Keyring, name: str) -> None:
    with pytest.raises(InvalidKeyNameError, match="must be 1-64 characters"):
        keyring.add(name, AccountKey.generate(), "pw")


def test_valid_name_characters(keyring: Keyring) -> None:
    name = "Val_1.node-A" + "x" * 52
    assert keyring.add(name, AccountKey.generate(), "pw").name == name


def test_list_sorted_and_show(keyring: Keyring) -> None:
    assert keyring.list() == []
    keys = {name: AccountKey.generate() for name in ("carol", "alice", "bob")}
    for name, key in keys.items():
        keyring.add(name, key, "pw")
    assert [info.name for info in keyring.list()] == ["alice", "bob", "carol"]
    info = keyring.show("bob")
    assert info.address == keys["bob"].address
    assert info.to_json() == {
        "name": "bob",
        "address": to_checksum(keys["bob"].address),
        "bech32": to_bech32(keys["bob"].address),
    }


def test_missing_key(keyring: Keyring) -> None:
    for action in (keyring.show, keyring.export):
        with pytest.raises(KeyNotFoundError, match="no key named 'ghost'"):
            action("ghost")
    with pytest.raises(KeyNotFoundError):
        keyring.load("ghost", "pw")


def test_export_is_plain_v3_keystore(keyring: Keyring) -> None:
    key = AccountKey.generate()
    keyring.add("alice", key, "pw")
    exported = keyring.export("alice")
    assert set(exported) == {"address", "crypto", "id", "version"}
    assert exported["address"] == key.address.hex()
    assert decrypt_keystore(json.dumps(exported), "pw") == key


def test_import_reencrypts_with_new_password(keyring: Keyring, tmp_path: Path) -> None:
    key = AccountKey.generate()
    foreign = encrypt_keystore(key, "old", kdf="pbkdf2", pbkdf2_c=1000)
    info = keyring.import_keystore("imported", json.dumps(foreign), "old", "new")
    assert info == KeyInfo("imported", key.address)
    assert keyring.load("imported", "new") == key
    record = json.loads((tmp_path / "keyring" / "imported.json").read_text())
    assert record["crypto"]["kdf"] == "scrypt"
    assert record["crypto"]["kdfparams"]["n"] == FAST_N


def test_import_with_wrong_password_stores_nothing(keyring: Keyring) -> None:
    foreign = encrypt_keystore(AccountKey.generate(), "old", scrypt_n=FAST_N)
    with pytest.raises(WrongPasswordError):
        keyring.import_keystore("imported", foreign, "nope", "new")
    assert keyring.list() == []


def test_import_duplicate_refused(keyring: Keyring) -> None:
    keyring.add("alice", AccountKey.generate(), "pw")
    foreign = encrypt_keystore(AccountKey.generate(), "old", scrypt_n=FAST_N)
    with pytest.raises(KeyExistsError):
        keyring.import_keystore("alice", foreign, "old", "new")
