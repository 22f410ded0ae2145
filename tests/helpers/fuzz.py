"""Inputs for the decoder fuzz tests: valid encodings damaged, so a decoder's deeper layers are reached and
not only its first length check."""

from hypothesis import strategies as st


def mutated(valid: bytes) -> st.SearchStrategy[bytes]:
    """``valid`` with bits flipped, truncated, or extended with junk."""
    flips = st.lists(st.tuples(st.integers(0, max(len(valid) - 1, 0)), st.integers(0, 7)), max_size=4)

    def flip(changes: list[tuple[int, int]]) -> bytes:
        out = bytearray(valid)
        for index, bit in changes:
            if out:
                out[index] ^= 1 << bit
        return bytes(out)

    return st.one_of(
        flips.map(flip),
        st.integers(0, len(valid)).map(lambda n: valid[:n]),
        st.binary(max_size=40).map(lambda junk: valid + junk),
    )
