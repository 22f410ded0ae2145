"""Proofs of a key's value or absence in the state tree, checked against a root (encoding rules in
``okchain.state.merkle``); and the root computed straight from the definition, for tests."""

from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256

from okchain.state.merkle_nodes import EMPTY_HASH, INTERNAL, LEAF, MAX_DEPTH, MerkleError, bit


class MalformedProofError(MerkleError, ValueError):
    """Proof bytes or fields that are not the one canonical encoding of a proof."""


@dataclass(frozen=True, slots=True)
class Proof:
    """Siblings (root side first) of the path to where the search stopped, and the leaf found there."""

    siblings: tuple[bytes, ...]
    leaf_key_hash: bytes | None = None
    leaf_value_hash: bytes | None = None

    def __post_init__(self) -> None:
        if len(self.siblings) > MAX_DEPTH:
            raise MalformedProofError(f"proof has {len(self.siblings)} siblings; at most {MAX_DEPTH}")
        for i, sibling in enumerate(self.siblings):
            if type(sibling) is not bytes or len(sibling) != 32:
                raise MalformedProofError(f"proof sibling {i} is not 32 bytes")
        if (self.leaf_key_hash is None) != (self.leaf_value_hash is None):
            raise MalformedProofError("proof leaf needs both a key hash and a value hash, or neither")
        for name in ("leaf_key_hash", "leaf_value_hash"):
            value = getattr(self, name)
            if value is not None and (type(value) is not bytes or len(value) != 32):
                raise MalformedProofError(f"proof {name} is not 32 bytes")

    def to_bytes(self) -> bytes:
        n = len(self.siblings)
        width = _bitmap_len(n)
        bitmap = 0
        present = []
        for i, sibling in enumerate(self.siblings):
            if sibling != EMPTY_HASH:
                bitmap |= 1 << (8 * width - 1 - i)
                present.append(sibling)
        head = bytes([self.leaf_key_hash is not None]) + n.to_bytes(2, "big")
        parts = [head, bitmap.to_bytes(width, "big"), *present]
        if self.leaf_key_hash is not None and self.leaf_value_hash is not None:
            parts += [self.leaf_key_hash, self.leaf_value_hash]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> "Proof":
        data = bytes(data)  # slices of a bytearray would not be the bytes the fields require
        if len(data) < 3:
            raise MalformedProofError(f"proof is {len(data)} bytes; the header alone is 3")
        kind = data[0]
        if kind > 1:
            raise MalformedProofError(f"proof kind byte is {kind}; expected 0 (empty slot) or 1 (leaf)")
        n = int.from_bytes(data[1:3], "big")
        if n > MAX_DEPTH:
            raise MalformedProofError(f"proof has {n} siblings; at most {MAX_DEPTH}")
        width = _bitmap_len(n)
        bitmap = int.from_bytes(data[3 : 3 + width], "big")
        if bitmap & ((1 << (8 * width - n)) - 1):
            raise MalformedProofError("proof bitmap has bits set past the last sibling")
        present = bitmap.bit_count()
        expected = 3 + width + 32 * present + 64 * kind
        if len(data) != expected:
            raise MalformedProofError(f"proof is {len(data)} bytes; its header says {expected}")
        siblings = []
        at = 3 + width
        for i in range(n):
            if bitmap >> (8 * width - 1 - i) & 1:
                sibling = data[at : at + 32]
                if sibling == EMPTY_HASH:
                    raise MalformedProofError(f"proof sibling {i} is marked non-empty but is all zero")
                siblings.append(sibling)
                at += 32
            else:
                siblings.append(EMPTY_HASH)
        if kind:
            return cls(tuple(siblings), data[at : at + 32], data[at + 32 : at + 64])
        return cls(tuple(siblings))


def _bitmap_len(n: int) -> int:
    return (n + 7) // 8


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Whether ``proof`` shows that ``key`` maps to ``value`` (``None``: is absent) in the tree ``root``."""
    kh = sha256(key).digest()
    siblings = proof.siblings
    n = len(siblings)
    leaf_kh = proof.leaf_key_hash
    if leaf_kh is None or proof.leaf_value_hash is None:
        if value is not None:
            return False
        h = EMPTY_HASH
    else:
        if value is None:
            if leaf_kh == kh or _common_prefix_bits(leaf_kh, kh) < n:
                return False
        elif leaf_kh != kh or proof.leaf_value_hash != sha256(value).digest():
            return False
        h = sha256(LEAF + leaf_kh + proof.leaf_value_hash).digest()
    if n and siblings[-1] == EMPTY_HASH:
        return False
    for d in range(n - 1, -1, -1):
        if bit(kh, d):
            h = sha256(INTERNAL + siblings[d] + h).digest()
        else:
            h = sha256(INTERNAL + h + siblings[d]).digest()
    return h == root


def _common_prefix_bits(a: bytes, b: bytes) -> int:
    return MAX_DEPTH - (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_length()


def reference_root(items: Mapping[bytes, bytes]) -> bytes:
    """The root straight from the definition, for tests; ``SparseMerkleTree`` must always agree."""

    def subtree(depth: int, leaves: list[tuple[bytes, bytes]]) -> bytes:
        if not leaves:
            return EMPTY_HASH
        if len(leaves) == 1:
            kh, vh = leaves[0]
            return sha256(LEAF + kh + vh).digest()
        left = [leaf for leaf in leaves if not bit(leaf[0], depth)]
        right = [leaf for leaf in leaves if bit(leaf[0], depth)]
        return sha256(INTERNAL + subtree(depth + 1, left) + subtree(depth + 1, right)).digest()

    return subtree(0, [(sha256(k).digest(), sha256(v).digest()) for k, v in items.items()])
