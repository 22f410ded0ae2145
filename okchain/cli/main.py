"""``okchaind`` entry point: each command group lives in its own module and registers itself here."""

import argparse
import sys
from collections.abc import Sequence

from okchain.errors import OKChainError


def build_parser() -> argparse.ArgumentParser:
    from okchain.cli import genesis_cmd, keys_cmd, node_cmd, query_cmd, snapshot_cmd, testnet_cmd, tx_cmd

    parser = argparse.ArgumentParser(prog="okchaind", description="OKChain node and client")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (node_cmd, keys_cmd, genesis_cmd, tx_cmd, query_cmd, snapshot_cmd, testnet_cmd):
        module.register(sub)
    return parser


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
