"""Verified reads: the node proves every state key an answer was computed from, and the client recomputes
the answer with the same module code over only those proven values.

The node runs a module's pure query function over a ``RecordingReader`` and proves each key it read; the
client checks each proof against an app hash it trusts and runs the same function over a ``ProvenState``.
A node that leaves out a key the answer needs, or proves a different value, is caught: the client's run
asks for that key and finds no proven value. Only point reads can be proven (the tree proves single keys,
not that a range holds nothing more), so both readers refuse range reads.
"""

from collections.abc import Iterable, Iterator

from okchain.errors import OKChainError
from okchain.state.merkle_proof import MalformedProofError, Proof, verify_proof
from okchain.state.store import KVReader


class UnprovableRead(OKChainError, ValueError):
    """A provable query tried to read a range of keys, or a key no proof covers."""


class ProofError(OKChainError, ValueError):
    """Proven values that do not lead to the trusted app hash."""


class RecordingReader:
    """Reads through to ``inner`` and remembers each key read, in first-read order."""

    def __init__(self, inner: KVReader) -> None:
        self._inner = inner
        self._keys: dict[bytes, None] = {}

    @property
    def keys(self) -> list[bytes]:
        return list(self._keys)

    def get(self, key: bytes) -> bytes | None:
        self._keys[key] = None
        return self._inner.get(key)

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        raise UnprovableRead(f"a provable answer cannot read the range of keys under {prefix.hex()}")


class ProvenState:
    """A state reader that knows only values proven against ``root``."""

    def __init__(self, root: bytes, proven: Iterable[tuple[bytes, bytes | None, bytes]]) -> None:
        """``proven``: (key, value or None for absent, proof bytes) triples, each checked against ``root``
        here; raises ``ProofError`` naming the first key whose proof does not lead to it."""
        self._values: dict[bytes, bytes | None] = {}
        for key, value, proof in proven:
            try:
                ok = verify_proof(root, key, value, Proof.from_bytes(proof))
            except MalformedProofError as exc:
                raise ProofError(f"the proof of state key {key.hex()} is malformed: {exc}") from None
            if not ok:
                raise ProofError(f"the proof of state key {key.hex()} does not lead to app hash {root.hex()}")
            self._values[key] = value

    def get(self, key: bytes) -> bytes | None:
        if key not in self._values:
            raise UnprovableRead(f"the node's proof leaves out state key {key.hex()}, which the answer reads")
        return self._values[key]

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        raise UnprovableRead(f"a proven answer cannot read the range of keys under {prefix.hex()}")
