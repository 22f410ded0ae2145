"""Funded dev keys, genesis documents and OKB snapshots for tests and benchmarks."""

import datetime as dt
import socket
from pathlib import Path

from okchain.crypto.address import to_checksum
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisAccount, GenesisDoc, GenesisHeader, GenesisValidator
from okchain.types.params import ChainParams

CHAIN_ID = "okchain-test-1"


OKT = 10**18


REPO = Path(__file__).resolve().parents[2]


DEV_MNEMONIC = "test test test test test test test test test test test junk"  # Hardhat/MetaMask test phrase


def funded_keys(n: int) -> list[AccountKey]:
    """Deterministic test keys (secret = i+1 as 32 bytes)."""
    return [AccountKey((i + 1).to_bytes(32, "big")) for i in range(n)]


# The module tests' chain mints nothing, so their supply checks stay exact; the mint, distribution and
# slashing tests set their own params with the default mint.
NO_MINT = ChainParams(mint_initial_per_block=0)


def make_genesis(
    keys: list[AccountKey], validator: ValidatorKey, balance: int = 1_000_000 * OKT
) -> GenesisDoc:
    header = GenesisHeader(
        chain_id=CHAIN_ID,
        genesis_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        validators=(GenesisValidator("v0", validator.public_key, 10),),
        params=NO_MINT,
    )
    accounts = tuple(sorted((GenesisAccount(k.address, balance) for k in keys), key=lambda a: a.address))
    return GenesisDoc(header, accounts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_snapshot(path: Path, keys: list[AccountKey], balance: int = 1_000_000 * OKT) -> None:
    path.write_text("address,amount\n" + "".join(f"{to_checksum(k.address)},{balance}\n" for k in keys))
