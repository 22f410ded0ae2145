"""In-process nodes for the node tests: homes sharing one genesis with N validators, run inside trio."""

import dataclasses
from pathlib import Path

import trio
from conftest import CHAIN_ID, funded_keys, write_snapshot

from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisValidator
from okchain.genesis.migrate import migrate_snapshot
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.node import Node

KEYS = funded_keys(8)

FAST = NodeConfig(
    block_time_ms=100,
    timeout_propose_ms=1_000,
    timeout_prevote_ms=300,
    timeout_precommit_ms=300,
    timeout_delta_ms=200,
    signature_workers=0,  # no worker processes in unit tests
    grpc_listen="127.0.0.1:0",
    p2p_listen="127.0.0.1:0",
    pex=False,
)


def make_homes(
    directory: Path, validators: int, *, full_nodes: int = 0, keys: list[AccountKey] = KEYS
) -> list[Home]:
    """``validators`` validator homes plus ``full_nodes`` homes whose key is in no genesis set."""
    vkeys = [ValidatorKey(bytes([i + 1]) * 32) for i in range(validators + full_nodes)]
    snapshot = directory / "snapshot.csv"
    write_snapshot(snapshot, keys)
    genesis = directory / "genesis.json"
    migrate_snapshot(
        snapshot,
        CHAIN_ID,
        genesis,
        validators=[GenesisValidator(f"v{i}", k.public_key, 10) for i, k in enumerate(vkeys[:validators])],
    )
    homes = []
    for i, key in enumerate(vkeys):
        home = Home(directory / f"node{i}")
        home.genesis_file.parent.mkdir(parents=True)
        home.genesis_file.write_bytes(genesis.read_bytes())
        home.write_validator_key(key)
        home.config_file.write_text(FAST.to_toml())
        homes.append(home)
    return homes


async def wait_for_height(nodes: list[Node], height: int, timeout_s: float = 20.0) -> None:
    with trio.fail_after(timeout_s):
        while min(n.app.last.height for n in nodes) < height:
            await trio.sleep(0.02)


def config(**changes: object) -> NodeConfig:
    return dataclasses.replace(FAST, **changes)  # type: ignore[arg-type]
