"""The one place where domain types become protobuf responses (and user strings become addresses)."""

import grpc

from okchain._pb.node.v1 import query_pb2
from okchain._pb.token.v1 import token_pb2
from okchain.crypto.address import Address, AddressError, parse_address, to_checksum
from okchain.crypto.hashing import sha256
from okchain.modules.token.keeper import TokenInfo
from okchain.state.blockstore import StoredTx
from okchain.tx.addresses import recipients
from okchain.tx.envelope import decode_tx
from okchain.tx.registry import msg_to_proto
from okchain.types.block import result_to_proto
from okchain.types.fields import is_valid_denom
from okchain.types.params import OKT_DENOM
from okchain.types.results import Code, TxResult

STATUS_OF_CODE: dict[Code, grpc.StatusCode] = {
    Code.TX_DECODE: grpc.StatusCode.INVALID_ARGUMENT,
    Code.WRONG_CHAIN_ID: grpc.StatusCode.INVALID_ARGUMENT,
    Code.BAD_SIGNATURE: grpc.StatusCode.UNAUTHENTICATED,
    Code.BAD_NONCE: grpc.StatusCode.FAILED_PRECONDITION,
    Code.INSUFFICIENT_FEE_FUNDS: grpc.StatusCode.FAILED_PRECONDITION,
    Code.OUT_OF_GAS: grpc.StatusCode.INVALID_ARGUMENT,
    Code.INSUFFICIENT_FUNDS: grpc.StatusCode.FAILED_PRECONDITION,
    Code.INVALID_MSG: grpc.StatusCode.INVALID_ARGUMENT,
    Code.TX_TOO_LARGE: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Code.MEMPOOL_FULL: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Code.DUPLICATE_TX: grpc.StatusCode.ALREADY_EXISTS,
    Code.FEE_TOO_LOW: grpc.StatusCode.FAILED_PRECONDITION,
    Code.GAS_LIMIT_TOO_HIGH: grpc.StatusCode.INVALID_ARGUMENT,
    Code.NODE_BUSY: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Code.UNKNOWN_TOKEN: grpc.StatusCode.NOT_FOUND,
    Code.NOT_TOKEN_OWNER: grpc.StatusCode.PERMISSION_DENIED,
    Code.TOKEN_NOT_MINTABLE: grpc.StatusCode.FAILED_PRECONDITION,
    Code.TOKEN_SUPPLY_LIMIT: grpc.StatusCode.OUT_OF_RANGE,
    Code.TOKEN_DENOM_TAKEN: grpc.StatusCode.ALREADY_EXISTS,
    Code.DEX_UNKNOWN_PAIR: grpc.StatusCode.NOT_FOUND,
    Code.DEX_UNKNOWN_ORDER: grpc.StatusCode.NOT_FOUND,
    Code.DEX_NOT_OWNER: grpc.StatusCode.PERMISSION_DENIED,
    Code.DEX_ORDER_CLOSED: grpc.StatusCode.FAILED_PRECONDITION,
    Code.DEX_DUPLICATE_PAIR: grpc.StatusCode.ALREADY_EXISTS,
}


class RequestError(Exception):
    """A request the servicer refuses; carries the gRPC status to send."""

    def __init__(self, status: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.status = status

    @classmethod
    def refusing(cls, result: TxResult) -> "RequestError":
        """The gRPC error for a tx the node would not accept, with the node's precise reason."""
        return cls(STATUS_OF_CODE.get(result.code, grpc.StatusCode.INVALID_ARGUMENT), result.log)


def address_arg(text: str) -> Address:
    try:
        return parse_address(text)
    except AddressError as exc:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from exc


def denom_arg(text: str) -> str:
    """Empty means OKT; anything else must be a denom a tx could carry."""
    if not text:
        return OKT_DENOM
    if not is_valid_denom(text):
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid denom {text[:40]!r}")
    return text


def token_to_proto(info: TokenInfo, supply: int) -> token_pb2.Token:
    """An issued token with its live supply (from bank)."""
    return token_pb2.Token(
        denom=info.denom,
        symbol=info.symbol,
        name=info.name,
        owner=to_checksum(info.owner),
        mintable=info.mintable,
        original_supply=str(info.original_supply),
        supply=str(supply),
    )


def tx_info(stored: StoredTx) -> query_pb2.TxInfo:
    """A committed tx, decoded (a committed tx always decodes: blocks with one that does not are refused)."""
    tx = decode_tx(stored.raw)
    signer = stored.result.signer
    return query_pb2.TxInfo(
        tx_hash=sha256(stored.raw),
        height=stored.height,
        index=stored.index,
        time_ns=stored.time_ns,
        tx=stored.raw,
        result=result_to_proto(stored.result),
        signer=to_checksum(signer) if signer else "",
        nonce=tx.nonce,
        gas_limit=tx.gas_limit,
        fee=str(tx.fee),
        memo=tx.memo,
        messages=[msg_to_proto(m) for m in tx.msgs],
        recipients=[to_checksum(a) for a in recipients(tx.msgs)],
    )
