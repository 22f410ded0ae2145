"""``okchaind query account|balance|balances|supply|tx|block|node|proof``: read the chain, print JSON."""

import argparse
from pathlib import Path

from okchain._pb.node.v1 import query_pb2
from okchain.cli.amounts import format_okt
from okchain.cli.client import (
    Client,
    add_height_arg,
    add_node_arg,
    add_verify_args,
    agree,
    header_json,
    print_json,
    proven_json,
    result_json,
)
from okchain.cli.common import UINT64, CLIError
from okchain.client.core import hash_of
from okchain.client.errors import ClientError
from okchain.client.verify import verified_app_hash
from okchain.crypto.hashing import sha256
from okchain.state.merkle_proof import Proof, verify_proof
from okchain.types.params import OKT_DENOM


def register_query(q: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    for name, fn, arg in (
        ("account", _account, "address"),
        ("balance", _balance, "address"),
        ("balances", _balances, "address"),
        ("tx", _tx, "hash"),
    ):
        p = q.add_parser(name)
        p.add_argument(arg)
        if name == "balance":
            p.add_argument("--denom", default="okt")
        if name != "tx":
            add_height_arg(p)
        if name in ("account", "balance"):
            add_verify_args(p)
        add_node_arg(p)
        p.set_defaults(func=fn)
    supply = q.add_parser("supply")
    supply.add_argument("--denom", default="okt")
    add_height_arg(supply)
    add_node_arg(supply)
    supply.set_defaults(func=_supply)
    block = q.add_parser("block", help="block by height, by --hash, or the latest")
    block.add_argument("height", nargs="?", type=UINT64, default=None)
    block.add_argument("--hash", default=None)
    add_node_arg(block)
    block.set_defaults(func=_block)
    proof = q.add_parser(
        "proof",
        help="a raw state key's value at a height, proved against a header verified from the genesis set",
    )
    proof.add_argument("key", help="state key, hex (e.g. of okchain.state.schema.balance)")
    proof.add_argument(
        "--height", type=UINT64, default=None, help="default: latest - 2 (H + 2 carries H + 1's commit)"
    )
    proof.add_argument("--genesis", type=Path, required=True, help="genesis.json: whose validators to trust")
    add_node_arg(proof)
    proof.set_defaults(func=_proof)
    node = q.add_parser("node", help="node and chain info")
    add_node_arg(node)
    node.set_defaults(func=_node)


def _proof(args: argparse.Namespace) -> int:
    """Trust nothing from the node: the header of H + 1 (which carries the app hash of H) is verified by the
    light client from the genesis validators, following every validator-set change on the way (bisecting
    where too little of a trusted set signed), and the proof must lead from the value to its app hash."""
    try:
        key = bytes.fromhex(args.key.removeprefix("0x"))
    except ValueError:
        raise CLIError(f"{args.key!r} is not hex") from None
    c = Client(args.node, args.timeout)
    height = args.height
    if height is None:
        height = max(c.call(c.node.NodeInfo, query_pb2.NodeInfoRequest()).latest_height - 2, 0)
    r = c.call(c.query.StateProof, query_pb2.StateProofRequest(key=key, height=height))
    if r.height != height:
        raise CLIError(f"asked for the state at height {height}, the node answered for {r.height}")
    app_hash = c.verified(lambda lib: lib.run(verified_app_hash(lib.context.trusted, height)), args.genesis)
    value = r.value if r.present else None
    if not verify_proof(app_hash, key, value, Proof.from_bytes(r.proof)):
        raise CLIError(f"the proof does not lead to the signed app hash {app_hash.hex()}")
    print_json(
        {
            "key": key.hex(),
            "height": str(height),
            "present": r.present,
            "value": r.value.hex(),
            "app_hash": app_hash.hex(),
            "verified": True,
        }
    )
    return 0


def _hex32(text: str) -> bytes:
    try:
        return hash_of(text)
    except ClientError as exc:
        raise CLIError(str(exc)) from None


def _account(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    proven = c.verify_if(args, lambda lib: lib.verified_nonce(args.address, height=args.height))
    height = proven.height if proven else args.height
    r = c.call(c.query.Account, query_pb2.AccountRequest(address=args.address, height=height))
    out: dict[str, object] = {
        "address": r.address,
        "bech32": r.bech32,
        "nonce": str(r.nonce),
        "pending_nonce": str(r.pending_nonce),
        "height": str(r.height),
    }
    if proven:
        agree(proven.value, r.nonce, "nonce")
        out["verified"] = proven_json(proven)
    print_json(out)
    return 0


def _balance(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    proven = c.verify_if(args, lambda lib: lib.verified_balance(args.address, args.denom, height=args.height))
    height = proven.height if proven else args.height
    r = c.call(
        c.query.Balance, query_pb2.BalanceRequest(address=args.address, denom=args.denom, height=height)
    )
    out: dict[str, object] = {"denom": r.balance.denom, "amount": r.balance.amount, "height": str(r.height)}
    if r.balance.denom == OKT_DENOM:
        out["display"] = format_okt(int(r.balance.amount))  # exact; amount stays base units
    if proven:
        agree(proven.value, int(r.balance.amount), "balance")
        out["verified"] = proven_json(proven)
    print_json(out)
    return 0


def _balances(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    pages = c.pages(
        c.query.AllBalances,
        lambda token: query_pb2.AllBalancesRequest(
            address=args.address, page_token=token, height=args.height
        ),
    )
    coins = [{"denom": b.denom, "amount": b.amount} for r in pages for b in r.balances]
    print_json({"balances": coins, "height": str(pages[-1].height)})
    return 0


def _supply(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.query.Supply, query_pb2.SupplyRequest(denom=args.denom, height=args.height))
    print_json({"denom": r.supply.denom, "amount": r.supply.amount, "height": str(r.height)})
    return 0


def _tx(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.tx.GetTx, query_pb2.GetTxRequest(hash=_hex32(args.hash)))
    print_json(
        {
            "tx_hash": r.tx_hash.hex(),
            "height": str(r.height),
            "index": r.index,
            "time_ns": str(r.time_ns),
            "tx": r.tx.hex(),
            "result": result_json(r.result),
        }
    )
    return 0


def _block(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    if args.hash:
        r = c.call(c.node.BlockByHash, query_pb2.BlockByHashRequest(hash=_hex32(args.hash)))
    elif args.height is not None:
        r = c.call(c.node.BlockByHeight, query_pb2.BlockByHeightRequest(height=args.height))
    else:
        r = c.call(c.node.LatestBlock, query_pb2.LatestBlockRequest())
    hashes = [sha256(t) for t in r.block.txs]
    results = list(r.results.tx_results)
    if r.txs_omitted:  # too large for one reply: its txs come page by page
        height = r.block.header.height
        pages = c.pages(
            c.node.BlockWithTxs, lambda token: query_pb2.BlockWithTxsRequest(height=height, page_token=token)
        )
        hashes = [t.tx_hash for page in pages for t in page.txs]
        results = [t.result for page in pages for t in page.txs]
    print_json(
        {
            "block_hash": r.block_hash.hex(),
            "header": header_json(r.block.header),
            "txs": [h.hex() for h in hashes],
            "app_hash_after": r.results.app_hash.hex(),
            "results": [result_json(x) for x in results],
        }
    )
    return 0


def _node(args: argparse.Namespace) -> int:
    c = Client(args.node, args.timeout)
    r = c.call(c.node.NodeInfo, query_pb2.NodeInfoRequest())
    print_json(
        {
            "chain_id": r.chain_id,
            "version": r.version,
            "moniker": r.moniker,
            "latest_height": str(r.latest_height),
            "earliest_height": str(r.earliest_height),
            "latest_block_hash": r.latest_block_hash.hex(),
            "app_hash": r.app_hash.hex(),
            "validator_address": r.validator_address.hex(),
            "min_gas_price": r.min_gas_price,
            "genesis_accounts": str(r.genesis_accounts),
            "node_id": r.node_id,
            "p2p_port": r.p2p_port,
            "peers": r.peers,
            "catching_up": r.catching_up,
            "is_validator": r.is_validator,
            "consensus_height": str(r.consensus_height),
            "consensus_round": r.consensus_round,
        }
    )
    return 0
