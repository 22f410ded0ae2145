"""The blocking client: each operation of the core runs with plain gRPC calls on the caller's thread."""

import functools
from collections.abc import Callable, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import grpc

import okchain.client.queries as queries
import okchain.client.txs as txs
import okchain.client.verify as verify
from okchain._pb.stream.v1 import stream_pb2
from okchain.client.connection import Connection
from okchain.client.core import Call, Context, Drive, Op, node_info
from okchain.client.stubs import node_error

P = ParamSpec("P")
T = TypeVar("T")


class _Blocking(Generic[P, T]):
    """A core operation as a method of ``Client``: ``client.op(...)`` runs ``op(client.context, ...)``."""

    def __init__(self, op: Callable[Concatenate[Context, P], Op[T]]) -> None:
        self._op = op
        self.__doc__ = op.__doc__

    @overload
    def __get__(self, client: None, owner: type) -> "_Blocking[P, T]": ...
    @overload
    def __get__(self, client: "Client", owner: type) -> Callable[P, T]: ...
    def __get__(self, client: "Client | None", owner: type) -> "_Blocking[P, T] | Callable[P, T]":
        if client is None:
            return self
        op, bound = self._op, client

        @functools.wraps(op)
        def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return bound.run(op(bound.context, *args, **kwargs))

        return method


class Client(Connection):
    """A blocking client of one node: queries, txs signed and broadcast with automatic nonce and gas,
    streams, and (given the chain's genesis file) reads verified against a trusted validator set.

    >>> with Client("127.0.0.1:9090", genesis=".devnet/config/genesis.json") as node:
    ...     node.balance("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    """

    def run(self, op: Op[T]) -> T:
        """Run a core operation, performing each call it asks for."""
        drive = Drive(op)
        call = drive.start()
        while call is not None:
            call = drive.answer(self.perform(call))
        return drive.result

    def subscribe(self, call: Call) -> Iterator[Any]:
        """The events of a stream (``queries.blocks_stream`` …) as they come; the node ends a subscriber
        too slow to keep up with ``NodeError`` RESOURCE_EXHAUSTED (resume from the last height seen)."""
        stream = self.stubs.method(call)(call.request)
        try:
            yield from stream
        except grpc.RpcError as exc:
            raise node_error(exc) from None
        finally:
            stream.cancel()

    def subscribe_blocks(self, from_height: int = 0) -> Iterator[stream_pb2.BlockEvent]:
        return self.subscribe(queries.blocks_stream(from_height))

    def subscribe_txs(self, address: str | bytes = "", from_height: int = 0) -> Iterator[stream_pb2.TxEvent]:
        return self.subscribe(queries.txs_stream(address, from_height))

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    node_info = _Blocking(node_info)
    account = _Blocking(queries.account)
    balance = _Blocking(queries.balance)
    balances = _Blocking(queries.balances)
    supply = _Blocking(queries.supply)
    pairs = _Blocking(queries.pairs)
    tx = _Blocking(queries.tx)
    txs_by_address = _Blocking(queries.txs_by_address)
    block = _Blocking(queries.block)
    sign = _Blocking(txs.sign)
    broadcast = _Blocking(txs.broadcast)
    send = _Blocking(txs.send)
    verified_balance = _Blocking(verify.verified_balance)
    verified_nonce = _Blocking(verify.verified_nonce)
    verified_order = _Blocking(verify.verified_order)
    verified_validator = _Blocking(verify.verified_validator)
    verified_voter = _Blocking(verify.verified_voter)
