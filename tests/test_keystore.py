"""Web3 Secret Storage v3: the two official test vectors, wrong passwords, tampering and roundtrips."""

import copy
import json
import time
import uuid
from typing import Any

import pytest

from okchain.crypto.keystore import (
    KeystoreError,
    WrongPasswordError,
    decrypt_keystore,
    encrypt_keystore,
)
from okchain.crypto.secp import AccountKey
from tests.helpers.keystore_vectors import PASSWORD, PBKDF2_VECTOR, SCRYPT_VECTOR, SECRET

FAST_SCRYPT_N = 1 << 10


def test_pbkdf2_vector() -> None:
    assert decrypt_keystore(PBKDF2_VECTOR, PASSWORD).secret.hex() == SECRET


def test_scrypt_vector_within_three_seconds() -> None:
    start = time.monotonic()
    assert decrypt_keystore(json.dumps(SCRYPT_VECTOR), PASSWORD).secret.hex() == SECRET
    assert time.monotonic() - start < 3


def test_wrong_password_is_a_mac_mismatch() -> None:
    with pytest.raises(WrongPasswordError, match=r"wrong password or corrupted keystore \(MAC mismatch\)"):
        decrypt_keystore(PBKDF2_VECTOR, "testpassword!")


def test_tampered_ciphertext_is_a_mac_mismatch() -> None:
    tampered = copy.deepcopy(PBKDF2_VECTOR)
    tampered["crypto"]["ciphertext"] = "00" + tampered["crypto"]["ciphertext"][2:]
    with pytest.raises(WrongPasswordError):
        decrypt_keystore(tampered, PASSWORD)


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
def test_roundtrip_in_geth_layout(kdf: Any) -> None:
    key = AccountKey.generate()
    keystore = encrypt_keystore(key, "pw", kdf=kdf, scrypt_n=FAST_SCRYPT_N, pbkdf2_c=1000)
    assert keystore["version"] == 3
    assert keystore["address"] == key.address.hex()  # lowercase, no 0x
    assert uuid.UUID(keystore["id"]).version == 4
    assert keystore["crypto"]["kdf"] == kdf
    assert SECRET not in json.dumps(keystore) and key.secret.hex() not in json.dumps(keystore)
    assert decrypt_keystore(json.dumps(keystore), "pw") == key
    assert decrypt_keystore(json.dumps(keystore).encode(), "pw") == key
    with pytest.raises(WrongPasswordError):
        decrypt_keystore(keystore, "Pw")


def test_fresh_salt_and_iv_each_time() -> None:
    key = AccountKey.generate()
    first, second = (encrypt_keystore(key, "pw", scrypt_n=FAST_SCRYPT_N) for _ in range(2))
    assert first["crypto"]["kdfparams"]["salt"] != second["crypto"]["kdfparams"]["salt"]
    assert first["crypto"]["cipherparams"]["iv"] != second["crypto"]["cipherparams"]["iv"]
    assert first["id"] != second["id"]


def test_unicode_password_is_utf8() -> None:
    key = AccountKey.generate()
    assert decrypt_keystore(encrypt_keystore(key, "pässwörd🔑", scrypt_n=FAST_SCRYPT_N), "pässwörd🔑") == key


def test_stated_address_must_match_key() -> None:
    keystore = encrypt_keystore(AccountKey.generate(), "pw", scrypt_n=FAST_SCRYPT_N)
    keystore["address"] = AccountKey.generate().address.hex()
    with pytest.raises(KeystoreError, match="but its key is"):
        decrypt_keystore(keystore, "pw")


def test_stated_address_may_be_checksummed_with_0x() -> None:
    key = AccountKey(bytes.fromhex(SECRET))
    with_address = {**PBKDF2_VECTOR, "address": "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b"}
    assert decrypt_keystore(with_address, PASSWORD) == key


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    keystore = copy.deepcopy(PBKDF2_VECTOR)
    node = keystore
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return keystore


@pytest.mark.parametrize(
    ("keystore", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (_with(("version",), 1), "version 1 is unsupported"),
        (_with(("crypto",), None), "no 'crypto' object"),
        (_with(("crypto", "cipher"), "aes-128-cbc"), "cipher 'aes-128-cbc' is unsupported"),
        (_with(("crypto", "kdf"), "argon2"), "kdf 'argon2' is unsupported"),
        (_with(("crypto", "kdfparams", "prf"), "hmac-sha512"), "prf 'hmac-sha512' is unsupported"),
        (_with(("crypto", "kdfparams", "dklen"), 16), "dklen 16 is unsupported"),
        (
            _with(("crypto", "kdfparams", "c"), "many"),
            "field crypto.kdfparams.c must be an integer, got 'many'",
        ),
        (_with(("crypto", "mac"), "zz"), "field crypto.mac is not hexadecimal"),
        (_with(("crypto", "cipherparams", "iv"), "00"), "iv must be 16 bytes"),
    ],
)
def test_malformed_keystores_refused(keystore: Any, reason: str) -> None:
    with pytest.raises(KeystoreError, match=reason):
        decrypt_keystore(keystore, PASSWORD)


@pytest.mark.parametrize(
    ("n", "r", "p", "reason"),
    [(1000, 8, 1, "are invalid"), (1 << 30, 8, 1, "need over"), (1 << 10, 0, 1, "are invalid")],
)
def test_bad_or_hostile_scrypt_parameters_refused(n: int, r: int, p: int, reason: str) -> None:
    keystore = copy.deepcopy(SCRYPT_VECTOR)
    keystore["crypto"]["kdfparams"].update(n=n, r=r, p=p)
    with pytest.raises(KeystoreError, match=reason):
        decrypt_keystore(keystore, PASSWORD)
