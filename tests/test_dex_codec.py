"""DEX message codec: every message survives encode → signed tx → decode; decimal and id parsing are exact
and refuse everything else with a reason; random bytes in the decoder only ever raise TxDecodeError."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okchain._pb.dex.v1 import dex_pb2
from okchain._pb.tx.v1 import tx_pb2
from okchain.cli.main import build_parser
from okchain.crypto.secp import AccountKey
from okchain.modules.dex.messages import (
    MAX_ITEMS,
    CancelOrders,
    DelistPair,
    ListPair,
    OrderSpec,
    PlaceOrders,
    Side,
    format_decimal,
    format_order_id,
    parse_decimal,
    parse_order_id,
)
from okchain.tx.envelope import build_tx, decode_tx
from okchain.types.fields import TxDecodeError

KEY = AccountKey((3).to_bytes(32, "big"))
pair_st = st.from_regex(r"[a-z]{1,6}-[0-9a-f]{3}_okt", fullmatch=True)
atto_st = st.integers(1, 10**30)
order_st = st.builds(OrderSpec, pair_st, st.sampled_from(Side), atto_st, atto_st)
msg_st = st.one_of(
    st.builds(PlaceOrders, st.lists(order_st, min_size=1, max_size=MAX_ITEMS).map(tuple)),
    st.builds(
        CancelOrders,
        st.lists(st.integers(1 << 24, (1 << 62) - 1), min_size=1, max_size=MAX_ITEMS, unique=True).map(tuple),
    ),
    st.builds(DelistPair, pair_st),
    st.builds(
        ListPair,
        st.just("xyz-abc"),
        st.just("okt"),
        st.integers(0, 9),
        st.integers(0, 9),
        st.integers(1, 10**6).map(lambda n: n * 10**9),
    ),
)


@given(msg=msg_st)
def test_messages_round_trip_through_a_signed_tx(msg: object) -> None:
    raw = build_tx(KEY, chain_id="c", nonce=1, msgs=[msg], gas_limit=1, fee=1)  # type: ignore[list-item]
    assert decode_tx(raw).msgs == (msg,)


@given(atto=st.integers(0, 10**40))
def test_decimal_text_round_trips(atto: int) -> None:
    text = format_decimal(atto)
    assert parse_decimal(text, "x") == atto
    frac = text.partition(".")[2]
    padded = text + ("" if frac else ".") + "0" * (18 - len(frac))
    assert parse_decimal(padded, "x") == atto  # trailing zeros up to 18 decimals change nothing


@given(text=st.text(max_size=40))
def test_decimal_parser_refuses_with_a_reason(text: str) -> None:
    try:
        value = parse_decimal(text, "price")
    except ValueError as exc:
        assert str(exc).startswith(f"price {text!r} ")
        return
    assert format_decimal(value) == (text.rstrip("0").rstrip(".") if "." in text else text)


@given(height=st.integers(1, (1 << 39) - 1), seq=st.integers(0, (1 << 24) - 1))
def test_order_ids_round_trip(height: int, seq: int) -> None:
    oid = height << 24 | seq
    assert parse_order_id(format_order_id(oid)) == oid
    bad = (f"0{height}-{seq}", f"{height}-{seq}-1", f"{height}+{seq}", f"-{seq}", f"{height}-{1 << 24}")
    assert [parse_order_id(text) for text in bad] == [None] * len(bad)


spec_st = st.builds(
    dex_pb2.OrderSpec,
    pair=st.text(max_size=8),
    side=st.integers(0, 3),
    price=st.text(max_size=8),
    quantity=st.text(max_size=8),
)


@given(orders=st.lists(spec_st, max_size=3))
def test_decoder_only_raises_decode_errors(orders: list[dex_pb2.OrderSpec]) -> None:
    body = tx_pb2.TxBody(
        chain_id="c", messages=[tx_pb2.Msg(place_orders=dex_pb2.MsgPlaceOrders(orders=orders))]
    )
    raw = tx_pb2.TxRaw(body_bytes=body.SerializeToString(deterministic=True), signature=bytes(65))
    try:
        tx = decode_tx(raw.SerializeToString(deterministic=True))
    except TxDecodeError:
        return
    (msg,) = tx.msgs
    assert isinstance(msg, PlaceOrders) and len(msg.orders) == len(orders) > 0


@pytest.mark.parametrize("flag", ["--price-decimals", "--quantity-decimals"])
@pytest.mark.parametrize("value", ["-1", "19", str(2**32)])
def test_cli_refuses_decimals_outside_0_to_18_with_a_reason(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Out-of-range decimals used to pass the parser and crash with a traceback when the uint32 proto field
    refused them; now argparse names the flag and the range."""
    base = ["tx", "dex", "list-pair", "alice", "xyz-a1f", "okt", "--min-quantity", "1"]
    args = {"--price-decimals": "2", "--quantity-decimals": "2", flag: value}
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*base, *[x for kv in args.items() for x in kv]])
    assert exc.value.code == 2
    assert flag in capsys.readouterr().err
