"""The trio client: the same core operations as ``Client``, each gRPC call run in a worker thread so the
event loop keeps running (grpcio has no trio transport); streams arrive through a bounded channel."""

import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import grpc
import trio

import okchain.client.queries as queries
import okchain.client.txs as txs
import okchain.client.verify as verify
from okchain.client.connection import Connection
from okchain.client.core import Call, Context, Drive, Op, node_info
from okchain.client.errors import NodeError
from okchain.client.stubs import node_error

P = ParamSpec("P")
T = TypeVar("T")
STREAM_BUFFER = 64


class _Async(Generic[P, T]):
    """A core operation as an async method of ``AsyncClient``."""

    def __init__(self, op: Callable[Concatenate[Context, P], Op[T]]) -> None:
        self._op = op
        self.__doc__ = op.__doc__

    @overload
    def __get__(self, client: None, owner: type) -> "_Async[P, T]": ...
    @overload
    def __get__(self, client: "AsyncClient", owner: type) -> Callable[P, Awaitable[T]]: ...
    def __get__(
        self, client: "AsyncClient | None", owner: type
    ) -> "_Async[P, T] | Callable[P, Awaitable[T]]":
        if client is None:
            return self
        op, bound = self._op, client

        @functools.wraps(op)
        async def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return await bound.run(op(bound.context, *args, **kwargs))

        return method


class Subscription:
    """Events of one stream, ``async for`` over them; the node's error ending it is raised as
    ``NodeError``."""

    def __init__(self, receive: trio.MemoryReceiveChannel[Any]) -> None:
        self._receive = receive

    def __aiter__(self) -> "Subscription":
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self._receive.receive()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None
        if isinstance(item, NodeError):
            raise item
        return item


class AsyncClient(Connection):
    """``Client`` for trio programs: ``await client.balance(...)``, ``async with client.subscribe(...)``."""

    async def run(self, op: Op[T]) -> T:
        """Run a core operation, performing each call it asks for in a worker thread."""
        drive = Drive(op)
        call = drive.start()
        while call is not None:
            call = drive.answer(await trio.to_thread.run_sync(self.perform, call))
        return drive.result

    @asynccontextmanager
    async def subscribe(self, call: Call) -> AsyncIterator[Subscription]:
        """The events of a stream while the block runs; leaving it cancels the stream."""
        send, receive = trio.open_memory_channel[Any](STREAM_BUFFER)
        stream = self.stubs.method(call)(call.request)
        token = trio.lowlevel.current_trio_token()

        def pump() -> None:
            """Move events from grpcio's blocking iterator into the channel until either side ends."""
            try:
                for event in stream:
                    trio.from_thread.run(send.send, event, trio_token=token)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.CANCELLED:
                    trio.from_thread.run(send.send, node_error(exc), trio_token=token)
            except (trio.BrokenResourceError, trio.ClosedResourceError, trio.RunFinishedError):
                pass  # the subscriber left
            finally:
                with contextlib.suppress(trio.RunFinishedError):
                    trio.from_thread.run_sync(send.close, trio_token=token)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(functools.partial(trio.to_thread.run_sync, pump, abandon_on_cancel=True))
            try:
                yield Subscription(receive)
            finally:
                stream.cancel()
                receive.close()

    async def aclose(self) -> None:
        self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    node_info = _Async(node_info)
    account = _Async(queries.account)
    balance = _Async(queries.balance)
    balances = _Async(queries.balances)
    supply = _Async(queries.supply)
    pairs = _Async(queries.pairs)
    tx = _Async(queries.tx)
    txs_by_address = _Async(queries.txs_by_address)
    block = _Async(queries.block)
    sign = _Async(txs.sign)
    broadcast = _Async(txs.broadcast)
    send = _Async(txs.send)
    verified_balance = _Async(verify.verified_balance)
    verified_nonce = _Async(verify.verified_nonce)
    verified_order = _Async(verify.verified_order)
    verified_validator = _Async(verify.verified_validator)
    verified_voter = _Async(verify.verified_voter)
