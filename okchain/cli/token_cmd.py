"""``okchaind tx token issue|mint|burn|transfer-ownership`` and ``okchaind query token DENOM|tokens``."""

import argparse

from okchain._pb.node.v1 import query_pb2 as query_pb2_node
from okchain._pb.token.v1 import query_pb2, token_pb2
from okchain.cli.amounts import format_amount, parse_display_number
from okchain.cli.client import Client, add_node_arg, print_json
from okchain.cli.common import CLIError
from okchain.cli.signing import add_tx_flags, send_and_report, user_amount
from okchain.crypto.address import parse_address
from okchain.modules.token.messages import BurnToken, IssueToken, MintToken, TransferOwnership
from okchain.tx.registry import Msg
from okchain.types.amount import AmountError

TOKEN_GAS_LIMIT = 100_000  # covers the largest token message (issue) with its bytes


def register_tx(tx_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    token = tx_sub.add_parser("token", help="issue, mint, burn tokens and transfer their ownership")
    sub = token.add_subparsers(dest="token_command", required=True)
    issue = sub.add_parser("issue", help="issue a new token; its denom is SYMBOL-xyz (from the tx hash)")
    issue.add_argument("sender", metavar="FROM", help="keyring key name (the owner; pays the issue fee)")
    issue.add_argument("--symbol", required=True, help="1-6 of a-z, 0-9, starting with a letter")
    issue.add_argument("--name", required=True, help="1-30 ASCII letters, digits and spaces")
    issue.add_argument(
        "--total-supply", required=True, help="whole tokens, up to 18 decimals (e.g. 1000000 or 2.5)"
    )
    issue.add_argument("--mintable", action="store_true", help="the owner may mint more later")
    mint = sub.add_parser("mint", help="owner of a mintable token mints AMOUNT (like 100xyz-a1f) to itself")
    burn = sub.add_parser("burn", help="destroy AMOUNT (like 5xyz-a1f or 1.5okt) of your own balance")
    for p in (mint, burn):
        p.add_argument("sender", metavar="FROM", help="keyring key name")
        p.add_argument("amount", metavar="AMOUNT")
    transfer = sub.add_parser("transfer-ownership", help="hand a token you own to NEW_OWNER")
    transfer.add_argument("sender", metavar="FROM", help="keyring key name (the current owner)")
    transfer.add_argument("denom", metavar="DENOM")
    transfer.add_argument("new_owner", metavar="NEW_OWNER", help="0x… or ok1… address")
    for p, fn in ((issue, _issue), (mint, _mint), (burn, _burn), (transfer, _transfer)):
        add_tx_flags(p, TOKEN_GAS_LIMIT)
        p.set_defaults(func=fn)


def register_query(q_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    one = q_sub.add_parser("token", help="a token's owner, flags and supply (okt included)")
    one.add_argument("denom", metavar="DENOM")
    every = q_sub.add_parser("tokens", help="every issued token, ordered by denom")
    for p, fn in ((one, _token), (every, _tokens)):
        add_node_arg(p)
        p.set_defaults(func=fn)


def _issued_denom(resp: query_pb2_node.BroadcastTxResponse) -> dict[str, object]:
    """The denom an issue tx created, read from its ``issue_token`` event."""
    out: dict[str, object] = {}
    for event in resp.result.events:
        if event.type == "issue_token":
            out["denom"] = next(a.value for a in event.attributes if a.key == "denom")
    return out


def _send(args: argparse.Namespace, msg: Msg) -> int:
    return send_and_report(args, msg, _issued_denom)


def _issue(args: argparse.Namespace) -> int:
    try:
        supply = parse_display_number(args.total_supply)
    except AmountError as exc:
        raise CLIError(f"--total-supply: {exc}") from None
    return _send(args, IssueToken(args.symbol, args.name, supply, args.mintable))


def _mint(args: argparse.Namespace) -> int:
    amount, denom = user_amount(args.amount)
    return _send(args, MintToken(denom, amount))


def _burn(args: argparse.Namespace) -> int:
    amount, denom = user_amount(args.amount)
    return _send(args, BurnToken(denom, amount))


def _transfer(args: argparse.Namespace) -> int:
    try:
        new_owner = parse_address(args.new_owner)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    return _send(args, TransferOwnership(args.denom, new_owner))


def token_json(t: token_pb2.Token) -> dict[str, object]:
    return {
        "denom": t.denom,
        "symbol": t.symbol,
        "name": t.name,
        "owner": t.owner,
        "mintable": t.mintable,
        "original_supply": t.original_supply,
        "supply": t.supply,
        "supply_display": format_amount(int(t.supply), t.denom),  # exact; supply stays base units
    }


def _token(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.token.Token, query_pb2.TokenRequest(denom=args.denom))
    print_json({**token_json(r.token), "height": str(r.height)})
    return 0


def _tokens(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    pages = c.pages(c.token.Tokens, lambda token: query_pb2.TokensRequest(page_token=token))
    print_json({"tokens": [token_json(t) for r in pages for t in r.tokens], "height": str(pages[-1].height)})
    return 0
