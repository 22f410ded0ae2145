"""Named account keys kept encrypted at rest under ``<home>/keyring``, one keystore v3 file per key.

Each file is a v3 keystore plus a ``name`` and the EIP-55 ``address``, so ``list``/``show`` need no password
and the file itself still imports into geth or MetaMask.
"""

import builtins
import contextlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from okchain.crypto.address import Address, AddressError, parse_hex_address, to_bech32, to_checksum
from okchain.crypto.keystore import decrypt_keystore, encrypt_keystore
from okchain.crypto.secp import AccountKey
from okchain.errors import OKChainError

DEFAULT_SCRYPT_N = 1 << 14
"""About 50 ms and 16 MiB per unlock with r=8: snappy for a CLI, still costly to brute-force."""

KEYRING_DIR = "keyring"
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_KEYSTORE_FIELDS = ("address", "crypto", "id", "version")


class KeyringError(OKChainError):
    """Base of keyring errors."""


class InvalidKeyNameError(KeyringError, ValueError):
    """A key name outside ``[A-Za-z0-9_.-]{1,64}``; it becomes a file name, so it is kept tame."""


class KeyExistsError(KeyringError):
    """A key of that name is already stored; keys are never overwritten."""


class KeyNotFoundError(KeyringError, LookupError):
    """No key of that name is stored."""


class CorruptKeyFileError(KeyringError):
    """A keyring file that is not the JSON this module writes."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What can be shown about a key without its password."""

    name: str
    address: Address

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "address": to_checksum(self.address), "bech32": to_bech32(self.address)}


def is_valid_key_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None and name not in {".", ".."}


def check_key_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise InvalidKeyNameError(f"key name {name!r} must be 1-64 characters from A-Z a-z 0-9 _ . -")


def _info(name: str, record: Mapping[str, Any]) -> KeyInfo:
    address = record.get("address")
    if not isinstance(address, str):
        raise CorruptKeyFileError(f"key file of {name!r} has no address")
    try:
        return KeyInfo(name, parse_hex_address(address))
    except AddressError as exc:
        raise CorruptKeyFileError(f"key file of {name!r} has a bad address: {exc}") from None


class Keyring:
    """The keys of one node home; every write is atomic and never replaces an existing key."""

    def __init__(self, home: Path, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> None:
        self.directory = home / KEYRING_DIR
        self.scrypt_n = scrypt_n

    def _path(self, name: str) -> Path:
        check_key_name(name)
        return self.directory / f"{name}.json"

    def ensure_available(self, name: str) -> None:
        """Fail early (before prompting for secrets) when ``name`` is invalid or taken."""
        if self._path(name).exists():
            raise KeyExistsError(f"key {name!r} already exists in {self.directory}")

    def add(self, name: str, key: AccountKey, password: str) -> KeyInfo:
        self.ensure_available(name)
        keystore = encrypt_keystore(key, password, scrypt_n=self.scrypt_n)
        record = {"name": name, **keystore, "address": to_checksum(key.address)}
        self._write_new(name, json.dumps(record, indent=2, sort_keys=True) + "\n")
        return KeyInfo(name, key.address)

    def _write_new(self, name: str, text: str) -> None:
        """Write a 0600 temp file, then hard-link it into place: link fails rather than clobber a key."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)  # mkdir's mode is masked by umask and skipped if the dir exists
        target = self._path(name)
        temp = self.directory / f".{name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temp, target)
        except FileExistsError:
            raise KeyExistsError(f"key {name!r} already exists in {self.directory}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def _read(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyNotFoundError(f"no key named {name!r} in {self.directory}") from None
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise CorruptKeyFileError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise CorruptKeyFileError(f"{path} does not hold a JSON object")
        return record

    def show(self, name: str) -> KeyInfo:
        return _info(name, self._read(name))

    def list(self) -> builtins.list[KeyInfo]:
        if not self.directory.is_dir():
            return []
        names = sorted(path.stem for path in self.directory.glob("*.json") if is_valid_key_name(path.stem))
        return [self.show(name) for name in names]

    def load(self, name: str, password: str) -> AccountKey:
        return decrypt_keystore(self._read(name), password)

    def export(self, name: str) -> dict[str, Any]:
        """The v3 keystore alone, with the bare lowercase address geth writes, ready to import elsewhere."""
        record = self._read(name)
        keystore = {field: record[field] for field in _KEYSTORE_FIELDS if field in record}
        keystore["address"] = _info(name, record).address.hex()
        return keystore

    def import_keystore(
        self,
        name: str,
        keystore_json: Mapping[str, Any] | str | bytes,
        keystore_password: str,
        new_password: str,
    ) -> KeyInfo:
        """Re-encrypt a foreign keystore under this keyring's KDF settings and the new password."""
        self.ensure_available(name)
        return self.add(name, decrypt_keystore(keystore_json, keystore_password), new_password)
