"""``okchaind tx distribution withdraw-rewards`` and ``okchaind query distribution/mint …``."""

import argparse
from collections.abc import Callable
from typing import Any

from okchain._pb.distribution.v1 import query_pb2 as dist_pb2
from okchain._pb.mint.v1 import query_pb2 as mint_pb2
from okchain.cli.client import Client, add_node_arg, message_json, print_json
from okchain.cli.common import address_arg
from okchain.cli.signing import add_tx_flags, send_and_report
from okchain.modules.distribution.messages import WithdrawRewards

WITHDRAW_GAS_LIMIT = 100_000  # the message's gas with the tx's base gas and bytes


def register_tx(tx_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    group = tx_sub.add_parser("distribution", help="withdraw staking rewards and commission")
    sub = group.add_subparsers(dest="distribution_command", required=True)
    withdraw = sub.add_parser(
        "withdraw-rewards", help="pay your staking rewards (and commission, for an operator) to your account"
    )
    withdraw.add_argument("sender", metavar="FROM", help="keyring key name")
    withdraw.add_argument("--validator", default=None, help="only the rewards from this operator's validator")
    add_tx_flags(withdraw, WITHDRAW_GAS_LIMIT)
    withdraw.set_defaults(func=_withdraw)


def _withdraw(args: argparse.Namespace) -> int:
    validator = None if args.validator is None else address_arg(args.validator)
    return send_and_report(args, WithdrawRewards(validator))


def register_query(q_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    group = q_sub.add_parser("distribution", help="rewards, commission, community pool, params")
    sub = group.add_subparsers(dest="distribution_query", required=True)
    rewards = sub.add_parser("rewards", help="an account's pending staking rewards and commission")
    rewards.add_argument("address", metavar="ADDRESS")
    validator = sub.add_parser(
        "validator-rewards", help="what a validator's stakers are owed; its commission"
    )
    validator.add_argument("operator", metavar="OPERATOR")
    queries: list[tuple[argparse.ArgumentParser, Callable[[Client, argparse.Namespace], Any]]] = [
        (rewards, lambda c, a: c.call(c.distribution.Rewards, dist_pb2.RewardsRequest(address=a.address))),
        (
            validator,
            lambda c, a: c.call(
                c.distribution.ValidatorRewards, dist_pb2.ValidatorRewardsRequest(operator=a.operator)
            ),
        ),
        (
            sub.add_parser("community-pool", help="the community pool's OKT"),
            lambda c, a: c.call(c.distribution.CommunityPool, dist_pb2.CommunityPoolRequest()),
        ),
        (
            sub.add_parser("params", help="community tax and the signers' share"),
            lambda c, a: c.call(c.distribution.Params, dist_pb2.ParamsRequest()),
        ),
    ]
    mint = q_sub.add_parser("mint", help="the OKT minted per block")
    mint_sub = mint.add_subparsers(dest="mint_query", required=True)
    queries += [
        (
            mint_sub.add_parser("params", help="initial provision, blocks per year, halving interval"),
            lambda c, a: c.call(c.mint.Params, mint_pb2.ParamsRequest()),
        ),
        (
            mint_sub.add_parser("reward", help="what the next block mints"),
            lambda c, a: c.call(c.mint.Reward, mint_pb2.RewardRequest()),
        ),
    ]
    for parser, ask in queries:
        add_node_arg(parser)
        parser.set_defaults(func=_printer(ask))


def _printer(ask: Callable[[Client, argparse.Namespace], Any]) -> Callable[[argparse.Namespace], int]:
    """A query command: one call, its response printed as JSON (heights as strings, like every amount)."""

    def run(args: argparse.Namespace) -> int:
        response = message_json(ask(Client(args.node, args.timeout), args))
        print_json(response)
        return 0

    return run
