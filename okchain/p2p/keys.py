"""The node's p2p identity (an ed25519 key, distinct from the validator key) and peer addresses."""

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nacl.signing

from okchain.crypto.hashing import sha256
from okchain.p2p.errors import P2PError

_NODE_ID = re.compile(r"^[0-9a-f]{40}$")


def node_id(public_key: bytes) -> str:
    """A node's id: the first 20 bytes of sha256(ed25519 public key), as 40 lowercase hex characters."""
    return sha256(public_key)[:20].hex()


@dataclass(frozen=True, slots=True)
class NodeKey:
    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise P2PError("node key seed must be 32 bytes")

    @classmethod
    def generate(cls) -> "NodeKey":
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def load(cls, path: Path) -> "NodeKey":
        try:
            data = json.loads(Path(path).read_text())
            if data.get("type") != "ed25519":
                raise ValueError(f"unsupported key type {data.get('type')!r}")
            key = cls(bytes.fromhex(data["seed"]))
            if "pub_key" in data and bytes.fromhex(data["pub_key"]) != key.public_key:
                raise ValueError("pub_key does not match seed")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise P2PError(f"cannot read node key {path}: {exc}") from None
        return key

    @classmethod
    def load_or_create(cls, path: Path) -> "NodeKey":
        """The key at ``path``; a new one is generated and saved there if the file does not exist."""
        if Path(path).exists():
            return cls.load(path)
        key = cls.generate()
        key.save(path)
        return key

    def save(self, path: Path) -> None:
        """Write the key file (mode 0600); refuses to overwrite an existing file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"type": "ed25519", "pub_key": self.public_key.hex(), "seed": self.seed.hex()})
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise P2PError(f"node key {path} already exists; refusing to overwrite it") from None
        with os.fdopen(fd, "w") as f:
            f.write(body + "\n")

    @property
    def public_key(self) -> bytes:
        return bytes(nacl.signing.SigningKey(self.seed).verify_key)

    @property
    def node_id(self) -> str:
        return node_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return bytes(nacl.signing.SigningKey(self.seed).sign(message).signature)


@dataclass(frozen=True, slots=True)
class PeerAddress:
    node_id: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.node_id}@{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"


def check_node_id(text: str) -> str:
    if not _NODE_ID.match(text):
        raise P2PError(f"node id {text!r} must be 40 lowercase hex characters")
    return text


def parse_host_port(text: str) -> tuple[str, int]:
    """``host:port`` or ``[ipv6]:port`` -> (host, port); P2PError with the reason on bad text."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise P2PError(f"address {text!r} must be host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise P2PError(f"address {text!r} has a bad port {port_text!r}")
    if not host or any(c.isspace() for c in host):
        raise P2PError(f"address {text!r} has a bad host")
    return host, int(port_text)


def parse_peer_address(text: str) -> PeerAddress:
    """``node_id@host:port`` -> PeerAddress; P2PError with the reason on bad text."""
    text = text.strip()
    ident, sep, rest = text.partition("@")
    if not sep:
        raise P2PError(f"peer address {text!r} must be node_id@host:port")
    check_node_id(ident)
    host, port = parse_host_port(rest)
    if port == 0:
        raise P2PError(f"peer address {text!r} has port 0")
    return PeerAddress(ident, host, port)


def parse_peer_list(text: str) -> tuple[PeerAddress, ...]:
    """A comma-separated list of peer addresses (config ``persistent_peers`` / ``seeds``); blanks ignored."""
    return tuple(parse_peer_address(part) for part in text.split(",") if part.strip())
