"""The gateway as a frontend of the node: hypercorn serving the app on a trio loop of its own thread.

Its own loop keeps HTTP work off the node's trio thread (a burst of requests cannot delay consensus); the
servicers reach the node with the node's trio token, as gRPC's threads do.
"""

import logging
import queue
import threading
from contextlib import suppress

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from okchain.errors import OKChainError
from okchain.gateway.app import build_app
from okchain.node.api import NodeAPI

START_TIMEOUT_S = 10.0
GRACE_S = 1.0  # running requests and streams get this long when the node stops


class GatewayError(OKChainError):
    """The gateway cannot listen where ``api_listen`` says."""


class GatewayServer:
    def __init__(self, node: NodeAPI, token: trio.lowlevel.TrioToken) -> None:
        self._app = build_app(node, token)
        self._listen = node.config.api_listen
        self._started: queue.Queue[list[str] | BaseException] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gateway", daemon=True)
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None

    def _run(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # handed to start(), which reports it
            self._started.put(exc)

    async def _serve(self) -> None:
        config = Config()
        config.bind = [self._listen]
        config.graceful_timeout = GRACE_S
        config.accesslog = None
        config.errorlog = logging.getLogger("okchain.gateway")
        stop = self._stop = trio.Event()
        self._token = trio.lowlevel.current_trio_token()
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(
                lambda task_status: serve(
                    self._app,  # type: ignore[arg-type]  # an ASGI 3 app; hypercorn's types are narrower
                    config,
                    shutdown_trigger=stop.wait,
                    task_status=task_status,
                )
            )
            self._started.put(binds)

    def start(self) -> str:
        self._thread.start()
        try:
            started = self._started.get(timeout=START_TIMEOUT_S)
        except queue.Empty as exc:
            raise GatewayError(f"the JSON gateway did not start within {START_TIMEOUT_S:.0f} s") from exc
        if isinstance(started, BaseException):
            raise GatewayError(
                f"cannot listen for the JSON gateway on {self._listen}: {started}"
            ) from started
        return "JSON gateway listening on " + ", ".join(started) + " (/openapi.json)"

    def stop(self) -> None:
        if self._token is not None and self._stop is not None:
            with suppress(trio.RunFinishedError):  # it ended on its own
                self._token.run_sync_soon(self._stop.set)  # from any thread, the node's trio one too
        self._thread.join(timeout=GRACE_S + 5)
