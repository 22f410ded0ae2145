"""Block sync, the pure part: which heights to ask which peers for, and which received blocks are proven
decided. No sockets, clocks, threads or trio: the reactor passes the current time in (nanoseconds), sends
the requests this pool hands out, feeds responses back and applies what ``pop`` returns.

Shaped after CometBFT's blocksync pool (requests to several peers in parallel within a bounded window,
a cap per peer, time-outs re-requested elsewhere), with its own verification and blame rules:

* Block ``h`` is decided when block ``h + 1``'s ``last_commit`` is a valid +2/3 commit of ``h``'s hash
  (``commit_problem``), ``h + 1`` links to it (``last_block_hash``), and ``h``'s body matches its header
  (``txs_hash`` and, when the header carries it, ``last_commit_hash``). The block at the best peer's height
  has no successor yet; it is checked with the commit its server stored for it (sent with the block).
* Blame is exact, so an honest peer is never banned for a liar's block: a commit is first checked against
  the hash it names. A commit with +2/3 valid signatures cannot be forged, so if it decides another hash
  than the block received for ``h``, that block's server lied; if the commit itself is invalid, or the
  successor does not link, the successor's server lied; a body that does not match a decided header is
  its server's lie. Liars are reported (``faults``) with ``ban=True`` and everything they served or were
  asked for is requested again from others. A peer that does not answer in time is reported with
  ``ban=False`` and dropped the same way.
* A peer that timed out or lacked a block it claimed gets a strike; serving a block clears its strikes.
  One strike (an honest peer may be slow once under load) keeps it and its claimed height, which still
  holds up the end of the sync, while its requests go to others and it is asked one height at a time.
  A second strike in a row discredits it: its claimed height no longer decides where the sync ends (or
  which block is the tip), and a time-out disconnects it. So a peer that claims heights it cannot serve
  costs two time-outs, instead of keeping the node syncing forever, while a slow honest peer's one
  time-out cannot end a sync while it is still ahead.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from okchain.crypto import ed25519
from okchain.p2p.errors import P2PError
from okchain.types.block import Block, Commit, body_problem
from okchain.types.commit_check import Verifier, commit_problem
from okchain.types.refusal import Refusal, RefusalCode

Powers = tuple[tuple[bytes, int], ...]  # a validator set as (ed25519 public key, voting power) pairs


class BlockSyncError(P2PError):
    """Block sync cannot go on (a second concurrent run, or a decided block the application refuses)."""


@dataclass(frozen=True, slots=True)
class PoolConfig:
    window: int = 128  # heights above ours requested or held at once (bounds memory); ≥ 2: h needs h + 1
    per_peer: int = 16  # requests in flight to one peer
    request_timeout_ns: int = 15 * 10**9
    startup_grace_ns: int = 3 * 10**9  # with no peer status by then, a node alone counts as caught up
    # received, not yet applied block bytes beyond which only the next two heights are requested: a window of
    # full-size blocks (a liar may send junk of that size) would otherwise be 128 x 16 MiB
    max_held_bytes: int = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        if (
            self.window < 2
            or self.per_peer < 1
            or self.request_timeout_ns < 1
            or self.startup_grace_ns < 0
            or self.max_held_bytes < 1
        ):
            raise ValueError(f"block sync pool settings out of range (window ≥ 2, others positive): {self}")


@dataclass(frozen=True, slots=True)
class Fault:
    """A peer the reactor should disconnect: banned when it proved itself a liar, not when only slow."""

    peer: str
    reason: str
    ban: bool


@dataclass(frozen=True, slots=True)
class Verified:
    block: Block
    commit: Commit  # the commit that decided it: the successor's last_commit, or the tip's stored commit
    peer: str


@dataclass(frozen=True, slots=True)
class CommitCheck:
    """One signature check the pool will need: is ``commit`` a valid +2/3 commit at ``height`` of the hash
    it names, by the validator set ``powers``? Independent of everything else, so the reactor may run a
    batch of them on other threads."""

    height: int
    commit: Commit
    powers: Powers


@dataclass(frozen=True, slots=True)
class _Peer:
    base: int
    height: int


@dataclass(frozen=True, slots=True)
class _Request:
    peer: str
    sent_ns: int


@dataclass(frozen=True, slots=True)
class _Received:
    peer: str
    block: Block
    commit: Commit
    size: int


class BlockPool:
    """Scheduler and verifier for one catch-up run, starting above our committed ``height``."""

    def __init__(
        self,
        *,
        chain_id: str,
        validators: Callable[[int], Sequence[tuple[bytes, int]] | None],
        height: int,
        now_ns: int,
        config: PoolConfig = PoolConfig(),
        verify: Verifier = ed25519.verify,
    ) -> None:
        self.chain_id = chain_id
        self._validators = validators  # the set that signs a height, once the node has applied enough
        self._newest: tuple[int, Powers] = (height + 1, self._exact(height + 1))
        self.height = height  # last block handed out by pop() (or committed before we started)
        self.config = config
        self._verify = verify
        self._started_ns = now_ns
        self._seen_status = False
        self._peers: dict[str, _Peer] = {}
        self._in_flight: dict[str, int] = {}
        self._requests: dict[int, _Request] = {}
        self._blocks: dict[int, _Received] = {}
        self._held_bytes = 0  # sizes of the blocks in _blocks, as received
        self._checked: dict[CommitCheck, Refusal | None] = {}
        self._faults: list[Fault] = []
        self._liars: set[str] = set()
        self._strikes: dict[str, int] = {}  # failures to serve a claimed height since it last served one

    # --- peers ---
    def set_peer(self, peer: str, base: int, height: int) -> None:
        """A status response: ``peer`` holds blocks ``base..height``. Requests it can no longer serve go
        back to the queue. A peer already caught lying stays out."""
        self._seen_status = True
        if peer in self._liars:
            return
        self._peers[peer] = _Peer(base, height)
        self._in_flight.setdefault(peer, 0)
        for h, req in sorted(self._requests.items()):
            if req.peer == peer and not base <= h <= height:
                self._release(h)

    def remove_peer(self, peer: str) -> None:
        """``peer`` is gone (disconnected, or it said it lacks a block it claimed): stop asking it. Blocks it
        already sent stay, they are checked like any other."""
        self._peers.pop(peer, None)
        self._in_flight.pop(peer, None)
        for h, req in sorted(self._requests.items()):
            if req.peer == peer:
                del self._requests[h]

    def max_peer_height(self) -> int:
        return max((p.height for p in self._peers.values()), default=0)

    def doubt(self, peer: str, *, strikes: int = 2) -> None:
        """Give ``peer`` ``strikes`` at once (it failed to serve heights it claimed in an earlier run): with
        two its claimed height no longer holds us back, with one a single failure discredits it. It is still
        asked for blocks, one at a time, and trusted again as soon as it serves one."""
        self._strikes[peer] = max(strikes, self._strikes.get(peer, 0))

    def discredited(self, peer: str) -> bool:
        return self._strikes.get(peer, 0) >= 2

    def trusted_height(self) -> int:
        """The best height claimed by a peer not discredited (by any peer if all are): where the sync ends
        and the tip is."""
        trusted = [p.height for name, p in self._peers.items() if not self.discredited(name)]
        return max(trusted) if trusted else self.max_peer_height()

    def behind_by(self) -> int:
        return max(0, self.max_peer_height() - self.height)

    # --- requests ---
    def schedule(self, now_ns: int) -> list[tuple[str, int]]:
        """Strike the peers whose requests timed out (dropping those discredited), then hand out new (peer,
        height) requests: every height of the window that some peer holds, to the least busy such peer with
        room, peers without strikes first."""
        for h, req in sorted(self._requests.items()):
            late = now_ns - req.sent_ns >= self.config.request_timeout_ns
            if late and self._requests.get(h) is req and req.peer in self._peers and self._strike(req.peer):
                seconds = self.config.request_timeout_ns / 10**9
                reason = f"did not answer the request for block {h} within {seconds:g} s, twice in a row"
                self._drop(req.peer, reason, ban=False)
        out: list[tuple[str, int]] = []
        top = min(self.height + self.config.window, self.max_peer_height())
        for h in range(self.height + 1, top + 1):
            if self._held_bytes >= self.config.max_held_bytes and h > self.height + 2:
                break  # blocks h and h + 1 decide h: always fetched, so the sync goes on
            if h in self._requests or h in self._blocks:
                continue
            free = [
                (name in self._strikes, self._in_flight[name], name)
                for name, p in self._peers.items()
                if p.base <= h <= p.height and self._in_flight[name] < self._room(name)
            ]
            if not free:
                continue
            *_, peer = min(free)
            self._requests[h] = _Request(peer, now_ns)
            self._in_flight[peer] += 1
            out.append((peer, h))
        return out

    def cancel(self, peer: str, height: int) -> None:
        """The request could not be sent (the peer's queue was full): ask again later."""
        req = self._requests.get(height)
        if req is not None and req.peer == peer:
            self._release(height)

    def expects(self, peer: str, height: int) -> bool:
        req = self._requests.get(height)
        return req is not None and req.peer == peer

    # --- responses ---
    def add_block(self, peer: str, block: Block, commit: Commit, size: int = 0) -> str | None:
        """A block response of ``size`` bytes on the wire: ``None`` if taken, else why it is refused (and
        dropped).
        Only a height requested from this very peer is taken, so nobody can push blocks we did not ask for."""
        h = block.header.height
        if not self.expects(peer, h):
            return f"block {h} was not requested from this peer"
        self._release(h)
        if block.header.chain_id != self.chain_id:
            self._drop(peer, f"sent block {h} of chain {block.header.chain_id!r}", ban=True)
            return f"block {h} is for chain {block.header.chain_id!r}, not {self.chain_id!r}"
        self._blocks[h] = _Received(peer, block, commit, size)
        self._held_bytes += size
        self._strikes.pop(peer, None)
        return None

    def no_block(self, peer: str, height: int) -> str | None:
        """``peer`` says it lacks ``height`` (it pruned, or its status was stale): a strike; on the second in
        a row, forget it until its next status. ``None`` if we had asked it, else why the answer is
        unexpected."""
        if not self.expects(peer, height):
            return f"no-block answer for height {height}, which was not requested from this peer"
        if self._strike(peer):
            self.remove_peer(peer)
        return None

    # --- verification ---
    def check(self, c: CommitCheck) -> Refusal | None:
        """The signature check itself (pure, so safe to run on any thread)."""
        return commit_problem(self.chain_id, c.height, c.commit.block_hash, c.commit, c.powers, self._verify)

    def _exact(self, height: int) -> Powers:
        """The set of ``height``; ``pop`` asks only for heights whose set the applied blocks decided."""
        known = self._validators(height)
        if known is None:
            raise BlockSyncError(f"the validator set of height {height} is not known yet")
        return tuple(known)

    def _likely(self, height: int) -> Powers:
        """The set of ``height`` if known, else the newest known one: sets rarely change, so checks ahead
        of the applied height use it, and ``pop`` checks again with the exact set should it differ."""
        known = self._validators(height)
        if known is None:
            return self._newest[1] if height >= self._newest[0] else self._exact(height)
        if height >= self._newest[0]:
            self._newest = (height, tuple(known))
        return tuple(known)

    def pending_checks(self, skip: int = 0) -> list[CommitCheck]:
        """Commit checks that ``pop`` will need for blocks already received and not yet checked, lowest
        height first, leaving out the first ``skip`` heights (``pop`` is about to check those itself)."""
        out: list[CommitCheck] = []
        for h in sorted(self._blocks):
            if h <= self.height + skip:
                continue
            got = self._blocks[h]
            last = got.block.last_commit
            candidates = [CommitCheck(h - 1, last, self._likely(h - 1))] if last else []
            if h >= self.trusted_height():
                candidates.append(CommitCheck(h, got.commit, self._likely(h)))
            out.extend(c for c in candidates if c.height > self.height and c not in self._checked)
        return out

    def record_checks(self, results: Mapping[CommitCheck, Refusal | None]) -> None:
        """Results of ``check`` computed elsewhere; ``pop`` uses them instead of checking again."""
        for c, problem in results.items():
            if c.height > self.height:
                self._checked[c] = problem

    def pop(self) -> Verified | None:
        """The next block, once proven decided; None until more responses arrive. Failed blocks are dropped
        here and their servers reported through ``faults``."""
        while True:
            h = self.height + 1
            got = self._blocks.get(h)
            if got is None:
                return None
            successor = self._blocks.get(h + 1)
            if successor is not None:
                decided_by = self._decided_by_successor(got, successor)
            elif h >= self.trusted_height():
                decided_by = self._decided_by_own_commit(got)
            else:
                return None
            if decided_by is None:
                continue
            body = body_problem(got.block) or self._last_commit_problem(got.block)
            if body is not None:
                self._drop(got.peer, str(body), ban=True)
                continue
            self._forget(h)
            self.height = h
            for c in [c for c in self._checked if c.height < h]:
                del self._checked[c]
            return Verified(got.block, decided_by, got.peer)

    def _checked_problem(self, c: CommitCheck) -> Refusal | None:
        if c not in self._checked:
            self._checked[c] = self.check(c)
        return self._checked[c]

    def _decided_by_successor(self, got: _Received, successor: _Received) -> Commit | None:
        h = got.block.header.height
        commit = successor.block.last_commit
        if commit is None:
            self._drop(successor.peer, f"block {h + 1} has no last commit", ban=True)
            return None
        problem = self._checked_problem(CommitCheck(h, commit, self._exact(h)))
        if problem is not None:
            self._drop(successor.peer, f"block {h + 1}'s last commit is invalid: {problem}", ban=True)
            return None
        if commit.block_hash != got.block.hash:
            self._drop(
                got.peer, f"block {h} is not the block the validators decided at that height", ban=True
            )
            return None
        if successor.block.header.last_block_hash != got.block.hash:
            self._drop(successor.peer, f"block {h + 1} does not link to the decided block {h}", ban=True)
            return None
        return commit

    def _last_commit_problem(self, block: Block) -> Refusal | None:
        """The last commit (bound to the decided header by ``last_commit_hash``) must decide the block this
        one links to, or the application would refuse the block. Memoised: the same commit proved that block
        (except for the first block of a run), so this costs no signature check."""
        commit, h = block.last_commit, block.header.height
        if commit is None:
            return None  # only the initial height has none; the application refuses it anywhere else
        problem = self._checked_problem(CommitCheck(h - 1, commit, self._exact(h - 1)))
        if problem is not None:
            return problem.within(f"block {h}'s last commit is invalid")
        if commit.block_hash != block.header.last_block_hash:
            reason = f"block {h}'s last commit decides another block than the one it links to"
            return Refusal(RefusalCode.COMMIT_BLOCK, reason)
        return None

    def _decided_by_own_commit(self, got: _Received) -> Commit | None:
        h = got.block.header.height
        problem = self._checked_problem(CommitCheck(h, got.commit, self._exact(h)))
        if problem is not None:
            self._drop(got.peer, f"the commit sent with block {h} is invalid: {problem}", ban=True)
            return None
        if got.commit.block_hash != got.block.hash:
            self._drop(got.peer, f"block {h} is not the block its commit decides", ban=True)
            return None
        return got.commit

    # --- outcome ---
    def faults(self) -> list[Fault]:
        """Peers to disconnect since the last call (each reported once per offence)."""
        out, self._faults = self._faults, []
        return out

    def caught_up(self, now_ns: int) -> bool:
        """Done when no trusted peer is more than one block ahead and the next block is not on its way from
        one, once a peer's status was seen (or the start-up grace passed with none)."""
        if not self._seen_status and now_ns - self._started_ns < self.config.startup_grace_ns:
            return False
        if self.trusted_height() > self.height + 1:
            return False
        pending = self._requests.get(self.height + 1)
        return (pending is None or self.discredited(pending.peer)) and self.height + 1 not in self._blocks

    def received_run(self, height: int, max_blocks: int, max_txs: int) -> list[Block]:
        """Received (unverified) blocks from ``height`` up, without a gap: at least one block if ``height`` is
        here, then more while within ``max_blocks`` and ``max_txs``. For pre-warming caches."""
        out: list[Block] = []
        txs = 0
        while len(out) < max_blocks and (got := self._blocks.get(height + len(out))) is not None:
            if out and txs + len(got.block.txs) > max_txs:
                break
            out.append(got.block)
            txs += len(got.block.txs)
        return out

    # --- internals ---
    def _release(self, height: int) -> None:
        req = self._requests.pop(height)
        if req.peer in self._in_flight:
            self._in_flight[req.peer] -= 1

    def _forget(self, height: int) -> None:
        self._held_bytes -= self._blocks.pop(height).size

    def _room(self, peer: str) -> int:
        """Requests ``peer`` may have in flight: one while it has a strike (so a slow or lying peer holds up
        one height at a time), else the configured cap."""
        return 1 if peer in self._strikes else self.config.per_peer

    def _strike(self, peer: str) -> bool:
        """``peer`` failed to serve a height it claimed: its requests go back to the queue (for others
        first); True when this discredits it (the second strike in a row)."""
        self._strikes[peer] = self._strikes.get(peer, 0) + 1
        for h, req in sorted(self._requests.items()):
            if req.peer == peer:
                self._release(h)
        return self.discredited(peer)

    def _drop(self, peer: str, reason: str, *, ban: bool) -> None:
        """Report ``peer`` and forget it; a liar's unchecked blocks are thrown away as well."""
        self._faults.append(Fault(peer, reason, ban))
        self.remove_peer(peer)
        self.doubt(peer)
        if ban:
            self._liars.add(peer)
            for h in [h for h, r in self._blocks.items() if r.peer == peer]:
                self._forget(h)
