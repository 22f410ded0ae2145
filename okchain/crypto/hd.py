"""BIP39 mnemonics and BIP32/BIP44 derivation, so a MetaMask or Hardhat phrase yields the same accounts here.

EC arithmetic stays in libsecp256k1 (coincurve); this module only does the HMAC-SHA512 bookkeeping of BIP32.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass

import coincurve
from mnemonic import Mnemonic

from okchain.crypto.secp import AccountKey
from okchain.errors import OKChainError

DEFAULT_PATH = "m/44'/60'/0'/0/0"
"""BIP44 path of the first Ethereum account, as MetaMask, Ledger Live and Hardhat derive it."""

HARDENED = 0x8000_0000
MNEMONIC_WORD_COUNTS = (12, 15, 18, 21, 24)
_MASTER_HMAC_KEY = b"Bitcoin seed"
_SEGMENT = re.compile(r"(\d+)(['hH]?)")
_ENGLISH = Mnemonic("english")


class HDError(OKChainError, ValueError):
    """Base of hierarchical-deterministic key errors."""


class MnemonicError(HDError):
    """A mnemonic phrase that is not valid BIP39 English; the message says which rule it breaks."""


class DerivationPathError(HDError):
    """A derivation path that cannot be parsed, or a step that lands on an invalid key."""


@dataclass(frozen=True, slots=True)
class ExtendedPrivateKey:
    """A BIP32 node: the private key plus the chain code that seeds its children."""

    secret: bytes
    chain_code: bytes

    def child(self, index: int) -> "ExtendedPrivateKey":
        """CKDpriv: hardened children hash the private key, normal ones the compressed public key."""
        if not 0 <= index < 2 * HARDENED:
            raise DerivationPathError(f"child index {index} is outside 0..2^32-1")
        private = coincurve.PrivateKey(self.secret)
        hardened = index >= HARDENED
        data = b"\x00" + self.secret if hardened else private.public_key.format(compressed=True)
        digest = hmac.new(self.chain_code, data + index.to_bytes(4, "big"), hashlib.sha512).digest()
        try:
            child = private.add(digest[:32])
        except ValueError as exc:  # IL >= n or a zero key: probability about 2^-127
            raise DerivationPathError(
                f"child index {index} yields an invalid key; use the next index"
            ) from exc
        return ExtendedPrivateKey(child.secret, digest[32:])

    def derive(self, path: str) -> "ExtendedPrivateKey":
        node = self
        for index in parse_path(path):
            node = node.child(index)
        return node


def master_key(seed: bytes) -> ExtendedPrivateKey:
    """BIP32 master node from a 16..64-byte seed (BIP39 seeds are 64 bytes)."""
    if not 16 <= len(seed) <= 64:
        raise HDError(f"BIP32 seed must be 16..64 bytes, got {len(seed)}")
    digest = hmac.new(_MASTER_HMAC_KEY, seed, hashlib.sha512).digest()
    try:
        coincurve.PrivateKey(digest[:32])
    except ValueError as exc:
        raise HDError("seed yields an invalid master key; BIP32 says to use another seed") from exc
    return ExtendedPrivateKey(digest[:32], digest[32:])


def parse_path(path: str) -> tuple[int, ...]:
    """Parse ``m/44'/60'/0'/0/0`` into child indexes; ``'``, ``h`` or ``H`` marks a hardened step."""
    parts = path.strip().split("/")
    if parts[0] != "m":
        raise DerivationPathError(f"derivation path {path!r} must start with 'm'")
    indexes = []
    for part in parts[1:]:
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise DerivationPathError(f"derivation path {path!r} has a bad segment {part!r}")
        number = int(match.group(1))
        if number >= HARDENED:
            raise DerivationPathError(f"derivation path {path!r}: index {number} must be below 2^31")
        indexes.append(number + HARDENED if match.group(2) else number)
    return tuple(indexes)


def normalize_mnemonic(mnemonic: str) -> str:
    """NFKD, lower case, single spaces: the form BIP39 hashes, whatever spacing the user typed."""
    return " ".join(Mnemonic.normalize_string(mnemonic).lower().split())


def validate_mnemonic(mnemonic: str) -> str:
    """Return the normalized phrase, or say precisely why it is not valid BIP39 English."""
    phrase = normalize_mnemonic(mnemonic)
    words = phrase.split(" ") if phrase else []
    if len(words) not in MNEMONIC_WORD_COUNTS:
        raise MnemonicError(f"mnemonic has {len(words)} words; BIP39 allows 12, 15, 18, 21 or 24")
    wordlist = set(_ENGLISH.wordlist)
    unknown = [f"#{i} {word!r}" for i, word in enumerate(words, 1) if word not in wordlist]
    if unknown:
        raise MnemonicError(f"mnemonic words not in the BIP39 English list: {', '.join(unknown)}")
    if not _ENGLISH.check(phrase):
        raise MnemonicError("mnemonic checksum is wrong: a word is mistyped or the words are out of order")
    return phrase


def generate_mnemonic(words: int = 24) -> str:
    """A fresh phrase from the OS CSPRNG; 24 words carry 256 bits of entropy."""
    if words not in MNEMONIC_WORD_COUNTS:
        raise MnemonicError(f"cannot generate {words} words; BIP39 allows 12, 15, 18, 21 or 24")
    return str(_ENGLISH.generate(strength=words * 32 // 3))


def mnemonic_to_seed(mnemonic: str, passphrase: str = "") -> bytes:
    """BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds) after checking the phrase."""
    return bytes(Mnemonic.to_seed(validate_mnemonic(mnemonic), passphrase))


def account_from_mnemonic(mnemonic: str, passphrase: str = "", path: str = DEFAULT_PATH) -> AccountKey:
    """The account key at ``path`` under the phrase, identical to what MetaMask shows for it."""
    return AccountKey(master_key(mnemonic_to_seed(mnemonic, passphrase)).derive(path).secret)
