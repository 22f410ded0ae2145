"""Driving the real Application with DEX traffic: tokens, pairs, orders, blocks; and the accounting checks."""

import dataclasses
from collections import Counter

from okchain.app import FinalizedBlock
from okchain.crypto.secp import AccountKey
from okchain.genesis.document import GenesisDoc
from okchain.modules.bank import keeper as bank
from okchain.modules.dex import keeper as k
from okchain.modules.dex.messages import ListPair, OrderSpec, PlaceOrders, Side, pair_name
from okchain.modules.token.messages import IssueToken
from okchain.state import schema
from okchain.state.store import KVReader, KVStore
from okchain.tx.envelope import build_tx
from okchain.tx.registry import Msg
from okchain.types.params import OKT_DENOM, ChainParams
from okchain.types.results import TxResult
from tests.helpers.app import VALIDATOR, Chain
from tests.helpers.chain import CHAIN_ID, OKT, make_genesis

FEE = 10**15
GAS = 2_000_000
PARAMS = ChainParams(
    dex_list_fee=10 * OKT, dex_order_expiry_blocks=4, dex_fee_per_block=1_000, mint_initial_per_block=0
)
SUPPLY = 10**9 * OKT


def genesis(keys: list[AccountKey], params: ChainParams = PARAMS) -> GenesisDoc:
    doc = make_genesis(keys, VALIDATOR, 1_000_000 * OKT)
    return GenesisDoc(dataclasses.replace(doc.header, params=params), doc.accounts)


class DexChain:
    """The application plus nonce bookkeeping; every helper commits real blocks."""

    def __init__(self, db: KVStore, keys: list[AccountKey], params: ChainParams = PARAMS) -> None:
        self.keys = keys
        self.chain = Chain(db, genesis(keys, params))
        self.app = self.chain.app
        self.nonces: Counter[bytes] = Counter()
        self.burned = 0  # OKT burned by listing fees

    def tx(self, key: AccountKey, msgs: list[Msg]) -> bytes:
        raw = build_tx(
            key, chain_id=CHAIN_ID, nonce=self.nonces[key.address], msgs=msgs, gas_limit=GAS, fee=FEE
        )
        self.nonces[key.address] += 1
        return raw

    def block(self, txs: list[bytes]) -> FinalizedBlock:
        """Run ``txs`` through prepare_proposal first, as the proposer does: when none of them fails,
        finalize_block reuses that execution (and only then runs the block end); otherwise it re-executes."""
        self.app.prepare_proposal(txs)
        return self.chain.produce(txs)

    def run(self, key: AccountKey, msgs: list[Msg]) -> TxResult:
        """One tx in its own block; returns its result."""
        return self.block([self.tx(key, msgs)]).results[0]

    def issue(self, key: AccountKey, symbol: str) -> str:
        result = self.run(key, [IssueToken(symbol, symbol.upper(), SUPPLY, False)])
        assert result.ok, result.log
        self.burned += self.app.params.token_issue_fee
        return dict(result.events[0].attributes)["denom"]

    def list_pair(
        self, key: AccountKey, base: str, quote: str, p: int = 2, q: int = 2, minimum: int = 0
    ) -> str:
        result = self.run(key, [ListPair(base, quote, p, q, minimum or 10 ** (18 - q))])
        assert result.ok, result.log
        self.burned += self.app.params.dex_list_fee
        return pair_name(base, quote)

    @property
    def reader(self) -> KVReader:
        return self.app.db


def order(pair: str, side: Side, price: str, quantity: str) -> OrderSpec:
    from okchain.modules.dex.messages import parse_decimal

    return OrderSpec(pair, side, parse_decimal(price, "price"), parse_decimal(quantity, "quantity"))


def place(*orders: OrderSpec) -> PlaceOrders:
    return PlaceOrders(tuple(orders))


def all_balances(reader: KVReader) -> dict[str, int]:
    """Sum of every account's balance per denom (module accounts included)."""
    totals: Counter[str] = Counter()
    prefix = schema.STATE + b"bank/b/"
    for key, value in reader.iterate(prefix):
        totals[key[len(prefix) + 21 :].decode()] += int.from_bytes(value, "big")
    return dict(totals)


def expected_locks(reader: KVReader, params: ChainParams) -> dict[str, int]:
    """What the lock account must hold: every open order's remaining lock plus its fee reserve."""
    locks: Counter[str] = Counter()
    last = reader.get(schema.META_LAST)
    assert last is not None
    from okchain.state.blockstore import LastCommitted

    height = LastCommitted.decode(last).height
    pairs = {p.id: p for p in k.all_pairs(reader)}
    for h in range(1, height + 1):
        rows = k.block_orders(reader, h)
        for r in rows[rows["status"] == k.Status.OPEN]:
            pair = pairs[int(r["pair"])]
            denom, amount = k.order_lock(
                pair, int(r["side"]), int(r["price"]), int(r["quantity"] - r["filled"])
            )
            locks[denom] += amount
            locks[OKT_DENOM] += k.fee_reserve(params)
    return {d: v for d, v in locks.items() if v}


def lock_balances(reader: KVReader) -> dict[str, int]:
    return dict(bank.all_balances(reader, k.DEX_LOCK, "", 1000))
