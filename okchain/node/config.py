"""Node configuration (``<home>/config/config.toml``): node-local settings, not consensus rules."""

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from okchain.errors import OKChainError
from okchain.p2p.config import P2PConfig
from okchain.p2p.keys import parse_peer_list


class ConfigError(OKChainError, ValueError):
    """A config file that is missing, unreadable or has wrong values."""


@dataclass(frozen=True, slots=True)
class NodeConfig:
    moniker: str = "okchain-node"
    grpc_listen: str = "127.0.0.1:9090"
    block_time_ms: int = 1000
    min_gas_price: int = 1_000_000_000  # base units of OKT per gas (1 gwei, as on Ethereum)
    mempool_max_txs: int = 200_000
    mempool_max_bytes: int = 512 * 1024 * 1024
    mempool_max_future_per_account: int = 64
    mempool_max_future_total: int = 50_000
    mempool_future_ttl_blocks: int = 100
    grpc_max_message_bytes: int = 4 * 1024 * 1024
    grpc_workers: int = 32
    grpc_max_concurrent_rpcs: int = 256  # beyond this, calls get RESOURCE_EXHAUSTED instead of queueing
    max_commit_waiters: int = 16  # commit-mode broadcasts waiting at once; each holds a gRPC worker
    commit_wait_default_ms: int = 10_000
    commit_wait_max_ms: int = 60_000
    tree_cache_nodes: int = 1_000_000  # top-of-tree Merkle nodes kept in memory (~200 bytes each)
    state_cache_entries: int = 1_000_000  # committed state values kept in memory for execution
    state_retention_heights: int = 10_000  # heights whose state and blocks are kept; 0 = all (archive)
    address_index: bool = True  # index txs by signer and recipient (TxsByAddress); validators may turn it off
    signature_workers: int = -1  # processes recovering signatures of batches; -1 = CPUs - 1, 0 = none
    # consensus timing (CometBFT defaults); block_time_ms above is the commit delay between heights
    timeout_propose_ms: int = 3_000
    timeout_prevote_ms: int = 1_000
    timeout_precommit_ms: int = 1_000
    timeout_delta_ms: int = 500  # added to each step's timeout per round
    # p2p
    p2p_listen: str = "127.0.0.1:26656"
    persistent_peers: str = ""  # comma-separated node_id@host:port, always (re)dialled
    seeds: str = ""  # comma-separated node_id@host:port, asked for addresses then dropped
    pex: bool = True  # exchange peer addresses and keep an address book
    p2p_max_inbound: int = 40
    p2p_max_outbound: int = 10
    p2p_send_rate: int = 20_000_000  # bytes/s per peer
    p2p_recv_rate: int = 20_000_000  # bytes/s per peer
    p2p_handshake_timeout_ms: int = 5_000
    p2p_idle_timeout_ms: int = 30_000  # a peer silent this long (no frame, not even a ping) is dropped
    p2p_ban_seconds: int = 600  # how long a misbehaving peer is refused
    blocksync_switch_back_blocks: int = 10  # a running node this far behind its peers goes back to block sync

    def commit_timeout_s(self, requested_ms: int) -> float:
        """The commit wait a client asked for (0 = node default), capped by the node."""
        return min(requested_ms or self.commit_wait_default_ms, self.commit_wait_max_ms) / 1000

    def p2p_config(self, address_book: Path | None) -> P2PConfig:
        """The switch's settings from these; ``address_book`` is <home>/data/addrbook.json (None in tests)."""
        return P2PConfig(
            listen=self.p2p_listen,
            persistent_peers=parse_peer_list(self.persistent_peers),
            seeds=parse_peer_list(self.seeds),
            pex=self.pex,
            max_inbound=self.p2p_max_inbound,
            max_outbound=self.p2p_max_outbound,
            send_rate=self.p2p_send_rate,
            recv_rate=self.p2p_recv_rate,
            handshake_timeout_s=self.p2p_handshake_timeout_ms / 1000,
            idle_timeout_s=self.p2p_idle_timeout_ms / 1000,
            ban_seconds=float(self.p2p_ban_seconds),
            address_book=address_book,
        )

    def to_toml(self) -> str:
        lines = ["# okchain node configuration (node-local; consensus rules live in genesis.json)"]
        for key, value in asdict(self).items():
            if isinstance(value, bool):
                lines.append(f"{key} = {str(value).lower()}")
            else:
                lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
        return "\n".join(lines) + "\n"

    @classmethod
    def load(cls, path: Path) -> "NodeConfig":
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{path}: unknown settings: {', '.join(unknown)}")
        for key, value in data.items():
            default = getattr(cls(), key)
            if type(value) is not type(default):
                raise ConfigError(f"{path}: {key} must be a {type(default).__name__}, got {value!r}")
        return cls(**data)
