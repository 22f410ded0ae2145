"""The signer's last-signed state on disk (like CometBFT's priv_validator_state.json).

Written atomically and durably on every signature (temp file, fsync, rename, fsync the directory), so
after a crash the file holds the previous state or the new one, and the new one is on disk before the
signature leaves the node. A state file that exists but cannot be read stops the node: it is never taken
for "nothing signed yet", which could make the validator double-sign. While a store is open it holds an
exclusive lock (``<state file>.lock``), so a second node process on the same home cannot sign at all.
"""

import json
import os
from pathlib import Path
from types import TracebackType

from okchain.consensus.messages import Step
from okchain.consensus.signer import SignerError, SignerState
from okchain.durable import atomic_replace, lock_exclusive


class SignerStoreError(SignerError):
    """The signer state file cannot be read, written or locked."""


class FileSignerStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            self._lock_fd: int | None = lock_exclusive(lock)
        except OSError as exc:
            raise SignerStoreError(
                f"cannot lock signer state {self.path}: {exc.strerror or exc} (is another node running?)"
            ) from None

    def load(self) -> SignerState | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SignerStoreError(f"cannot read signer state {self.path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
            return SignerState(
                height=_int(data["height"]),
                round=_int(data["round"]),
                step=Step(_int(data["step"])),
                sign_bytes=bytes.fromhex(data["sign_bytes"]),
                signature=bytes.fromhex(data["signature"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SignerStoreError(
                f"signer state {self.path} is corrupt ({exc}); refusing to sign until it is repaired"
            ) from None

    def save(self, state: SignerState) -> None:
        if self._lock_fd is None:
            raise SignerStoreError(f"signer state {self.path} is closed")
        body = json.dumps(
            {
                "height": state.height,
                "round": state.round,
                "step": int(state.step),
                "sign_bytes": state.sign_bytes.hex(),
                "signature": state.signature.hex(),
            },
            indent=2,
        )
        try:
            atomic_replace(self.path, (body + "\n").encode())
        except OSError as exc:
            raise SignerStoreError(f"cannot write signer state {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        """Release the lock; the store cannot save afterwards."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "FileSignerStore":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value
