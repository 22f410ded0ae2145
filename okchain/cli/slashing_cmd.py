"""``okchaind tx slashing unjail`` and ``okchaind query slashing signing-info|params``."""

import argparse

from google.protobuf.json_format import MessageToDict

from okchain._pb.slashing.v1 import query_pb2
from okchain.cli.client import Client, add_node_arg, print_json
from okchain.cli.common import CLIError
from okchain.cli.signing import add_tx_flags, send_and_report
from okchain.modules.slashing.messages import Unjail

UNJAIL_GAS_LIMIT = 100_000


def register_tx(tx_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    slashing = tx_sub.add_parser("slashing", help="unjail a validator jailed for downtime")
    sub = slashing.add_subparsers(dest="slashing_command", required=True)
    unjail = sub.add_parser("unjail", help="rank your jailed validator again once its jail time is over")
    unjail.add_argument("sender", metavar="FROM", help="keyring key name of the operator")
    add_tx_flags(unjail, UNJAIL_GAS_LIMIT)
    unjail.set_defaults(func=lambda args: send_and_report(args, Unjail()))


def register_query(q_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    slashing = q_sub.add_parser("slashing", help="signing records and slashing parameters")
    sub = slashing.add_subparsers(dest="slashing_query", required=True)
    info = sub.add_parser("signing-info", help="missed blocks, jail and tombstone of a validator")
    info.add_argument(
        "validator", metavar="OPERATOR_OR_PUBKEY", help="operator 0x… address or hex consensus key"
    )
    params = sub.add_parser("params", help="window, minimum signed, jail time, double-sign slash, evidence")
    for p, fn in ((info, _signing_info), (params, _params)):
        add_node_arg(p)
        p.set_defaults(func=fn)


def _request(text: str) -> query_pb2.SigningInfoRequest:
    if text.startswith(("0x", "ok1")) and len(text) < 64:
        return query_pb2.SigningInfoRequest(operator=text)
    try:
        return query_pb2.SigningInfoRequest(consensus_pubkey=bytes.fromhex(text))
    except ValueError:
        raise CLIError(f"{text!r} is neither an operator address nor a hex consensus key") from None


def _signing_info(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.slashing.SigningInfo, _request(args.validator))
    info = MessageToDict(r.info, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    print_json({**info, "consensus_pubkey": r.info.consensus_pubkey.hex(), "height": str(r.height)})
    return 0


def _params(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.slashing.Params, query_pb2.ParamsRequest())
    print_json(MessageToDict(r, preserving_proto_field_name=True, always_print_fields_with_no_presence=True))
    return 0
