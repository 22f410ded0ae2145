"""The gateway's ASGI app (Starlette, served on trio by hypercorn): a route per gRPC method, server-sent
events for the streams, ``/openapi.json``, JSON error bodies, CORS for the configured origins, and the
block explorer at ``/`` (static files in ``explorer/`` that use only the routes above).

Servicers run on worker threads (they block on LevelDB reads and call into the node's trio thread). A
stream's servicer generator runs on a thread of its own that hands each message to the HTTP response
through an unbuffered channel: a client that stops reading stops that thread, and the node's hub ends the
stream once its buffer is full, exactly as over gRPC.
"""

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import grpc
import trio
from google.protobuf.message import Message
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount
from starlette.routing import Route as Endpoint
from starlette.staticfiles import StaticFiles

from okchain.gateway.methods import Context, Refused, Route, routes
from okchain.gateway.openapi import document
from okchain.node.api import NodeAPI
from okchain.node.config import split_origins

log = logging.getLogger("okchain.gateway")

FIRST_EVENT_S = 0.5  # a stream refused at once (bad request, height not kept, cap) answers with its status
Item = tuple[str, Any]  # ("data", JSON message) or ("error", Refused)

EXPLORER = Path(__file__).resolve().parent / "explorer"


def _refused(exc: Refused) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.http_status)


async def _fields(route: Route, request: Request) -> dict[str, Any]:
    if route.verb == "GET":
        return route.query_fields(request.query_params.multi_items())
    try:
        body = await request.json()
    except ValueError as exc:
        raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Refused(grpc.StatusCode.INVALID_ARGUMENT, "the body must be a JSON object of request fields")
    return body


def _frame(kind: str, item: Any) -> str:
    if kind == "error":
        return f"event: error\ndata: {json.dumps(item.body())}\n\n"
    return f"data: {json.dumps(item)}\n\n"


def _pump(
    route: Route,
    request: Message,
    context: Context,
    send: trio.MemorySendChannel[Item],
    token: trio.lowlevel.TrioToken,
) -> None:
    """Thread body: the servicer's messages into ``send`` until the stream ends or the client goes."""
    try:
        with closing(route.stream(request, context)) as replies:
            try:
                for reply in replies:
                    trio.from_thread.run(send.send, ("data", reply), trio_token=token)
            except Refused as exc:
                trio.from_thread.run(send.send, ("error", exc), trio_token=token)
        trio.from_thread.run_sync(send.close, trio_token=token)
    except (trio.BrokenResourceError, trio.ClosedResourceError, trio.RunFinishedError, trio.Cancelled):
        pass  # the client left (the response closed its end) or the gateway is stopping
    finally:
        context.active = False


async def _sse(
    first: Item | None, receive: trio.MemoryReceiveChannel[Item], context: Context
) -> AsyncIterator[str]:
    try:
        async with receive:
            if first is not None:
                yield _frame(*first)
            async for kind, item in receive:
                yield _frame(kind, item)
    finally:
        context.active = False


async def _events(route: Route, request: Message) -> Response:
    """A server-sent event stream of the servicer's messages. A refusal before the first message (within
    ``FIRST_EVENT_S``) is an HTTP error like a query's, a later one an ``error`` event ending the stream."""
    send, receive = trio.open_memory_channel[Item](0)
    token = trio.lowlevel.current_trio_token()

    def close() -> None:  # the hub ended a stream whose client stopped reading: free its blocked thread
        with suppress(trio.RunFinishedError):
            token.run_sync_soon(send.close)

    context = Context(close)
    threading.Thread(
        target=_pump, args=(route, request, context, send, token), name="gateway-stream", daemon=True
    ).start()
    first: Item | None = None
    with trio.move_on_after(FIRST_EVENT_S):
        with suppress(trio.EndOfChannel):
            first = await receive.receive()
    if first is not None and first[0] == "error":
        await receive.aclose()
        raise first[1]
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_sse(first, receive, context), media_type="text/event-stream", headers=headers)


def _endpoint(route: Route) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            message = route.parse(await _fields(route, request))
            if route.streaming:
                return await _events(route, message)
            return JSONResponse(await trio.to_thread.run_sync(route.call, message))
        except Refused as exc:
            return _refused(exc)
        except Exception:  # a bug: logged, and answered as gRPC answers it
            log.exception("gateway call %s failed", route.path)
            return _refused(
                Refused(grpc.StatusCode.UNKNOWN, "internal error; the node's log has the details")
            )

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong verbs, in the same JSON shape as the calls' errors."""
    assert isinstance(exc, HTTPException)
    code = {404: grpc.StatusCode.NOT_FOUND, 405: grpc.StatusCode.UNIMPLEMENTED}.get(
        exc.status_code, grpc.StatusCode.UNKNOWN
    )
    body = {"code": code.name, "message": f"{request.method} {request.url.path}: {exc.detail}"}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def build_app(node: NodeAPI, token: trio.lowlevel.TrioToken) -> Starlette:
    """The app for ``node``; ``token`` is the node's trio token the servicers call into."""
    table = routes(node, token)
    spec = document(table, node.config.moniker)

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    async def explorer(request: Request) -> Response:
        return FileResponse(EXPLORER / "index.html")

    endpoints: list[BaseRoute] = [Endpoint(r.path, _endpoint(r), methods=[r.verb]) for r in table]
    endpoints.append(Endpoint("/openapi.json", openapi, methods=["GET"]))
    endpoints.append(Endpoint("/", explorer, methods=["GET"]))
    endpoints.append(Mount("/explorer", StaticFiles(directory=EXPLORER)))
    origins = split_origins(node.config.api_cors_origins)
    cors = Middleware(
        CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"], allow_headers=["Content-Type"]
    )
    return Starlette(
        routes=endpoints,
        middleware=[cors] if origins else [],
        exception_handlers={HTTPException: _http_error},
    )
