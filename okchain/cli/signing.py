"""What every signing command shares: its flags, reading an amount, signing with a keyring key and
broadcasting, and printing the outcome as JSON."""

import argparse
from collections.abc import Callable

from okchain._pb.node.v1 import query_pb2
from okchain.cli.amounts import parse_user_amount
from okchain.cli.client import Client, add_node_arg, print_json, result_json
from okchain.cli.common import UINT64, CLIError, add_home_arg, add_password_file_arg, read_password
from okchain.crypto.address import Address, to_checksum
from okchain.crypto.keyring import Keyring
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.amount import parse_amount

DEFAULT_GAS_LIMIT = 50_000


def add_tx_flags(parser: argparse.ArgumentParser, gas_limit: int = DEFAULT_GAS_LIMIT) -> None:
    """The flags every signing command shares: gas, fee, nonce, memo, wait mode, keyring and node."""
    parser.add_argument("--gas-limit", type=UINT64, default=gas_limit)
    parser.add_argument(
        "--fee", default=None, help="fee in base units (default: gas limit × node min gas price)"
    )
    parser.add_argument(
        "--nonce", type=UINT64, default=None, help="default: the account's next nonce from the node"
    )
    parser.add_argument("--memo", default="")
    parser.add_argument(
        "--async", dest="wait", action="store_false", help="return after check, do not wait for commit"
    )
    add_home_arg(parser)
    add_password_file_arg(parser)
    add_node_arg(parser)


def user_amount(text: str) -> tuple[int, str]:
    """A positive amount as a person types it (``1.5okt``, ``2xyz-a1f``, ``1500``), or a CLI error."""
    try:
        amount, denom = parse_user_amount(text)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if amount == 0:
        raise CLIError("amount must be positive")
    return amount, denom


def sign_and_broadcast(
    args: argparse.Namespace, key_name: str, msgs: list[Msg]
) -> tuple[Address, query_pb2.BroadcastTxResponse]:
    """Sign ``msgs`` with keyring key ``key_name`` using the shared tx flags; returns (signer, response)."""
    key = Keyring(args.home).load(key_name, read_password(args, f"Password for key {key_name!r}: "))
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
        key, chain_id=info.chain_id, nonce=nonce, msgs=msgs, gas_limit=args.gas_limit, fee=fee, memo=args.memo
    )
    mode = query_pb2.BROADCAST_MODE_COMMIT if args.wait else query_pb2.BROADCAST_MODE_SYNC
    timeout_ms = int(args.timeout * 800)  # the node answers before this client's own deadline
    resp = client.call(
        client.tx.BroadcastTx, query_pb2.BroadcastTxRequest(tx=raw, mode=mode, timeout_ms=timeout_ms)
    )
    return key.address, resp


def broadcast_json(signer: Address, resp: query_pb2.BroadcastTxResponse) -> dict[str, object]:
    return {
        "tx_hash": resp.tx_hash.hex(),
        "committed": resp.committed,
        "height": str(resp.height),
        "from": to_checksum(signer),
        "result": result_json(resp.result),
    }


def send_and_report(
    args: argparse.Namespace,
    msg: Msg,
    details: Callable[[query_pb2.BroadcastTxResponse], dict[str, object]] = lambda resp: {},
) -> int:
    """Sign ``msg`` with the ``sender`` key, broadcast it and print the outcome as JSON, with ``details`` of
    the response added (a new denom, order ids, …); exit status 0 only if the tx succeeded."""
    signer, resp = sign_and_broadcast(args, args.sender, [msg])
    print_json({**broadcast_json(signer, resp), **details(resp)})
    return 0 if resp.result.code == 0 else 1
