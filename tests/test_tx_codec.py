"""Tx codec, amounts, addresses and the tx Merkle root: round trips, canonical bytes, fixed vectors."""

import hashlib
import string
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from okchain._pb.tx.v1 import tx_pb2
from okchain.cli.amounts import format_okt, parse_user_amount
from okchain.crypto.address import (
    Address,
    AddressError,
    parse_address,
    parse_bech32_address,
    parse_hex_address,
    to_bech32,
    to_checksum,
)
from okchain.crypto.hashing import keccak256, merkle_root
from okchain.crypto.secp import AccountKey, SignatureError, recover_address
from okchain.modules.bank import codec as bank_codec
from okchain.modules.bank.messages import BankMsg, MultiSend, Output, Transfer
from okchain.modules.dex import codec as dex_codec
from okchain.modules.token import codec as token_codec
from okchain.tx.envelope import (
    MAX_CHAIN_ID_LEN,
    MAX_MEMO_LEN,
    SIGN_DOMAIN,
    build_tx,
    decode_tx,
    encode_body,
    sign_tx,
)
from okchain.types.amount import MAX_AMOUNT, AmountError, parse_amount
from okchain.types.fields import TxDecodeError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
CHAIN = "okchain-test-1"
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies ---
addresses = st.binary(min_size=20, max_size=20)
denoms = st.text(alphabet=string.ascii_letters + string.digits + "/-._", min_size=1, max_size=32)
amounts = st.integers(min_value=1, max_value=MAX_AMOUNT)
transfers = st.builds(Transfer, addresses, denoms, amounts)
outputs = st.builds(Output, addresses, denoms, amounts)
multisends = st.builds(MultiSend, st.lists(outputs, min_size=1, max_size=4).map(tuple))
msgs_st = st.lists(st.one_of(transfers, multisends), min_size=1, max_size=4)
keys = st.integers(min_value=1, max_value=SECP256K1_N - 1).map(lambda i: AccountKey(i.to_bytes(32, "big")))
chain_ids = st.text(
    alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=MAX_CHAIN_ID_LEN
)
memos = st.text(max_size=MAX_MEMO_LEN)
u64 = st.integers(min_value=0, max_value=2**64 - 1)
fees = st.integers(min_value=0, max_value=2**200)


def _one_key() -> AccountKey:
    return AccountKey((7).to_bytes(32, "big"))


def _sample_raw(key: AccountKey | None = None) -> bytes:
    key = key or _one_key()
    return build_tx(
        key,
        chain_id=CHAIN,
        nonce=3,
        msgs=[Transfer(key.address, "okt", 5)],
        gas_limit=50_000,
        fee=10**15,
        memo="hello",
    )


def _envelope(raw: bytes) -> tx_pb2.TxRaw:
    env = tx_pb2.TxRaw()
    env.ParseFromString(raw)
    return env


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field with a one-byte length (payload < 128 bytes)."""
    assert len(payload) < 128
    return bytes([tag, len(payload)]) + payload


# --- tx round trip ---
@PROPS
@given(key=keys, chain_id=chain_ids, nonce=u64, gas_limit=u64, fee=fees, msgs=msgs_st, memo=memos)
def test_build_decode_roundtrip(
    key: AccountKey, chain_id: str, nonce: int, gas_limit: int, fee: int, msgs: list[BankMsg], memo: str
) -> None:
    raw = build_tx(key, chain_id=chain_id, nonce=nonce, msgs=msgs, gas_limit=gas_limit, fee=fee, memo=memo)
    tx = decode_tx(raw)
    assert tx.raw == raw
    assert (tx.chain_id, tx.nonce, tx.gas_limit, tx.fee, tx.memo) == (chain_id, nonce, gas_limit, fee, memo)
    assert tx.msgs == tuple(msgs)
    assert tx.hash == hashlib.sha256(raw).digest()
    assert tx.body_bytes == encode_body(chain_id, nonce, gas_limit, fee, msgs, memo)
    assert len(tx.signature) == 65 and tx.signature[64] in (0, 1)
    assert recover_address(tx.sign_digest, tx.signature) == key.address
    # The digest is keccak over the domain-tagged exact body bytes that were sent.
    assert tx.sign_digest == keccak256(SIGN_DOMAIN + tx.body_bytes)


@PROPS
@given(data=st.data())
def test_single_byte_mutation_never_keeps_hash_and_signer(data: st.DataObject) -> None:
    key = data.draw(keys)
    msgs = data.draw(msgs_st)
    raw = build_tx(
        key,
        chain_id=CHAIN,
        nonce=data.draw(u64),
        msgs=msgs,
        gas_limit=data.draw(u64),
        fee=data.draw(fees),
        memo=data.draw(st.text(max_size=8)),
    )
    pos = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    new = data.draw(st.integers(min_value=0, max_value=255).filter(lambda b: b != raw[pos]))
    mutated = raw[:pos] + bytes([new]) + raw[pos + 1 :]
    try:
        tx = decode_tx(mutated)
    except TxDecodeError:
        return
    assert tx.hash != hashlib.sha256(raw).digest()
    assert tx.hash == hashlib.sha256(mutated).digest()
    try:
        signer = recover_address(tx.sign_digest, tx.signature)
    except SignatureError:
        return
    assert signer != key.address


# --- canonical encoding ---
def test_fields_swapped_refused() -> None:
    raw = _sample_raw()
    env = _envelope(raw)
    body, sig = _field(0x0A, env.body_bytes), b"\x12\x41" + env.signature
    assert body + sig == raw  # the canonical layout, as the test assumes
    with pytest.raises(TxDecodeError, match="not canonically encoded"):
        decode_tx(sig + body)


def test_repeated_field_refused() -> None:
    raw = _sample_raw()
    env = _envelope(raw)
    with pytest.raises(TxDecodeError, match="not canonically encoded"):
        decode_tx(b"\x12\x41" + env.signature + raw)  # signature twice: the last one would win


def test_non_minimal_length_varint_refused() -> None:
    raw = _sample_raw()
    env = _envelope(raw)
    padded = (
        b"\x0a" + bytes([0x80 | len(env.body_bytes), 0x00]) + env.body_bytes + b"\x12\x41" + env.signature
    )
    assert _envelope(padded).body_bytes == env.body_bytes  # protobuf itself accepts it
    with pytest.raises(TxDecodeError, match="not canonically encoded"):
        decode_tx(padded)


def test_explicit_default_in_body_refused() -> None:
    key = _one_key()
    body = encode_body(CHAIN, 0, 50_000, 1, [Transfer(key.address, "okt", 1)])
    assert b"\x10\x00" not in body  # nonce 0 is omitted in the canonical encoding
    with pytest.raises(TxDecodeError, match="tx body is not canonically encoded"):
        decode_tx(sign_tx(key, body + b"\x10\x00"))


def test_unknown_field_appended_to_txraw_refused() -> None:
    raw = _sample_raw()
    for extra in (b"\x18\x01", b"\x1a\x00"):  # field 3 as varint 1, field 3 as empty bytes
        with pytest.raises(TxDecodeError):
            decode_tx(raw + extra)


def test_unknown_field_in_body_refused() -> None:
    key = _one_key()
    body = encode_body(CHAIN, 1, 50_000, 1, [Transfer(key.address, "okt", 1)])
    with pytest.raises(TxDecodeError):
        decode_tx(sign_tx(key, body + b"\x38\x01"))  # field 7 (unknown) = 1


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda env: env.signature[:64], "signature must be 65 bytes"),
        (lambda env: b"", "signature must be 65 bytes"),
    ],
)
def test_bad_signature_length_refused(mangle: Callable[[tx_pb2.TxRaw], bytes], message: str) -> None:
    env = _envelope(_sample_raw())
    sig = mangle(env)
    raw = tx_pb2.TxRaw(body_bytes=env.body_bytes, signature=sig).SerializeToString(deterministic=True)
    with pytest.raises(TxDecodeError, match=message):
        decode_tx(raw)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chain_id": "x" * (MAX_CHAIN_ID_LEN + 1)}, "chain id is missing or too long"),
        ({"memo": "m" * (MAX_MEMO_LEN + 1)}, "memo is longer than 256"),
        ({"msgs": []}, "tx has no messages"),
        ({"msgs": [Transfer(Address(bytes(20)), "okt", 0)]}, "amount must be positive"),
        ({"msgs": [Transfer(Address(bytes(19)), "okt", 1)]}, "address must be 20 bytes, got 19"),
        ({"msgs": [Transfer(Address(bytes(20)), "", 1)]}, "invalid denom"),
        ({"msgs": [Transfer(Address(bytes(20)), "a b\n", 1)]}, "invalid denom"),
        ({"msgs": [MultiSend(())]}, "multi-send has no outputs"),
    ],
)
def test_invalid_shapes_refused(kwargs: dict[str, object], message: str) -> None:
    key = _one_key()
    args: dict[str, object] = {
        "chain_id": CHAIN,
        "nonce": 0,
        "gas_limit": 1,
        "fee": 0,
        "msgs": [Transfer(key.address, "okt", 1)],
        "memo": "",
    }
    args.update(kwargs)
    raw = build_tx(key, **args)  # type: ignore[arg-type]
    with pytest.raises(TxDecodeError, match=message):
        decode_tx(raw)


def test_too_large_amount_in_message_refused() -> None:
    key = _one_key()
    too_big = Transfer(key.address, "okt", MAX_AMOUNT + 1)
    raw = build_tx(key, chain_id=CHAIN, nonce=0, gas_limit=1, fee=0, msgs=[too_big])
    with pytest.raises(TxDecodeError, match="too large"):
        decode_tx(raw)


@PROPS
@given(garbage=st.binary(max_size=200))
def test_decode_garbage_only_raises_tx_decode_error(garbage: bytes) -> None:
    try:
        tx = decode_tx(garbage)
    except TxDecodeError:
        return
    assert tx.raw == garbage  # if it decodes at all, it is a well-formed, canonical tx


# --- signatures ---
def test_recovery_id_above_3_refused() -> None:
    env = _envelope(_sample_raw())
    sig = env.signature[:64] + b"\x07"
    with pytest.raises(SignatureError, match=r"recovery id must be 0\.\.3, got 7"):
        recover_address(hashlib.sha256(b"x").digest(), sig)


def test_flipped_recovery_id_recovers_another_address() -> None:
    key = _one_key()
    tx = decode_tx(_sample_raw(key))
    flipped = tx.signature[:64] + bytes([tx.signature[64] ^ 1])
    assert recover_address(tx.sign_digest, flipped) != key.address


def test_high_s_signature_refused() -> None:
    key = _one_key()
    tx = decode_tx(_sample_raw(key))
    s = int.from_bytes(tx.signature[32:64], "big")
    assert s <= SECP256K1_N // 2  # libsecp256k1 signs low-s
    twin = tx.signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([tx.signature[64] ^ 1])
    with pytest.raises(SignatureError):
        recover_address(tx.sign_digest, twin)


# --- amounts ---
@pytest.mark.parametrize(
    "text",
    [
        "",
        "-1",
        "01",
        "00",
        "1.0",
        "1e3",
        " 1",
        "1 ",
        "+1",
        "0x10",
        "1_000",
        "\u0663",
        str(2**256),
        str(2**256 + 12345),
        "9" * 79,
    ],
)
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text)


@pytest.mark.parametrize("value", [0, 1, 10, 10**18, 2**200, MAX_AMOUNT])
def test_parse_amount_accepts_canonical(value: int) -> None:
    assert parse_amount(str(value)) == value


@given(st.integers(min_value=0, max_value=MAX_AMOUNT))
def test_parse_amount_roundtrip(value: int) -> None:
    assert parse_amount(str(value)) == value


def test_parse_user_amount() -> None:
    assert parse_user_amount("1.5okt") == (15 * 10**17, "okt")
    assert parse_user_amount("1.5okt")[0] == 1_500_000_000_000_000_000
    assert parse_user_amount(" 2OKT ") == (2 * 10**18, "okt")
    assert parse_user_amount("0.000000000000000001okt") == (1, "okt")
    assert parse_user_amount(".25okt") == (25 * 10**16, "okt")
    assert parse_user_amount("1500") == (1500, "okt")
    with pytest.raises(AmountError, match="more than 18 decimals"):
        parse_user_amount("0.0000000000000000001okt")
    for bad in ["okt", ".okt", "-1okt", "1.5.5okt", "1,5okt", "1e3okt", "1.5"]:
        with pytest.raises(AmountError):
            parse_user_amount(bad)


def test_parse_user_amount_bounded() -> None:
    with pytest.raises(AmountError):
        parse_user_amount("1" + "0" * 80 + "okt")


def test_parse_user_amount_ascii_only() -> None:
    for text in ["\u0661okt", "\u00b2okt", "1.\u0665okt"]:
        with pytest.raises(AmountError):
            parse_user_amount(text)


def test_format_okt_vectors() -> None:
    assert format_okt(0) == "0okt"
    assert format_okt(1) == "0.000000000000000001okt"
    assert format_okt(10**18) == "1okt"
    assert format_okt(15 * 10**17) == "1.5okt"
    assert format_okt(1_000_000 * 10**18 + 10**15) == "1000000.001okt"


@given(st.integers(min_value=0, max_value=MAX_AMOUNT))
def test_format_okt_roundtrip(value: int) -> None:
    text = format_okt(value)
    assert text.endswith("okt")
    assert parse_user_amount(text) == (value, "okt")


# --- addresses ---
EIP55_VECTORS = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("text", EIP55_VECTORS)
def test_eip55_vectors(text: str) -> None:
    raw = parse_hex_address(text)
    assert raw == bytes.fromhex(text[2:])
    assert to_checksum(raw) == text
    assert parse_address(text.lower()) == raw
    assert parse_address("0x" + text[2:].upper()) == raw
    i = next(i for i, c in enumerate(text[2:], start=2) if c.isalpha())
    flipped = text[:i] + text[i].swapcase() + text[i + 1 :]
    with pytest.raises(AddressError, match=f"bad EIP-55 checksum \\(expected {text}\\)"):
        parse_address(flipped)


def test_known_private_key_address() -> None:
    key = AccountKey(bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"))
    assert to_checksum(key.address) == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "must start with 0x"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "must have 40 hex digits, has 39"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd", "must have 40 hex digits, has 41"),
        ("0xZaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "is not hexadecimal"),
        ("ok1qqqq", "is not valid bech32"),
    ],
)
def test_bad_addresses(text: str, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        parse_address(text)


def test_bech32_wrong_prefix() -> None:
    import bech32

    data = bech32.convertbits(bytes(20), 8, 5)
    assert data is not None
    with pytest.raises(AddressError, match="has prefix 'cosmos', expected 'ok'"):
        parse_bech32_address(bech32.bech32_encode("cosmos", data))


@given(addresses)
def test_address_roundtrips(addr: bytes) -> None:
    b32 = to_bech32(addr)
    assert b32.startswith("ok1")
    assert parse_address(b32) == addr
    assert parse_address(b32.upper()) == addr
    assert parse_address(to_checksum(addr)) == addr
    assert to_checksum(parse_address(to_checksum(addr))) == to_checksum(addr)


@given(addr=addresses, data=st.data())
def test_bech32_single_substitution_detected(addr: bytes, data: st.DataObject) -> None:
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    text = to_bech32(addr)
    pos = data.draw(st.integers(min_value=3, max_value=len(text) - 1))  # after "ok1"
    char = data.draw(st.sampled_from(charset).filter(lambda c: c != text[pos]))
    with pytest.raises(AddressError):
        parse_address(text[:pos] + char + text[pos + 1 :])


# --- tx Merkle root (RFC 6962 style) ---
def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_merkle_root_fixed_vectors() -> None:
    a, b, c = _h(b"a"), _h(b"b"), _h(b"c")
    la, lb, lc = _h(b"\x00" + a), _h(b"\x00" + b), _h(b"\x00" + c)
    assert merkle_root([]) == _h(b"")
    assert merkle_root([a]) == la
    assert merkle_root([a, b]) == _h(b"\x01" + la + lb)
    # n = 3: split at the largest power of two below 3 (= 2): ((a, b), c)
    assert merkle_root([a, b, c]) == _h(b"\x01" + _h(b"\x01" + la + lb) + lc)
    # The same values as hex, computed once from the rule above, so a silent change of the rule is caught.
    assert merkle_root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle_root([a]).hex() == "a23bd5b06da9048238a65b3f1d9d0b9e15fae3dde262688e6489aa4c763d1820"
    assert merkle_root([a, b]).hex() == "ad5ca6cddc0b27c6a83e332bf28011769236e6c6a1f786ebf7b5267b37a5bd22"
    assert merkle_root([a, b, c]).hex() == "cac3d448d4e20a2ad5eae1f500e63c2a7f9217cd14572ba7fd22e26dc1ec2648"


@given(leaves=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=33), data=st.data())
def test_merkle_root_changes_with_any_leaf(leaves: list[bytes], data: st.DataObject) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(leaves) - 1))
    other = data.draw(st.binary(min_size=32, max_size=32).filter(lambda x: x != leaves[i]))
    changed = [*leaves[:i], other, *leaves[i + 1 :]]
    assert merkle_root(changed) != merkle_root(leaves)
    assume(len(leaves) > 1)
    assert merkle_root(leaves[:-1]) != merkle_root(leaves)  # dropping a leaf changes it too


def test_every_message_type_has_an_encoder_and_a_gas_cost() -> None:
    for codec in (bank_codec, token_codec, dex_codec):
        assert set(codec.GAS) == set(codec.MSG_TYPES)
