"""DEX messages through the real Application on LevelDB: listing, placing, matching, cancelling, expiry, and
every bad input refused with its reason while nothing is locked or lost (only the tx fee is paid)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from okchain._pb.dex.v1 import dex_pb2
from okchain._pb.tx.v1 import tx_pb2
from okchain.modules.accounts import FEE_COLLECTOR
from okchain.modules.bank import keeper as bank
from okchain.modules.dex import keeper as k
from okchain.modules.dex import queries
from okchain.modules.dex.auction import MAX_QUANTITY_LOTS
from okchain.modules.dex.messages import (
    MAX_ITEMS,
    CancelOrders,
    DelistPair,
    ListPair,
    Side,
    format_order_id,
    parse_order_id,
)
from okchain.modules.token.messages import BurnToken, IssueToken
from okchain.state.leveldb import LevelDB
from okchain.tx.envelope import decode_tx, sign_tx
from okchain.tx.registry import Msg
from okchain.types.fields import TxDecodeError
from okchain.types.params import OKT_DENOM
from okchain.types.results import Code
from tests.helpers.app import FEE
from tests.helpers.chain import OKT, funded_keys
from tests.helpers.dex import DexChain, all_balances, expected_locks, lock_balances, order, place

KEYS = funded_keys(4)
ALICE, BOB, CAROL, _ = KEYS


@pytest.fixture
def dex(tmp_path: Path) -> Iterator[tuple[DexChain, str, str]]:
    db = LevelDB(tmp_path / "db")
    chain = DexChain(db, KEYS)
    xyz = chain.issue(ALICE, "xyz")
    pair = chain.list_pair(ALICE, xyz, OKT_DENOM, p=2, q=1, minimum=10**18)
    # Bob holds some xyz to sell
    from okchain.modules.bank.messages import Transfer

    assert chain.run(ALICE, [Transfer(BOB.address, xyz, 1_000 * OKT)]).ok
    yield chain, pair, xyz
    db.close()


def _id(result_events: object) -> str:
    return dict(result_events.events[0].attributes)["first_id"]  # type: ignore[attr-defined]


def test_cross_fills_at_one_price_fees_to_owner_refund_to_buyer(dex: tuple[DexChain, str, str]) -> None:
    chain, pair, xyz = dex
    r = chain.reader
    before = {
        a.address: (bank.get_balance(r, a.address, xyz), bank.get_balance(r, a.address, OKT_DENOM))
        for a in KEYS
    }
    sell = chain.tx(BOB, [place(order(pair, Side.SELL, "2", "10"))])
    buy = chain.tx(CAROL, [place(order(pair, Side.BUY, "2.5", "4"))])
    fin = chain.block([sell, buy])
    assert all(res.ok for res in fin.results)
    r = chain.reader
    buy_id = parse_order_id(_id(fin.results[1]))
    sell_id = parse_order_id(_id(fin.results[0]))
    assert buy_id is not None and sell_id is not None
    b, s = k.get_order(r, buy_id), k.get_order(r, sell_id)
    assert b is not None and s is not None
    assert (int(b["filled"]), int(b["status"])) == (40, k.Status.FILLED)  # 4.0 at 1 decimal = 40 lots
    assert (int(s["filled"]), int(s["status"])) == (40, k.Status.OPEN)
    pair_rec = k.find_pair(r, pair)
    assert pair_rec is not None
    price = pair_rec.last_price  # ticks at 2 decimals, between the two limits
    assert 200 <= price <= 250
    quote = 4 * price * 10**16  # 4 xyz at price/100 OKT
    # Carol: receives 4 xyz less 0.1%, pays quote + fee + the fee charged for 0 blocks; reserve refunded
    assert bank.get_balance(r, CAROL.address, xyz) == 4 * OKT - 4 * OKT // 1000
    assert bank.get_balance(r, CAROL.address, OKT_DENOM) == before[CAROL.address][1] - FEE - quote
    # Bob: receives the quote less 0.1%; his remaining 6 xyz and the fee reserve stay locked
    assert (
        bank.get_balance(r, BOB.address, OKT_DENOM)
        == before[BOB.address][1] - FEE - chain.app.params.dex_fee_per_block * 4 + quote - quote // 1000
    )
    assert bank.get_balance(r, BOB.address, xyz) == before[BOB.address][0] - 10 * OKT
    # pair owner (Alice) got both deal fees
    assert bank.get_balance(r, ALICE.address, xyz) == before[ALICE.address][0] + 4 * OKT // 1000
    assert lock_balances(r) == expected_locks(r, chain.app.params)


def test_cancel_refunds_and_expiry_closes(dex: tuple[DexChain, str, str]) -> None:
    chain, pair, _xyz = dex
    res = chain.run(CAROL, [place(order(pair, Side.BUY, "1", "3"), order(pair, Side.BUY, "1.1", "2"))])
    assert res.ok, res.log
    first = parse_order_id(_id(res))
    assert first is not None
    assert lock_balances(chain.reader) == expected_locks(chain.reader, chain.app.params)
    params = chain.app.params
    okt = bank.get_balance(chain.reader, CAROL.address, OKT_DENOM)
    chain.block([])
    cancel = chain.run(CAROL, [CancelOrders((first,))])  # placed 2 blocks before the cancel's block
    assert cancel.ok
    rec = k.get_order(chain.reader, first)
    assert rec is not None and int(rec["status"]) == k.Status.CANCELLED
    assert int(rec["closed"]) == chain.app.last.height == (first >> 24) + 2
    charged = 2 * params.dex_fee_per_block
    # block begin paid out what earlier blocks collected: the collector holds this block's fees only
    assert bank.get_balance(chain.reader, FEE_COLLECTOR, OKT_DENOM) == FEE + charged
    refund = 3 * OKT + params.dex_fee_per_block * params.dex_order_expiry_blocks - charged  # 3 at 1 OKT
    assert bank.get_balance(chain.reader, CAROL.address, OKT_DENOM) == okt - FEE + refund
    again = chain.run(CAROL, [CancelOrders((first,))])
    assert again.code == Code.DEX_ORDER_CLOSED and "already closed (cancelled)" in again.log
    for _ in range(chain.app.params.dex_order_expiry_blocks):
        chain.block([])
    rec = k.get_order(chain.reader, first + 1)
    assert rec is not None and int(rec["status"]) == k.Status.EXPIRED
    assert lock_balances(chain.reader) == {}
    assert all_balances(chain.reader)[OKT_DENOM] == bank.get_supply(chain.reader, OKT_DENOM)


def test_delist_cancels_every_open_order(dex: tuple[DexChain, str, str]) -> None:
    chain, pair, _ = dex
    assert chain.run(CAROL, [place(order(pair, Side.BUY, "1", "3"))]).ok
    not_owner = chain.run(CAROL, [DelistPair(pair)])
    assert not_owner.code == Code.DEX_NOT_OWNER
    assert chain.run(ALICE, [DelistPair(pair)]).ok
    assert lock_balances(chain.reader) == {}
    res = chain.run(CAROL, [place(order(pair, Side.BUY, "1", "3"))])
    assert res.code == Code.DEX_UNKNOWN_PAIR and "delisted" in res.log


def _refused(chain: DexChain, key: object, msgs: list[Msg], code: Code, reason: str) -> None:
    """The tx fails with ``code``/``reason``; the signer pays only the fee; the lock account is unchanged."""
    r = chain.reader
    addr = key.address  # type: ignore[attr-defined]
    balances = dict(bank.all_balances(r, addr, "", 100))
    locks = lock_balances(r)
    res = chain.run(key, msgs)  # type: ignore[arg-type]
    assert res.code == code, res.log
    assert reason in res.log, res.log
    r = chain.reader
    after = dict(bank.all_balances(r, addr, "", 100))
    balances[OKT_DENOM] -= FEE
    assert after == balances
    assert lock_balances(r) == locks


def test_bad_orders_refused_with_reason(dex: tuple[DexChain, str, str]) -> None:
    chain, pair, _xyz = dex
    bad = [
        (
            place(order(pair, Side.BUY, "1.001", "1")),
            Code.INVALID_MSG,
            "price 1.001 has more than 2 decimals",
        ),
        (
            place(order(pair, Side.BUY, "1", "1.25")),
            Code.INVALID_MSG,
            "quantity 1.25 has more than 1 decimals",
        ),
        (place(order(pair, Side.BUY, "1", "0.5")), Code.INVALID_MSG, "below the minimum 1 of"),
        (place(order("abc_okt", Side.BUY, "1", "1")), Code.DEX_UNKNOWN_PAIR, "pair 'abc_okt' is not listed"),
        (
            place(order(pair, Side.BUY, "1", "2000000")),
            Code.INSUFFICIENT_FUNDS,
            "insufficient funds for order lock",
        ),
        (
            place(order(pair, Side.SELL, "1", "1001")),
            Code.INSUFFICIENT_FUNDS,
            "insufficient funds for order lock",
        ),
        # the second order is bad: the first is not placed either
        (
            place(order(pair, Side.BUY, "1", "1"), order(pair, Side.BUY, "0.001", "1")),
            Code.INVALID_MSG,
            "order 1",
        ),
    ]
    for msg, code, reason in bad:
        _refused(chain, BOB, [msg], code, reason)
    assert k.order_count(chain.reader, chain.app.last.height) == 0


def test_bad_cancels_refused_with_reason(dex: tuple[DexChain, str, str]) -> None:
    chain, pair, _ = dex
    res = chain.run(CAROL, [place(order(pair, Side.BUY, "1", "3"))])
    oid = parse_order_id(_id(res))
    assert oid is not None
    _refused(
        chain,
        BOB,
        [CancelOrders((oid,))],
        Code.DEX_NOT_OWNER,
        f"order {format_order_id(oid)} belongs to another",
    )
    missing = parse_order_id("1-5")
    assert missing is not None
    _refused(chain, CAROL, [CancelOrders((missing,))], Code.DEX_UNKNOWN_ORDER, "order 1-5 does not exist")
    fill = chain.run(BOB, [place(order(pair, Side.SELL, "1", "3"))])
    assert fill.ok
    _refused(chain, CAROL, [CancelOrders((oid,))], Code.DEX_ORDER_CLOSED, "already closed (filled)")


def test_listing_burns_the_fee_and_makes_the_signer_owner(dex: tuple[DexChain, str, str]) -> None:
    chain, _, xyz = dex
    abc = chain.issue(BOB, "abc")
    supply = bank.get_supply(chain.reader, OKT_DENOM)
    res = chain.run(BOB, [ListPair(abc, xyz, 3, 2, 5 * 10**16)])
    assert res.ok, res.log
    assert bank.get_supply(chain.reader, OKT_DENOM) == supply - chain.app.params.dex_list_fee  # burned
    pair = k.find_pair(chain.reader, f"{abc}_{xyz}")
    assert pair is not None and pair.owner == BOB.address and pair.min_lots == 5 and pair.active


def test_bad_listings_refused(dex: tuple[DexChain, str, str]) -> None:
    chain, _pair, xyz = dex
    _refused(chain, BOB, [ListPair(xyz, "okt", 2, 1, 10**16)], Code.INVALID_MSG, "more than 1 decimals")
    _refused(chain, BOB, [ListPair(OKT_DENOM, xyz, 2, 2, 10**16)], Code.DEX_DUPLICATE_PAIR, "already listed")
    _refused(chain, BOB, [ListPair(xyz, OKT_DENOM, 2, 2, 10**16)], Code.DEX_DUPLICATE_PAIR, "already listed")
    _refused(
        chain, BOB, [ListPair("nope-abc", OKT_DENOM, 2, 2, 10**16)], Code.DEX_UNKNOWN_PAIR, "does not exist"
    )
    _refused(chain, BOB, [ListPair(xyz, "nope-abc", 2, 2, 10**15)], Code.DEX_UNKNOWN_PAIR, "does not exist")
    # a minimum above the largest order (and above the 64-bit pair record) would list a pair nobody can use
    abc = chain.issue(BOB, "abc")
    huge = (10**30 - 1) * 10**18
    _refused(chain, BOB, [ListPair(abc, OKT_DENOM, 0, 18, huge)], Code.INVALID_MSG, "above the largest order")
    top = (MAX_QUANTITY_LOTS + 1) * 10**17
    _refused(chain, BOB, [ListPair(abc, OKT_DENOM, 2, 1, top)], Code.INVALID_MSG, "above the largest order")
    assert chain.run(BOB, [ListPair(abc, OKT_DENOM, 2, 1, top - 10**17)]).ok


def _raw_with(msg: tx_pb2.Msg) -> bytes:
    body = tx_pb2.TxBody(chain_id="c", nonce=0, gas_limit=1, fee="1", messages=[msg])
    return sign_tx(ALICE, body.SerializeToString(deterministic=True))


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (dex_pb2.OrderSpec(pair="a_b", side=dex_pb2.BUY, price="0", quantity="1"), "price must be positive"),
        (
            dex_pb2.OrderSpec(pair="a_b", side=dex_pb2.BUY, price="1", quantity="0.0"),
            "quantity must be positive",
        ),
        (dex_pb2.OrderSpec(pair="a_b", side=dex_pb2.BUY, price="-1", quantity="1"), "is negative"),
        (dex_pb2.OrderSpec(pair="a_b", side=dex_pb2.SELL, price="1", quantity="-2"), "is negative"),
        (dex_pb2.OrderSpec(pair="a_b", side=dex_pb2.SELL, price="1e3", quantity="2"), "not a decimal number"),
        (
            dex_pb2.OrderSpec(pair="a_b", side=dex_pb2.SELL, price="0." + "1" * 19, quantity="2"),
            "more than 18",
        ),
        (dex_pb2.OrderSpec(pair="ab", side=dex_pb2.SELL, price="1", quantity="2"), "form base_quote"),
        (dex_pb2.OrderSpec(pair="a_b", price="1", quantity="2"), "side must be buy or sell"),
    ],
)
def test_malformed_orders_refused_at_decode(spec: dex_pb2.OrderSpec, reason: str) -> None:
    raw = _raw_with(tx_pb2.Msg(place_orders=dex_pb2.MsgPlaceOrders(orders=[spec])))
    with pytest.raises(TxDecodeError, match=reason):
        decode_tx(raw)


def test_more_than_200_items_refused_at_decode() -> None:
    spec = dex_pb2.OrderSpec(pair="a_b", side=dex_pb2.BUY, price="1", quantity="1")
    raw = _raw_with(tx_pb2.Msg(place_orders=dex_pb2.MsgPlaceOrders(orders=[spec] * (MAX_ITEMS + 1))))
    with pytest.raises(TxDecodeError, match="201 orders, at most 200"):
        decode_tx(raw)
    ids = [f"1-{i}" for i in range(MAX_ITEMS + 1)]
    raw = _raw_with(tx_pb2.Msg(cancel_orders=dex_pb2.MsgCancelOrders(order_ids=ids)))
    with pytest.raises(TxDecodeError, match="201 order ids, at most 200"):
        decode_tx(raw)
    ok = decode_tx(_raw_with(tx_pb2.Msg(cancel_orders=dex_pb2.MsgCancelOrders(order_ids=ids[:200]))))
    assert ok.msgs == (CancelOrders(tuple(parse_order_id(i) or 0 for i in ids[:200])),)
    for bad, reason in (("12", "not an order id"), ("1-2", "listed twice")):
        raw = _raw_with(tx_pb2.Msg(cancel_orders=dex_pb2.MsgCancelOrders(order_ids=[bad, "1-2"])))
        with pytest.raises(TxDecodeError, match=reason):
            decode_tx(raw)


def test_order_listing_bounds_the_records_one_call_scans(
    dex: tuple[DexChain, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filtered listing reads at most ``MAX_SCAN`` records per call and hands back a page token, so an
    address with a long closed history cannot make one public query read (and cache) all of it; following
    the tokens still finds every match, in order."""
    chain, pair, _ = dex
    res = chain.run(BOB, [place(*[order(pair, Side.SELL, "100", "1") for _ in range(12)])])
    assert res.ok, res.log
    first = parse_order_id(_id(res))
    assert first is not None
    ids = list(range(first, first + 12))
    assert chain.run(BOB, [CancelOrders(tuple(ids[:10]))]).ok
    monkeypatch.setattr(queries, "MAX_SCAN", 4)
    reader = queries.DexReader(chain.reader, 0)
    views, token = reader.orders(BOB.address, "open", 0, 100)
    assert views == [] and token == ids[4]  # four cancelled records read, none open: come back at the fifth
    found: list[str] = []
    calls = 0
    start: int | None = 0
    while start is not None:
        views, start = reader.orders(BOB.address, "open", start, 100)
        found += [v.id for v in views]
        calls += 1
    assert found == [format_order_id(i) for i in ids[10:]]
    assert calls == 3  # records 0-3, 4-7, 8-11


def test_a_token_whose_supply_is_all_burned_still_lists(dex: tuple[DexChain, str, str]) -> None:
    """Listing asks whether the token exists, not whether any of it circulates right now (a mintable token's
    owner may burn it all and mint later); a denom never issued is still refused."""
    chain, _, xyz = dex
    res = chain.run(BOB, [IssueToken("abc", "ABC", 5 * OKT, True)])
    assert res.ok, res.log
    abc = dict(res.events[0].attributes)["denom"]
    assert chain.run(BOB, [BurnToken(abc, 5 * OKT)]).ok
    assert bank.get_supply(chain.reader, abc) == 0
    listed = chain.run(BOB, [ListPair(abc, xyz, 2, 2, 10**16)])
    assert listed.ok, listed.log
    pair = k.find_pair(chain.reader, f"{abc}_{xyz}")
    assert pair is not None and pair.active and pair.owner == BOB.address
