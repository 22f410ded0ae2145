"""What every module handler receives and raises: the shared contract behind deliver.py's routing table.

A handler is ``handle(store, ctx, msg) -> list[Event]``: a pure transition on a branch of state that raises
a ``ModuleError`` subclass on failure. The error class carries the result code, so deliver.py maps any
module's failure to its code without knowing the module.
"""

from dataclasses import dataclass
from typing import ClassVar

from okchain.crypto.address import Address
from okchain.errors import OKChainError
from okchain.types.params import ChainParams
from okchain.types.results import Code


@dataclass(frozen=True, slots=True)
class MsgContext:
    """The facts a message may depend on; nothing else about the node or the wall clock reaches a handler.

    ``height`` is the height of the block the tx runs in (for check_tx and simulate: the next block).
    ``time_ns`` is the time of the *previous* committed block: the newest time every node agrees on before
    the proposer picks this block's own time, so the proposer's execution in ``prepare_proposal`` stays
    valid for ``finalize_block``. End-block hooks, which run after the header is fixed, see the block time.
    ``params`` are the chain parameters from genesis (fees, limits).
    """

    signer: Address
    tx_hash: bytes
    height: int
    time_ns: int
    params: ChainParams


class ModuleError(OKChainError):
    """Root of every error a message handler raises; ``code`` is what the tx result records.

    Modules subclass it once (e.g. ``BankError``) and give narrower subclasses their own code when a wallet
    should tell them apart (``InsufficientFunds``); the message is the precise reason shown to the user.
    """

    code: ClassVar[Code] = Code.INVALID_MSG
