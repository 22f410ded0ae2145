"""``okchaind tx send FROM TO AMOUNT``: transfer OKT or a token."""

import argparse

from okchain.cli.common import CLIError
from okchain.cli.signing import add_tx_flags, send_and_report, user_amount
from okchain.crypto.address import parse_address, to_checksum
from okchain.modules.bank.messages import Transfer


def register_tx(tx_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    send = tx_sub.add_parser(
        "send",
        help="transfer OKT or a token: AMOUNT like 1.5okt, 2xyz-a1f (display units) or 1500 (OKT base units)",
    )
    send.add_argument("sender", metavar="FROM", help="keyring key name")
    send.add_argument("to", metavar="TO", help="0x… or ok1… address")
    send.add_argument("amount", metavar="AMOUNT")
    add_tx_flags(send)
    send.set_defaults(func=cmd_send)


def cmd_send(args: argparse.Namespace) -> int:
    try:
        to = parse_address(args.to)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    amount, denom = user_amount(args.amount)
    sent: dict[str, object] = {"to": to_checksum(to), "amount": str(amount), "denom": denom}
    return send_and_report(args, Transfer(to, denom, amount), lambda resp: sent)
