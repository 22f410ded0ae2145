"""The client's core, free of I/O: every operation is a generator that yields the gRPC calls it needs and
is sent each answer, so the blocking ``Client`` and the trio ``AsyncClient`` run the same code.

An operation (``Op[T]``) yields ``Call``s; its driver performs each call, sends back the response (or
throws ``NodeError`` into it) and finally receives ``T`` as the generator's return value.
"""

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from okchain._pb.node.v1 import query_pb2
from okchain.client.errors import ClientError, NodeError
from okchain.client.trust import TrustStore
from okchain.crypto.address import Address, AddressError, parse_address

T = TypeVar("T")
Op = Generator["Call", Any, T]


@dataclass(frozen=True, slots=True)
class Call:
    """One unary call: the service (an attribute of ``okchain.client.stubs.Stubs``), method and request."""

    service: str
    method: str
    request: Message


@dataclass(slots=True)
class Context:
    """What a client remembers between operations: the node's chain facts, each signer's next nonce (so
    several txs can be sent back to back without waiting for commits) and, for verified reads, its trust
    root and the heights it verified since."""

    trust: TrustStore | None = None
    info: query_pb2.NodeInfoResponse | None = None
    next_nonces: dict[Address, int] = field(default_factory=dict)

    @property
    def trusted(self) -> TrustStore:
        if self.trust is None:
            raise ClientError("verified reads need a trust root: give the client the chain's genesis file")
        return self.trust


class Drive(Generic[T]):
    """Steps an operation for a driver: ``start`` and each ``answer`` return the next call to perform,
    or None once ``result`` holds the operation's value."""

    def __init__(self, op: Op[T]) -> None:
        self._op = op
        self.result: T

    def start(self) -> Call | None:
        return self._step(lambda: next(self._op))

    def answer(self, response: Message | NodeError) -> Call | None:
        """Send the call's response in (or throw the node's error into the operation)."""
        if isinstance(response, NodeError):
            return self._step(lambda: self._op.throw(response))
        return self._step(lambda: self._op.send(response))

    def _step(self, advance: Callable[[], Call]) -> Call | None:
        try:
            return advance()
        except StopIteration as done:
            self.result = done.value
            return None


def address_of(address: str | bytes) -> Address:
    """An address given as 20 bytes, ``0x…`` (any case) or ``ok1…``."""
    if isinstance(address, bytes):
        if len(address) != 20:
            raise ClientError(f"an address is 20 bytes, got {len(address)}")
        return Address(address)
    try:
        return parse_address(address)
    except AddressError as exc:
        raise ClientError(str(exc)) from None


def hash_of(value: str | bytes) -> bytes:
    """A 32-byte hash given as bytes or hex (with or without ``0x``)."""
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise ClientError(f"{value!r} is not hex") from None
    if len(value) != 32:
        raise ClientError(f"a hash is 32 bytes, got {len(value)}")
    return value


def node_info(ctx: Context, refresh: bool = False) -> Op[query_pb2.NodeInfoResponse]:
    """The node's chain id, heights, minimum gas price and peers (cached unless ``refresh``)."""
    if ctx.info is None or refresh:
        ctx.info = yield Call("node", "NodeInfo", query_pb2.NodeInfoRequest())
    assert ctx.info is not None
    return ctx.info


def pages(service: str, method: str, request: Message) -> Op[list[Any]]:
    """Every page of a paged query, in order (each bounded by the node's page limit)."""
    out = [(yield Call(service, method, request))]
    while out[-1].next_page_token:
        following = type(request)()
        following.CopyFrom(request)
        following.page_token = out[-1].next_page_token  # type: ignore[attr-defined]
        out.append((yield Call(service, method, following)))
    return out
