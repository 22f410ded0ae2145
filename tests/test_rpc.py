"""The wallet and explorer gRPC API of a real ``okchaind start`` process on loopback (one node per module)."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from okchain import __version__
from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain._pb.tx.v1 import tx_pb2
from okchain.crypto.address import Address, to_bech32, to_checksum
from okchain.crypto.hashing import sha256
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import BankMsg, MultiSend, Output, Transfer
from okchain.tx.envelope import build_tx, decode_tx, recover_signers
from okchain.tx.gas import required_gas
from okchain.types.block import Header
from okchain.types.params import ChainParams
from okchain.types.results import Code as ResultCode
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys
from tests.helpers.processes import NodeProcess, init_node, serve, unminted

BALANCE = 1_000_000 * OKT  # what write_snapshot gives every key
MIN_GAS_PRICE = 1_000_000_000  # the node's default
GAS = 100_000
FEE = GAS * MIN_GAS_PRICE
FUTURE_LIMIT = 4
KEYS = funded_keys(16)
# One key per test so tests never race each other's nonces.
(
    K_COMMIT,
    K_SYNC,
    K_PAGING,
    K_REPLAY,
    K_DUP,
    K_GAP,
    K_POOR,
    K_BADSIG,
    K_CHAIN,
    K_BIG,
    K_ALIVE,
    K_GAS,
    K_SIM,
    *_,
) = KEYS
STRANGER = AccountKey(b"\x77" * 32)
Status = grpc.StatusCode


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    tmp = tmp_path_factory.mktemp("rpc")
    proc = init_node(tmp, KEYS, block_time_ms=100)
    home = proc.home
    config = home / "config" / "config.toml"
    text = config.read_text()
    assert "mempool_max_future_per_account = 64" in text
    config.write_text(
        text.replace(
            "mempool_max_future_per_account = 64", f"mempool_max_future_per_account = {FUTURE_LIMIT}"
        )
    )
    yield from serve(proc)


@pytest.fixture(scope="module")
def txs(channel: grpc.Channel) -> query_pb2_grpc.TxServiceStub:
    return query_pb2_grpc.TxServiceStub(channel)


@pytest.fixture(scope="module")
def query(channel: grpc.Channel) -> query_pb2_grpc.QueryServiceStub:
    return query_pb2_grpc.QueryServiceStub(channel)


@pytest.fixture(scope="module")
def nodes(channel: grpc.Channel) -> query_pb2_grpc.NodeServiceStub:
    return query_pb2_grpc.NodeServiceStub(channel)


def transfer(
    key: AccountKey,
    nonce: int,
    amount: int = 1,
    *,
    to: bytes | None = None,
    fee: int = FEE,
    gas_limit: int = GAS,
    chain_id: str = CHAIN_ID,
    msgs: list[BankMsg] | None = None,
) -> bytes:
    recipient = Address(to) if to is not None else STRANGER.address
    return build_tx(
        key,
        chain_id=chain_id,
        nonce=nonce,
        gas_limit=gas_limit,
        fee=fee,
        msgs=msgs or [Transfer(recipient, "okt", amount)],
    )


def resign(raw: bytes, signature: bytes) -> bytes:
    env = tx_pb2.TxRaw.FromString(raw)
    return tx_pb2.TxRaw(body_bytes=env.body_bytes, signature=signature).SerializeToString(deterministic=True)


def broadcast(stub: query_pb2_grpc.TxServiceStub, raw: bytes, *, commit: bool = False) -> Any:
    mode = query_pb2.BROADCAST_MODE_COMMIT if commit else query_pb2.BROADCAST_MODE_SYNC
    return stub.BroadcastTx(query_pb2.BroadcastTxRequest(tx=raw, mode=mode, timeout_ms=10_000), timeout=20)


def rpc_error(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def expect_error(call: Callable[[], object], code: grpc.StatusCode, message: str) -> None:
    err = rpc_error(call)
    assert err.code() == code, err.details()
    assert message in (err.details() or ""), err.details()


def height(nodes: query_pb2_grpc.NodeServiceStub) -> int:
    latest: int = nodes.NodeInfo(query_pb2.NodeInfoRequest(), timeout=5).latest_height
    return latest


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def okt_balance(query: query_pb2_grpc.QueryServiceStub, address: str) -> int:
    return int(query.Balance(query_pb2.BalanceRequest(address=address), timeout=5).balance.amount)


# --- service plumbing ---
def test_health_and_reflection(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "okchain.node.v1.TxService", "okchain.node.v1.QueryService"):
        resp = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert resp.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = list(
        reflection.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
    )
    names = {s.name for s in answers[0].list_services_response.service}
    assert {
        "okchain.node.v1.TxService",
        "okchain.node.v1.QueryService",
        "okchain.node.v1.NodeService",
        "grpc.health.v1.Health",
    } <= names


def test_node_info(nodes: query_pb2_grpc.NodeServiceStub) -> None:
    info = nodes.NodeInfo(query_pb2.NodeInfoRequest(), timeout=5)
    assert info.chain_id == CHAIN_ID
    assert info.version == __version__
    assert info.min_gas_price == str(MIN_GAS_PRICE)
    assert info.genesis_accounts == len(KEYS)
    assert len(info.validator_address) == 20
    assert len(info.app_hash) == 32
    assert info.moniker
    wait_for(lambda: height(nodes) > info.latest_height)  # empty blocks keep coming


# --- the happy path ---
def test_broadcast_commit_and_read_back(
    txs: query_pb2_grpc.TxServiceStub,
    query: query_pb2_grpc.QueryServiceStub,
    nodes: query_pb2_grpc.NodeServiceStub,
) -> None:
    sender = to_checksum(K_COMMIT.address)
    recipient = AccountKey(b"\x55" * 32)
    assert query.Account(query_pb2.AccountRequest(address=sender), timeout=5).nonce == 0
    raw = transfer(K_COMMIT, 0, 3 * OKT, to=recipient.address)
    resp = broadcast(txs, raw, commit=True)
    assert resp.committed and resp.height > 0
    assert resp.tx_hash == sha256(raw)
    assert resp.result.code == 0 and resp.result.log == ""
    assert resp.result.gas_used == required_gas(decode_tx(raw), ChainParams())
    assert resp.result.fee == str(FEE)
    assert resp.result.signer == K_COMMIT.address

    got = txs.GetTx(query_pb2.GetTxRequest(hash=resp.tx_hash), timeout=5)
    assert (got.tx, got.tx_hash, got.height) == (raw, resp.tx_hash, resp.height)
    assert got.result.code == 0 and got.result.nonce == 0

    account = query.Account(query_pb2.AccountRequest(address=to_bech32(K_COMMIT.address)), timeout=5)
    assert (account.address, account.bech32, account.nonce) == (sender, to_bech32(K_COMMIT.address), 1)
    assert account.height >= resp.height
    assert okt_balance(query, sender) == BALANCE - 3 * OKT - FEE
    assert okt_balance(query, to_bech32(recipient.address)) == 3 * OKT
    answer = query.Supply(query_pb2.SupplyRequest(), timeout=5)
    assert answer.supply.denom == "okt"
    assert unminted(answer.supply.amount, answer.height) == BALANCE * len(KEYS)

    by_height = nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=resp.height), timeout=5)
    assert raw in by_height.block.txs
    assert by_height.block_hash == Header.from_proto(by_height.block.header).hash
    assert by_height.block.header.height == resp.height
    assert by_height.results.tx_results[got.index].code == 0
    assert by_height.block.txs[got.index] == raw
    by_hash = nodes.BlockByHash(query_pb2.BlockByHashRequest(hash=by_height.block_hash), timeout=5)
    assert by_hash == by_height


def test_broadcast_sync(txs: query_pb2_grpc.TxServiceStub, query: query_pb2_grpc.QueryServiceStub) -> None:
    raw = transfer(K_SYNC, 0, 7)
    resp = broadcast(txs, raw)
    assert not resp.committed and resp.height == 0
    assert resp.tx_hash == sha256(raw) and resp.result.code == 0

    def committed() -> bool:
        try:
            txs.GetTx(query_pb2.GetTxRequest(hash=resp.tx_hash), timeout=5)
        except grpc.RpcError as err:
            assert err.code() == Status.NOT_FOUND
            return False
        return True

    wait_for(committed)
    assert query.Account(query_pb2.AccountRequest(address=to_checksum(K_SYNC.address)), timeout=5).nonce == 1


def test_simulate(txs: query_pb2_grpc.TxServiceStub, query: query_pb2_grpc.QueryServiceStub) -> None:
    raw = transfer(K_SIM, 0, 5)
    sim = txs.Simulate(query_pb2.SimulateRequest(tx=raw), timeout=5).result
    assert sim.code == 0 and sim.gas_wanted == GAS
    assert sim.gas_used == required_gas(decode_tx(raw), ChainParams())
    assert sim.signer == K_SIM.address
    assert query.Account(query_pb2.AccountRequest(address=to_checksum(K_SIM.address)), timeout=5).nonce == 0
    assert okt_balance(query, to_checksum(K_SIM.address)) == BALANCE  # nothing was committed
    stale = txs.Simulate(query_pb2.SimulateRequest(tx=transfer(K_SIM, 3)), timeout=5).result
    assert stale.code == ResultCode.BAD_NONCE and stale.log == "nonce mismatch: expected 0, got 3"
    expect_error(
        lambda: txs.Simulate(query_pb2.SimulateRequest(tx=b"\x0a\xff"), timeout=5),
        Status.INVALID_ARGUMENT,
        "tx is not a valid TxRaw protobuf",
    )


def test_blocks_and_not_found(
    txs: query_pb2_grpc.TxServiceStub, nodes: query_pb2_grpc.NodeServiceStub
) -> None:
    latest = nodes.LatestBlock(query_pb2.LatestBlockRequest(), timeout=5)
    assert latest.block_hash == Header.from_proto(latest.block.header).hash
    assert latest.results.height == latest.block.header.height
    h = latest.block.header.height
    assert (
        nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=h), timeout=5).block_hash
        == latest.block_hash
    )
    if h > 1:
        parent = nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=h - 1), timeout=5)
        assert latest.block.header.last_block_hash == parent.block_hash
    expect_error(
        lambda: nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=10**12), timeout=5),
        Status.NOT_FOUND,
        "height 1000000000000 is above the latest height",
    )
    expect_error(
        lambda: nodes.BlockByHeight(query_pb2.BlockByHeightRequest(height=0), timeout=5),
        Status.NOT_FOUND,
        "no block at height 0",
    )
    expect_error(
        lambda: nodes.BlockByHash(query_pb2.BlockByHashRequest(hash=bytes(32)), timeout=5),
        Status.NOT_FOUND,
        f"no block with hash {'00' * 32}",
    )
    expect_error(
        lambda: nodes.BlockByHash(query_pb2.BlockByHashRequest(hash=b"\x01"), timeout=5),
        Status.INVALID_ARGUMENT,
        "hash must be 32 bytes, got 1",
    )
    expect_error(
        lambda: txs.GetTx(query_pb2.GetTxRequest(hash=b"\x02" * 32), timeout=5),
        Status.NOT_FOUND,
        f"tx {'02' * 32} is not in a committed block",
    )
    expect_error(
        lambda: txs.GetTx(query_pb2.GetTxRequest(hash=b""), timeout=5),
        Status.INVALID_ARGUMENT,
        "hash must be 32 bytes, got 0",
    )


def test_all_balances_paging(query: query_pb2_grpc.QueryServiceStub) -> None:
    addr = to_checksum(K_PAGING.address)

    def page(**kw: Any) -> Any:
        return query.AllBalances(query_pb2.AllBalancesRequest(address=addr, **kw), timeout=5)

    default = page()
    assert [(c.denom, int(c.amount)) for c in default.balances] == [("okt", BALANCE)]
    assert default.next_page_token == "" and default.height > 0
    one = page(page_size=1)
    assert [c.denom for c in one.balances] == ["okt"] and one.next_page_token == ""
    huge = page(page_size=2**32 - 1)  # capped by the server (MAX_PAGE), not an error
    assert [c.denom for c in huge.balances] == ["okt"]
    assert [c.denom for c in page(page_token="okt").balances] == ["okt"]  # the token is inclusive
    assert list(page(page_token="okt\x00").balances) == []
    empty = query.AllBalances(query_pb2.AllBalancesRequest(address=to_checksum(b"\x99" * 20)), timeout=5)
    assert list(empty.balances) == [] and empty.next_page_token == ""


# --- bad input, each with its exact status and reason ---
def test_garbage_and_wrong_chain(txs: query_pb2_grpc.TxServiceStub) -> None:
    expect_error(
        lambda: broadcast(txs, b"\x0a\xff"), Status.INVALID_ARGUMENT, "tx is not a valid TxRaw protobuf"
    )
    expect_error(lambda: broadcast(txs, b""), Status.INVALID_ARGUMENT, "signature must be 65 bytes, got 0")
    expect_error(
        lambda: broadcast(txs, transfer(K_CHAIN, 0, chain_id="okchain-other-9")),
        Status.INVALID_ARGUMENT,
        "wrong chain id: expected 'okchain-test-1', got 'okchain-other-9'",
    )


def test_bad_signatures(txs: query_pb2_grpc.TxServiceStub, query: query_pb2_grpc.QueryServiceStub) -> None:
    raw = transfer(K_BADSIG, 0)
    sig = decode_tx(raw).signature
    flipped = resign(raw, sig[:64] + bytes([sig[64] ^ 1]))  # recovers another, unfunded, address
    stranger = to_checksum(
        recover_signers([(decode_tx(flipped).body_bytes, decode_tx(flipped).signature)])[0]
    )
    hint = f"; the signature recovers to {stranger}, an account with no OKT and no txs"
    expect_error(
        lambda: broadcast(txs, flipped),
        Status.FAILED_PRECONDITION,
        f"insufficient funds for fee: balance 0okt, needs {FEE}okt{hint}",
    )
    later = transfer(K_BADSIG, 3)  # a later nonce waits in the pool only if its fees are covered
    later_sig = decode_tx(later).signature
    expect_error(
        lambda: broadcast(txs, resign(later, later_sig[:64] + bytes([later_sig[64] ^ 1]))),
        Status.FAILED_PRECONDITION,
        "no OKT and no txs: if that is not the sender, the signature is not over these tx bytes",
    )
    expect_error(
        lambda: broadcast(txs, resign(raw, sig[:64] + b"\x07")),
        Status.UNAUTHENTICATED,
        "signature recovery id must be 0..3, got 7",
    )
    expect_error(
        lambda: broadcast(txs, resign(raw, sig[:64])),
        Status.INVALID_ARGUMENT,
        "signature must be 65 bytes, got 64",
    )
    # None of it touched the real signer: its nonce 0 is still free.
    assert (
        query.Account(query_pb2.AccountRequest(address=to_checksum(K_BADSIG.address)), timeout=5).nonce == 0
    )
    assert broadcast(txs, raw, commit=True).committed


def test_replayed_nonce(txs: query_pb2_grpc.TxServiceStub) -> None:
    first = transfer(K_REPLAY, 0, 1)
    assert broadcast(txs, first, commit=True).committed
    expect_error(
        lambda: broadcast(txs, transfer(K_REPLAY, 0, 2)),
        Status.FAILED_PRECONDITION,
        "nonce mismatch: expected 1, got 0",
    )
    expect_error(
        lambda: broadcast(txs, first), Status.FAILED_PRECONDITION, "nonce mismatch: expected 1, got 0"
    )


def test_duplicate(txs: query_pb2_grpc.TxServiceStub) -> None:
    waiting = transfer(K_DUP, 1)  # nonce 0 never comes, so it stays in the pool (no race with a commit)
    resp = broadcast(txs, waiting)
    assert resp.result.code == 0 and resp.result.log == "queued: nonce 1 waits for nonce 0"
    expect_error(lambda: broadcast(txs, waiting), Status.ALREADY_EXISTS, "tx is already in the mempool")
    # Commit mode on a tx queued behind a missing nonce returns at once: the wait might never end.
    later = transfer(K_DUP, 2)
    request = query_pb2.BroadcastTxRequest(tx=later, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=60_000)
    started = time.monotonic()
    queued = txs.BroadcastTx(request, timeout=10)
    assert time.monotonic() - started < 5
    assert not queued.committed and queued.result.log == "queued: nonce 2 waits for nonce 0"


def test_gapped_nonce_beyond_future_limit(txs: query_pb2_grpc.TxServiceStub) -> None:
    for nonce in range(1, FUTURE_LIMIT + 1):
        assert broadcast(txs, transfer(K_GAP, nonce)).result.log == f"queued: nonce {nonce} waits for nonce 0"
    expect_error(
        lambda: broadcast(txs, transfer(K_GAP, FUTURE_LIMIT + 1)),
        Status.FAILED_PRECONDITION,
        f"nonce mismatch: expected 0, got {FUTURE_LIMIT + 1} "
        f"(a tx may wait at most {FUTURE_LIMIT} nonces ahead; {FUTURE_LIMIT} already waiting)",
    )
    expect_error(
        lambda: broadcast(txs, transfer(K_GAP, 2, 2)),
        Status.FAILED_PRECONDITION,
        "a tx with nonce 2 is already waiting",
    )


def test_insufficient_funds_gas_and_fee(txs: query_pb2_grpc.TxServiceStub) -> None:
    expect_error(
        lambda: broadcast(txs, transfer(K_POOR, 0, BALANCE)),
        Status.FAILED_PRECONDITION,
        f"insufficient funds for transfer: balance {BALANCE - FEE}okt, needs {BALANCE}okt",
    )
    expect_error(
        lambda: broadcast(txs, transfer(K_GAS, 0, gas_limit=1_000, fee=1_000 * MIN_GAS_PRICE)),
        Status.INVALID_ARGUMENT,
        "out of gas: needs ",
    )
    expect_error(
        lambda: broadcast(txs, transfer(K_GAS, 0, fee=FEE - 1)),
        Status.FAILED_PRECONDITION,
        f"fee too low: {FEE - 1} < gas limit {GAS} × min gas price {MIN_GAS_PRICE} = {FEE}",
    )
    expect_error(
        lambda: broadcast(txs, transfer(K_GAS, 0, gas_limit=10_000_001)),
        Status.INVALID_ARGUMENT,
        "gas limit 10000001 exceeds the maximum 10000000",
    )


def test_oversized(txs: query_pb2_grpc.TxServiceStub) -> None:
    outputs = tuple(Output(Address(bytes([i % 256, i // 256]) * 10), "okt", 1) for i in range(800))
    big = transfer(K_BIG, 0, msgs=[MultiSend(outputs)] * 3)
    assert len(big) > 64 * 1024
    expect_error(
        lambda: broadcast(txs, big), Status.RESOURCE_EXHAUSTED, f"tx is {len(big)} bytes, limit is 65536"
    )
    huge = b"\x00" * (4 * 1024 * 1024 + 1)  # beyond the gRPC message limit: refused before any handler runs
    err = rpc_error(lambda: broadcast(txs, huge))
    assert err.code() == Status.RESOURCE_EXHAUSTED
    assert "larger than max" in (err.details() or "")


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "must start with 0x"),
        ("0x1234", "must have 40 hex digits, has 4"),
        ("0xZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "is not hexadecimal"),
        ("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "bad EIP-55 checksum"),
        ("ok1notbech32", "is not valid bech32"),
    ],
)
def test_invalid_addresses(query: query_pb2_grpc.QueryServiceStub, address: str, message: str) -> None:
    expect_error(
        lambda: query.Account(query_pb2.AccountRequest(address=address), timeout=5),
        Status.INVALID_ARGUMENT,
        message,
    )
    expect_error(
        lambda: query.Balance(query_pb2.BalanceRequest(address=address), timeout=5),
        Status.INVALID_ARGUMENT,
        message,
    )
    expect_error(
        lambda: query.AllBalances(query_pb2.AllBalancesRequest(address=address), timeout=5),
        Status.INVALID_ARGUMENT,
        message,
    )


def test_node_keeps_committing_after_bad_input(
    txs: query_pb2_grpc.TxServiceStub,
    query: query_pb2_grpc.QueryServiceStub,
    nodes: query_pb2_grpc.NodeServiceStub,
    node: NodeProcess,
) -> None:
    for bad in (b"\xff" * 10, b"\x00" * (4 * 1024 * 1024 + 1), resign(transfer(K_ALIVE, 0), bytes(65))):
        with pytest.raises(grpc.RpcError):
            broadcast(txs, bad)
    start = height(nodes)
    wait_for(lambda: height(nodes) > start)
    resp = broadcast(txs, transfer(K_ALIVE, 0, 9), commit=True)
    assert resp.committed and resp.result.code == 0 and resp.height > start
    assert query.Account(query_pb2.AccountRequest(address=to_checksum(K_ALIVE.address)), timeout=5).nonce == 1
    assert node.proc is not None and node.proc.poll() is None


def test_broadcast_batch_reports_each_tx_and_commits_the_good_ones(
    txs: query_pb2_grpc.TxServiceStub, query: query_pb2_grpc.QueryServiceStub
) -> None:
    key = KEYS[13]
    good = [transfer(key, n, 10 + n, to=KEYS[14].address) for n in range(40)]  # pooled signature recovery
    wrong_chain = transfer(key, 40, chain_id="other-chain")
    batch = [*good[:20], b"\x00garbage", wrong_chain, *good[20:], good[0]]
    before = okt_balance(query, to_checksum(KEYS[14].address))
    resp = txs.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=batch))
    codes = [r.code for r in resp.results]
    assert codes == [0] * 20 + [ResultCode.TX_DECODE, ResultCode.WRONG_CHAIN_ID] + [0] * 20 + [
        ResultCode.DUPLICATE_TX
    ]
    assert [r.tx_hash for r in resp.results] == [sha256(raw) for raw in batch]
    assert "wrong chain id" in resp.results[21].log
    wait_for(lambda: query.Account(query_pb2.AccountRequest(address=to_checksum(key.address))).nonce == 40)
    assert okt_balance(query, to_checksum(KEYS[14].address)) - before == sum(10 + n for n in range(40))
    too_many = query_pb2.BroadcastTxsRequest(txs=[b"x"] * 1001)
    expect_error(
        lambda: txs.BroadcastTxs(too_many), Status.INVALID_ARGUMENT, "batch has 1001 txs, limit is 1000"
    )


def test_account_reports_the_pending_nonce(
    txs: query_pb2_grpc.TxServiceStub, query: query_pb2_grpc.QueryServiceStub
) -> None:
    key = KEYS[15]
    account = query_pb2.AccountRequest(address=to_checksum(key.address))
    sent = txs.BroadcastTxs(query_pb2.BroadcastTxsRequest(txs=[transfer(key, 0), transfer(key, 1)]))
    assert [r.code for r in sent.results] == [0, 0]
    resp = query.Account(account)
    assert resp.pending_nonce == 2 and resp.nonce in (0, 2)  # committed nonce catches up within a block
    wait_for(lambda: query.Account(account).nonce == 2)
    assert query.Account(account).pending_nonce == 2


def test_invalid_denom_is_refused(query: query_pb2_grpc.QueryServiceStub) -> None:
    request = query_pb2.BalanceRequest(address=to_checksum(KEYS[15].address), denom="x" * 5000)
    expect_error(lambda: query.Balance(request), Status.INVALID_ARGUMENT, "invalid denom")
