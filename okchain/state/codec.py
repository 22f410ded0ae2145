"""Value encodings for state: unsigned ints as minimal big-endian bytes (canonical, so hashes agree)."""


def encode_uint(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8 or 1, "big")


def decode_uint(b: bytes | None) -> int:
    return 0 if b is None else int.from_bytes(b, "big")
