"""The node's home folder: where config, genesis, the validator key and the database live."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from okchain.crypto.ed25519 import ValidatorKey
from okchain.errors import OKChainError


class HomeError(OKChainError):
    """A home folder that is missing pieces or cannot be written."""


@dataclass(frozen=True, slots=True)
class Home:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config" / "config.toml"

    @property
    def genesis_file(self) -> Path:
        return self.root / "config" / "genesis.json"

    @property
    def validator_key_file(self) -> Path:
        return self.root / "config" / "validator_key.json"

    @property
    def node_key_file(self) -> Path:
        """The p2p identity (ed25519); distinct from the validator key, which signs consensus messages."""
        return self.root / "config" / "node_key.json"

    @property
    def data_dir(self) -> Path:
        return self.root / "data" / "state.db"

    def initialised(self) -> bool:
        return self.config_file.exists() and self.genesis_file.exists() and self.validator_key_file.exists()

    def write_validator_key(self, key: ValidatorKey) -> None:
        self.validator_key_file.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {"type": "ed25519", "pub_key": key.public_key.hex(), "seed": key.seed.hex()}, indent=2
        )
        fd = os.open(self.validator_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(body + "\n")

    def read_validator_key(self) -> ValidatorKey:
        try:
            data = json.loads(self.validator_key_file.read_text())
            return ValidatorKey(bytes.fromhex(data["seed"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HomeError(f"cannot read validator key {self.validator_key_file}: {exc}") from exc
