"""What both client flavours hold: one channel to the node, its stubs, the per-call deadline and the core's
context; and the one blocking way a call is made (the trio flavour makes it on a worker thread)."""

from typing import Any

import grpc

from okchain.client.core import Call, Context
from okchain.client.stubs import Stubs, node_error, open_channel
from okchain.client.trust import TrustStore

DEFAULT_TIMEOUT = 30.0


class Connection:
    def __init__(
        self, target: str = "127.0.0.1:9090", *, genesis: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """``target``: the node's gRPC address; ``genesis``: a genesis file whose validators to trust for
        verified reads (none: only unverified ones); ``timeout``: seconds per call."""
        self._channel = open_channel(target)
        self.stubs = Stubs(self._channel)
        self.timeout = timeout
        self.context = Context(trust=TrustStore.from_genesis(genesis) if genesis else None)

    def perform(self, call: Call) -> Any:
        """The call's response, or the node's error as a ``NodeError`` to throw into the operation."""
        try:
            return self.stubs.method(call)(call.request, timeout=self.timeout)
        except grpc.RpcError as exc:
            return node_error(exc)
