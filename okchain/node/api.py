"""The node as servers facing users see it, and how the composition root plugs such servers in.

Servers (gRPC, the JSON gateway, metrics) are built around a running node by whoever assembles the
process, and reach it only through ``NodeAPI``, so the node never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import trio

from okchain.app import Application
from okchain.mempool.pool import AddResult, Mempool
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from okchain.node.hub import EventHub
from okchain.tx.envelope import Recoverer
from okchain.types.block import Block
from okchain.types.results import TxResult

# Called on the trio thread after each committed block with the block and the seconds its commit took.
CommitObserver = Callable[[Block, float], None]


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """What NodeInfo reports beyond the committed chain (read on the trio thread)."""

    node_id: str
    p2p_port: int
    peers: int
    catching_up: bool
    is_validator: bool
    consensus_height: int
    consensus_round: int
    signature_queue: int = 0  # signatures handed to the signature pool's workers, not recovered yet


@dataclass(frozen=True, slots=True)
class BroadcastOutcome:
    add: AddResult
    committed: bool = False
    height: int = 0
    result: TxResult | None = None
    timed_out: bool = False


class NodeAPI(Protocol):
    """What a server may use: committed state and checks through the application (reads on its own
    threads), and on the trio thread tx submission and status."""

    @property
    def config(self) -> NodeConfig: ...

    @property
    def app(self) -> Application: ...

    @property
    def mempool(self) -> Mempool: ...

    @property
    def validator_address(self) -> bytes: ...

    @property
    def home(self) -> Home: ...

    # frontends may append (on the trio thread, e.g. in ``start``) and remove their observer
    commit_observers: list[CommitObserver]

    @property
    def recover(self) -> Recoverer: ...

    @property
    def hub(self) -> EventHub:
        """Committed heights and consensus steps for streams (subscribe from any thread)."""
        ...

    async def broadcast(self, raw: bytes, *, wait: bool, timeout_s: float) -> BroadcastOutcome: ...

    def add_many(self, raws: list[bytes]) -> list[AddResult]: ...

    def status(self) -> NodeStatus: ...


class Frontend(Protocol):
    """A server around the node: started once the node is open, stopped before it closes its database
    (the server's threads read from it)."""

    def start(self) -> str:
        """Bind and serve; returns the line the node prints to say where."""
        ...

    def stop(self) -> None: ...


# Builds a frontend for the node, given the trio token its threads use to call into the node.
FrontendFactory = Callable[[NodeAPI, trio.lowlevel.TrioToken], Frontend]
