"""The signed transaction envelope: its decoding from the exact wire bytes, and building/signing.

Wire format: protobuf ``TxRaw{body_bytes, signature}``. The signature is a 65-byte recoverable secp256k1
signature over ``keccak256(SIGN_DOMAIN + body_bytes)``; the signer is recovered from it. Tx hash =
sha256(raw bytes). Only canonical encodings are accepted so one transaction has exactly one hash.
"""

from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from okchain._pb.tx.v1 import tx_pb2
from okchain.crypto.address import Address
from okchain.crypto.hashing import keccak256, sha256
from okchain.crypto.secp import AccountKey, SignatureError, recover_address
from okchain.tx.registry import Msg, msg_from_proto, msg_to_proto
from okchain.types.amount import AmountError, parse_amount
from okchain.types.fields import TxDecodeError

SIGN_DOMAIN = b"okchain/tx/v1\n"
MAX_CHAIN_ID_LEN = 64
MAX_MEMO_LEN = 256


@dataclass(frozen=True, slots=True)
class Tx:
    """A decoded transaction; ``raw`` and ``body_bytes`` are the exact bytes that were sent and signed."""

    raw: bytes
    hash: bytes
    body_bytes: bytes
    signature: bytes
    chain_id: str
    nonce: int
    gas_limit: int
    fee: int
    msgs: tuple[Msg, ...]
    memo: str

    @property
    def sign_digest(self) -> bytes:
        return sign_digest(self.body_bytes)


def sign_digest(body_bytes: bytes) -> bytes:
    return keccak256(SIGN_DOMAIN + body_bytes)


def tx_hash(raw: bytes) -> bytes:
    return sha256(raw)


def decode_tx(raw: bytes) -> Tx:
    """Decode and validate the shape of a transaction (not its signature, nonce or funds)."""
    envelope = tx_pb2.TxRaw()
    try:
        envelope.ParseFromString(raw)
    except DecodeError as exc:
        raise TxDecodeError(f"tx is not a valid TxRaw protobuf: {exc}") from exc
    envelope.DiscardUnknownFields()
    if envelope.SerializeToString(deterministic=True) != raw:
        raise TxDecodeError("tx is not canonically encoded (unknown, repeated or misordered fields)")
    body = tx_pb2.TxBody()
    try:
        body.ParseFromString(envelope.body_bytes)
    except DecodeError as exc:
        raise TxDecodeError(f"tx body is not a valid TxBody protobuf: {exc}") from exc
    body.DiscardUnknownFields()
    if body.SerializeToString(deterministic=True) != envelope.body_bytes:
        raise TxDecodeError("tx body is not canonically encoded (unknown, repeated or misordered fields)")
    if len(envelope.signature) != 65:
        raise TxDecodeError(f"signature must be 65 bytes, got {len(envelope.signature)}")
    if not body.chain_id or len(body.chain_id) > MAX_CHAIN_ID_LEN:
        raise TxDecodeError("chain id is missing or too long")
    if len(body.memo) > MAX_MEMO_LEN:
        raise TxDecodeError(f"memo is longer than {MAX_MEMO_LEN} characters")
    if not body.messages:
        raise TxDecodeError("tx has no messages")
    try:
        fee = parse_amount(body.fee or "0", what="fee")
    except AmountError as exc:
        raise TxDecodeError(str(exc)) from exc
    msgs = tuple(msg_from_proto(m, i) for i, m in enumerate(body.messages))
    return Tx(
        raw=raw,
        hash=tx_hash(raw),
        body_bytes=envelope.body_bytes,
        signature=envelope.signature,
        chain_id=body.chain_id,
        nonce=body.nonce,
        gas_limit=body.gas_limit,
        fee=fee,
        msgs=msgs,
        memo=body.memo,
    )


def encode_body(
    chain_id: str, nonce: int, gas_limit: int, fee: int, msgs: tuple[Msg, ...] | list[Msg], memo: str = ""
) -> bytes:
    body = tx_pb2.TxBody(
        chain_id=chain_id,
        nonce=nonce,
        gas_limit=gas_limit,
        fee=str(fee),
        messages=[msg_to_proto(m) for m in msgs],
        memo=memo,
    )
    return body.SerializeToString(deterministic=True)


def sign_tx(key: AccountKey, body_bytes: bytes) -> bytes:
    """Return raw TxRaw bytes signed by ``key``."""
    signature = key.sign_digest(sign_digest(body_bytes))
    return tx_pb2.TxRaw(body_bytes=body_bytes, signature=signature).SerializeToString(deterministic=True)


Recoverer = Callable[[list[tuple[bytes, bytes]]], list[Address | str]]


def recover_signers(items: list[tuple[bytes, bytes]]) -> list[Address | str]:
    """(body bytes, signature) → signer address, or the reason the signature is invalid.

    A plain function of bytes so a process pool can run it on other cores (coincurve holds the GIL).
    """
    out: list[Address | str] = []
    for body_bytes, signature in items:
        try:
            out.append(recover_address(sign_digest(body_bytes), signature))
        except SignatureError as exc:
            out.append(str(exc))
    return out


def build_tx(
    key: AccountKey,
    *,
    chain_id: str,
    nonce: int,
    msgs: tuple[Msg, ...] | list[Msg],
    gas_limit: int,
    fee: int,
    memo: str = "",
) -> bytes:
    return sign_tx(key, encode_body(chain_id, nonce, gas_limit, fee, msgs, memo))
