#!/usr/bin/env python3
"""Committed DEX orders per second through a real node process over gRPC (loopback): signed `PlaceOrders`
txs (200 orders each) from many accounts, buys and sells spread over a book around a mid price that moves
from round to round, with cancels of resting orders mixed in, sent with `BroadcastTxs` from several client
threads; the clock stops when every tx is in a committed block (polled by counting each block's txs, which
costs the node nothing), so admission (signature recovery, check_tx), consensus, the per-block auction with
its settlement, and commit are all inside it.

Before the clock: `okchaind init` + `start`, tokens issued, distributed and listed against OKT through the
node, a few resting orders per account placed (the cancels' targets), every round signed. After it, every
tx's result is read back and must be OK. Prints a table, writes JSON.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from blocks import tx_codes, wait_for_txs  # scripts/bench is on sys.path when run as a script
from profiling import profile_env
from report import emit

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.hashing import sha256
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import MultiSend, Output
from okchain.modules.dex.messages import CancelOrders, ListPair, OrderSpec, PlaceOrders, Side, parse_order_id
from okchain.modules.token.messages import IssueToken
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from tests.helpers.chain import CHAIN_ID
from tests.helpers.processes import init_node

ONE = 10**18
GAS = 1_000_000
MIN_GAS_PRICE = 1_000_000_000  # the node default
ORDERS_PER_TX = 200
RESTING_PER_ACCOUNT = 20  # placed before the clock, far from the mid: what the cancels cancel
CANCELS_PER_TX = 5
MID = 1_000  # ticks at 2 price decimals: 10.00 OKT
OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]


def _key(i: int) -> AccountKey:
    return AccountKey((i + 1).to_bytes(32, "big"))


def _order(rng: random.Random, pair: str, mid: int) -> OrderSpec:
    """A limit order around ``mid``: most rest within a few percent of it, about a third cross."""
    side = Side.BUY if rng.random() < 0.5 else Side.SELL
    offset = int(abs(rng.gauss(0, 25)))
    ticks = mid - offset + 15 if side == Side.BUY else mid + offset - 15
    return OrderSpec(pair, side, max(ticks, 1) * 10**16, rng.randint(1, 100) * 10**16)


class Client:
    def __init__(self, channel: grpc.Channel) -> None:
        self.tx = query_pb2_grpc.TxServiceStub(channel)
        self.node = query_pb2_grpc.NodeServiceStub(channel)

    def commit(self, raw: bytes) -> Any:
        """Broadcast in commit mode; the committed result, which must be OK."""
        request = query_pb2.BroadcastTxRequest(
            tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=30_000
        )
        resp = self.tx.BroadcastTx(request, timeout=40)
        assert resp.committed and resp.result.code == 0, resp
        return resp.result

    def broadcast(self, txs: Sequence[bytes]) -> None:
        resp = self.tx.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=list(txs)), timeout=120)
        bad = [r for r in resp.results if r.code != 0]
        assert not bad, bad[0].log

    def result(self, raw: bytes) -> Any | None:
        try:
            return self.tx.GetTx(query_pb2.GetTxRequest(hash=sha256(raw)), timeout=10)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise


def attr(result: Any, kind: str, key: str) -> str:
    return next(a.value for e in result.events if e.type == kind for a in e.attributes if a.key == key)


def setup(client: Client, accounts: int, n_pairs: int) -> list[str]:
    """Tokens issued by an operator account, given to every trader, listed against OKT (commit mode)."""
    owner, nonce = _key(accounts), 0

    def signed(msgs: list[Msg]) -> bytes:
        nonlocal nonce
        raw = build_tx(owner, chain_id=CHAIN_ID, nonce=nonce, msgs=msgs, gas_limit=8_000_000, fee=8 * 10**15)
        nonce += 1
        return raw

    pairs = []
    for i in range(n_pairs):
        result = client.commit(signed([IssueToken(f"tok{i}", f"Token {i}", 10**9 * ONE, False)]))
        denom = attr(result, "issue_token", "denom")
        for start in range(0, accounts, 1000):
            outs = tuple(
                Output(_key(a).address, denom, 10**5 * ONE) for a in range(start, min(accounts, start + 1000))
            )
            client.commit(signed([MultiSend(outs)]))
        client.commit(signed([ListPair(denom, "okt", 2, 2, 10**16)]))
        pairs.append(f"{denom}_okt")
    return pairs


def resting_orders(client: Client, accounts: int, pairs: list[str], threads: int) -> list[list[int]]:
    """Each trader's resting orders (nonce 0), far below and above the mid; their ids, per account."""
    rng = random.Random(1)
    txs = []
    for a in range(accounts):
        orders = tuple(
            OrderSpec(rng.choice(pairs), Side.BUY, (MID // 2 - k) * 10**16, 10**16)
            if k % 2
            else OrderSpec(rng.choice(pairs), Side.SELL, (MID * 2 + k) * 10**16, 10**16)
            for k in range(RESTING_PER_ACCOUNT)
        )
        txs.append(
            build_tx(
                _key(a),
                chain_id=CHAIN_ID,
                nonce=0,
                msgs=[PlaceOrders(orders)],
                gas_limit=GAS,
                fee=GAS * MIN_GAS_PRICE,
            )
        )
    send_all(client, [txs], threads, 500)
    wait_committed(client, txs)
    ids = []
    for raw in txs:
        result = client.result(raw)
        assert result is not None and result.result.code == 0
        first = parse_order_id(attr(result.result, "dex_place_orders", "first_id"))
        assert first is not None
        ids.append([first + k for k in range(RESTING_PER_ACCOUNT)])
    return ids


def sign_rounds(
    accounts: int, rounds: int, pairs: list[str], resting: list[list[int]], cancel_every: int
) -> tuple[list[list[bytes]], int]:
    """Round r is nonce r + 1 of every trader; the mid drifts by a random walk between rounds; every
    ``cancel_every``-th trader also cancels some of its resting orders in the same tx. Returns the rounds
    and the number of cancels."""
    rng = random.Random(7)
    mids = [MID]
    for _ in range(rounds - 1):
        mids.append(max(100, mids[-1] + rng.randint(-20, 20)))
    out, cancels = [], 0
    for r, mid in enumerate(mids):
        txs = []
        for a in range(accounts):
            msgs: list[Msg] = [
                PlaceOrders(tuple(_order(rng, rng.choice(pairs), mid) for _ in range(ORDERS_PER_TX)))
            ]
            if cancel_every and a % cancel_every == 0:
                ids = resting[a][r * CANCELS_PER_TX : (r + 1) * CANCELS_PER_TX]
                if ids:
                    msgs.append(CancelOrders(tuple(ids)))
                    cancels += len(ids)
            txs.append(
                build_tx(
                    _key(a), chain_id=CHAIN_ID, nonce=r + 1, msgs=msgs, gas_limit=GAS, fee=GAS * MIN_GAS_PRICE
                )
            )
        out.append(txs)
    return out, cancels


def send_all(client: Client, rounds: list[list[bytes]], threads: int, batch: int) -> None:
    with ThreadPoolExecutor(threads) as workers:
        for txs in rounds:  # a round's txs go out before the next round's (nonce order per account)
            list(workers.map(client.broadcast, [txs[i : i + batch] for i in range(0, len(txs), batch)]))


def wait_committed(
    client: Client, txs: list[bytes], poll: Callable[[], None] = lambda: time.sleep(0.05)
) -> None:
    """Until every tx of ``txs`` is in a committed block."""
    waiting = list(txs)
    while waiting:
        waiting = [raw for raw in waiting if client.result(raw) is None]
        if waiting:
            poll()


def run(args: argparse.Namespace) -> dict[str, float | int | str]:
    if args.rounds * CANCELS_PER_TX > RESTING_PER_ACCOUNT:
        raise SystemExit(f"at most {RESTING_PER_ACCOUNT // CANCELS_PER_TX} rounds with cancels")
    with tempfile.TemporaryDirectory() as tmp:
        node = init_node(
            Path(tmp), [_key(i) for i in range(args.accounts + 1)], block_time_ms=args.block_time_ms
        )
        if args.profile:
            node.env = profile_env(args.profile)
        node.start()
        try:
            with grpc.insecure_channel(node.target, options=OPTIONS) as channel:
                client = Client(channel)
                pairs = setup(client, args.accounts, args.pairs)
                resting = resting_orders(client, args.accounts, pairs, args.threads)
                rounds, cancels = sign_rounds(args.accounts, args.rounds, pairs, resting, args.cancel_every)
                start_height = client.node.NodeInfo(query_pb2.NodeInfoRequest()).latest_height
                load_before = os.getloadavg()[0]
                t0 = time.perf_counter()
                send_all(client, rounds, args.threads, args.batch)
                t_sent = time.perf_counter() - t0
                block_txs = wait_for_txs(client.node, start_height, sum(map(len, rounds)))
                t_commit = time.perf_counter() - t0
                end_height = client.node.NodeInfo(query_pb2.NodeInfoRequest()).latest_height
                codes = tx_codes(client.node, block_txs)
        finally:
            rc = node.stop()
    assert rc == 0
    txs = sum(len(t) for t in rounds)
    assert codes == [0] * txs, "a tx failed"
    orders = txs * ORDERS_PER_TX
    return {
        "host_load_1m_before": load_before,
        "accounts": args.accounts,
        "pairs": args.pairs,
        "rounds": args.rounds,
        "block_time_ms": args.block_time_ms,
        "txs": txs,
        "orders": orders,
        "cancels": cancels,
        "send_s": t_sent,
        "accept_orders_per_s": orders / t_sent,
        "commit_s": t_commit,
        "committed_orders_per_s": orders / t_commit,
        "heights": end_height - start_height,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100, help="txs per BroadcastTxs call")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--cancel-every", type=int, default=4, help="every Nth trader also cancels (0: none)")
    parser.add_argument("--block-time-ms", type=int, default=1000)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the node into this folder")
    parser.add_argument("--out", type=Path, default=Path("bench-results/dex_node.json"))
    args = parser.parse_args()
    emit(run(args), args.out, headline="committed_orders_per_s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
