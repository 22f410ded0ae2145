"""Evidence gossip on ``ChannelId.EVIDENCE``: duplicate-vote evidence the machine found, or a peer sent.

Received evidence is checked against the validator set (shape, power, both signatures) before it is kept
or passed on; a peer sending undecodable or invalid evidence is banned. The pool is bounded (oldest out
first) and keeps one piece per validator and height, of heights near our own only. Proposers offer the
pool's oldest pieces to ``prepare_proposal``, which keeps what a block may carry; once a block carrying
evidence commits, every piece against its offenders leaves the pool, and later pieces against them are
ignored (a tombstoned validator is punished once).
"""

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence

from okchain._pb.consensus.v1 import wire_pb2
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import ConsensusDecodeError
from okchain.consensus.proposer import ValidatorSet
from okchain.p2p.errors import PeerMisbehaved
from okchain.p2p.switch import ChannelId, ChannelSpec, Switch

log = logging.getLogger("okchain.evidence")

MAX_POOL = 1_000
MAX_OFFERED = 64  # pieces offered to one proposal: each costs two signature checks there
MAX_EVIDENCE_AGE = 10_000  # heights: older evidence is dropped (CometBFT's max_age_num_blocks is 100,000)
MAX_EVIDENCE_AHEAD = 100  # heights past our consensus height a peer further on may already have evidence of
MAX_MESSAGE_BYTES = 256 * 1024
ENTRY_OVERHEAD = 6  # a repeated bytes field's tag and length prefix, at most


class EvidenceReactor:
    def __init__(
        self,
        *,
        switch: Switch,
        chain_id: str,
        validators: Callable[[int], ValidatorSet | None],
        height: Callable[[], int],
    ) -> None:
        self._switch = switch
        self._chain_id = chain_id
        self._validators = validators  # the set that signed a height, if this node still knows it
        self._height = height  # the height consensus is at
        self.pool: OrderedDict[tuple[bytes, int], DuplicateVoteEvidence] = OrderedDict()
        self._punished: OrderedDict[bytes, None] = OrderedDict()  # offenders of committed evidence

    def pending(self) -> list[bytes]:
        """Encoded pieces for our next proposal, oldest height first."""
        oldest = sorted(self.pool.values(), key=lambda e: (e.height, e.validator_address))
        return [e.encode() for e in oldest[:MAX_OFFERED]]

    def committed(self, pieces: Sequence[bytes]) -> None:
        """A committed block carried ``pieces``: their offenders are punished, so drop all evidence of
        them. The pieces were decoded when the block was checked."""
        for raw in pieces:
            offender = DuplicateVoteEvidence.decode(raw).validator_address
            self._punished[offender] = None
            if len(self._punished) > MAX_POOL:
                self._punished.popitem(last=False)
            for key in [key for key in self.pool if key[0] == offender]:
                del self.pool[key]

    def channels(self) -> Sequence[ChannelSpec]:
        return (ChannelSpec(ChannelId.EVIDENCE, priority=5, max_message_bytes=MAX_MESSAGE_BYTES),)

    def peer_added(self, peer: str) -> None:
        for message in _messages(list(self.pool.values())):
            self._switch.try_send(peer, ChannelId.EVIDENCE, message)

    def peer_removed(self, peer: str) -> None:
        return

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        batch = wire_pb2.EvidenceList()
        try:
            batch.ParseFromString(message)
            items = [DuplicateVoteEvidence.decode(raw) for raw in batch.evidence]
        except ConsensusDecodeError as exc:
            raise PeerMisbehaved(f"malformed evidence: {exc}") from None
        except Exception as exc:  # protobuf raises DecodeError and RuntimeWarning-derived errors
            raise PeerMisbehaved(f"undecodable evidence message: {exc}") from None
        fresh = []
        for evidence in items:
            if not self._in_window(evidence):
                continue  # not worth checking
            validators = self._validators(evidence.height)
            if validators is None:
                continue  # a height whose set this node no longer keeps (or does not know yet)
            problem = evidence.verify_in(self._chain_id, validators)
            if problem:
                raise PeerMisbehaved(f"invalid evidence: {problem}")
            if self._keep(evidence):
                fresh.append(evidence)
        if fresh:
            self._relay(fresh, source=peer)

    def report(self, evidence: DuplicateVoteEvidence) -> None:
        """Evidence our own machine found: keep it and tell every peer."""
        if self._keep(evidence):
            self._relay([evidence], source=None)

    def _in_window(self, evidence: DuplicateVoteEvidence) -> bool:
        height = self._height()
        if height - MAX_EVIDENCE_AGE < evidence.height <= height + MAX_EVIDENCE_AHEAD:
            return True
        log.debug("evidence of height %d is outside the window around %d", evidence.height, height)
        return False

    def _keep(self, evidence: DuplicateVoteEvidence) -> bool:
        """One piece per validator and height, within a window around our height: a byzantine validator
        can sign conflicting votes for any height and round, and each piece kept is relayed by every node
        to every peer. One offence per height is enough to punish."""
        key = (evidence.validator_address, evidence.height)
        if key in self.pool or evidence.validator_address in self._punished or not self._in_window(evidence):
            return False
        self.pool[key] = evidence
        if len(self.pool) > MAX_POOL:
            self.pool.popitem(last=False)
        log.warning(
            "evidence: validator %s double-signed at height %d",
            evidence.validator_address.hex(),
            evidence.height,
        )
        return True

    def _relay(self, items: list[DuplicateVoteEvidence], source: str | None) -> None:
        messages = _messages(items)
        for peer in self._switch.peers():
            if peer != source:
                for message in messages:
                    self._switch.try_send(peer, ChannelId.EVIDENCE, message)


def _messages(items: list[DuplicateVoteEvidence]) -> list[bytes]:
    """``items`` as ``EvidenceList`` messages each within the channel's limit (a full pool is larger)."""
    messages: list[bytes] = []
    batch: list[bytes] = []
    size = 0
    for raw in (e.encode() for e in items):
        cost = len(raw) + ENTRY_OVERHEAD
        if batch and size + cost > MAX_MESSAGE_BYTES:
            messages.append(wire_pb2.EvidenceList(evidence=batch).SerializeToString())
            batch, size = [], 0
        batch.append(raw)
        size += cost
    if batch:
        messages.append(wire_pb2.EvidenceList(evidence=batch).SerializeToString())
    return messages
