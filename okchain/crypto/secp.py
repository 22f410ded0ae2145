"""secp256k1 account keys: the same key that controls an OKB balance on Ethereum controls its OKT."""

from dataclasses import dataclass

import coincurve

from okchain.crypto.address import Address
from okchain.crypto.hashing import keccak256
from okchain.errors import OKChainError

SIGNATURE_LEN = 65
# secp256k1 group order n; a signature (r, s) and (r, n - s) both verify, so only s <= n/2 is accepted.
_HALF_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 // 2


class SignatureError(OKChainError, ValueError):
    """A signature that cannot be parsed or recovered."""


def address_of_pubkey(pub: coincurve.PublicKey) -> Address:
    """Ethereum rule: last 20 bytes of keccak256 of the 64-byte uncompressed point (no 0x04 prefix)."""
    return Address(keccak256(pub.format(compressed=False)[1:])[-20:])


@dataclass(frozen=True, slots=True)
class AccountKey:
    """A private account key; ``address`` is derived the Ethereum way."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise SignatureError("account secret key must be 32 bytes")
        coincurve.PrivateKey(self.secret)  # raises on zero or >= curve order

    @classmethod
    def generate(cls) -> "AccountKey":
        return cls(coincurve.PrivateKey().secret)

    @property
    def public_key(self) -> bytes:
        """Compressed 33-byte public key."""
        return bytes(coincurve.PrivateKey(self.secret).public_key.format(compressed=True))

    @property
    def address(self) -> Address:
        return address_of_pubkey(coincurve.PrivateKey(self.secret).public_key)

    def sign_digest(self, digest: bytes) -> bytes:
        """65-byte recoverable signature r||s||v (v in {0,1}) over a 32-byte digest; low-s by libsecp256k1."""
        return bytes(coincurve.PrivateKey(self.secret).sign_recoverable(digest, hasher=None))


def recover_address(digest: bytes, signature: bytes) -> Address:
    """Recover the signer's address from a 65-byte recoverable signature over ``digest``."""
    if len(signature) != SIGNATURE_LEN:
        raise SignatureError(f"signature must be {SIGNATURE_LEN} bytes, got {len(signature)}")
    if signature[64] > 3:
        raise SignatureError(f"signature recovery id must be 0..3, got {signature[64]}")
    if int.from_bytes(signature[32:64], "big") > _HALF_ORDER:
        raise SignatureError("signature s is in the upper half of the curve order (malleable; EIP-2)")
    try:
        pub = coincurve.PublicKey.from_signature_and_message(signature, digest, hasher=None)
    except Exception as exc:  # coincurve raises bare Exception/ValueError for invalid points
        raise SignatureError(f"signature does not recover a public key: {exc}") from exc
    return address_of_pubkey(pub)
