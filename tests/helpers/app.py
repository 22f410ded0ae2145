"""The application driven block by block like a node does: shared by the app, token and dex tests."""

import dataclasses
from typing import Any

from okchain.app import Application, FinalizedBlock
from okchain.consensus import solo
from okchain.crypto.address import Address
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc
from okchain.modules.bank import keeper as bank
from okchain.modules.bank.messages import BankMsg, Transfer
from okchain.state import blockstore, schema
from okchain.state.store import KVStore
from okchain.tx.envelope import build_tx
from okchain.types.block import Block, Commit
from okchain.types.params import ChainParams
from tests.helpers.chain import CHAIN_ID, OKT, funded_keys, make_genesis

BALANCE = 1_000_000 * OKT
FEE = 10**15
GAS = 200_000
VALIDATOR = ValidatorKey(b"\x01" * 32)
KEYS = funded_keys(4)


class Chain:
    """One application plus the single validator, producing blocks exactly like ``Node.produce_block``."""

    def __init__(self, db: KVStore, genesis: GenesisDoc, **kwargs: int) -> None:
        self.db = db
        self.app = Application(db, genesis, **kwargs)
        self.last_commit = blockstore.commit_at(db, self.app.last.height)

    def decide(self, txs: list[bytes]) -> tuple[Block, Commit]:
        app = self.app
        tip = solo.ChainTip(app.chain_id, app.last, app.validators_hash, self.last_commit)
        return solo.decide(tip, txs, app.last.time_ns + 1_000_000_000, VALIDATOR)

    def apply(self, block: Block, commit: Commit) -> FinalizedBlock:
        finalized = self.app.finalize_block(block, commit)
        self.app.commit()
        self.last_commit = commit
        return finalized

    def produce(self, txs: list[bytes]) -> FinalizedBlock:
        return self.apply(*self.decide(txs))


def genesis(params: ChainParams | None = None) -> GenesisDoc:
    doc = make_genesis(KEYS, VALIDATOR, BALANCE)
    if params is None:
        return doc
    return GenesisDoc(dataclasses.replace(doc.header, params=params), doc.accounts)


def tx(
    key: AccountKey,
    nonce: int,
    msgs: list[BankMsg],
    *,
    fee: int = FEE,
    gas_limit: int = GAS,
    chain_id: str = CHAIN_ID,
    memo: str = "",
) -> bytes:
    return build_tx(key, chain_id=chain_id, nonce=nonce, msgs=msgs, gas_limit=gas_limit, fee=fee, memo=memo)


def send(key: AccountKey, nonce: int, to: AccountKey | bytes, amount: int, **kw: Any) -> bytes:
    addr = to.address if isinstance(to, AccountKey) else Address(to)
    return tx(key, nonce, [Transfer(addr, "okt", amount)], **kw)


def with_signature(raw: bytes, signature: bytes) -> bytes:
    from okchain._pb.tx.v1 import tx_pb2

    env = tx_pb2.TxRaw.FromString(raw)
    return tx_pb2.TxRaw(body_bytes=env.body_bytes, signature=signature).SerializeToString(deterministic=True)


def state_items(db: KVStore) -> dict[bytes, bytes]:
    return dict(db.iterate(schema.STATE))


def balances(db: KVStore) -> dict[tuple[bytes, str], int]:
    prefix = schema.STATE + b"bank/b/"
    out: dict[tuple[bytes, str], int] = {}
    for key, value in db.iterate(prefix):
        rest = key[len(prefix) :]
        out[(rest[:20], rest[21:].decode())] = int.from_bytes(value, "big")
    return out


def okt(db: KVStore, who: AccountKey | bytes) -> int:
    return bank.get_balance(db, who.address if isinstance(who, AccountKey) else who, "okt")


def assert_supply_conserved(db: KVStore) -> None:
    total = sum(v for (_, denom), v in balances(db).items() if denom == "okt")
    assert total == bank.get_supply(db, "okt") == BALANCE * len(KEYS)
