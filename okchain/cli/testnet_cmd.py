"""``okchaind testnet``: homes for an N-validator local network; ``okchaind testnet-status``: how it runs.

Every home gets its own validator key and p2p node key, the SAME genesis (accounts from the OKB snapshot;
all N validators staked from block one, each declared by a gentx its operator, Hardhat account I of the test
mnemonic, signs; equal power), and a config whose persistent peers are all the other nodes. Full nodes get a
validator key that is not in the genesis, so they follow the chain without voting.
"""

import argparse
import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from okchain._pb.node.v1 import query_pb2
from okchain.cli.client import Client, print_json
from okchain.cli.common import POSITIVE, CLIError, bounded_int
from okchain.cli.genesis_cmd import load_params
from okchain.cli.gentx_cmd import checked_gentxs, gentx_dir
from okchain.cli.node_cmd import BUNDLED_SNAPSHOT
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.crypto.hashing import sha256
from okchain.crypto.hd import account_from_mnemonic
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisValidator, load_genesis
from okchain.genesis.gentx import sign_gentx
from okchain.genesis.migrate import migrate_snapshot
from okchain.genesis.writer import write_genesis
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.p2p.errors import P2PError
from okchain.p2p.keys import NodeKey, PeerAddress, parse_host_port
from okchain.types.params import ChainParams

MANIFEST = "localnet.json"
VALIDATOR_POWER = 10  # what the migrated genesis names until the gentxs replace it with the staked power
TEST_MNEMONIC = "test test test test test test test test test test test junk"  # published: never for value
PORT = bounded_int(1, 65535)
COUNT = bounded_int(0, 1000)


class TestnetError(CLIError):
    """``okchaind testnet`` cannot lay out this network: bad counts, ports, or an output folder in use."""


@dataclass(frozen=True, slots=True)
class TestnetSpec:
    output: Path
    validators: int
    full_nodes: int = 0
    chain_id: str = "okchain-localnet-1"
    snapshot: Path = BUNDLED_SNAPSHOT
    base_p2p_port: int = 26656
    base_grpc_port: int = 9090
    block_time_ms: int = 1000
    host: str = "127.0.0.1"
    params: ChainParams = field(default_factory=ChainParams)

    @property
    def nodes(self) -> int:
        return self.validators + self.full_nodes

    def problem(self) -> str | None:
        """Why this layout cannot work (``None`` if it can); checked before anything is written."""
        if self.validators < 1:
            return f"--validators must be at least 1, got {self.validators}"
        if self.full_nodes < 0:
            return f"--full-nodes must not be negative, got {self.full_nodes}"
        ports = {"--base-p2p-port": self.base_p2p_port, "--base-grpc-port": self.base_grpc_port}
        for flag, base in ports.items():
            last = base + self.nodes - 1
            if base < 1 or last > 65535:
                return f"{flag} {base} with {self.nodes} nodes needs ports {base}..{last}, beyond 1..65535"
        if abs(self.base_p2p_port - self.base_grpc_port) < self.nodes:
            return (
                f"with {self.nodes} nodes, p2p ports from {self.base_p2p_port} and gRPC ports from "
                f"{self.base_grpc_port} overlap; move one base port"
            )
        if self.output.exists() and (not self.output.is_dir() or any(self.output.iterdir())):
            return f"{self.output} is not an empty folder; choose another --output or remove it"
        try:
            parse_host_port(f"{self.host}:1")
        except P2PError as exc:
            return f"--host {self.host!r}: {exc}"
        if not self.snapshot.is_file():
            return f"snapshot {self.snapshot} not found"
        return None


@dataclass(frozen=True, slots=True)
class LocalnetNode:
    """One entry of ``localnet.json``; ``home`` is relative to the localnet folder, so it can be moved."""

    name: str
    home: str
    node_id: str
    p2p: str
    grpc: str
    validator: bool
    validator_address: str

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "home": self.home,
            "node_id": self.node_id,
            "p2p": self.p2p,
            "grpc": self.grpc,
            "role": "validator" if self.validator else "full",
            "validator_address": self.validator_address,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "LocalnetNode":
        return cls(
            name=str(data["name"]),
            home=str(data["home"]),
            node_id=str(data["node_id"]),
            p2p=str(data["p2p"]),
            grpc=str(data["grpc"]),
            validator=data["role"] == "validator",
            validator_address=str(data["validator_address"]),
        )


def create_testnet(spec: TestnetSpec) -> list[LocalnetNode]:
    """Write the homes and ``localnet.json``; on any failure remove what was written (the folder was
    empty, so nothing else is lost)."""
    problem = spec.problem()
    if problem:
        raise TestnetError(problem)
    created_root = not spec.output.exists()
    spec.output.mkdir(parents=True, exist_ok=True)
    try:
        return _write_testnet(spec)
    except BaseException:
        if created_root:
            shutil.rmtree(spec.output, ignore_errors=True)
        else:
            for child in spec.output.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        raise


def _write_testnet(spec: TestnetSpec) -> list[LocalnetNode]:
    names = [f"node{i}" for i in range(spec.nodes)]
    homes = [Home(spec.output / name) for name in names]
    keys = [ValidatorKey.generate() for _ in names]
    node_keys = [NodeKey.load_or_create(home.node_key_file) for home in homes]
    genesis_validators = [
        GenesisValidator(names[i], keys[i].public_key, VALIDATOR_POWER) for i in range(spec.validators)
    ]
    migrate_snapshot(
        spec.snapshot, spec.chain_id, homes[0].genesis_file, validators=genesis_validators, params=spec.params
    )
    _stake_validators(homes[0], spec.chain_id, names[: spec.validators], keys[: spec.validators])
    nodes = [
        LocalnetNode(
            name=names[i],
            home=names[i],
            node_id=node_keys[i].node_id,
            p2p=f"{spec.host}:{spec.base_p2p_port + i}",
            grpc=f"{spec.host}:{spec.base_grpc_port + i}",
            validator=i < spec.validators,
            validator_address=validator_address(keys[i].public_key).hex(),
        )
        for i in range(spec.nodes)
    ]
    for i, (home, node) in enumerate(zip(homes, nodes, strict=True)):
        if i:
            shutil.copyfile(homes[0].genesis_file, home.genesis_file)
        home.write_validator_key(keys[i])
        peers = ",".join(
            str(PeerAddress(other.node_id, spec.host, spec.base_p2p_port + j))
            for j, other in enumerate(nodes)
            if other is not node
        )
        config = NodeConfig(
            moniker=node.name,
            grpc_listen=node.grpc,
            p2p_listen=node.p2p,
            persistent_peers=peers,
            block_time_ms=spec.block_time_ms,
        )
        home.config_file.write_text(config.to_toml())
    manifest = {
        "chain_id": spec.chain_id,
        "genesis_sha256": sha256(homes[0].genesis_file.read_bytes()).hex(),
        "nodes": [node.to_json() for node in nodes],
    }
    (spec.output / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return nodes


def operator_key(index: int) -> AccountKey:
    """The operator of validator ``index``: Hardhat account ``index`` of the published test mnemonic, which
    the bundled snapshot funds with 1,000,000 OKT (accounts 0..9)."""
    return account_from_mnemonic(TEST_MNEMONIC, path=f"m/44'/60'/0'/0/{index}")


def _stake_validators(home: Home, chain_id: str, names: list[str], keys: list[ValidatorKey]) -> None:
    """Each validator declared by a gentx its operator signs, collected into the genesis like an operator
    would (``genesis add-validator`` / ``collect``), so each is a staking validator from block one."""
    folder = gentx_dir(home)
    folder.mkdir(parents=True)
    gentxs = []
    for i, (name, key) in enumerate(zip(names, keys, strict=True)):
        gentx = sign_gentx(operator_key(i), chain_id, name, key.public_key)
        path = folder / f"gentx-{name}.json"
        path.write_text(json.dumps(gentx.to_json(), indent=2) + "\n")
        gentxs.append((path, gentx))
    doc = load_genesis(home.genesis_file)
    try:
        validators = checked_gentxs(doc, gentxs)
    except CLIError as exc:
        raise TestnetError(
            f"{exc}\nthe snapshot must fund Hardhat accounts 0..{len(names) - 1} of the test mnemonic "
            "(the validators' operators) with at least the minimum self-deposit"
        ) from None
    write_genesis(replace(doc.header, validators=tuple(validators)), doc.accounts, home.genesis_file)


def load_manifest(directory: Path) -> list[LocalnetNode]:
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text())
        return [LocalnetNode.from_json(n) for n in data["nodes"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TestnetError(f"cannot read {path}: {exc}; create the network with `okchaind testnet`") from exc


def manifest_chain_id(directory: Path) -> str | None:
    """The chain id ``okchaind testnet`` recorded (None in a manifest that has none)."""
    try:
        chain_id = json.loads((directory / MANIFEST).read_text()).get("chain_id")
    except (OSError, ValueError, AttributeError):
        return None
    return chain_id if isinstance(chain_id, str) else None


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("testnet", help="homes for an N-validator local network on one machine")
    p.add_argument("--validators", type=POSITIVE, default=4, help="genesis validators, equal power")
    p.add_argument("--output", type=Path, required=True, help="empty or new folder for node0..nodeK homes")
    p.add_argument("--full-nodes", type=COUNT, default=0, help="extra nodes whose key is not in the genesis")
    p.add_argument("--chain-id", default="okchain-localnet-1")
    p.add_argument("--snapshot", type=Path, default=BUNDLED_SNAPSHOT, help="OKB holder snapshot CSV")
    p.add_argument("--base-p2p-port", type=PORT, default=26656, help="node I listens on base + I")
    p.add_argument("--base-grpc-port", type=PORT, default=9090, help="node I serves gRPC on base + I")
    p.add_argument("--block-time-ms", type=POSITIVE, default=1000, help="commit delay between heights")
    p.add_argument("--host", default="127.0.0.1", help="address every node listens on and dials")
    p.add_argument("--params", help="JSON file of chain params, e.g. short epochs (default: built-in)")
    p.set_defaults(func=cmd_testnet)

    status = sub.add_parser("testnet-status", help="one line per node of a localnet: pid, height, peers")
    status.add_argument("--dir", type=Path, required=True, help="the folder `okchaind testnet` wrote")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    status.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for each node")
    status.set_defaults(func=cmd_status)


def cmd_testnet(args: argparse.Namespace) -> int:
    spec = TestnetSpec(
        output=args.output,
        validators=args.validators,
        full_nodes=args.full_nodes,
        chain_id=args.chain_id,
        snapshot=args.snapshot,
        base_p2p_port=args.base_p2p_port,
        base_grpc_port=args.base_grpc_port,
        block_time_ms=args.block_time_ms,
        host=args.host,
        params=load_params(args.params),
    )
    nodes = create_testnet(spec)
    print_json({"output": str(args.output), "chain_id": spec.chain_id, "nodes": [n.to_json() for n in nodes]})
    return 0


def pid_file(directory: Path, node: LocalnetNode) -> Path:
    """Where ``scripts/localnet start`` records the node's process id."""
    return directory / f"{node.name}.pid"


def running_pid(path: Path) -> int | None:
    """The pid in ``path`` if that process is alive."""
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def node_status(directory: Path, node: LocalnetNode, timeout: float) -> dict[str, object]:
    """What one node reports over gRPC NodeService.NodeInfo; ``error`` says why it could not be asked."""
    out: dict[str, object] = {"name": node.name, "role": "validator" if node.validator else "full"}
    out["pid"] = running_pid(pid_file(directory, node))
    client = Client(node.grpc, timeout)
    try:
        info = client.call(client.node.NodeInfo, query_pb2.NodeInfoRequest())
    except CLIError as exc:
        out["error"] = f"{node.grpc}: {str(exc).split(':', 1)[0]}"  # the status code name
        return out
    finally:
        client.channel.close()
    if info.node_id != node.node_id:  # another process holds the port this node should have bound
        out["error"] = (
            f"{node.grpc} answers as node {info.node_id or '?'} of chain {info.chain_id!r}, not as "
            f"{node.name} ({node.node_id}) of this localnet"
        )
        return out
    chain_id = manifest_chain_id(directory)
    if chain_id is not None and info.chain_id != chain_id:  # a home re-made for another chain, say
        out["error"] = f"{node.grpc} serves chain {info.chain_id!r}, not this localnet's {chain_id!r}"
        return out
    out.update(
        height=info.latest_height,
        app_hash=info.app_hash.hex(),
        block_hash=info.latest_block_hash.hex(),
        peers=info.peers,
        catching_up=info.catching_up,
    )
    return out


def status_line(s: dict[str, object]) -> str:
    pid = s["pid"]
    head = f"{s['name']:<8}{s['role']:<10}{'pid ' + str(pid) if pid else 'stopped':<12}"
    if "error" in s:
        return head + f"unreachable ({s['error']})"
    app_hash = str(s["app_hash"])[:16]
    syncing = "catching up" if s["catching_up"] else "in consensus"
    return head + f"height {s['height']:<8}app {app_hash:<18}peers {s['peers']:<4}{syncing}"


def cmd_status(args: argparse.Namespace) -> int:
    """Exit 0 only if every node answered, so scripts can wait on it."""
    statuses = [node_status(args.dir, n, args.timeout) for n in load_manifest(args.dir)]
    if args.json:
        print_json(statuses)
    else:
        for s in statuses:
            print(status_line(s))
    return 0 if all("error" not in s for s in statuses) else 1
