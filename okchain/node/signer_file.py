"""The signer's last-signed state on disk (like CometBFT's priv_validator_state.json).

Written atomically and durably on every signature: temp file, fsync, rename over the old file, fsync the
directory. So after a crash the file holds either the previous state or the new one, and the new one is
on disk before the signature leaves the node. A state file that exists but cannot be read stops the node
(it is never treated as "nothing signed yet", which could make the validator double-sign).
"""

import contextlib
import json
import os
from pathlib import Path

from okchain.consensus.messages import Step
from okchain.consensus.signer import SignerError, SignerState


class SignerStoreError(SignerError):
    """The signer state file cannot be read or written."""


class FileSignerStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> SignerState | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SignerStoreError(f"cannot read signer state {self.path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
            state = SignerState(
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
        return state

    def save(self, state: SignerState) -> None:
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
            _atomic_write(self.path, (body + "\n").encode())
        except OSError as exc:
            raise SignerStoreError(f"cannot write signer state {self.path}: {exc.strerror or exc}") from None


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
