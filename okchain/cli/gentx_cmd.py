"""``okchaind genesis add-validator|collect``: genesis supernodes staked from their holders' migrated OKT.

``add-validator`` signs a gentx with a keyring key (an OKB holder's key, imported from its keystore) for
this home's consensus key; ``collect`` checks every gentx of a folder against the genesis and makes them the
genesis validators, each with the power its minimum self-deposit gives.
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

from okchain.cli.common import CLIError, add_home_arg, add_password_file_arg, read_password
from okchain.crypto.address import to_checksum
from okchain.crypto.keyring import Keyring
from okchain.genesis.document import GenesisDoc, GenesisValidator, load_genesis
from okchain.genesis.gentx import GenTx, read_gentx, sign_gentx
from okchain.genesis.writer import write_genesis
from okchain.modules.staking.genesis import genesis_power
from okchain.node.home import Home


def gentx_dir(home: Home) -> Path:
    return home.root / "config" / "gentx"


def _balances(doc: GenesisDoc) -> dict[bytes, int]:
    return {account.address: account.balance for account in doc.accounts}


def _funding_problem(doc: GenesisDoc, balances: dict[bytes, int], operator: bytes) -> str | None:
    least = doc.header.params.staking_min_self_deposit
    held = balances.get(operator, 0)
    if held < least:
        return (
            f"operator {to_checksum(operator)} holds {held} OKT base units in genesis, less than the minimum "
            f"self-deposit {least}"
        )
    return None


def cmd_add_validator(args: argparse.Namespace) -> int:
    home = Home(args.home)
    doc = load_genesis(home.genesis_file)
    key = Keyring(home.root).load(args.key, read_password(args, f"Password for key {args.key!r}: "))
    problem = _funding_problem(doc, _balances(doc), key.address)
    if problem:
        raise CLIError(problem)
    moniker = args.moniker or home.root.name
    gentx = sign_gentx(key, doc.header.chain_id, moniker, home.read_validator_key().public_key)
    out = Path(args.out) if args.out else gentx_dir(home) / f"gentx-{moniker}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(gentx.to_json(), indent=2) + "\n")
    print(json.dumps({"gentx": str(out), **gentx.body()}, indent=2))
    return 0


def checked_gentxs(doc: GenesisDoc, gentxs: list[tuple[Path, GenTx]]) -> list[GenesisValidator]:
    """The genesis validators ``gentxs`` declare, or a ``CLIError`` naming every file that is wrong."""
    balances = _balances(doc)
    header = doc.header
    power = genesis_power(header.params, int(header.genesis_time.timestamp()) * 10**9)
    problems: list[str] = []
    seen: dict[object, Path] = {}
    out: list[GenesisValidator] = []
    for path, gentx in gentxs:
        found = [
            gentx.signer_problem(),
            None
            if gentx.chain_id == header.chain_id
            else f"chain id {gentx.chain_id!r} is not {header.chain_id!r}",
            _funding_problem(doc, balances, gentx.operator),
        ]
        for what, value in (("operator", gentx.operator), ("consensus key", gentx.consensus_pubkey),
                            ("moniker", gentx.moniker)):  # fmt: skip
            if (what, value) in seen:
                found.append(f"the same {what} as {seen[(what, value)]}")
            seen[(what, value)] = path
        problems += [f"{path}: {p}" for p in found if p]
        out.append(GenesisValidator(gentx.moniker, gentx.consensus_pubkey, power, gentx.operator))
    if problems:
        raise CLIError("gentx files refused:\n  " + "\n  ".join(problems))
    if not out:
        raise CLIError("no gentx files to collect")
    return out


def cmd_collect(args: argparse.Namespace) -> int:
    home = Home(args.home)
    folder = Path(args.gentx_dir) if args.gentx_dir else gentx_dir(home)
    paths = sorted(folder.glob("*.json"))
    doc = load_genesis(home.genesis_file)
    validators = checked_gentxs(doc, [(path, read_gentx(path)) for path in paths])
    write_genesis(replace(doc.header, validators=tuple(validators)), doc.accounts, home.genesis_file)
    print(
        json.dumps(
            {"genesis": str(home.genesis_file), "validators": [v.to_json() for v in validators]}, indent=2
        )
    )
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    add = commands.add_parser(
        "add-validator",
        help="sign a gentx: this home's consensus key, staked from a keyring key's genesis OKT",
    )
    add_home_arg(add)
    add_password_file_arg(add)
    add.add_argument("--key", required=True, help="keyring key of the operator (an OKB holder's key)")
    add.add_argument("--moniker", help="validator name (default: the home folder's name)")
    add.add_argument("--out", help="gentx file to write (default: <home>/config/gentx/gentx-<moniker>.json)")
    add.set_defaults(func=cmd_add_validator)
    collect = commands.add_parser("collect", help="check gentx files and make them the genesis validators")
    add_home_arg(collect)
    collect.add_argument("--gentx-dir", help="folder of gentx files (default: <home>/config/gentx)")
    collect.set_defaults(func=cmd_collect)
