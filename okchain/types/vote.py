"""Canonical sign bytes for validator votes (fixed layout, length-prefixed, domain-tagged).

The same bytes are signed and verified; nothing is re-serialised. The full Tendermint vote set arrives with
the consensus state machine; the single-validator producer already signs precommits this way.
"""

import struct
from enum import IntEnum

from okchain.errors import OKChainError

VOTE_DOMAIN = b"okchain/vote/v1\n"
_LAYOUT = struct.Struct(">QIB32sq")


class VoteType(IntEnum):
    PREVOTE = 1
    PRECOMMIT = 2


class VoteError(OKChainError, ValueError):
    pass


def vote_sign_bytes(
    chain_id: str, height: int, round_: int, vote_type: VoteType, block_hash: bytes, time_ns: int
) -> bytes:
    """domain || len(chain_id) u8 || chain_id || height u64 || round u32 || type u8 || hash[32] || time i64.

    A nil vote uses 32 zero bytes as the block hash.
    """
    cid = chain_id.encode()
    if len(cid) > 255:
        raise VoteError("chain id longer than 255 bytes")
    if block_hash and len(block_hash) != 32:
        raise VoteError("block hash must be 32 bytes")
    return (
        VOTE_DOMAIN
        + bytes([len(cid)])
        + cid
        + _LAYOUT.pack(height, round_, int(vote_type), block_hash or bytes(32), time_ns)
    )
