"""Height-parameterised queries and state proofs over real gRPC from a real node process."""

import json
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.message_factory import GetMessageClass

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain._pb.staking.v1 import query_pb2 as staking_pb2
from okchain._pb.staking.v1 import query_pb2_grpc as staking_grpc
from okchain.crypto.address import to_checksum
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.rpc.server import SERVICES
from okchain.state import schema
from okchain.state.merkle_proof import Proof, verify_proof
from okchain.tx.envelope import build_tx
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys
from tests.helpers.processes import NodeProcess, init_node, okchaind, unminted

KEYS = funded_keys(2)
SENDER, RECEIVER = KEYS
NOBODY = AccountKey(b"\x66" * 32)
BALANCE = 1_000_000 * OKT
FEE = 100_000 * 1_000_000_000


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    proc = init_node(tmp_path_factory.mktemp("versions-rpc"), KEYS, block_time_ms=100)
    proc.start()
    yield proc
    assert proc.stop() == 0, Path(proc.log).read_text()


def send(channel: grpc.Channel, nonce: int, amount: int) -> int:
    raw = build_tx(
        SENDER,
        chain_id=CHAIN_ID,
        nonce=nonce,
        gas_limit=100_000,
        fee=FEE,
        msgs=[Transfer(RECEIVER.address, "okt", amount)],
    )
    r = query_pb2_grpc.TxServiceStub(channel).BroadcastTx(
        query_pb2.BroadcastTxRequest(tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT), timeout=20
    )
    assert r.committed and r.result.code == 0
    return int(r.height)


def test_queries_at_heights_and_proofs(node: NodeProcess, tmp_path: Path) -> None:
    with grpc.insecure_channel(node.target) as channel:
        query = query_pb2_grpc.QueryServiceStub(channel)
        nodes = query_pb2_grpc.NodeServiceStub(channel)
        # Height 0 in a request means "latest": let the chain pass height 1 so ``first - 1`` is a real height.
        while nodes.NodeInfo(query_pb2.NodeInfoRequest()).latest_height < 2:
            time.sleep(0.05)
        first = send(channel, 0, 5)
        second = send(channel, 1, 7)
        while nodes.NodeInfo(query_pb2.NodeInfoRequest()).latest_height <= second:
            time.sleep(0.05)
        receiver = to_checksum(RECEIVER.address)

        def balance(height: int) -> int:
            r = query.Balance(query_pb2.BalanceRequest(address=receiver, height=height))
            assert r.height == height or height == 0
            return int(r.balance.amount)

        assert [balance(first - 1), balance(first), balance(second - 1), balance(second)] == [
            BALANCE,
            BALANCE + 5,
            BALANCE + 5,
            BALANCE + 12,
        ]
        assert balance(0) == BALANCE + 12
        nonces = [
            query.Account(query_pb2.AccountRequest(address=to_checksum(SENDER.address), height=h)).nonce
            for h in (first - 1, first, second)
        ]
        assert nonces == [0, 1, 2]
        rows = query.AllBalances(query_pb2.AllBalancesRequest(address=receiver, height=first - 1))
        assert [(c.denom, c.amount) for c in rows.balances] == [
            ("okt", str(BALANCE))
        ] and rows.height == first - 1
        supply = query.Supply(query_pb2.SupplyRequest(denom="okt", height=first - 1))
        # fees stay in supply (collected and paid out, not burnt); each block minted 1 OKT
        assert unminted(supply.supply.amount, supply.height) == 2 * BALANCE

        for height in (first - 1, first, second):
            app_hash = nodes.BlockByHeight(
                query_pb2.BlockByHeightRequest(height=height + 1)
            ).block.header.app_hash
            for who in (RECEIVER, NOBODY):
                key = schema.balance(who.address, "okt")
                r = query.StateProof(query_pb2.StateProofRequest(key=key, height=height))
                value = r.value if r.present else None
                assert (r.height, r.root) == (height, app_hash)
                assert verify_proof(app_hash, key, value, Proof.from_bytes(r.proof))
                assert (value is None) == (who is NOBODY)
                assert not verify_proof(
                    app_hash, key, b"\x01" if value is None else None, Proof.from_bytes(r.proof)
                )

        latest = nodes.NodeInfo(query_pb2.NodeInfoRequest())
        assert latest.earliest_height == 0
        with pytest.raises(grpc.RpcError) as ahead:
            query.Balance(query_pb2.BalanceRequest(address=receiver, height=latest.latest_height + 1000))
        assert ahead.value.code() == grpc.StatusCode.OUT_OF_RANGE
        assert "is above the latest committed height" in str(ahead.value.details())
        for not_state in (b"", schema.META_LAST):  # only authenticated state has proofs
            with pytest.raises(grpc.RpcError) as refused:
                query.StateProof(query_pb2.StateProofRequest(key=not_state))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    cli = okchaind(
        "query", "balance", to_checksum(RECEIVER.address), "--height", str(first - 1), "--node", node.target
    )
    assert json.loads(cli.stdout)["amount"] == str(BALANCE)

    # The light-client path: a proof checked against a header that the genesis validators signed.
    genesis_file = node.home / "config" / "genesis.json"
    key = schema.balance(RECEIVER.address, "okt").hex()
    at = ("--height", str(first), "--node", node.target)
    out = json.loads(okchaind("query", "proof", key, "--genesis", str(genesis_file), *at).stdout)
    assert out["verified"] is True and out["present"] is True
    assert int(out["value"], 16) == BALANCE + 5
    other = tmp_path / "other-genesis.json"
    data = json.loads(genesis_file.read_text())
    data["validators"][0]["pub_key"] = "11" * 32  # a validator set the node's headers are not signed by
    other.write_text(json.dumps(data))
    refused = okchaind("query", "proof", key, "--genesis", str(other), *at, check=False)
    assert refused.returncode == 1 and "names a set other than the one trusted to sign it" in refused.stderr


class _ShiftedNode(
    query_pb2_grpc.QueryServiceServicer, query_pb2_grpc.NodeServiceServicer, staking_grpc.StakingQueryServicer
):
    """A lying node: answers for height ``h`` with the real, validly signed data of ``h + 1`` (its
    validator sets are the real ones)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.query = query_pb2_grpc.QueryServiceStub(channel)
        self.nodes = query_pb2_grpc.NodeServiceStub(channel)
        self.staking = staking_grpc.StakingQueryStub(channel)

    def ValidatorSet(
        self, request: staking_pb2.ValidatorSetRequest, context: grpc.ServicerContext
    ) -> staking_pb2.ValidatorSetResponse:
        return self.staking.ValidatorSet(request)

    def Headers(
        self, request: query_pb2.HeadersRequest, context: grpc.ServicerContext
    ) -> query_pb2.HeadersResponse:
        shifted = query_pb2.HeadersRequest(
            from_height=request.from_height + 1, to_height=request.to_height + 1
        )
        return self.nodes.Headers(shifted)

    def StateProof(
        self, request: query_pb2.StateProofRequest, context: grpc.ServicerContext
    ) -> query_pb2.StateProofResponse:
        real = self.query.StateProof(query_pb2.StateProofRequest(key=request.key, height=request.height + 1))
        real.height = request.height
        return real

    def BlockByHeight(
        self, request: query_pb2.BlockByHeightRequest, context: grpc.ServicerContext
    ) -> query_pb2.BlockResponse:
        return self.nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=request.height + 1))


def test_query_proof_refuses_a_signed_header_of_another_height(node: NodeProcess) -> None:
    """Every piece the lying node serves is genuine and signed, just of the wrong height: the light client
    must not report the state of ``first`` as the state of ``first - 1``."""
    with grpc.insecure_channel(node.target) as channel:
        nodes = query_pb2_grpc.NodeServiceStub(channel)
        while nodes.NodeInfo(query_pb2.NodeInfoRequest()).latest_height < 2:
            time.sleep(0.05)
        account = query_pb2.AccountRequest(address=to_checksum(SENDER.address))
        first = send(channel, query_pb2_grpc.QueryServiceStub(channel).Account(account).nonce, 3)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    try:
        with grpc.insecure_channel(node.target) as upstream:
            liar = _ShiftedNode(upstream)
            query_pb2_grpc.add_QueryServiceServicer_to_server(liar, server)
            query_pb2_grpc.add_NodeServiceServicer_to_server(liar, server)
            staking_grpc.add_StakingQueryServicer_to_server(liar, server)
            port = server.add_insecure_port("127.0.0.1:0")
            server.start()
            with grpc.insecure_channel(node.target) as channel:
                while (
                    query_pb2_grpc.NodeServiceStub(channel)
                    .NodeInfo(query_pb2.NodeInfoRequest())
                    .latest_height
                    < first + 3
                ):
                    time.sleep(0.05)
            key = schema.balance(RECEIVER.address, "okt").hex()
            genesis_file = str(node.home / "config" / "genesis.json")
            at = ("--height", str(first - 1), "--genesis", genesis_file)
            honest = json.loads(okchaind("query", "proof", key, *at, "--node", node.target).stdout)
            lied = okchaind("query", "proof", key, *at, "--node", f"127.0.0.1:{port}", check=False)
    finally:
        server.stop(grace=None)
    assert honest["verified"] is True and honest["height"] == str(first - 1)
    assert lied.returncode == 1, lied.stdout
    assert f"asked for the header of {first}, got {first + 1}" in lied.stderr, lied.stderr


def _request_at(method: Any, height: int, address: str) -> Any:
    """``method``'s request with every identifying field set to something well formed and ``height``."""
    request = GetMessageClass(method.input_type)()
    for field in method.input_type.fields:
        if field.name == "height":
            request.height = height
        elif field.name in ("address", "operator"):
            setattr(request, field.name, address)
        elif field.name in WELL_FORMED:
            setattr(request, field.name, WELL_FORMED[field.name])
    return request


WELL_FORMED: dict[str, object] = {
    "pair": "xyz_okt",
    "denom": "okt",
    "id": "1-0",
    "interval": "1h",
    "key": schema.STATE + b"x",
    "query": "1",
}


def test_every_state_query_takes_a_height(node: NodeProcess) -> None:
    """A height the node does not hold is OUT_OF_RANGE naming the heights it holds, on every method that
    takes one."""
    address = to_checksum(SENDER.address)
    methods = [
        (service, method)
        for _, _, service in SERVICES
        for method in service.methods
        if "height" in method.input_type.fields_by_name
    ]
    assert len(methods) >= 25
    with grpc.insecure_channel(node.target) as channel:
        for service, method in methods:
            call = channel.unary_unary(
                f"/{service.full_name}/{method.name}",
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=lambda b: b,
            )
            with pytest.raises(grpc.RpcError) as refused:
                call(_request_at(method, 10**9, address), timeout=10)
            expected = grpc.StatusCode.OUT_OF_RANGE
            if method.name == "BlockByHeight":
                expected = grpc.StatusCode.NOT_FOUND  # no block there yet (a pruned one is OUT_OF_RANGE)
            assert refused.value.code() == expected, (method.full_name, refused.value.details())
            assert "height" in (refused.value.details() or ""), method.full_name
