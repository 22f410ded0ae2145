"""End to end with real processes: OKB snapshot → genesis → node → CLI transfers → SIGKILL under load →
restart → heights, app hashes, balances and every reported-committed tx intact."""

import json
import threading
from pathlib import Path
from typing import Any

import grpc

from okchain._pb.node.v1 import query_pb2, query_pb2_grpc
from okchain.crypto.address import to_checksum
from okchain.crypto.hd import account_from_mnemonic
from okchain.crypto.secp import AccountKey
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.bank.messages import Transfer
from okchain.tx.envelope import build_tx, decode_tx
from tests.helpers.chain import CHAIN_ID, DEV_MNEMONIC, OKT
from tests.helpers.processes import NodeProcess, okchaind, unminted

GENESIS_BALANCE = 1_000_000 * OKT
GAS = 50_000


def hd_keys(n: int) -> list[AccountKey]:
    return [account_from_mnemonic(DEV_MNEMONIC, path=f"m/44'/60'/0'/0/{i}") for i in range(n)]


def cli_json(*args: str) -> Any:
    return json.loads(okchaind(*args).stdout)


def balance(node: NodeProcess, key: AccountKey) -> int:
    out = cli_json("query", "balance", to_checksum(key.address), "--node", node.target)
    return int(out["amount"])


def load(
    target: str,
    key: AccountKey,
    to: AccountKey,
    stop: threading.Event,
    committed: list[tuple[str, int]],
    min_gas_price: int,
) -> None:
    """Send transfers one by one in commit mode, recording every tx the node reports committed."""
    with grpc.insecure_channel(target) as channel:
        tx_stub = query_pb2_grpc.TxServiceStub(channel)
        q = query_pb2_grpc.QueryServiceStub(channel)
        nonce = q.Account(query_pb2.AccountRequest(address=to_checksum(key.address))).nonce
        while not stop.is_set():
            raw = build_tx(
                key,
                chain_id=CHAIN_ID,
                nonce=nonce,
                msgs=[Transfer(to.address, "okt", 1000 + nonce)],
                gas_limit=GAS,
                fee=GAS * min_gas_price,
            )
            try:
                resp = tx_stub.BroadcastTx(
                    query_pb2.BroadcastTxRequest(
                        tx=raw, mode=query_pb2.BROADCAST_MODE_COMMIT, timeout_ms=5000
                    ),
                    timeout=10,
                )
            except grpc.RpcError:
                return  # the node was killed
            if resp.committed:
                committed.append((resp.tx_hash.hex(), resp.height))
            nonce += 1


def chain_history(target: str, up_to: int) -> list[tuple[bytes, bytes]]:
    """(block hash, app hash after the block) for heights 1..up_to."""
    with grpc.insecure_channel(target) as channel:
        stub = query_pb2_grpc.NodeServiceStub(channel)
        out = []
        for h in range(1, up_to + 1):
            r = stub.BlockByHeight(query_pb2.BlockByHeightRequest(height=h))
            out.append((r.block_hash, r.results.app_hash))
        return out


def test_snapshot_to_restart_end_to_end(node_factory: Any, tmp_path: Path) -> None:
    keys = hd_keys(6)
    node: NodeProcess = node_factory(keys, block_time_ms=200)
    snapshot = tmp_path / "node-snapshot.csv"

    # The node's genesis is a proven 1:1 image of the snapshot; the standalone migrate agrees.
    okchaind("genesis", "verify", "--snapshot", str(snapshot), str(node.home / "config" / "genesis.json"))
    okchaind(
        "genesis",
        "migrate",
        "--snapshot",
        str(snapshot),
        "--chain-id",
        CHAIN_ID,
        "--out",
        str(tmp_path / "g.json"),
    )
    okchaind("genesis", "verify", "--snapshot", str(snapshot), str(tmp_path / "g.json"))

    node.start()
    info = cli_json("query", "node", "--node", node.target)
    fields = query_pb2.NodeInfoResponse.DESCRIPTOR.fields_by_name
    assert set(info) == set(fields), "query node prints every NodeInfo field"
    assert info["is_validator"] is True and info["catching_up"] is False and len(info["node_id"]) == 40
    min_gas_price = int(info["min_gas_price"])
    fee = GAS * min_gas_price
    assert balance(node, keys[1]) == GENESIS_BALANCE

    # Signed transfers with the CLI: balances change exactly.
    pw = tmp_path / "pw"
    pw.write_text("secret\n")
    mnemonic_file = tmp_path / "mnemonic"
    mnemonic_file.write_text(DEV_MNEMONIC + "\n")
    okchaind(
        "keys",
        "add",
        "alice",
        "--recover",
        "--mnemonic-file",
        str(mnemonic_file),
        "--home",
        str(node.home),
        "--password-file",
        str(pw),
    )

    def send(to: AccountKey, amount: str, key_name: str = "alice") -> Any:
        return cli_json(
            "tx",
            "send",
            key_name,
            to_checksum(to.address),
            amount,
            "--home",
            str(node.home),
            "--password-file",
            str(pw),
            "--node",
            node.target,
        )

    sent = send(keys[1], "1.5okt")
    assert sent["committed"] and sent["result"]["code"] == 0
    second = send(keys[1], "250")
    assert second["result"]["nonce"] == "1"
    assert balance(node, keys[1]) == GENESIS_BALANCE + 1_500_000_000_000_000_000 + 250
    assert balance(node, keys[0]) == GENESIS_BALANCE - 1_500_000_000_000_000_000 - 250 - 2 * fee
    tx_seen = cli_json("query", "tx", sent["tx_hash"], "--node", node.target)
    assert tx_seen["height"] == sent["height"]

    # Load from four accounts, SIGKILL in the middle of it.
    stop = threading.Event()
    committed: list[tuple[str, int]] = []
    threads = [
        threading.Thread(target=load, args=(node.target, keys[i], keys[5], stop, committed, min_gas_price))
        for i in range(1, 5)
    ]
    for t in threads:
        t.start()
    while len(committed) < 20:
        threading.Event().wait(0.05)
    before = cli_json("query", "block", "--node", node.target)
    history = chain_history(node.target, int(before["header"]["height"]))
    node.kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    reported = list(committed)
    assert len(reported) >= 20

    node.start()
    after_restart = cli_json("query", "node", "--node", node.target)
    assert int(after_restart["latest_height"]) >= int(before["header"]["height"])
    again = cli_json("query", "block", before["header"]["height"], "--node", node.target)
    assert again["block_hash"] == before["block_hash"]
    assert again["app_hash_after"] == before["app_hash_after"]
    assert chain_history(node.target, len(history)) == history  # every block and app hash, not just the last

    expected = {k.address: GENESIS_BALANCE for k in keys}
    expected[FEE_COLLECTOR] = 0
    with grpc.insecure_channel(node.target) as channel:
        # Every tx the node reported committed is still there, at the same height.
        tx_stub = query_pb2_grpc.TxServiceStub(channel)
        for tx_hash, height in reported:
            stored = tx_stub.GetTx(query_pb2.GetTxRequest(hash=bytes.fromhex(tx_hash)))
            assert stored.height == height and stored.result.code == 0

        # Balances equal genesis replayed with every committed tx (all blocks read back over gRPC).
        stub = query_pb2_grpc.NodeServiceStub(channel)
        latest = stub.LatestBlock(query_pb2.LatestBlockRequest()).block.header.height
        for h in range(1, latest + 1):
            resp = stub.BlockByHeight(query_pb2.BlockByHeightRequest(height=h))
            for raw, result in zip(resp.block.txs, resp.results.tx_results, strict=True):
                tx = decode_tx(raw)
                signer = bytes(result.signer)
                expected[signer] -= int(result.fee)
                expected[FEE_COLLECTOR] += int(result.fee)
                if result.code == 0:
                    for msg in tx.msgs:
                        assert isinstance(msg, Transfer)
                        expected[signer] -= msg.amount
                        expected[msg.to] += msg.amount
    for key in keys:
        assert balance(node, key) == expected[key.address]
    supply = cli_json("query", "supply", "--node", node.target)
    assert unminted(supply["amount"], supply["height"]) == GENESIS_BALANCE * len(keys)
    # And the chain keeps committing after the restart.
    more = send(keys[2], "7")
    assert more["committed"]
    # A key that arrives as a geth/MetaMask keystore file (v3 JSON) signs too.
    keystore = tmp_path / "alice.keystore.json"
    keystore.write_text(okchaind("keys", "export", "alice", "--home", str(node.home)).stdout)
    okchaind(
        "keys",
        "import",
        "wallet",
        str(keystore),
        "--keystore-password-file",
        str(pw),
        "--password-file",
        str(pw),
        "--home",
        str(node.home),
    )
    imported = send(keys[3], "0.25okt", key_name="wallet")
    assert imported["committed"] and imported["from"] == to_checksum(keys[0].address)
    assert node.stop() == 0
