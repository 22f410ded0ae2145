"""Consensus gossip on ``ChannelId.CONSENSUS``: proposals, blocks, votes, round-state announcements and
catch-up commits, between the switch and the ``ConsensusDriver``.

- Every peer announces its (height, round, step) in ``NewRoundStep`` (on every step change, and every
  ``ANNOUNCE_S``), with the hash of the round's block if it holds it; we send a peer only messages of the
  height it is at, so nothing it would refuse for being early is lost, and we remember per peer what it has
  (it sent or announced it, or we sent it; bounded), so a large block is not relayed to peers holding it.
  Only what we judge is remembered: a vote or proposal of a height or round we drop unchecked, or a block
  more than one height away, leaves no key, so a flood of far-future messages costs decoding, no memory.
- Own messages go out at once to peers at their height. Every ``GOSSIP_S`` each peer at our height gets
  what we hold of that height and it lacks: own messages once the driver made them durable (synced to the
  WAL and broadcast), others' messages once we have held them
  ``RELAY_DELAY_S`` (their author normally reaches every peer directly; the relay covers broken links and
  peers that arrived late in the round).
- A peer at a lower height gets our stored block of its height with the commit that decided it (repeated
  every ``CATCH_UP_RETRY_S`` while it stays there): on its side a ``CommitReceived`` decides that height.
- Signatures are checked off the consensus path: incoming votes, proposals and commits wait in one ordered
  queue, each batch is verified on a worker thread (``VerifyCache.verify_many``; pynacl releases the GIL),
  then handed to the driver in arrival order, so the machine's own checks hit the cache; the signers of a
  block's txs that did not arrive by gossip are recovered meanwhile on the signature pool, and the block
  reaches the machine only after that (``warmed``): judging a block checks every tx's signer, and neither
  that nor execution recovers signers on the consensus thread. A peer that sends
  an undecodable message or a bad signature is disconnected and banned (``PeerMisbehaved``/``stop_peer``).
"""

import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import trio

from okchain._pb.consensus.v1 import wire_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.consensus.events import BlockReceived, CommitReceived, Event, ProposalReceived, VoteReceived
from okchain.consensus.machine import MAX_ROUNDS_AHEAD
from okchain.consensus.messages import ConsensusDecodeError, Proposal, Vote
from okchain.crypto.hashing import sha256
from okchain.node.consensus_driver import ConsensusDriver, Message
from okchain.node.verify_cache import SignedItem, VerifyCache
from okchain.p2p.errors import PeerMisbehaved
from okchain.p2p.switch import ChannelId, ChannelSpec, Switch
from okchain.state import schema
from okchain.state.store import KVReader
from okchain.types.block import Block, BlockDecodeError, Commit, block_message_limit
from okchain.types.vote import VoteType, vote_sign_bytes

log = logging.getLogger("okchain.consensus.reactor")

GOSSIP_S = 0.02
ANNOUNCE_S = 1.0
RELAY_DELAY_S = 0.25
CATCH_UP_RETRY_S = 1.0
MAX_KNOWN_PER_PEER = 20_000  # message keys remembered per peer (a height has at most a few per validator)
MAX_PENDING = 20_000  # received messages waiting for their signature check; beyond it they are dropped
MAX_HANDED = 50_000  # votes and proposals remembered as handed to the machine (this height and the last)

MessageKey = tuple[str, int, int, int, bytes, bytes]
"""(kind, height, round, vote type, author, block hash): the same message from any peer has one key."""

SignedKey = tuple[MessageKey, bytes]
"""A vote's or proposal's key with its signature: one signed message, whoever relays it."""


def message_key(message: Message) -> MessageKey:
    if isinstance(message, Vote):
        return (
            "v",
            message.height,
            message.round,
            int(message.vote_type),
            message.validator_address,
            message.block_hash,
        )
    if isinstance(message, Proposal):
        return ("p", message.height, message.round, 0, message.proposer_address, message.block_hash)
    return ("b", message.header.height, 0, 0, b"", message.hash)


def encode(message: Message) -> bytes:
    if isinstance(message, Vote):
        envelope = wire_pb2.ConsensusMessage(vote=message.encode())
    elif isinstance(message, Proposal):
        envelope = wire_pb2.ConsensusMessage(proposal=message.encode())
    else:
        envelope = wire_pb2.ConsensusMessage(block=message.encode())
    return envelope.SerializeToString()


@dataclass(slots=True)
class PeerState:
    height: int = 0  # 0: not announced yet
    round: int = 0
    step: int = 0
    known: dict[MessageKey, None] = field(default_factory=dict)
    catch_up: tuple[int, float] = (0, 0.0)  # height last sent as a catch-up commit, and when


@dataclass(frozen=True, slots=True)
class _Pending:
    peer: str
    event: Event
    items: tuple[SignedItem, ...]  # signatures to check before the event goes to the machine
    what: str
    signed: SignedKey | None = None  # a vote's or proposal's identity, remembered while queued or handed on


class ConsensusReactor:
    def __init__(
        self,
        *,
        switch: Switch,
        driver: ConsensusDriver,
        verifier: VerifyCache,
        validator_keys: Callable[[], Mapping[bytes, bytes]],
        max_validators: int,
        db: KVReader,
        committed_height: Callable[[], int],
        own_address: bytes | None,
        max_block_bytes: int,
        prewarm: Callable[[list[bytes]], object],
        has_signer: Callable[[bytes], bool],
    ) -> None:
        self._switch = switch
        self._driver = driver
        self._verifier = verifier
        self._keys = validator_keys  # address -> ed25519 key of the validators of the heights in play
        self._db = db
        self._committed_height = committed_height
        self._own = own_address
        self._max_bytes = block_message_limit(max_block_bytes, max_validators)  # a catch-up is the largest
        self._prewarm = prewarm  # recover the signers of txs (on the signature pool), caching them
        self._has_signer = has_signer  # is this tx hash's signer cached already?
        self._peers: dict[str, PeerState] = {}
        self._pending: deque[_Pending] = deque()
        self._pending_ready = trio.Event()
        self._handed: dict[SignedKey, None] = {}  # votes and proposals queued for or handed to the machine
        self._handed_height = 0  # the machine's height when ``_handed`` was last pruned
        self._first_seen: dict[MessageKey, float] = {}
        self._encoded: dict[MessageKey, bytes] = {}
        self._durable: dict[MessageKey, None] = {}  # own messages the driver broadcast: synced to the WAL
        self._pruned_at = 0  # the height these three were last pruned for
        self._announced_at = 0.0
        self._warming: dict[bytes, trio.Event] = {}  # blocks whose txs' signers are being recovered
        self._tasks: trio.Nursery | None = None

    def attach(self, driver: ConsensusDriver) -> None:
        """Talk to a new machine (after block sync); what peers were sent stays remembered."""
        self._driver = driver
        self._pending.clear()
        self._handed.clear()

    # --- Reactor ---
    def channels(self) -> Sequence[ChannelSpec]:
        return (ChannelSpec(ChannelId.CONSENSUS, priority=10, max_message_bytes=self._max_bytes),)

    def peer_added(self, peer: str) -> None:
        self._peers[peer] = PeerState()
        self._switch.try_send(peer, ChannelId.CONSENSUS, self._round_step())

    def peer_removed(self, peer: str) -> None:
        self._peers.pop(peer, None)

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        state = self._peers.get(peer)
        if state is None:
            return
        envelope = wire_pb2.ConsensusMessage()
        try:
            envelope.ParseFromString(message)
        except Exception as exc:  # protobuf raises DecodeError and RuntimeWarning-derived errors
            raise PeerMisbehaved(f"undecodable consensus message: {exc}") from None
        kind = envelope.WhichOneof("sum")
        try:
            if kind == "new_round_step":
                self._on_round_step(state, envelope.new_round_step)
            elif kind == "vote":
                self._on_vote(peer, state, Vote.decode(envelope.vote))
            elif kind == "proposal":
                self._on_proposal(peer, state, Proposal.decode(envelope.proposal))
            elif kind == "block":
                self._on_block(peer, state, Block.decode(envelope.block))
            elif kind == "commit":
                self._on_commit(peer, envelope.commit)
            else:
                raise PeerMisbehaved("empty consensus message")
        except (ConsensusDecodeError, BlockDecodeError) as exc:
            raise PeerMisbehaved(f"malformed consensus message: {exc}") from None

    # --- inbound ---
    def _on_round_step(self, state: PeerState, step: wire_pb2.NewRoundStep) -> None:
        if step.height != state.height:
            state.known = {k: None for k in state.known if k[1] >= step.height}
        state.height, state.round, state.step = step.height, step.round, step.step
        if step.proposal_block and self._near(step.height):
            self._mark(state, ("b", step.height, 0, 0, b"", step.proposal_block))

    def _on_vote(self, peer: str, state: PeerState, vote: Vote) -> None:
        height = self._driver.machine.height
        pub = self._keys().get(vote.validator_address)
        if pub is None or vote.height not in (height, height - 1) or self._too_far_ahead(vote.round):
            return  # not ours to judge: the machine keeps only this height's (and the last one's) votes
        self._mark(state, message_key(vote))  # only what we judge: a forged key costs its sender a ban
        signed = self._first_copy(message_key(vote), vote.signature)
        if signed is None:
            return
        item = (pub, vote.sign_bytes(self._driver.machine.chain_id), vote.signature)
        self._queue(_Pending(peer, VoteReceived(vote), (item,), f"vote {vote.height}/{vote.round}", signed))

    def _on_proposal(self, peer: str, state: PeerState, proposal: Proposal) -> None:
        pub = self._keys().get(proposal.proposer_address)
        if (
            pub is None
            or proposal.height != self._driver.machine.height
            or self._too_far_ahead(proposal.round)
        ):
            return
        self._mark(state, message_key(proposal))
        signed = self._first_copy(message_key(proposal), proposal.signature)
        if signed is None:
            return
        item = (pub, proposal.sign_bytes(self._driver.machine.chain_id), proposal.signature)
        what = f"proposal {proposal.height}/{proposal.round}"
        self._queue(_Pending(peer, ProposalReceived(proposal), (item,), what, signed))

    def _near(self, height: int) -> bool:
        """Whether a block of ``height`` may soon be sent to a peer: only such keys are remembered per peer,
        so a peer cannot fill our memory with keys of heights we will not reach for long."""
        return abs(height - self._driver.machine.height) <= 1

    def _too_far_ahead(self, round_: int) -> bool:
        """The machine refuses it now but may want it later: it is not remembered as handed on."""
        return round_ > self._driver.machine.round + MAX_ROUNDS_AHEAD

    def _first_copy(self, key: MessageKey, signature: bytes) -> SignedKey | None:
        """The message's identity if no copy of it is queued or was handed to the machine, else None. Any
        peer can replay a valid vote as fast as its receive rate allows; only the first copy costs more
        than decoding. Remembered for this height and the last (and bounded)."""
        height = self._driver.machine.height
        if height != self._handed_height:
            self._handed = {k: None for k in self._handed if k[0][1] >= height - 1}
            self._handed_height = height
        signed = (key, signature)
        if signed in self._handed:
            return None
        if len(self._handed) >= MAX_HANDED:
            self._handed.clear()  # worst case a few copies reach the machine, which drops them
        self._handed[signed] = None
        return signed

    def _on_block(self, peer: str, state: PeerState, block: Block) -> None:
        if self._near(block.header.height):
            self._mark(state, message_key(block))
        if block.header.height == self._driver.machine.height:
            self._queue(_Pending(peer, BlockReceived(block), (), "block"))

    def _on_commit(self, peer: str, catch_up: wire_pb2.CommitCatchUp) -> None:
        block = Block.decode(catch_up.block)
        raw = types_pb2.Commit()
        try:
            raw.ParseFromString(catch_up.commit)
        except Exception as exc:  # protobuf raises DecodeError and RuntimeWarning-derived errors
            raise PeerMisbehaved(f"undecodable catch-up commit: {exc}") from None
        commit = Commit.from_proto(raw)
        if commit.height != self._driver.machine.height or block.header.height != commit.height:
            return  # we moved on (or are further behind: block sync's job)
        chain_id = self._driver.machine.chain_id
        items = []
        keys = self._keys()
        for sig in commit.signatures:
            pub = keys.get(sig.validator_address)
            if pub is None or len(commit.block_hash) != 32:
                continue  # the machine refuses it with the reason
            sign_bytes = vote_sign_bytes(
                chain_id, commit.height, commit.round, VoteType.PRECOMMIT, commit.block_hash, sig.time_ns
            )
            items.append((pub, sign_bytes, sig.signature))
        self._queue(_Pending(peer, CommitReceived(block, commit), tuple(items), f"commit {commit.height}"))

    def _warm(self, block: Block) -> None:
        """Recover the signers of the block's txs that did not reach us by gossip, on the signature pool,
        while consensus goes on; applying the block waits for it (``warmed``)."""
        block_hash = block.hash
        if block_hash in self._warming:
            return
        cold = [raw for raw in block.txs if not self._has_signer(sha256(raw))]
        if cold:
            assert self._tasks is not None  # _verify_forever runs inside run()
            self._warming[block_hash] = trio.Event()
            self._tasks.start_soon(self._warm_on_thread, block_hash, cold)

    async def _warm_on_thread(self, block_hash: bytes, cold: list[bytes]) -> None:
        try:
            await trio.to_thread.run_sync(self._prewarm, cold)
        finally:
            self._warming.pop(block_hash).set()

    async def warmed(self, block: Block) -> None:
        """Wait until the signers of ``block``'s txs are recovered (if that is under way)."""
        event = self._warming.get(block.hash)
        if event is not None:
            await event.wait()

    def _mark(self, state: PeerState, key: MessageKey) -> None:
        if len(state.known) >= MAX_KNOWN_PER_PEER:
            state.known.clear()  # worst case we send a few messages twice
        state.known[key] = None

    def _queue(self, pending: _Pending) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._forget(pending)  # dropped: another copy may come
            return
        self._pending.append(pending)
        self._pending_ready.set()

    async def _verify_forever(self) -> None:
        """Check the queued messages' signatures in batches on a worker thread, then hand them on in the
        order they arrived; a bad signature gets its sender banned."""
        while True:
            await self._pending_ready.wait()
            self._pending_ready = trio.Event()
            batch = list(self._pending)
            self._pending.clear()
            for p in batch:
                if isinstance(p.event, BlockReceived | CommitReceived):
                    self._warm(p.event.block)
            answers = iter(await self._verifier.verify_many([i for p in batch for i in p.items]))
            for pending in batch:
                if all([next(answers) for _ in pending.items]):
                    if isinstance(pending.event, BlockReceived | CommitReceived):
                        await self.warmed(pending.event.block)  # judging a block checks its txs' signers
                    if not self._driver.submit(pending.event):
                        self._forget(pending)
                else:
                    reason = f"bad signature on {pending.what}"
                    log.warning("peer %s: %s", pending.peer, reason)
                    self._switch.stop_peer(pending.peer, reason, ban=True)

    def _forget(self, pending: _Pending) -> None:
        if pending.signed is not None:
            self._handed.pop(pending.signed, None)

    # --- outbound ---
    def broadcast_own(self, message: Message) -> None:
        """An own message the driver just made durable: to every peer at its height now."""
        key = message_key(message)
        self._prune(self._driver.machine.height)
        self._durable[key] = None
        data = self._encode(key, message)
        for peer, state in self._peers.items():
            fresh = state.height == key[1] and key not in state.known
            if fresh and self._switch.try_send(peer, ChannelId.CONSENSUS, data):
                self._mark(state, key)

    def step_changed(self) -> None:
        self._announced_at = trio.current_time()
        self._switch.broadcast(ChannelId.CONSENSUS, self._round_step())

    def _round_step(self) -> bytes:
        height, round_, phase = self._driver.step
        step = wire_pb2.NewRoundStep(height=height, round=round_, step=phase)
        proposal = self._driver.machine.proposal(round_)
        if proposal is not None and any(
            isinstance(m, Block) and m.hash == proposal.block_hash
            for m in self._driver.machine.known_messages()
        ):
            step.proposal_block = proposal.block_hash
        return wire_pb2.ConsensusMessage(new_round_step=step).SerializeToString()

    def _encode(self, key: MessageKey, message: Message) -> bytes:
        data = self._encoded.get(key)
        if data is None:
            data = self._encoded[key] = encode(message)
        return data

    async def _gossip_forever(self) -> None:
        while True:
            await trio.sleep(GOSSIP_S)
            now = trio.current_time()
            if now - self._announced_at >= ANNOUNCE_S:
                self.step_changed()
            self._gossip(now)

    def _gossip(self, now: float) -> None:
        height = self._driver.machine.height
        current: list[tuple[MessageKey, Message, bool]] | None = None
        for peer, state in list(self._peers.items()):
            if 0 < state.height < height:
                self._send_catch_up(peer, state, now)
            elif state.height == height:
                if current is None:
                    current = self._current(height, now)
                for key, message, ready in current:
                    if ready and key not in state.known:
                        if not self._switch.try_send(peer, ChannelId.CONSENSUS, self._encode(key, message)):
                            break  # its queue is full: the rest next time
                        self._mark(state, key)

    def _current(self, height: int, now: float) -> list[tuple[MessageKey, Message, bool]]:
        """This height's messages the machine accepted, each with whether it may be relayed yet."""
        self._prune(height)
        out = []
        for message in self._driver.machine.known_messages():
            key = message_key(message)
            if key[1] != height:
                continue
            if self._own is not None and self._is_own(message):
                # at once, but never before the driver synced it to the WAL and broadcast it: the machine
                # holds an own vote while the driver awaits its fsync
                out.append((key, message, key in self._durable))
                continue
            seen = self._first_seen.setdefault(key, now)
            out.append((key, message, now - seen >= RELAY_DELAY_S))
        return out

    def _prune(self, height: int) -> None:
        """Forget what concerns heights before the last one (called on every gossip round and own message,
        so a node without peers at its height keeps nothing old either)."""
        if height != self._pruned_at:
            self._pruned_at = height
            self._first_seen = {k: t for k, t in self._first_seen.items() if k[1] >= height - 1}
            self._encoded = {k: d for k, d in self._encoded.items() if k[1] >= height - 1}
            self._durable = {k: None for k in self._durable if k[1] >= height - 1}

    def _is_own(self, message: Message) -> bool:
        if isinstance(message, Vote):
            return message.validator_address == self._own
        if isinstance(message, Proposal):
            return message.proposer_address == self._own
        return message.header.proposer_address == self._own

    def _send_catch_up(self, peer: str, state: PeerState, now: float) -> None:
        sent_height, sent_at = state.catch_up
        if sent_height == state.height and now - sent_at < CATCH_UP_RETRY_S:
            return
        if state.height > self._committed_height():
            return
        block = self._db.get(schema.block(state.height))
        commit = self._db.get(schema.commit(state.height))
        if block is None or commit is None:
            return  # pruned: block sync serves what we still keep
        data = wire_pb2.ConsensusMessage(commit=wire_pb2.CommitCatchUp(block=block, commit=commit))
        if self._switch.try_send(peer, ChannelId.CONSENSUS, data.SerializeToString()):
            state.catch_up = (state.height, now)

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            self._tasks = nursery
            nursery.start_soon(self._verify_forever)
            nursery.start_soon(self._gossip_forever)

    @property
    def peer_heights(self) -> dict[str, int]:
        return {peer: state.height for peer, state in self._peers.items()}
