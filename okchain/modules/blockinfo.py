"""What the block begin hooks (mint, distribution, slashing) learn about the block they open.

Consensus facts reach the modules only through this record, built by the application from the block itself
(its last commit, its evidence) and the validator set of the previous height, so every node hands every
module the same input whichever path executed the block.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VoteInfo:
    """One validator of the previous height's set: did its precommit for the previous block make it into
    this block's last commit?"""

    pubkey: bytes  # ed25519 consensus key
    power: int
    signed: bool


@dataclass(frozen=True, slots=True)
class Misbehaviour:
    """Duplicate-vote evidence carried by this block, checked by the application: ``pubkey`` signed two
    different blocks at ``height``."""

    pubkey: bytes
    height: int


@dataclass(frozen=True, slots=True)
class BlockInfo:
    """``height``: the block being executed. ``time_ns``: the previous block's time, the newest time every
    node agrees on before the proposer fixes this block's own (the same rule as ``MsgContext``), so the
    proposer's execution stays valid. ``last_votes``: the previous height's set in set order, empty at the
    initial height."""

    height: int
    time_ns: int
    last_votes: tuple[VoteInfo, ...] = ()
    misbehaviour: tuple[Misbehaviour, ...] = ()
