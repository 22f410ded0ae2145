"""The evidence a block carries, and what its block begin hooks learn from the block (``BlockInfo``).

A block may carry at most ``max_block_evidence`` pieces of duplicate-vote evidence, each of a height below
its own and no older than ``evidence_max_age_blocks``, at most one per offender, none against a key already
tombstoned, each verified against the validator set of its height (key, power, total, both signatures).

A node that no longer keeps the set of a piece's height (a snapshot-imported node, or one whose retention
is shorter than the evidence age) cannot verify it: it refuses such a proposal (it may not vote for what it
cannot check), but executes a *committed* block carrying it, which +2/3 of the voting power checked. What a
piece does to state depends only on state (the offender's key, found through the slashing module's address
index), so both kinds of node reach the same app hash.
"""

from collections.abc import Callable

from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import ConsensusDecodeError
from okchain.consensus.proposer import ValidatorSet
from okchain.modules.blockinfo import BlockInfo, Misbehaviour, VoteInfo
from okchain.modules.slashing.keeper import is_tombstoned, key_of
from okchain.state.store import KVReader
from okchain.types.block import Commit
from okchain.types.params import ChainParams
from okchain.types.refusal import Refusal, RefusalCode

KnownSet = Callable[[int], ValidatorSet | None]


def block_evidence(
    pieces: tuple[bytes, ...],
    height: int,
    *,
    chain_id: str,
    params: ChainParams,
    initial_height: int,
    known_set: KnownSet,
    state: KVReader,
    strict: bool,
) -> Refusal | tuple[Misbehaviour, ...]:
    """The offences the evidence ``pieces`` of a block at ``height`` prove, or the first rule they break.
    ``strict``: refuse evidence this node cannot verify (a proposal) rather than take it on the commit's
    word (a decided block)."""
    if len(pieces) > params.max_block_evidence:
        return Refusal(
            RefusalCode.EVIDENCE_COUNT,
            f"block carries {len(pieces)} pieces of evidence, limit is {params.max_block_evidence}",
        )
    oldest = max(initial_height, height - params.evidence_max_age_blocks)
    offences: list[Misbehaviour] = []
    for index, raw in enumerate(pieces):
        where = f"evidence {index}"
        try:
            piece = DuplicateVoteEvidence.decode(raw)
        except ConsensusDecodeError as exc:
            return Refusal(RefusalCode.EVIDENCE_INVALID, f"{where}: {exc}")
        if not oldest <= piece.height < height:
            return Refusal(
                RefusalCode.EVIDENCE_TOO_OLD,
                f"{where} is of height {piece.height}; block {height} may carry evidence of heights "
                f"{oldest}..{height - 1}",
            )
        pubkey = _offender(piece, chain_id, known_set, state, strict, where)
        if isinstance(pubkey, Refusal):
            return pubkey
        if is_tombstoned(state, pubkey) or any(o.pubkey == pubkey for o in offences):
            return Refusal(
                RefusalCode.EVIDENCE_DUPLICATE,
                f"{where}: validator {piece.validator_address.hex()} is already punished for double signing",
            )
        offences.append(Misbehaviour(pubkey, piece.height))
    return tuple(offences)


def _offender(
    piece: DuplicateVoteEvidence,
    chain_id: str,
    known_set: KnownSet,
    state: KVReader,
    strict: bool,
    where: str,
) -> bytes | Refusal:
    """The consensus key ``piece`` proves double-signed."""
    validators = known_set(piece.height)
    if validators is not None:
        problem = piece.verify_in(chain_id, validators)
        if problem:
            return Refusal(RefusalCode.EVIDENCE_INVALID, f"{where}: {problem}")
        member = validators.by_address(piece.validator_address)
        assert member is not None, "verify_in found it"
        return member.pub_key
    if strict:
        return Refusal(
            RefusalCode.EVIDENCE_UNVERIFIABLE,
            f"{where} is of height {piece.height}, whose validator set this node no longer keeps",
        )
    pubkey = key_of(state, piece.validator_address)
    if pubkey is None:
        return Refusal(
            RefusalCode.EVIDENCE_INVALID,
            f"{where}: validator {piece.validator_address.hex()} never signed a block of this chain",
        )
    return pubkey


def block_info(
    height: int,
    time_ns: int,
    last_commit: Commit | None,
    last_set: ValidatorSet | None,
    offences: tuple[Misbehaviour, ...],
) -> BlockInfo:
    """``BlockInfo`` of block ``height`` whose last commit is ``last_commit`` over ``last_set`` (both
    ``None`` at the initial height); ``time_ns`` is the previous block's time."""
    if last_commit is None or last_set is None:
        return BlockInfo(height, time_ns, (), offences)
    signed = {s.validator_address for s in last_commit.signatures}
    votes = tuple(VoteInfo(v.pub_key, v.power, v.address in signed) for v in last_set.validators)
    return BlockInfo(height, time_ns, votes, offences)
