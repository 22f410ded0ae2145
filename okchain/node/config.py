"""Node configuration (``<home>/config/config.toml``): node-local settings, not consensus rules."""

import difflib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Protocol, TypeGuard

from okchain.errors import OKChainError
from okchain.node.logs import FORMATS, LEVELS
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
    proposal_exec_budget_ms: int = (
        1000  # our proposals hold what we commit in this time; 0 = chain limits only
    )
    grpc_max_message_bytes: int = 4 * 1024 * 1024
    grpc_workers: int = 32
    grpc_max_concurrent_rpcs: int = 256  # beyond this, calls get RESOURCE_EXHAUSTED instead of queueing
    grpc_max_streams_per_connection: int = 100  # HTTP/2 streams one client connection may have open
    max_commit_waiters: int = 16  # commit-mode broadcasts waiting at once; each holds a gRPC worker
    stream_max_subscribers: int = 16  # streams (gRPC and gateway together) at once; each holds a thread
    stream_buffer_events: int = 256  # events one stream may fall behind before it is ended
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
    p2p_max_inbound_per_minute: int = 30  # dials one node id (or host) may make; twice this bans; 0 = off
    blocksync_switch_back_blocks: int = 10  # a running node this far behind its peers goes back to block sync
    # snapshots and state sync
    snapshot_interval: int = 0  # take a state snapshot every this many heights and serve it; 0 = off
    snapshot_keep_recent: int = 2
    snapshot_chunk_keys: int = 100_000  # state entries per chunk (a chunk also ends at 4 MiB)
    statesync: bool = False  # an empty node joins from a snapshot its peers serve instead of replaying blocks
    statesync_trust_height: int = 0  # a height whose header hash you got from a source you trust ...
    statesync_trust_hash: str = ""  # ... and that hash (hex); both unset: trust the genesis validators
    statesync_discovery_ms: int = 10_000
    # operations
    metrics_listen: str = ""  # host:port of the Prometheus /metrics endpoint; empty = off
    api_listen: str = ""  # host:port of the JSON/HTTP gateway (okchain/gateway/); empty = off
    api_cors_origins: str = ""  # origins browsers may call the gateway from: comma-separated, "*" = any
    log_level: str = "info"  # debug, info, warning, error, critical (okchaind start --log-level overrides)
    log_format: str = "text"  # text (key=value) or json (okchaind start --log-format overrides)

    def commit_timeout_s(self, requested_ms: int) -> float:
        """The commit wait a client asked for (0 = node default), capped by the node."""
        return min(requested_ms or self.commit_wait_default_ms, self.commit_wait_max_ms) / 1000

    def p2p_config(self, address_book: Path | None, ban_list: Path | None = None) -> P2PConfig:
        """The switch's settings from these; ``address_book`` and ``ban_list`` are <home>/data/addrbook.json
        and bans.json (None in tests)."""
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
            ban_list=ban_list,
            max_inbound_per_minute=self.p2p_max_inbound_per_minute,
        )

    def problems(self) -> list[str]:
        """Every setting that breaks its rule, each naming the key, what it allows and what it got."""
        out = []
        for f in fields(self):
            rule = SETTINGS[f.name].rule if f.name in SETTINGS else _TypeOf(type(f.default))
            problem = rule.check(getattr(self, f.name))
            if problem is not None:
                out.append(f"{f.name} {problem}")
        if bool(self.statesync_trust_height) != bool(self.statesync_trust_hash):
            out.append("statesync_trust_height and statesync_trust_hash must be set together (or neither)")
        return out

    def validated(self, source: str = "config") -> "NodeConfig":
        """This config, or ConfigError listing every bad setting (``source`` names where they came from)."""
        problems = self.problems()
        if problems:
            raise ConfigError(_report(source, problems))
        return self

    def to_toml(self) -> str:
        """The documented config.toml: a comment above each key saying what it does and what it allows."""
        lines = [
            "# okchain node configuration: node-local settings (consensus rules live in genesis.json).",
            "# Every key is optional; a missing key takes the default written here.",
        ]
        for key, value in asdict(self).items():
            setting = SETTINGS.get(key)
            lines.append("")
            if setting is not None:
                lines.append(f"# {setting.doc} ({setting.rule.allowed})")
            lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    @classmethod
    def load(cls, path: Path) -> "NodeConfig":
        """Read config.toml; every unknown key (with the nearest known one) and bad value in one error."""
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        known = [f.name for f in fields(cls)]
        problems = []
        for key in data:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                problems.append(f"unknown key {key!r}{hint}")
        kept = {k: v for k, v in data.items() if k in known}
        defaults = cls()
        for key, value in kept.items():  # the rule's message; a TOML table or array is never a setting
            rule = SETTINGS[key].rule if key in SETTINGS else _TypeOf(type(getattr(defaults, key)))
            problem = rule.check(value)
            if problem is not None:
                problems.append(f"{key} {problem}")
        if problems:
            raise ConfigError(_report(str(path), problems))
        return cls(**kept)


def _report(source: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return f"{source}: {len(problems)} problems:\n  " + "\n  ".join(problems)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    return str(value)


# --- rules: what each setting allows ---


class Rule(Protocol):
    @property
    def allowed(self) -> str:
        """What the setting allows, e.g. "a positive integer"."""
        ...

    def check(self, value: object) -> str | None:
        """None if ``value`` is allowed, else "must be …, got …"."""
        ...


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class _TypeOf:
    kind: type

    @property
    def allowed(self) -> str:
        return {bool: "true or false", int: "an integer", str: "a string"}.get(self.kind, self.kind.__name__)

    def check(self, value: object) -> str | None:
        ok = type(value) is self.kind
        return None if ok else f"must be {self.allowed}, got {value!r}"


@dataclass(frozen=True, slots=True)
class AtLeast:
    minimum: int

    @property
    def allowed(self) -> str:
        names = {0: "a non-negative integer", 1: "a positive integer"}
        return names.get(self.minimum, f"an integer >= {self.minimum}")

    def check(self, value: object) -> str | None:
        return None if _is_int(value) and value >= self.minimum else f"must be {self.allowed}, got {value!r}"


POSITIVE = AtLeast(1)
NON_NEGATIVE = AtLeast(0)


@dataclass(frozen=True, slots=True)
class OneOf:
    choices: tuple[str, ...]

    @property
    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def check(self, value: object) -> str | None:
        return None if value in self.choices else f"must be {self.allowed}, got {value!r}"


@dataclass(frozen=True, slots=True)
class Listen:
    """``host:port`` to bind (port 0: any free port); ``optional`` allows "" (off)."""

    optional: bool = False

    @property
    def allowed(self) -> str:
        return 'host:port, or "" for off' if self.optional else "host:port"

    def check(self, value: object) -> str | None:
        if not isinstance(value, str):
            return f"must be {self.allowed}, got {value!r}"
        if value == "" and self.optional:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            return f"must be {self.allowed} with a port 0-65535, got {value!r}"
        return None


@dataclass(frozen=True, slots=True)
class PeerList:
    @property
    def allowed(self) -> str:
        return 'comma-separated node_id@host:port, or ""'

    def check(self, value: object) -> str | None:
        if not isinstance(value, str):
            return f"must be {self.allowed}, got {value!r}"
        try:
            parse_peer_list(value)
        except OKChainError as exc:
            return f"must be {self.allowed}: {exc}"
        return None


@dataclass(frozen=True, slots=True)
class Text:
    @property
    def allowed(self) -> str:
        return "a non-empty string"

    def check(self, value: object) -> str | None:
        return None if isinstance(value, str) and value.strip() else f"must be {self.allowed}, got {value!r}"


@dataclass(frozen=True, slots=True)
class OriginList:
    @property
    def allowed(self) -> str:
        return '"*", comma-separated http(s)://host[:port] origins, or ""'

    def check(self, value: object) -> str | None:
        if not isinstance(value, str):
            return f"must be {self.allowed}, got {value!r}"
        bad = [o for o in split_origins(value) if o != "*" and not _ORIGIN.fullmatch(o)]
        return f"must be {self.allowed}, got {bad[0]!r}" if bad else None


_ORIGIN = re.compile(r"https?://[^/\s,]+")


def split_origins(value: str) -> list[str]:
    """The origins of an ``api_cors_origins`` value, in order."""
    return [o.strip() for o in value.split(",") if o.strip()]


@dataclass(frozen=True, slots=True)
class BlockHash:
    @property
    def allowed(self) -> str:
        return '64 hex characters, or ""'

    def check(self, value: object) -> str | None:
        ok = isinstance(value, str) and (
            value == "" or re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", value) is not None
        )
        return None if ok else f"must be {self.allowed}, got {value!r}"


FLAG = _TypeOf(bool)


@dataclass(frozen=True, slots=True)
class Setting:
    doc: str
    rule: Rule


# One entry per NodeConfig field (a test checks): the comment init writes above the key, and its rule.
SETTINGS: dict[str, Setting] = {
    "moniker": Setting("Name of this node, shown to peers and in NodeInfo", Text()),
    "grpc_listen": Setting("Address the gRPC API (wallets, explorers, okchaind) listens on", Listen()),
    "block_time_ms": Setting("Milliseconds to wait after a commit before the next height starts", POSITIVE),
    "min_gas_price": Setting(
        "Lowest fee per gas this node admits, in OKT base units of 1e-18 OKT", NON_NEGATIVE
    ),
    "mempool_max_txs": Setting("Most transactions the mempool holds", POSITIVE),
    "mempool_max_bytes": Setting("Most bytes of transactions the mempool holds", POSITIVE),
    "mempool_max_future_per_account": Setting(
        "Txs one account may queue ahead of a missing nonce", NON_NEGATIVE
    ),
    "mempool_max_future_total": Setting(
        "Txs all accounts together may queue ahead of missing nonces", NON_NEGATIVE
    ),
    "mempool_future_ttl_blocks": Setting("Blocks a tx waiting for an earlier nonce is kept", POSITIVE),
    "proposal_exec_budget_ms": Setting(
        "Our proposals hold at most the txs this node commits in this many ms (at the cost per tx of recent"
        " blocks), so a flood fills the mempool, not the blocks; 0 = only the chain's block limits",
        NON_NEGATIVE,
    ),
    "grpc_max_message_bytes": Setting("Largest gRPC request in bytes (responses may be 4x this)", POSITIVE),
    "grpc_workers": Setting("Threads serving gRPC calls", POSITIVE),
    "grpc_max_concurrent_rpcs": Setting(
        "gRPC calls at once; more get RESOURCE_EXHAUSTED, not a queue", POSITIVE
    ),
    "grpc_max_streams_per_connection": Setting(
        "Calls one client connection may have open at once (HTTP/2 streams); more wait for a free one",
        POSITIVE,
    ),
    "max_commit_waiters": Setting(
        "Commit-mode broadcasts waiting at once (each holds a gRPC thread); 0 = commit mode off", NON_NEGATIVE
    ),
    "stream_max_subscribers": Setting(
        "Streams (Subscribe* over gRPC and the gateway) served at once, each holding a thread; more get"
        " RESOURCE_EXHAUSTED; 0 = streams off",
        NON_NEGATIVE,
    ),
    "stream_buffer_events": Setting(
        "Events (blocks, consensus steps) a stream may fall behind before it is ended with"
        " RESOURCE_EXHAUSTED",
        POSITIVE,
    ),
    "commit_wait_default_ms": Setting(
        "How long a commit-mode broadcast waits when the client names no deadline", POSITIVE
    ),
    "commit_wait_max_ms": Setting(
        "Longest a commit-mode broadcast may wait, whatever the client asks", POSITIVE
    ),
    "tree_cache_nodes": Setting("Top-of-tree Merkle nodes kept in memory (~200 bytes each)", NON_NEGATIVE),
    "state_cache_entries": Setting("Committed state values kept in memory for execution", NON_NEGATIVE),
    "state_retention_heights": Setting(
        "Heights whose state and blocks are kept; 0 = keep all (archive node)", NON_NEGATIVE
    ),
    "address_index": Setting(
        "Index txs by signer and recipient (TxsByAddress); a validator serving no wallets may turn it off",
        FLAG,
    ),
    "signature_workers": Setting(
        "Processes recovering batches of signatures; -1 = CPUs - 1, 0 = none (in the node's thread)",
        AtLeast(-1),
    ),
    "timeout_propose_ms": Setting("Consensus: wait for a proposal in round 0, in ms", POSITIVE),
    "timeout_prevote_ms": Setting("Consensus: wait after +2/3 prevotes for anything, in ms", POSITIVE),
    "timeout_precommit_ms": Setting("Consensus: wait after +2/3 precommits for anything, in ms", POSITIVE),
    "timeout_delta_ms": Setting("Consensus: added to each step's timeout per round, in ms", NON_NEGATIVE),
    "p2p_listen": Setting("Address the p2p listener binds (port 0: any free port)", Listen()),
    "persistent_peers": Setting("Peers always dialled and redialled", PeerList()),
    "seeds": Setting("Peers asked for addresses, then dropped", PeerList()),
    "pex": Setting("Exchange peer addresses and keep an address book", FLAG),
    "p2p_max_inbound": Setting("Most peers that dialled us", NON_NEGATIVE),
    "p2p_max_outbound": Setting("Most peers we dialled", NON_NEGATIVE),
    "p2p_send_rate": Setting("Bytes per second sent to one peer", POSITIVE),
    "p2p_recv_rate": Setting("Bytes per second read from one peer", POSITIVE),
    "p2p_handshake_timeout_ms": Setting("Time a new connection has to finish its handshake, in ms", POSITIVE),
    "p2p_idle_timeout_ms": Setting(
        "A peer silent this long (no frame, not even a ping) is dropped, in ms", POSITIVE
    ),
    "p2p_ban_seconds": Setting("How long a misbehaving peer is refused, in seconds", NON_NEGATIVE),
    "p2p_max_inbound_per_minute": Setting(
        "Connections one node id (or IP, unless loopback) may open to us per minute; more are refused, more"
        " than twice this bans it for p2p_ban_seconds; 0 = no limit",
        NON_NEGATIVE,
    ),
    "blocksync_switch_back_blocks": Setting(
        "A running node this many blocks behind its peers goes back to block sync", POSITIVE
    ),
    "snapshot_interval": Setting(
        "Take a state snapshot every this many heights and serve it to state-syncing peers (costs an export"
        " each time: a validator usually leaves it off); 0 = off",
        NON_NEGATIVE,
    ),
    "snapshot_keep_recent": Setting("Snapshots kept on disk (the oldest is removed first)", POSITIVE),
    "snapshot_chunk_keys": Setting("State entries per snapshot chunk (a chunk also ends at 4 MiB)", POSITIVE),
    "statesync": Setting(
        "A node with no data joins from a snapshot its peers serve (verified by the light client and its"
        " Merkle root), then block-syncs the rest",
        FLAG,
    ),
    "statesync_trust_height": Setting(
        "State sync trusts the header of this height (with statesync_trust_hash); 0 = trust the genesis"
        " validators and follow every validator-set change",
        NON_NEGATIVE,
    ),
    "statesync_trust_hash": Setting(
        "Hex hash of the header at statesync_trust_height, from a source you trust", BlockHash()
    ),
    "statesync_discovery_ms": Setting(
        "How long state sync gathers snapshot offers before it picks one", POSITIVE
    ),
    "metrics_listen": Setting("Address of the Prometheus /metrics endpoint", Listen(optional=True)),
    "api_listen": Setting(
        "Address of the JSON gateway over HTTP (queries, broadcast, event streams, /openapi.json)",
        Listen(optional=True),
    ),
    "api_cors_origins": Setting(
        "Web origins whose pages may call the gateway (CORS); empty = none but its own", OriginList()
    ),
    "log_level": Setting(
        "Least severe log lines written (okchaind start --log-level overrides)", OneOf(LEVELS)
    ),
    "log_format": Setting(
        "Log lines as text (key=value pairs) or json (one object per line); --log-format overrides",
        OneOf(FORMATS),
    ),
}
