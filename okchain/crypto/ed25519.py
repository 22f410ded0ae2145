"""ed25519 validator keys (pynacl): validators sign blocks and consensus messages with these."""

from dataclasses import dataclass

import nacl.exceptions
import nacl.signing

from okchain.crypto.hashing import sha256
from okchain.errors import OKChainError


class ValidatorKeyError(OKChainError, ValueError):
    """A malformed validator key or signature."""


@dataclass(frozen=True, slots=True)
class ValidatorKey:
    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise ValidatorKeyError("ed25519 seed must be 32 bytes")

    @classmethod
    def generate(cls) -> "ValidatorKey":
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def public_key(self) -> bytes:
        return bytes(nacl.signing.SigningKey(self.seed).verify_key)

    def sign(self, message: bytes) -> bytes:
        return bytes(nacl.signing.SigningKey(self.seed).sign(message).signature)


def validator_address(public_key: bytes) -> bytes:
    """Tendermint-style validator address: first 20 bytes of sha256(pubkey)."""
    return sha256(public_key)[:20]


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True
