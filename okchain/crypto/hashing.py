"""The two hash functions of the chain: keccak-256 (accounts, signatures) and sha256 (tx and block ids)."""

import hashlib

from Crypto.Hash import keccak


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak-256 (not NIST SHA3-256: the padding differs)."""
    return keccak.new(data=data, digest_bits=256).digest()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962-style binary Merkle root over already-hashed leaves (tx hashes, result hashes).

    Leaf and inner nodes carry different prefixes so a leaf cannot pose as an inner node; the split point
    is the largest power of two below n. The empty list hashes to sha256(b"").
    """
    if not leaves:
        return sha256(b"")
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    return _root_of(level)


def _root_of(nodes: list[bytes]) -> bytes:
    if len(nodes) == 1:
        return nodes[0]
    split = 1 << ((len(nodes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _root_of(nodes[:split]) + _root_of(nodes[split:])).digest()
