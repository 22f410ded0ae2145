"""Bounded DEX history on LevelDB: a height's records go ``dex_history_blocks`` later while open orders stay
and trade, every node prunes alike, pruned orders answer clearly, and ``Pairs`` pages every pair once."""

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

import grpc
import pytest

from okchain._pb.dex.v1 import query_pb2
from okchain.modules.bank import keeper as bank
from okchain.modules.bank.messages import Transfer
from okchain.modules.dex import history
from okchain.modules.dex import keeper as k
from okchain.modules.dex.messages import CancelOrders, ListPair, Side, format_order_id
from okchain.modules.dex.queries import DexReader
from okchain.modules.token.messages import IssueToken
from okchain.rpc.dex_servicer import DexQueryService
from okchain.state import schema
from okchain.state.leveldb import LevelDB
from okchain.types.params import OKT_DENOM, ChainParams, ParamsError
from okchain.types.results import Code
from tests.helpers.chain import OKT, funded_keys
from tests.helpers.dex import PARAMS, DexChain, all_balances, expected_locks, lock_balances, order, place

KEYS = funded_keys(3)
ALICE, BOB, CAROL = KEYS
# the window equals the expiry: the tightest allowed, where a height's last orders expire in the very block
# end that prunes it
HISTORY = dataclasses.replace(PARAMS, dex_history_blocks=PARAMS.dex_order_expiry_blocks)


class Aborted(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code, self.details = code, details


class _Context:
    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        raise Aborted(code, details)


def _service(chain: DexChain) -> DexQueryService:
    return DexQueryService(SimpleNamespace(app=chain.app), None)  # type: ignore[arg-type]


def _first_id(result: Any) -> int:
    return k.order_id(result_height(result), 0)


def result_height(result: Any) -> int:
    text = dict(result.events[0].attributes)["first_id"]
    return int(text.split("-")[0])


def _history_keys(chain: DexChain, height: int) -> list[bytes]:
    """Every DEX state key that belongs to the per-height history of ``height``."""
    owners = [key.address for key in KEYS]
    keys = [schema.dex_orders(height, 0), schema.dex_order_count(height), schema.dex_journal(height)]
    keys += [schema.dex_address_orders(o, height) for o in owners]
    keys += [schema.dex_deal(0, height), schema.dex_fills(0, height, 0), schema.dex_traded(height)]
    return [key for key in keys if chain.reader.get(key) is not None]


def _scenario(path: Path) -> tuple[DexChain, dict[str, int], list[bytes]]:
    """A trade, a resting order, a cancel and expiries; returns the chain, the heights and ids, and the app
    hash of every block."""
    chain = DexChain(LevelDB(path), KEYS, HISTORY)
    xyz = chain.issue(ALICE, "xyz")
    pair = chain.list_pair(ALICE, xyz, OKT_DENOM, p=2, q=1, minimum=10**17)
    assert chain.run(ALICE, [Transfer(BOB.address, xyz, 1_000 * OKT)]).ok
    hashes = []
    trade = chain.block(
        [
            chain.tx(ALICE, [place(order(pair, Side.SELL, "2", "5"))]),
            chain.tx(BOB, [place(order(pair, Side.BUY, "2.1", "2"))]),
            chain.tx(CAROL, [place(order(pair, Side.BUY, "1", "1"))]),
        ]
    )
    assert all(r.ok for r in trade.results), [r.log for r in trade.results]
    hashes.append(trade.app_hash)
    h0 = trade.block.header.height
    carol = k.order_id(h0, 2)
    cancel = chain.block([chain.tx(CAROL, [CancelOrders((carol,))])])
    assert cancel.results[0].ok, cancel.results[0].log
    hashes.append(cancel.app_hash)
    resting = chain.block([chain.tx(ALICE, [place(order(pair, Side.SELL, "3", "3"))])])
    hashes.append(resting.app_hash)
    ids = {"h0": h0, "alice_h0": k.order_id(h0, 0), "carol": carol, "resting": _first_id(resting.results[0])}
    return chain, ids, hashes


def test_old_history_is_pruned_while_open_orders_survive_and_match(tmp_path: Path) -> None:
    chain, ids, _ = _scenario(tmp_path / "db")
    h0, window = ids["h0"], HISTORY.dex_history_blocks
    assert len(_history_keys(chain, h0)) == 8  # rows, count, 3 owners, deal, fills, traded (no journal)
    while chain.app.last.height < h0 + window - 1:
        chain.block([])
    assert _history_keys(chain, h0), "kept through the window"
    chain.block([])  # h0 + window: Alice's rest of 3 expires, then h0 is pruned in the same block end
    assert _history_keys(chain, h0) == []
    assert k.get_order(chain.reader, ids["alice_h0"]) is None
    assert schema.dex_journal(h0 + 1) in _history_keys(chain, h0 + 1)  # Carol's cancel: kept one block more
    resting = k.get_order(chain.reader, ids["resting"])
    assert resting is not None and int(resting["status"]) == k.Status.OPEN
    book = k.load_book(chain.reader, 0).rows
    assert book["id"].tolist() == [ids["resting"]]
    # the resting order, older than the pruned heights' neighbours, still trades
    buy = chain.run(BOB, [place(order(chain_pair(chain), Side.BUY, "3", "3"))])
    assert buy.ok, buy.log
    resting = k.get_order(chain.reader, ids["resting"])
    assert resting is not None and int(resting["status"]) == k.Status.FILLED
    assert chain.reader.get(schema.dex_deal(0, chain.app.last.height)) is not None
    listed = DexReader(chain.reader, 0).orders(ALICE.address, "", 0, 100)[0]
    assert [v.id for v in listed] == [format_order_id(ids["resting"])]  # the index holds no pruned height
    for _ in range(window + 1):
        chain.block([])
    earliest = history.earliest_kept(HISTORY, chain.app.last.height)
    for key, _value in chain.reader.iterate(schema.DEX):
        placed = schema.dex_placed_height(key)
        assert placed is None or placed >= earliest, key
    assert lock_balances(chain.reader) == expected_locks(chain.reader, HISTORY) == {}
    assert all_balances(chain.reader)[OKT_DENOM] == bank.get_supply(chain.reader, OKT_DENOM)


def chain_pair(chain: DexChain) -> str:
    return k.get_pair(chain.reader, 0).name


def test_two_runs_prune_to_the_same_app_hashes(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        chain, _, hashes = _scenario(tmp_path / name)
        for _ in range(2 * HISTORY.dex_history_blocks):
            hashes.append(chain.block([]).app_hash)
        runs.append(hashes)
    assert runs[0] == runs[1]


def test_a_pruned_order_answers_out_of_range_and_cannot_be_cancelled(tmp_path: Path) -> None:
    chain, ids, _ = _scenario(tmp_path / "db")
    while chain.app.last.height < ids["h0"] + HISTORY.dex_history_blocks:
        chain.block([])
    service = _service(chain)
    text = format_order_id(ids["alice_h0"])
    with pytest.raises(Aborted) as refused:
        service.Order(query_pb2.OrderRequest(id=text), _Context())  # type: ignore[arg-type]
    assert refused.value.code == grpc.StatusCode.OUT_OF_RANGE
    assert f"kept from height {ids['h0'] + 1}" in refused.value.details
    kept = service.Order(query_pb2.OrderRequest(id=format_order_id(ids["resting"])), _Context())  # type: ignore[arg-type]
    assert kept.order.status == "open"
    with pytest.raises(Aborted) as missing:
        service.Order(query_pb2.OrderRequest(id=f"{ids['h0'] + 1}-99"), _Context())  # type: ignore[arg-type]
    assert missing.value.code == grpc.StatusCode.NOT_FOUND
    cancel = chain.run(ALICE, [CancelOrders((ids["alice_h0"],))])
    assert cancel.code == Code.DEX_UNKNOWN_ORDER and "pruned" in cancel.log


def test_pairs_pages_return_every_pair_once(tmp_path: Path) -> None:
    chain = DexChain(LevelDB(tmp_path / "db"), KEYS, HISTORY)
    symbols = [f"t{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(23)]
    issued = chain.run(ALICE, [IssueToken(s, s.upper(), 10**6 * OKT, False) for s in symbols])
    assert issued.ok, issued.log
    denoms = [dict(e.attributes)["denom"] for e in issued.events if "denom" in dict(e.attributes)]
    assert len(denoms) == len(symbols)
    listed = chain.run(ALICE, [ListPair(d, OKT_DENOM, 2, 2, 10**16) for d in denoms])
    assert listed.ok, listed.log
    service = _service(chain)
    names: list[str] = []
    token, pages = "", 0
    while True:
        request = query_pb2.PairsRequest(page_token=token, page_size=5)
        page = service.Pairs(request, _Context())  # type: ignore[arg-type]
        assert len(page.pairs) <= 5
        names += [p.name for p in page.pairs]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 5 and names == [f"{d}_{OKT_DENOM}" for d in denoms]
    whole = service.Pairs(query_pb2.PairsRequest(), _Context())  # type: ignore[arg-type]
    assert [p.name for p in whole.pairs] == names and whole.next_page_token == ""
    with pytest.raises(Aborted) as bad:
        service.Pairs(query_pb2.PairsRequest(page_token="nonsense"), _Context())  # type: ignore[arg-type]
    assert bad.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_the_window_never_drops_an_order_that_may_be_open() -> None:
    with pytest.raises(ParamsError, match="dex_history_blocks"):
        ChainParams(dex_order_expiry_blocks=10, dex_history_blocks=9)
    assert ChainParams(dex_order_expiry_blocks=10, dex_history_blocks=0).dex_history_blocks == 0
    assert ChainParams().dex_history_blocks >= ChainParams().dex_order_expiry_blocks
    assert (
        ChainParams.from_json(ChainParams(dex_history_blocks=90_000).to_json()).dex_history_blocks == 90_000
    )
