"""``okchaind`` entry point: every command module is registered from the tables in ``build_parser``.

Command modules never import each other: the ``tx`` and ``query`` groups are made here and each module adds
its subcommands to them, so adding a module means one line in a table.
"""

import argparse
import sys
from collections.abc import Sequence
from typing import TypeAlias

from okchain.errors import OKChainError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def build_parser() -> argparse.ArgumentParser:
    from okchain.cli import (
        dex_cmd,
        distribution_cmd,
        genesis_cmd,
        keys_cmd,
        node_cmd,
        query_cmd,
        slashing_cmd,
        snapshot_cmd,
        staking_cmd,
        status_cmd,
        testnet_cmd,
        token_cmd,
        tx_cmd,
    )

    parser = argparse.ArgumentParser(prog="okchaind", description="OKChain node and client")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (node_cmd, keys_cmd, genesis_cmd):
        module.register(sub)
    tx = _group(sub, "tx", "sign and broadcast transactions")
    for module in (tx_cmd, token_cmd, dex_cmd, staking_cmd, slashing_cmd, distribution_cmd):
        module.register_tx(tx)
    query = _group(sub, "query", "query the chain")
    for module in (query_cmd, token_cmd, dex_cmd, staking_cmd, slashing_cmd, distribution_cmd):
        module.register_query(query)
    for module in (snapshot_cmd, testnet_cmd, status_cmd):
        module.register(sub)
    return parser


def _group(sub: Subparsers, name: str, help: str) -> Subparsers:
    return sub.add_parser(name, help=help).add_subparsers(dest=f"{name}_command", required=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except OKChainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
