"""A loopback TCP proxy per directed link, so the chaos runner can cut, delay and partition the network.

Node ``i`` dials node ``j`` at the proxy port of link ``(i, j)``, which forwards to ``j``'s p2p port.
Cutting a link closes its open connections and every new one at once (the peers see a dead TCP connection
and redial with backoff); a delay holds each chunk that long before forwarding it. The proxy runs its own trio
loop on a thread; the runner changes links from its thread.
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import trio

Link = tuple[int, int]  # (dialer, listener)


@dataclass
class _Route:
    listen_port: int
    target_port: int
    cut: bool = False
    delay_s: float = 0.0
    scopes: set[trio.CancelScope] = field(default_factory=set)


class LinkProxy:
    def __init__(self, routes: dict[Link, tuple[int, int]]) -> None:
        """``routes``: link → (proxy port to listen on, node p2p port to forward to)."""
        self._routes = {link: _Route(listen, target) for link, (listen, target) in routes.items()}
        self._token: trio.lowlevel.TrioToken | None = None
        self._ready = threading.Event()
        self._stop: trio.Event | None = None
        self._thread = threading.Thread(target=trio.run, args=(self._main,), name="link-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("link proxy did not start")

    def close(self) -> None:
        if self._token is not None and self._stop is not None:
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(30)

    def set_links(self, links: Iterable[Link], *, cut: bool = False, delay_s: float = 0.0) -> None:
        """Cut (or restore) and delay these links; an unlisted link keeps its state."""
        assert self._token is not None
        trio.from_thread.run_sync(self._set, list(links), cut, delay_s, trio_token=self._token)

    def heal(self) -> None:
        self.set_links(self._routes, cut=False, delay_s=0.0)

    def _set(self, links: list[Link], cut: bool, delay_s: float) -> None:
        for link in links:
            route = self._routes[link]
            route.cut, route.delay_s = cut, delay_s
            if cut:
                for scope in route.scopes:
                    scope.cancel()

    async def _main(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        async with trio.open_nursery() as nursery:
            for route in self._routes.values():
                listeners = await trio.open_tcp_listeners(route.listen_port, host="127.0.0.1")
                nursery.start_soon(self._serve, route, listeners[0])
            self._ready.set()
            await self._stop.wait()
            nursery.cancel_scope.cancel()

    async def _serve(self, route: _Route, listener: trio.SocketListener) -> None:
        async with listener, trio.open_nursery() as nursery:
            while True:
                conn = await listener.accept()
                nursery.start_soon(self._forward, route, conn)

    async def _forward(self, route: _Route, inbound: trio.SocketStream) -> None:
        with trio.CancelScope() as scope:
            route.scopes.add(scope)
            try:
                if route.cut:
                    return
                outbound = await trio.open_tcp_stream("127.0.0.1", route.target_port)
                async with outbound, trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, route, inbound, outbound, nursery.cancel_scope)
                    nursery.start_soon(self._pump, route, outbound, inbound, nursery.cancel_scope)
            except OSError:
                pass  # the node is down: the dialer sees its connection closed, as it would without us
            finally:
                route.scopes.discard(scope)
                await trio.aclose_forcefully(inbound)

    @staticmethod
    async def _pump(
        route: _Route, source: trio.SocketStream, sink: trio.SocketStream, both: trio.CancelScope
    ) -> None:
        """Copy one direction; either side ending ends both."""
        try:
            while data := await source.receive_some(65536):
                if route.delay_s:
                    await trio.sleep(route.delay_s)
                await sink.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        both.cancel()
