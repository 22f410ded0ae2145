"""The one place where domain types become protobuf responses (and user strings become addresses)."""

import grpc

from okchain.crypto.address import Address, AddressError, parse_address
from okchain.types.params import OKT_DENOM
from okchain.types.results import Code, TxResult
from okchain.types.tx import is_valid_denom

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
