"""``okchaind tx send FROM TO AMOUNT``: sign with a keyring key and broadcast over gRPC."""

import argparse

from okchain._pb.node.v1 import query_pb2
from okchain.cli.client import Client, add_node_arg, print_json, result_json
from okchain.cli.common import UINT64, CLIError, add_home_arg, add_password_file_arg, read_password
from okchain.crypto.address import parse_address, to_checksum
from okchain.crypto.keyring import Keyring
from okchain.modules.bank.messages import Transfer
from okchain.types.amount import parse_amount, parse_user_amount
from okchain.types.tx import build_tx

DEFAULT_GAS_LIMIT = 50_000


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    tx = sub.add_parser("tx", help="sign and broadcast transactions")
    tx_sub = tx.add_subparsers(dest="tx_command", required=True)
    send = tx_sub.add_parser(
        "send", help="transfer OKT: AMOUNT like 1.5okt (display units) or 1500 (base units)"
    )
    send.add_argument("sender", metavar="FROM", help="keyring key name")
    send.add_argument("to", metavar="TO", help="0x… or ok1… address")
    send.add_argument("amount", metavar="AMOUNT")
    send.add_argument("--gas-limit", type=UINT64, default=DEFAULT_GAS_LIMIT)
    send.add_argument(
        "--fee", default=None, help="fee in base units (default: gas limit × node min gas price)"
    )
    send.add_argument(
        "--nonce", type=UINT64, default=None, help="default: the account's next nonce from the node"
    )
    send.add_argument("--memo", default="")
    send.add_argument(
        "--async", dest="wait", action="store_false", help="return after check, do not wait for commit"
    )
    add_home_arg(send)
    add_password_file_arg(send)
    add_node_arg(send)
    send.set_defaults(func=cmd_send)


def cmd_send(args: argparse.Namespace) -> int:
    try:
        to = parse_address(args.to)
        amount, denom = parse_user_amount(args.amount)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if amount == 0:
        raise CLIError("amount must be positive")
    key = Keyring(args.home).load(args.sender, read_password(args, f"Password for key {args.sender!r}: "))
    client = Client(args.node, args.timeout)
    info = client.call(client.node.NodeInfo, query_pb2.NodeInfoRequest())
    nonce = args.nonce
    if nonce is None:
        account = client.call(
            client.query.Account, query_pb2.AccountRequest(address=to_checksum(key.address))
        )
        nonce = account.pending_nonce
    fee = parse_amount(args.fee, what="fee") if args.fee else args.gas_limit * int(info.min_gas_price)
    raw = build_tx(
        key,
        chain_id=info.chain_id,
        nonce=nonce,
        msgs=[Transfer(to, denom, amount)],
        gas_limit=args.gas_limit,
        fee=fee,
        memo=args.memo,
    )
    mode = query_pb2.BROADCAST_MODE_COMMIT if args.wait else query_pb2.BROADCAST_MODE_SYNC
    timeout_ms = int(args.timeout * 800)  # the node answers before this client's own deadline
    resp = client.call(
        client.tx.BroadcastTx, query_pb2.BroadcastTxRequest(tx=raw, mode=mode, timeout_ms=timeout_ms)
    )
    print_json(
        {
            "tx_hash": resp.tx_hash.hex(),
            "committed": resp.committed,
            "height": str(resp.height),
            "from": to_checksum(key.address),
            "to": to_checksum(to),
            "amount": str(amount),
            "denom": denom,
            "result": result_json(resp.result),
        }
    )
    return 0 if resp.result.code == 0 else 1
