"""Steady load for the chaos runner: signed transfers and DEX orders from a few senders, each on its own
thread, to whichever node it picks (a dead or paused one costs a timeout, as a wallet would see it).

Every tx is sent with commit mode; one the node reports committed is recorded with its height, so the
runner can check afterwards that every node has it there. A sender signs with the nonce the chosen node
expects next, so a tx lost with a killed node's mempool costs nothing but a retry.
"""

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc

from okchain._pb.node.v1 import query_pb2
from okchain.crypto.address import to_checksum
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex.messages import OrderSpec, PlaceOrders, Side
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from tests.helpers.chain import OKT
from tests.helpers.localnet import CHAIN_ID, TX_GAS, LocalnetProcess, issue_and_list

TOKEN_PER_SENDER = 100_000 * OKT


@dataclass(frozen=True, slots=True)
class Committed:
    tx_hash: bytes
    height: int
    kind: str  # "transfer" or "order"
    code: int  # 0, or the code of a tx that failed in its block (still on chain: it paid its fee)


def list_market(node: LocalnetProcess, issuer: AccountKey, senders: Sequence[AccountKey]) -> str:
    """Issue a token, list it against OKT and give every sender some; returns the pair's name."""
    pair = issue_and_list(node, issuer, "chx", 10 * len(senders) * TOKEN_PER_SENDER)
    denom = pair.removesuffix("_okt")
    node.send(issuer, [Transfer(s.address, denom, TOKEN_PER_SENDER) for s in senders if s != issuer])
    return pair


class Load:
    def __init__(
        self,
        senders: Sequence[AccountKey],
        pair: str,
        targets: Callable[[], Sequence[LocalnetProcess]],
        seed: int,
        pause_s: float = 0.1,
    ) -> None:
        self.senders = list(senders)
        self.pair = pair
        self.targets = targets  # the nodes a sender may pick now
        self.seed = seed
        self.pause_s = pause_s
        self.committed: list[Committed] = []
        self.counts = {"sent": 0, "committed": 0, "failed_in_block": 0, "rejected": 0, "unanswered": 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), name=f"load-{i}", daemon=True)
            for i in range(len(self.senders))
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _msg(self, rng: random.Random, sender: AccountKey) -> tuple[str, Msg]:
        if rng.random() < 0.5:
            other = rng.choice([s for s in self.senders if s != sender])
            return "transfer", Transfer(other.address, "okt", rng.randrange(1, 1000))
        side = rng.choice((Side.BUY, Side.SELL))
        price = rng.randrange(90, 111) * OKT // 100
        return "order", PlaceOrders((OrderSpec(self.pair, side, price, rng.randrange(1, 20) * OKT // 10),))

    def _run(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        sender = self.senders[index]
        while not self._stop.wait(rng.uniform(0, 2 * self.pause_s)):
            nodes = self.targets()
            if nodes:
                self._send(rng.choice(nodes), sender, *self._msg(rng, sender))

    def _send(self, node: LocalnetProcess, sender: AccountKey, kind: str, msg: Msg) -> None:
        try:
            account = node.query.Account(
                query_pb2.AccountRequest(address=to_checksum(sender.address)), timeout=3
            )
            raw = build_tx(
                sender,
                chain_id=CHAIN_ID,
                nonce=account.pending_nonce,
                msgs=[msg],
                gas_limit=TX_GAS,
                fee=TX_GAS * 10**9,
            )
            self._count("sent")
            request = query_pb2.BroadcastTxRequest(
                tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=8_000
            )
            resp = node.tx.BroadcastTx(request, timeout=12)
        except grpc.RpcError:
            self._count("unanswered")
            return
        if not resp.committed:
            self._count("rejected" if resp.result.code else "unanswered")
            return
        with self._lock:
            self.committed.append(Committed(resp.tx_hash, resp.height, kind, resp.result.code))
            self.counts["committed" if resp.result.code == 0 else "failed_in_block"] += 1
