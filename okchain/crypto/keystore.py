"""Web3 Secret Storage v3 keystore files, so keys move between okchain, geth and MetaMask unchanged.

Format: https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/
"""

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Mapping
from typing import Any, Literal

import Crypto.Protocol.KDF
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from okchain.crypto.address import AddressError, parse_hex_address, to_checksum
from okchain.crypto.hashing import keccak256
from okchain.crypto.secp import AccountKey, SignatureError
from okchain.errors import OKChainError

Kdf = Literal["scrypt", "pbkdf2"]

# geth's "standard" parameters: about a second and 256 MiB per unlock.
STANDARD_SCRYPT_N = 1 << 18
STANDARD_SCRYPT_R = 8
STANDARD_SCRYPT_P = 1
STANDARD_PBKDF2_C = 262_144

DKLEN = 32
MAX_SCRYPT_MEMORY = 1 << 30
"""Refuse scrypt parameters that would need more memory than this: a hostile file must not exhaust RAM."""


class KeystoreError(OKChainError, ValueError):
    """A keystore file that is malformed or uses something this node does not support."""


class WrongPasswordError(KeystoreError):
    """The MAC did not match: the password is wrong or the file was altered."""


_JSON_KIND: dict[type, str] = {int: "an integer", str: "a string", Mapping: "an object"}


def _field(obj: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise KeystoreError(f"keystore field {where}{name} must be {_JSON_KIND[kind]}, got {value!r}")
    return value


def _hex_field(obj: Mapping[str, Any], name: str, where: str) -> bytes:
    text = _field(obj, name, str, where)
    try:
        return bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise KeystoreError(f"keystore field {where}{name} is not hexadecimal") from None


def _scrypt(password: bytes, params: Mapping[str, Any]) -> bytes:
    where = "crypto.kdfparams."
    n = _field(params, "n", int, where)
    r = _field(params, "r", int, where)
    p = _field(params, "p", int, where)
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise KeystoreError(f"keystore scrypt parameters n={n} r={r} p={p} are invalid (n a power of 2 > 1)")
    if 128 * r * (n + p) > MAX_SCRYPT_MEMORY:
        raise KeystoreError(
            f"keystore scrypt parameters n={n} r={r} p={p} need over {MAX_SCRYPT_MEMORY} bytes"
        )
    # Not hashlib.scrypt: OpenSSL enforces RFC 7914's n < 2^(16r), which rejects the spec's own test
    # vector (n=2^18, r=1) and files written with those parameters; pycryptodome's C scrypt accepts them.
    derived = Crypto.Protocol.KDF.scrypt(password, _hex_field(params, "salt", where), DKLEN, n, r, p)
    assert isinstance(derived, bytes)  # a tuple only when num_keys > 1
    return derived


def _pbkdf2(password: bytes, params: Mapping[str, Any]) -> bytes:
    where = "crypto.kdfparams."
    if params.get("prf") != "hmac-sha256":
        raise KeystoreError(f"keystore pbkdf2 prf {params.get('prf')!r} is unsupported (only hmac-sha256)")
    rounds = _field(params, "c", int, where)
    if rounds < 1:
        raise KeystoreError(f"keystore pbkdf2 round count {rounds} must be positive")
    return hashlib.pbkdf2_hmac("sha256", password, _hex_field(params, "salt", where), rounds, DKLEN)


def _derive_key(password: str, kdf: object, params: Mapping[str, Any]) -> bytes:
    """Run the file's KDF; dklen must be 32 because the MAC uses bytes 16..32 and AES bytes 0..16."""
    dklen = _field(params, "dklen", int, "crypto.kdfparams.")
    if dklen != DKLEN:
        raise KeystoreError(f"keystore dklen {dklen} is unsupported (only {DKLEN})")
    secret = password.encode("utf-8")
    if kdf == "scrypt":
        return _scrypt(secret, params)
    if kdf == "pbkdf2":
        return _pbkdf2(secret, params)
    raise KeystoreError(f"keystore kdf {kdf!r} is unsupported (scrypt or pbkdf2)")


def _aes_128_ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    """CTR mode is its own inverse, so this both encrypts and decrypts."""
    encryptor = Cipher(algorithms.AES128(key), modes.CTR(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _mac(derived_key: bytes, ciphertext: bytes) -> bytes:
    return keccak256(derived_key[16:32] + ciphertext)


def _load(keystore: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(keystore, str | bytes):
        try:
            keystore = json.loads(keystore)
        except ValueError as exc:
            raise KeystoreError(f"keystore is not valid JSON: {exc}") from None
    if not isinstance(keystore, Mapping):
        raise KeystoreError("keystore must be a JSON object")
    return keystore


def decrypt_keystore(keystore: Mapping[str, Any] | str | bytes, password: str) -> AccountKey:
    """Check the MAC in constant time, then decrypt; a stated ``address`` must match the key."""
    obj = _load(keystore)
    if obj.get("version") != 3:
        raise KeystoreError(f"keystore version {obj.get('version')!r} is unsupported (only 3)")
    crypto = obj.get("crypto", obj.get("Crypto"))  # early geth wrote "Crypto"
    if not isinstance(crypto, Mapping):
        raise KeystoreError("keystore has no 'crypto' object")
    if crypto.get("cipher") != "aes-128-ctr":
        raise KeystoreError(f"keystore cipher {crypto.get('cipher')!r} is unsupported (only aes-128-ctr)")
    cipherparams = _field(crypto, "cipherparams", Mapping, "crypto.")
    iv = _hex_field(cipherparams, "iv", "crypto.cipherparams.")
    if len(iv) != 16:
        raise KeystoreError(f"keystore iv must be 16 bytes, got {len(iv)}")
    ciphertext = _hex_field(crypto, "ciphertext", "crypto.")
    mac = _hex_field(crypto, "mac", "crypto.")
    derived = _derive_key(password, crypto.get("kdf"), _field(crypto, "kdfparams", Mapping, "crypto."))
    if not hmac.compare_digest(_mac(derived, ciphertext), mac):
        raise WrongPasswordError("wrong password or corrupted keystore (MAC mismatch)")
    try:
        key = AccountKey(_aes_128_ctr(derived[:16], iv, ciphertext))
    except SignatureError as exc:
        raise KeystoreError(f"keystore decrypts to an invalid secp256k1 key: {exc}") from None
    if "address" in obj:
        _check_stated_address(obj["address"], key)
    return key


def _check_stated_address(stated: object, key: AccountKey) -> None:
    """geth writes bare lowercase hex, others add 0x or EIP-55 case; all must name the decrypted key."""
    if not isinstance(stated, str):
        raise KeystoreError(f"keystore 'address' must be a string, got {stated!r}")
    try:
        address = parse_hex_address(stated if stated.lower().startswith("0x") else f"0x{stated}")
    except AddressError as exc:
        raise KeystoreError(f"keystore 'address' is malformed: {exc}") from None
    if address != key.address:
        raise KeystoreError(
            f"keystore says address {to_checksum(address)} but its key is {to_checksum(key.address)}"
        )


def encrypt_keystore(
    key: AccountKey,
    password: str,
    *,
    kdf: Kdf = "scrypt",
    scrypt_n: int = STANDARD_SCRYPT_N,
    scrypt_r: int = STANDARD_SCRYPT_R,
    scrypt_p: int = STANDARD_SCRYPT_P,
    pbkdf2_c: int = STANDARD_PBKDF2_C,
) -> dict[str, Any]:
    """A v3 keystore with fresh salt, IV and random UUID, laid out the way geth writes it."""
    salt = os.urandom(32)
    kdfparams: dict[str, Any]
    if kdf == "scrypt":
        kdfparams = {"dklen": DKLEN, "n": scrypt_n, "p": scrypt_p, "r": scrypt_r, "salt": salt.hex()}
    else:
        kdfparams = {"c": pbkdf2_c, "dklen": DKLEN, "prf": "hmac-sha256", "salt": salt.hex()}
    derived = _derive_key(password, kdf, kdfparams)
    iv = os.urandom(16)
    ciphertext = _aes_128_ctr(derived[:16], iv, key.secret)
    return {
        "address": key.address.hex(),
        "crypto": {
            "cipher": "aes-128-ctr",
            "ciphertext": ciphertext.hex(),
            "cipherparams": {"iv": iv.hex()},
            "kdf": kdf,
            "kdfparams": kdfparams,
            "mac": _mac(derived, ciphertext).hex(),
        },
        "id": str(uuid.uuid4()),
        "version": 3,
    }
