"""``okchaind tx staking …`` (become a supernode, deposit, vote, proxies) and ``okchaind query staking …``."""

import argparse
from collections.abc import Callable
from typing import Any

from okchain._pb.staking.v1 import query_pb2
from okchain.cli.amounts import parse_display_number
from okchain.cli.client import (
    Client,
    add_height_arg,
    add_node_arg,
    add_verify_args,
    agree,
    message_json,
    print_json,
    proven_json,
)
from okchain.cli.common import CLIError, address_arg
from okchain.cli.signing import add_tx_flags, send_and_report, user_amount
from okchain.modules.staking.messages import (
    BindProxy,
    CreateValidator,
    Deposit,
    Description,
    DestroyValidator,
    EditValidator,
    RegisterProxy,
    UnbindProxy,
    UnregisterProxy,
    Vote,
    Withdraw,
)
from okchain.modules.staking.queries import STATUSES
from okchain.node.home import Home
from okchain.tx.registry import Msg
from okchain.types.amount import AmountError
from okchain.types.params import OKT_DENOM

STAKING_GAS_LIMIT = 200_000  # the largest staking message (a vote for 30 validators) with its bytes


def register_tx(tx_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    staking = tx_sub.add_parser("staking", help="become a supernode, deposit and withdraw OKT, vote, proxies")
    sub = staking.add_subparsers(dest="staking_command", required=True)
    create = _command(
        sub, "create-validator", "lock the minimum self-deposit and become a validator candidate"
    )
    _description_args(create, required=True)
    create.add_argument(
        "--consensus-pubkey",
        default=None,
        help="hex ed25519 key the validator signs blocks with (default: the validator key of --home)",
    )
    create.add_argument("--commission-rate", required=True, help="a fraction, like 0.1 for 10%%")
    create.add_argument("--max-rate", required=True, help="the highest commission it may ever set")
    create.add_argument("--max-change-rate", required=True, help="the most one change may move it")
    edit = _command(sub, "edit-validator", "change the description or the commission rate")
    _description_args(edit, required=False)
    edit.add_argument("--commission-rate", default=None, help="a fraction; at most once per 24 h")
    deposit = _command(sub, "deposit", "put AMOUNT of OKT (like 100okt) into staking")
    withdraw = _command(sub, "withdraw", "start unbonding AMOUNT of OKT; it returns after the period")
    for p in (deposit, withdraw):
        p.add_argument("amount", metavar="AMOUNT")
    vote = _command(sub, "vote", "give every named validator your full shares (replaces your vote)")
    vote.add_argument("validators", metavar="VALIDATOR", nargs="+", help="operator addresses, 0x… or ok1…")
    bind = _command(sub, "bind-proxy", "let PROXY vote with your deposit")
    bind.add_argument("proxy", metavar="PROXY")
    plain: dict[str, tuple[str, Callable[[], Msg]]] = {
        "register-proxy": ("vote for accounts that bind to you", RegisterProxy),
        "unregister-proxy": ("stop being a proxy; every bound account is unbound", UnregisterProxy),
        "unbind-proxy": ("vote with your own deposit again", UnbindProxy),
        "destroy-validator": ("leave: the self-deposit starts unbonding", DestroyValidator),
    }
    handlers: list[tuple[argparse.ArgumentParser, Callable[[argparse.Namespace], int]]] = [
        (create, _create),
        (edit, _edit),
        (deposit, lambda a: _send(a, Deposit(_okt(a.amount)))),
        (withdraw, lambda a: _send(a, Withdraw(_okt(a.amount)))),
        (vote, lambda a: _send(a, Vote(tuple(address_arg(v) for v in a.validators)))),
        (bind, lambda a: _send(a, BindProxy(address_arg(a.proxy)))),
    ]
    for name, (help_text, message) in plain.items():
        handlers.append((_command(sub, name, help_text), _sender_of(message)))
    for p, fn in handlers:
        add_tx_flags(p, STAKING_GAS_LIMIT)
        p.set_defaults(func=fn)


def _command(
    sub: "argparse._SubParsersAction[argparse.ArgumentParser]", name: str, help_text: str
) -> argparse.ArgumentParser:
    """A signing command: the keyring key that signs comes first, before the command's own arguments."""
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("sender", metavar="FROM", help="keyring key name")
    return parser


def _sender_of(message: Callable[[], Msg]) -> Callable[[argparse.Namespace], int]:
    """The handler of a command whose message has no fields."""
    return lambda args: _send(args, message())


def register_query(q_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    staking = q_sub.add_parser("staking", help="validators, a validator, a voter, params, the pool")
    sub = staking.add_subparsers(dest="staking_query", required=True)
    every = sub.add_parser("validators", help="every validator by shares, most first")
    every.add_argument("--status", default="", choices=("", *STATUSES), help="only validators of this status")
    one = sub.add_parser("validator", help="one validator by its operator address")
    one.add_argument("operator", metavar="OPERATOR")
    add_height_arg(one)
    add_verify_args(one)
    voter = sub.add_parser("voter", help="an account's deposit, shares, votes, proxy and unbondings")
    voter.add_argument("address", metavar="ADDRESS")
    add_height_arg(voter)
    add_verify_args(voter)
    params = sub.add_parser("params", help="the staking parameters")
    pool = sub.add_parser("pool", help="OKT bonded, unbonding and not bonded")
    simple = (
        (params, lambda c: c.call(c.staking.Params, query_pb2.ParamsRequest())),
        (pool, lambda c: c.call(c.staking.Pool, query_pb2.PoolRequest())),
    )
    for p, ask in simple:
        add_node_arg(p)
        p.set_defaults(func=lambda args, ask=ask: _print_answer(ask(Client(args.node, args.timeout))))
    for p, fn in ((every, _validators), (one, _validator), (voter, _voter)):
        add_node_arg(p)
        p.set_defaults(func=fn)


def _description_args(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--moniker", required=required, default=None)
    for name in ("identity", "website", "details"):
        parser.add_argument(f"--{name}", default=None)


def _description(args: argparse.Namespace) -> Description:
    return Description(args.moniker or "", args.identity or "", args.website or "", args.details or "")


def _rate(text: str, flag: str) -> int:
    try:
        return parse_display_number(text)
    except AmountError as exc:
        raise CLIError(f"{flag}: {exc}") from None


def _okt(text: str) -> int:
    amount, denom = user_amount(text)
    if denom != OKT_DENOM:
        raise CLIError(f"staking takes OKT, not {denom}")
    return amount


def _send(args: argparse.Namespace, msg: Msg) -> int:
    return send_and_report(args, msg)


def _create(args: argparse.Namespace) -> int:
    if args.consensus_pubkey is None:
        pubkey = Home(args.home).read_validator_key().public_key
    else:
        try:
            pubkey = bytes.fromhex(args.consensus_pubkey.removeprefix("0x"))
        except ValueError:
            raise CLIError("--consensus-pubkey must be hex") from None
    msg = CreateValidator(
        _description(args),
        pubkey,
        _rate(args.commission_rate, "--commission-rate"),
        _rate(args.max_rate, "--max-rate"),
        _rate(args.max_change_rate, "--max-change-rate"),
    )
    return _send(args, msg)


def _edit(args: argparse.Namespace) -> int:
    described = any(getattr(args, n) is not None for n in ("moniker", "identity", "website", "details"))
    if not described and args.commission_rate is None:
        raise CLIError("nothing to change: give a description flag or --commission-rate")
    rate = None if args.commission_rate is None else _rate(args.commission_rate, "--commission-rate")
    return _send(args, EditValidator(_description(args) if described else None, rate))


def _print_answer(answer: Any) -> int:
    print_json(message_json(answer))
    return 0


def _validators(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    pages = c.pages(
        c.staking.Validators, lambda token: query_pb2.ValidatorsRequest(page_token=token, status=args.status)
    )
    validators = [_validator_json(v) for r in pages for v in r.validators]
    print_json({"validators": validators, "height": str(pages[-1].height)})
    return 0


def _validator_json(v: query_pb2.ValidatorInfo) -> dict[str, object]:
    return {**message_json(v), "consensus_pubkey": v.consensus_pubkey.hex()}


def _validator(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    proven = c.verify_if(args, lambda lib: lib.verified_validator(args.operator, height=args.height))
    height = proven.height if proven else args.height
    r = c.call(c.staking.Validator, query_pb2.ValidatorRequest(operator=args.operator, height=height))
    out = {**_validator_json(r.validator), "height": str(r.height)}
    if proven:
        agree(str(proven.value.shares), r.validator.shares, "shares")
        out["verified"] = proven_json(proven)
    print_json(out)
    return 0


def _voter(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    proven = c.verify_if(args, lambda lib: lib.verified_voter(args.address, height=args.height))
    height = proven.height if proven else args.height
    r = c.call(c.staking.Voter, query_pb2.VoterRequest(address=args.address, height=height))
    out = {**message_json(r), "height": str(r.height)}
    if proven:
        agree(str(proven.value.deposit), r.deposit, "deposit")
        out["verified"] = proven_json(proven)
    print_json(out)
    return 0
