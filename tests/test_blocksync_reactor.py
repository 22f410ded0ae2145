"""Block sync over real Switches on loopback and real LevelDB: a fresh application syncs a 4-validator chain
from two serving nodes in parallel and ends with their app hash; a server that forges blocks is banned and
the sync completes from the honest one."""

import dataclasses
import io
import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain._pb.blocksync.v1 import blocksync_pb2
from okchain.app import Application
from okchain.crypto.hashing import sha256
from okchain.node import blocksync_reactor
from okchain.node.blocksync_reactor import BlockSyncConfig, BlockSyncReactor, response_limit
from okchain.node.progress import TerminalProgress, line_per_run
from okchain.p2p.blocksync import PoolConfig
from okchain.p2p.channels import ChannelId, ChannelSpec
from okchain.p2p.errors import PeerMisbehaved
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.switch import Switch
from okchain.state import blockstore, schema
from okchain.state.leveldb import LevelDB
from okchain.state.pruning import Pruner
from okchain.state.store import KVReader, MemoryKV
from okchain.types.block import Block, Commit, CommitSig, Header, block_bytes
from okchain.types.params import ChainParams
from tests.helpers.blocksync import (
    VALIDATOR_KEYS,
    Server,
    build_chain,
    four_validator_genesis,
    p2p_config,
    refuse_blocks,
    transfers,
    validator_powers,
)
from tests.helpers.chain import CHAIN_ID


class ForgingDB:
    """A block store that serves every block after the first with another app hash (a forged header)."""

    def __init__(self, db: KVReader) -> None:
        self._db = db

    def get(self, key: bytes) -> bytes | None:
        raw = self._db.get(key)
        is_block = key.startswith(schema.BLOCK) and len(key) == len(schema.block(1))
        if raw is None or not is_block or key == schema.block(1):
            return raw
        block = Block.decode(raw)
        forged = dataclasses.replace(block.header, app_hash=sha256(b"forged" + block.header.app_hash))
        return dataclasses.replace(block, header=forged).encode()

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        return self._db.iterate(prefix, start)


class CountingDB:
    """A block store that counts the blocks it serves."""

    def __init__(self, db: KVReader) -> None:
        self._db = db
        self.blocks_read = 0

    def get(self, key: bytes) -> bytes | None:
        self.blocks_read += key.startswith(schema.BLOCK) and len(key) == len(schema.block(1))
        return self._db.get(key)

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        return self._db.iterate(prefix, start)


HEIGHTS = 50


@pytest.fixture(scope="module")
def served_chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50-block chain (3 transfers a block) in a LevelDB directory; tests copy it."""
    path = tmp_path_factory.mktemp("chain") / "db"
    db = LevelDB(path)
    app = Application(db, four_validator_genesis())
    build_chain(app, (transfers(b, 3) for b in range(HEIGHTS)))
    db.close()
    return path


SMALL_WINDOW = BlockSyncConfig(pool=PoolConfig(window=16, per_peer=4))


def client(
    app: Application,
    peers: tuple[PeerAddress, ...],
    config: BlockSyncConfig = SMALL_WINDOW,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Switch, BlockSyncReactor]:
    """A syncing node: ``app`` on its own LevelDB, a Switch dialling ``peers`` and the reactor."""

    def apply(block: Block, commit: Commit) -> None:
        app.finalize_block(block, commit)
        app.commit()

    switch = Switch(NodeKey.generate(), p2p_config(peers), network=CHAIN_ID)
    reactor = BlockSyncReactor(
        chain_id=CHAIN_ID,
        db=app.db,
        validators=validator_powers(app),
        max_validators=len(VALIDATOR_KEYS),
        last_height=lambda: app.last.height,
        apply_block=apply,
        switch=switch,
        params=app.params,
        config=config,
        progress=progress,
    )
    switch.add_reactor(reactor)
    return switch, reactor


async def sync_fresh(
    tmp_path: Path,
    served: list[KVReader],
    wrap: Callable[[int, KVReader], KVReader] = lambda i, db: db,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[int, Application, list[bool]]:
    """Sync a fresh application from servers of ``served``; the height reached, the app and which servers
    the syncing node banned."""
    app = Application(LevelDB(tmp_path / "fresh"), four_validator_genesis())
    servers = [Server(wrap(i, db), app) for i, db in enumerate(served)]
    async with trio.open_nursery() as nursery:
        switch, reactor = client(app, tuple([await s.start(nursery) for s in servers]), progress=progress)
        await nursery.start(switch.run)
        nursery.start_soon(reactor.run)
        with trio.fail_after(30):
            height = await reactor.sync()
        banned = [switch.is_banned(s.key.node_id) for s in servers]
        nursery.cancel_scope.cancel()
    return height, app, banned


def copies(served_chain: Path, tmp_path: Path, n: int) -> list[LevelDB]:
    out = []
    for i in range(n):
        shutil.copytree(served_chain, tmp_path / f"server{i}")
        out.append(LevelDB(tmp_path / f"server{i}"))
    return out


def test_a_fresh_node_syncs_from_two_peers_in_parallel(served_chain: Path, tmp_path: Path) -> None:
    dbs = copies(served_chain, tmp_path, 2)
    expected = blockstore.last_committed(dbs[0])
    assert expected is not None and expected.height == HEIGHTS
    counted = [CountingDB(db) for db in dbs]
    height, app, banned = trio.run(sync_fresh, tmp_path, dbs, lambda i, db: counted[i])
    assert height == HEIGHTS and banned == [False, False]
    assert all(c.blocks_read >= 10 for c in counted), [c.blocks_read for c in counted]  # both served
    assert app.last == expected
    for h in range(1, HEIGHTS + 1):
        assert blockstore.block_at(app.db, h) == blockstore.block_at(dbs[0], h)


@pytest.mark.parametrize("every_s", [0.0, blocksync_reactor.PROGRESS_S])
def test_sync_reports_monotonic_progress_ending_at_the_target(
    served_chain: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every_s: float
) -> None:
    """What a terminal bar draws: applied blocks never go back, never pass the target, and the last report
    is the whole way; reports are spaced by ``PROGRESS_S`` (0 here: one per block, to see every step)."""
    monkeypatch.setattr(blocksync_reactor, "PROGRESS_S", every_s)
    reports: list[tuple[str, int, int, float]] = []

    def progress(phase: str, done: int, total: int) -> None:
        reports.append((phase, done, total, trio.current_time()))

    height, _, _ = trio.run(
        lambda: sync_fresh(tmp_path, copies(served_chain, tmp_path, 1), progress=progress)
    )
    assert height == HEIGHTS
    assert {phase for phase, *_ in reports} == {"sync"}
    done = [d for _, d, _, _ in reports]
    assert done == sorted(done) and done[0] == 0
    assert all(0 <= d <= total for _, d, total, _ in reports)
    assert reports[-1][1:3] == (HEIGHTS, HEIGHTS)
    if every_s == 0:
        assert set(done) == set(range(HEIGHTS + 1))  # every applied block was reported
    else:  # the start, the end, and in between at most one report per PROGRESS_S
        times = [t for *_, t in reports[1:-1]]
        assert all(b - a >= every_s for a, b in itertools.pairwise(times))
        assert len(reports) <= 2 + (reports[-1][3] - reports[0][3]) / every_s + 1


def test_each_sync_draws_its_own_bar_line() -> None:
    stream = io.StringIO()
    report = line_per_run(TerminalProgress(stream))
    for done, total in [(0, 10), (5, 10), (10, 10), (0, 4), (4, 4)]:  # two syncs, as the node does them
        report("sync", done, total)
    lines = stream.getvalue().split("\n")
    assert len(lines) == 3 and lines[2] == ""
    assert lines[0].endswith("100% (10/10)") and lines[1].endswith("100% (4/4)")
    assert lines[1].startswith("\rsync  [") and lines[1].count("\r") == 2


def test_a_forging_server_is_banned_and_the_honest_one_completes_the_sync(
    served_chain: Path, tmp_path: Path
) -> None:
    dbs = copies(served_chain, tmp_path, 2)
    expected = blockstore.last_committed(dbs[0])
    height, app, banned = trio.run(sync_fresh, tmp_path, dbs, lambda i, db: ForgingDB(db) if i == 1 else db)
    assert height == HEIGHTS and app.last == expected
    assert banned == [False, True]


def test_a_pruned_server_reports_its_base_and_serves_a_node_within_its_range(
    served_chain: Path, tmp_path: Path
) -> None:
    archive, pruned = copies(served_chain, tmp_path, 2)
    base = Pruner(pruned, 30).run(100)
    assert base == HEIGHTS - 30 + 1
    app = Application(LevelDB(tmp_path / "fresh"), four_validator_genesis())
    for h in range(1, 26):  # the node already has the first 25 blocks
        block, commit = blockstore.block_at(archive, h), blockstore.commit_at(archive, h)
        assert block is not None and commit is not None
        app.finalize_block(block, commit)
        app.commit()

    async def main() -> tuple[dict[str, tuple[int, int]], int, int, int]:
        server = Server(pruned, app)
        async with trio.open_nursery() as nursery:
            switch, reactor = client(app, (await server.start(nursery),))
            await nursery.start(switch.run)
            nursery.start_soon(reactor.run)
            with trio.fail_after(10):
                while not reactor.peer_ranges():
                    await trio.sleep(0.01)
                behind = reactor.behind_by()
                height = await reactor.sync()
            ranges, behind_after = reactor.peer_ranges(), reactor.behind_by()
            nursery.cancel_scope.cancel()
        return ranges, behind, height, behind_after

    ranges, behind, height, behind_after = trio.run(main)
    assert list(ranges.values()) == [(base, HEIGHTS)]
    assert (behind, height, behind_after) == (HEIGHTS - 25, HEIGHTS, 0)
    assert app.last == blockstore.last_committed(archive)


class Rogue:
    """A peer's reactor that sends one block sync message as soon as it connects."""

    def __init__(self, message: bytes) -> None:
        self.message = message
        self.switch = Switch(NodeKey.generate(), p2p_config(), network=CHAIN_ID)
        self.switch.add_reactor(self)

    def channels(self) -> list[ChannelSpec]:
        return [ChannelSpec(ChannelId.BLOCKSYNC, 1, 1 << 20)]

    def peer_added(self, peer: str) -> None:
        self.switch.try_send(peer, ChannelId.BLOCKSYNC, self.message)

    def peer_removed(self, peer: str) -> None:
        pass

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        pass


def _unrequested_block(db: KVReader) -> bytes:
    block, commit = db.get(schema.block(3)), db.get(schema.commit(3))
    assert block is not None and commit is not None
    return blocksync_pb2.Message(
        block_response=blocksync_pb2.BlockResponse(block=block, commit=commit)
    ).SerializeToString()


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (lambda db: b"\xff\xff\xff", "undecodable block sync message"),
        (lambda db: blocksync_pb2.Message().SerializeToString(), "empty block sync message"),
        (
            lambda db: blocksync_pb2.Message(
                block_response=blocksync_pb2.BlockResponse(block=b"\x0a\x02junk", commit=b"")
            ).SerializeToString(),
            "undecodable block response",
        ),
        (_unrequested_block, "sent block 3, which was not requested"),
        (
            lambda db: blocksync_pb2.Message(
                no_block_response=blocksync_pb2.NoBlockResponse(height=7)
            ).SerializeToString(),
            "no-block answer for height 7, which was not requested",
        ),
    ],
    ids=["undecodable", "empty", "bad-block", "unrequested-block", "unrequested-no-block"],
)
def test_a_peer_sending_malformed_or_unrequested_messages_is_banned(
    served_chain: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    message: Callable[[KVReader], bytes],
    reason: str,
) -> None:
    [db] = copies(served_chain, tmp_path, 1)
    app = Application(LevelDB(tmp_path / "fresh"), four_validator_genesis())

    async def main() -> bool:
        rogue = Rogue(message(db))
        async with trio.open_nursery() as nursery:
            port = await nursery.start(rogue.switch.run)
            switch, _ = client(app, (PeerAddress(rogue.switch.node_id, "127.0.0.1", port),))
            await nursery.start(switch.run)
            with trio.fail_after(10):
                while not switch.is_banned(rogue.switch.node_id):
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
        return app.last.height == 0

    assert trio.run(main)
    assert reason in caplog.text


CHAIN_HEADER = Header(CHAIN_ID, 3, 1, b"", b"", b"", b"", b"", b"")


def _wire(message: blocksync_pb2.Message) -> bytes:
    return message.SerializeToString()


NETWORK_BYTES = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda block, commit: _wire(
            blocksync_pb2.Message(block_response=blocksync_pb2.BlockResponse(block=block, commit=commit))
        ),
        st.one_of(st.binary(max_size=300), st.just(Block(CHAIN_HEADER, (), None).encode())),
        st.binary(max_size=100),
    ),
    st.builds(
        lambda base, height: _wire(
            blocksync_pb2.Message(status_response=blocksync_pb2.StatusResponse(base=base, height=height))
        ),
        st.integers(0, 2**64 - 1),
        st.integers(0, 2**64 - 1),
    ),
    st.builds(
        lambda h: _wire(blocksync_pb2.Message(block_request=blocksync_pb2.BlockRequest(height=h))),
        st.integers(0, 2**64 - 1),
    ),
    st.builds(
        lambda h: _wire(blocksync_pb2.Message(no_block_response=blocksync_pb2.NoBlockResponse(height=h))),
        st.integers(0, 2**64 - 1),
    ),
    st.just(_wire(blocksync_pb2.Message(status_request=blocksync_pb2.StatusRequest()))),
)


@settings(max_examples=300, deadline=None)
@given(NETWORK_BYTES)
def test_any_bytes_from_the_network_are_handled_or_refused_as_misbehaviour(message: bytes) -> None:
    """The decoder never fails otherwise: garbage is PeerMisbehaved, anything well-formed is handled."""
    switch = Switch(NodeKey(bytes(32)), p2p_config(), network=CHAIN_ID)
    reactor = BlockSyncReactor(
        chain_id=CHAIN_ID,
        db=MemoryKV(),
        validators=lambda _height: [(k.public_key, 10) for k in VALIDATOR_KEYS],
        max_validators=len(VALIDATOR_KEYS),
        last_height=lambda: 0,
        apply_block=refuse_blocks,
        switch=switch,
    )
    switch.add_reactor(reactor)
    try:
        reactor.receive(ChannelId.BLOCKSYNC, "ab" * 20, message)
    except PeerMisbehaved as exc:
        assert str(exc)


def test_the_channel_limit_fits_the_largest_valid_block_response() -> None:
    """A full block (all of the params' byte limit, which counts its header and last commit) with
    worst-case varints and a second 4-signature commit still fits the BLOCKSYNC message limit."""
    big = 2**63 - 1
    sigs = tuple(CommitSig(bytes([i]) * 20, big, bytes(64)) for i in range(4))
    commit = Commit(big, 2**31 - 1, b"\xff" * 32, sigs)
    header = Header("c" * 50, big, big, *[b"\xff" * 32] * 5, b"\xff" * 20, b"\xff" * 32)
    block = Block(header, tuple(bytes([i]) * 2_000 for i in range(100)), commit)
    params = dataclasses.replace(ChainParams(), max_block_bytes=block_bytes(block), max_block_txs=100)
    message = blocksync_pb2.Message(
        block_response=blocksync_pb2.BlockResponse(block=block.encode(), commit=commit.encode())
    ).SerializeToString()
    assert len(message) <= response_limit(params, 4)
    assert response_limit(params, 4) - len(message) < 8_192  # and the bound is not loose


class Claimer(Rogue):
    """A peer that claims a thousand blocks and never answers a block request."""

    def __init__(self) -> None:
        super().__init__(b"")

    def peer_added(self, peer: str) -> None:
        pass

    def receive(self, channel: ChannelId, peer: str, message: bytes) -> None:
        if blocksync_pb2.Message.FromString(message).HasField("status_request"):
            status = blocksync_pb2.StatusResponse(base=1, height=1_000)
            self.switch.try_send(peer, channel, _wire(blocksync_pb2.Message(status_response=status)))


def test_a_peer_claiming_blocks_it_never_serves_cannot_keep_a_node_syncing(
    served_chain: Path, tmp_path: Path
) -> None:
    [db] = copies(served_chain, tmp_path, 1)
    app = Application(LevelDB(tmp_path / "fresh"), four_validator_genesis())
    config = BlockSyncConfig(pool=PoolConfig(request_timeout_ns=300_000_000), status_interval_s=0.1)

    async def main() -> tuple[int, int, int, dict[str, tuple[int, int]]]:
        server, claimer = Server(db, app), Claimer()
        async with trio.open_nursery() as nursery:
            claimer_port = await nursery.start(claimer.switch.run)
            peers = (
                await server.start(nursery),
                PeerAddress(claimer.switch.node_id, "127.0.0.1", claimer_port),
            )
            switch, reactor = client(app, peers, config)
            await nursery.start(switch.run)
            nursery.start_soon(reactor.run)
            with trio.fail_after(10):
                while len(reactor.peer_ranges()) < 2:
                    await trio.sleep(0.01)
                behind_before = reactor.behind_by()
                height = await reactor.sync()
                while claimer.switch.node_id not in reactor.peer_ranges():  # it is dialled again and claims
                    await trio.sleep(0.01)
            behind_after, ranges = reactor.behind_by(), reactor.peer_ranges()
            nursery.cancel_scope.cancel()
        return behind_before, height, behind_after, ranges

    behind_before, height, behind_after, ranges = trio.run(main)
    assert (behind_before, height, behind_after) == (1_000, HEIGHTS, 0)
    assert sorted(h for _, h in ranges.values()) == [HEIGHTS, 1_000]


class RecordingSwitch(Switch):
    """A real (not running) Switch that records what the reactor sends instead of queueing it."""

    def __init__(self) -> None:
        super().__init__(NodeKey.generate(), p2p_config(), network=CHAIN_ID)
        self.sent: list[tuple[str, blocksync_pb2.Message]] = []

    def try_send(self, peer: str, channel: ChannelId, message: bytes) -> bool:
        self.sent.append((peer, blocksync_pb2.Message.FromString(message)))
        return True

    def answers(self, peer: str, kind: str) -> list[int]:
        """Heights of the block or no-block answers sent to ``peer``."""
        msgs = [msg for to, msg in self.sent if to == peer and msg.WhichOneof("sum") == kind]
        if kind == "block_response":
            return [Block.decode(m.block_response.block).header.height for m in msgs]
        return [m.no_block_response.height for m in msgs]


def test_a_flooding_peer_cannot_starve_another_peers_block_requests(
    served_chain: Path, tmp_path: Path
) -> None:
    """One shared serve queue of 1,024 requests let a peer that sent that many make every other peer's
    requests answered with no-block (its sync then struck and dropped the server). Requests now wait per
    peer, at most ``serve_per_peer`` each."""
    [db] = copies(served_chain, tmp_path, 1)
    app = Application(LevelDB(tmp_path / "fresh"), four_validator_genesis())
    switch = RecordingSwitch()
    server = BlockSyncReactor(
        chain_id=CHAIN_ID,
        db=db,
        validators=validator_powers(app),
        max_validators=len(VALIDATOR_KEYS),
        last_height=lambda: HEIGHTS,
        apply_block=refuse_blocks,
        switch=switch,
        params=app.params,
    )
    switch.add_reactor(server)
    flooder, honest = "aa" * 20, "bb" * 20
    request = _wire(blocksync_pb2.Message(block_request=blocksync_pb2.BlockRequest(height=1)))
    for _ in range(1_100):
        server.receive(ChannelId.BLOCKSYNC, flooder, request)
    server.receive(
        ChannelId.BLOCKSYNC,
        honest,
        _wire(blocksync_pb2.Message(block_request=blocksync_pb2.BlockRequest(height=2))),
    )
    assert switch.answers(honest, "no_block_response") == []
    cap = server.config.serve_per_peer
    assert switch.answers(flooder, "no_block_response") == [1] * (1_100 - cap)

    async def serve() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(server.run)
            with trio.fail_after(10):
                while not switch.answers(honest, "block_response"):
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()

    trio.run(serve)
    assert switch.answers(honest, "block_response") == [2]
    assert switch.answers(flooder, "block_response") == [1] * cap
    assert server.channels()[0].send_queue < 1_024  # responses queued to one peer are bounded too


def test_a_claimer_cannot_pull_a_running_node_into_block_sync_every_doubt_period() -> None:
    """A peer claiming a height it never serves makes behind_by() large, which takes a running node out of
    consensus into block sync. It was doubted for a fixed 60 s and then trusted afresh (two more time-outs
    in sync, then 60 s again, forever); now a repeat offender is struck out by one time-out and its doubt
    doubles each time. (MockClock: the claimer's silence is what is timed.)"""
    switch = RecordingSwitch()
    reactor = BlockSyncReactor(
        chain_id=CHAIN_ID,
        db=MemoryKV(),
        validators=lambda _height: [(k.public_key, 10) for k in VALIDATOR_KEYS],
        max_validators=len(VALIDATOR_KEYS),
        last_height=lambda: 0,
        apply_block=refuse_blocks,
        switch=switch,
    )
    switch.add_reactor(reactor)
    timeout_s = reactor.config.pool.request_timeout_ns / 10**9
    doubt_s = reactor.config.doubt_s
    claimer, honest = "aa" * 20, "bb" * 20

    def status(height: int) -> bytes:
        return _wire(
            blocksync_pb2.Message(status_response=blocksync_pb2.StatusResponse(base=1, height=height))
        )

    async def main() -> list[tuple[float, int, int]]:
        reactor.receive(ChannelId.BLOCKSYNC, honest, status(0))
        reactor.receive(ChannelId.BLOCKSYNC, claimer, status(10**6))
        runs = []
        for _ in range(2):
            assert reactor.behind_by() == 10**6  # the claim counts again: the node leaves consensus
            began = trio.current_time()
            height = await reactor.sync()
            runs.append((trio.current_time() - began, height, reactor.behind_by()))
            await trio.sleep(doubt_s + 1)
        runs.append((0.0, 0, reactor.behind_by()))
        return runs

    (first, height1, behind1), (second, height2, behind2), (_, _, behind_later) = trio.run(
        main, clock=trio.testing.MockClock(autojump_threshold=0)
    )
    assert (height1, behind1, height2, behind2) == (0, 0, 0, 0)
    assert 2 * timeout_s - 0.1 <= first < 3 * timeout_s  # a first offence: two time-outs
    assert timeout_s - 0.1 <= second < 2 * timeout_s - 0.1  # a repeat offender gets no second chance
    assert behind_later == 0  # and is doubted twice as long, so still not counted doubt_s later


def test_a_peer_asked_twice_for_a_height_may_answer_twice(served_chain: Path, tmp_path: Path) -> None:
    """A peer that timed out once keeps its place and may be asked for the same height again; its late
    answer to the first request and its answer to the second must both count as requested (the honest
    server was banned for 'sent block 25, which was not requested from it' under load)."""
    [served] = copies(served_chain, tmp_path, 1)
    switch = RecordingSwitch()
    reactor = BlockSyncReactor(
        chain_id=CHAIN_ID,
        db=MemoryKV(),
        validators=lambda _height: [(k.public_key, 10) for k in VALIDATOR_KEYS],
        max_validators=len(VALIDATOR_KEYS),
        last_height=lambda: 0,
        apply_block=refuse_blocks,
        switch=switch,
        config=BlockSyncConfig(pool=PoolConfig(window=2, per_peer=1)),
    )
    switch.add_reactor(reactor)
    server = "bb" * 20
    raw_block, raw_commit = served.get(schema.block(1)), served.get(schema.commit(1))
    assert raw_block is not None and raw_commit is not None
    response = _wire(
        blocksync_pb2.Message(block_response=blocksync_pb2.BlockResponse(block=raw_block, commit=raw_commit))
    )

    def requests_for_1() -> int:
        return sum(
            to == server and m.WhichOneof("sum") == "block_request" and m.block_request.height == 1
            for to, m in switch.sent
        )

    async def main() -> None:
        status = blocksync_pb2.StatusResponse(base=1, height=HEIGHTS)
        reactor.receive(ChannelId.BLOCKSYNC, server, _wire(blocksync_pb2.Message(status_response=status)))
        async with trio.open_nursery() as nursery:
            nursery.start_soon(reactor.sync)
            while requests_for_1() < 2:  # timed out once, asked again
                await trio.sleep(0.01)
            reactor.receive(ChannelId.BLOCKSYNC, server, response)  # the late answer to the first request
            reactor.receive(ChannelId.BLOCKSYNC, server, response)  # the answer to the second
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
