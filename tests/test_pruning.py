"""A real node prunes below its retention window while serving every retained height, and survives SIGKILL
at chosen points of a commit and of pruning (the test-only ``OKCHAIN_TEST_CRASH_AT`` hook) with its root,
its history and its blocks intact."""

import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.modules.bank.messages import Transfer
from okchain.state import schema
from okchain.state.merkle_proof import Proof, verify_proof
from okchain.tx.envelope import build_tx
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys
from tests.helpers.processes import NodeProcess, init_node

RETENTION = 6
KEYS = funded_keys(2)
SENDER, RECEIVER = KEYS
FEE = 100_000 * 1_000_000_000


class Chain:
    """A node process and everything the test sent it: the receiver's balance after each committed tx."""

    def __init__(self, node: NodeProcess) -> None:
        self.node = node
        self.nonce = 0
        self.received: dict[int, int] = {}  # height -> receiver balance gained by then
        self.tx_hashes: dict[int, bytes] = {}  # height -> hash of the tx committed there

    def stubs(
        self, channel: grpc.Channel
    ) -> tuple[query_pb2_grpc.QueryServiceStub, query_pb2_grpc.NodeServiceStub]:
        return query_pb2_grpc.QueryServiceStub(channel), query_pb2_grpc.NodeServiceStub(channel)

    def send(self, channel: grpc.Channel, amount: int) -> int:
        raw = build_tx(
            SENDER,
            chain_id=CHAIN_ID,
            nonce=self.nonce,
            gas_limit=100_000,
            fee=FEE,
            msgs=[Transfer(RECEIVER.address, "okt", amount)],
        )
        r = query_pb2_grpc.TxServiceStub(channel).BroadcastTx(
            query_pb2.BroadcastTxRequest(tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=10_000),
            timeout=20,
        )
        assert r.committed and r.result.code == 0, r
        self.nonce += 1
        self.received[r.height] = amount
        self.tx_hashes[r.height] = r.tx_hash
        return int(r.height)

    def gained_at(self, height: int) -> int:
        return sum(a for h, a in self.received.items() if h <= height)

    def start_until_crash(self, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Start with the crash hook armed and wait until the node kills itself there."""
        monkeypatch.setenv("OKCHAIN_TEST_CRASH_AT", point)
        try:
            self.node.start()
        except RuntimeError:
            pass  # it may die before it reports healthy
        finally:
            monkeypatch.delenv("OKCHAIN_TEST_CRASH_AT")
        proc = self.node.proc
        assert proc is not None
        proc.wait(timeout=60)
        assert proc.returncode == -9, f"node did not crash at {point}:\n{self.node.log.read_text()}"

    def resync(self, channel: grpc.Channel) -> None:
        """After a crash the last tx's fate is unknown to the client: read it back from the chain."""
        query, _ = self.stubs(channel)
        self.nonce = query.Account(query_pb2.AccountRequest(address=to_checksum(SENDER.address))).nonce
        self.received = {h: a for h, a in self.received.items() if a <= self.nonce}

    def check_retained(
        self, query: query_pb2_grpc.QueryServiceStub, nodes: query_pb2_grpc.NodeServiceStub, height: int
    ) -> None:
        key = schema.balance(RECEIVER.address, "okt")
        balance = query.Balance(
            query_pb2.BalanceRequest(address=to_checksum(RECEIVER.address), height=height)
        )
        assert (balance.height, int(balance.balance.amount)) == (
            height,
            1_000_000 * OKT + self.gained_at(height),
        )
        proof = query.StateProof(query_pb2.StateProofRequest(key=key, height=height))
        header = nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=height + 1)).block.header
        assert proof.root == header.app_hash
        assert verify_proof(header.app_hash, key, proof.value, Proof.from_bytes(proof.proof))
        assert not verify_proof(header.app_hash, key, proof.value + b"\x00", Proof.from_bytes(proof.proof))

    def check(self, channel: grpc.Channel) -> None:
        """Every retained height answers with the right balance and a proof against its committed app
        hash; every pruned height is refused with the earliest height kept."""
        query, nodes = self.stubs(channel)
        info = nodes.NodeInfo(query_pb2.NodeInfoRequest())
        latest, earliest = info.latest_height, info.earliest_height
        target = max(latest - RETENTION + 1, 0)
        assert target - 10 <= earliest <= target  # never past the window; it may lag a few blocks behind
        # Newest first: blocks keep coming, and pruning with them, while this runs.
        for height in range(latest - 1, earliest - 1, -1):
            try:
                self.check_retained(query, nodes, height)
            except grpc.RpcError as exc:
                # Only if the window moved past this height meanwhile (then every lower one is gone too).
                assert exc.code() == grpc.StatusCode.OUT_OF_RANGE and "is pruned" in str(exc.details())
                now = nodes.NodeInfo(query_pb2.NodeInfoRequest())
                assert height < now.earliest_height <= now.latest_height - RETENTION + 1
                break
        txs = query_pb2_grpc.TxServiceStub(channel)
        for height, tx_hash in self.tx_hashes.items():
            if height < earliest:  # its block and its index entry are gone
                with pytest.raises(grpc.RpcError) as gone:
                    txs.GetTx(query_pb2.GetTxRequest(hash=tx_hash))
                assert gone.value.code() == grpc.StatusCode.NOT_FOUND
            elif height > earliest + 1:
                assert txs.GetTx(query_pb2.GetTxRequest(hash=tx_hash)).height == height
        for height in sorted({1, earliest - 1} & set(range(1, earliest))):
            pruned = rf"height {height} is pruned; earliest available height is \d+"
            with pytest.raises(grpc.RpcError) as block_error:
                nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=height))
            with pytest.raises(grpc.RpcError) as supply_error:
                query.Supply(query_pb2.SupplyRequest(denom="okt", height=height))
            for error in (block_error.value, supply_error.value):
                assert error.code() == grpc.StatusCode.OUT_OF_RANGE
                assert re.fullmatch(pruned, error.details()), error.details()


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    node = init_node(tmp_path, KEYS, block_time_ms=200)
    config = node.home / "config" / "config.toml"
    text = config.read_text()
    config.write_text(
        text.replace("state_retention_heights = 10000", f"state_retention_heights = {RETENTION}")
    )
    yield Chain(node)
    if node.proc is not None and node.proc.poll() is None:
        node.proc.kill()
        node.proc.wait(timeout=30)


def test_sigkill_during_commit_and_pruning(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:
    latest = 0
    for point in ("commit-before-write", "commit-after-write", "prune-step"):
        # Blocks come every 200 ms even without txs: arm the hook a few blocks after where the node stopped.
        height = latest + 10 - (RETENTION - 1 if point == "prune-step" else 0)
        chain.start_until_crash(f"{point}:{height}", monkeypatch)
        chain.node.start()  # refuses to start if the stored root differs from the committed app hash
        with grpc.insecure_channel(chain.node.target) as channel:
            chain.resync(channel)
            for _ in range(3):
                chain.send(channel, 1 + chain.nonce)
            chain.check(channel)
            latest = chain.stubs(channel)[1].NodeInfo(query_pb2.NodeInfoRequest()).latest_height
        assert chain.node.stop() == 0
