"""Defects found reviewing the networked node, each pinned by a test that failed before its fix."""

import dataclasses
import multiprocessing
import time
from pathlib import Path

import pytest
import trio

from okchain._pb.consensus.v1 import wire_pb2
from okchain.consensus.events import Event, VoteReceived
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import Vote
from okchain.consensus.wal import RecordKind, WALRecord
from okchain.crypto.ed25519 import validator_address
from okchain.node import node as node_module
from okchain.node.config import NodeConfig
from okchain.node.evidence_reactor import MAX_EVIDENCE_AHEAD, MAX_POOL
from okchain.node.node import Node
from okchain.p2p.switch import ChannelId, Switch
from okchain.state import blockstore
from okchain.types.block import Block, Commit
from okchain.types.vote import VoteType
from tests.helpers.chain import CHAIN_ID
from tests.helpers.node import (
    FAST,
    KEYS,
    VALIDATOR,
    Probe,
    make_homes,
    run_to_height,
    run_with_probes,
    single_node,
    wait_for_height,
)
from tests.helpers.processes import init_node


class Crash(Exception):
    """Stands for the process dying at this point."""


def _peer_config(peer: Node) -> object:
    return dataclasses.replace(
        FAST, persistent_peers=f"{peer.node_key.node_id}@127.0.0.1:{peer.switch.listen_port}"
    )


def test_restart_after_block_sync_then_a_decision_replays_the_wal(tmp_path: Path) -> None:
    """A node that block-synced past its WAL, then decided a height by consensus and died before committing
    it, must start again: its WAL's end-of-height markers jump from before the sync to the decided height.
    Before the fix the restart failed with "WAL has end-of-height markers up to H but none for H-1"."""
    validator_home, full_home = make_homes(tmp_path, 1, full_nodes=1)

    async def both(crash_full_node: bool, until: int) -> None:
        async with trio.open_nursery() as nursery:
            validator = Node(validator_home, FAST)
            await nursery.start(
                lambda task_status: validator.run(handle_signals=False, task_status=task_status)
            )
            full = Node(full_home, _peer_config(validator))  # type: ignore[arg-type]
            if crash_full_node:

                def crash(block: Block, commit: Commit) -> None:  # the consensus path only: block sync
                    raise Crash  # holds the original bound method

                full.apply_block = crash  # type: ignore[method-assign]
            await nursery.start(lambda task_status: full.run(handle_signals=False, task_status=task_status))
            await wait_for_height([full], until)
            nursery.cancel_scope.cancel()

    async def validator_alone(until: int) -> None:
        async with trio.open_nursery() as nursery:
            validator = Node(validator_home, FAST)
            await nursery.start(
                lambda task_status: validator.run(handle_signals=False, task_status=task_status)
            )
            await wait_for_height([validator], until)
            nursery.cancel_scope.cancel()

    async def full_alone() -> None:
        full = Node(full_home, FAST)
        decided = full.app.last.height + 1
        async with trio.open_nursery() as nursery:
            await nursery.start(lambda task_status: full.run(handle_signals=False, task_status=task_status))
            with trio.fail_after(10):
                while full.app.last.height < decided:  # the decided block is replayed and committed
                    await trio.sleep(0.02)
            nursery.cancel_scope.cancel()

    trio.run(both, False, 3)  # the full node follows consensus: its WAL ends heights 1..3
    trio.run(validator_alone, 12)  # it is left behind
    with pytest.raises(BaseExceptionGroup) as caught:
        trio.run(both, True, 10**9)  # block sync to ~12, then consensus decides the next height: crash
    assert caught.group_contains(Crash)
    trio.run(full_alone)  # no peer answers (the whole net went down): the WAL alone puts it back
    trio.run(both, False, 18)  # and it follows the chain again


def _evidence(height: int, round_: int) -> DuplicateVoteEvidence:
    votes = []
    for block_hash in (b"\x01" * 32, b"\x02" * 32):
        vote = Vote(
            VoteType.PREVOTE, height, round_, block_hash, 5, validator_address(VALIDATOR.public_key), b""
        )
        votes.append(vote.signed(VALIDATOR.sign(vote.sign_bytes(CHAIN_ID))))
    return DuplicateVoteEvidence.from_votes(votes[0], votes[1], 10, 10)


def test_a_full_evidence_pool_reaches_a_new_peer_and_does_not_cut_it_off(tmp_path: Path) -> None:
    """A new peer is sent the whole pool. Before the fix it went as one message, which outgrew the channel's
    limit once the pool held ~900 pieces: the reactor raised and the switch dropped every new peer."""
    node = single_node(tmp_path)
    node.evidence_reactor._height = lambda: MAX_POOL  # a chain long enough for a pool of evidence
    pool = [_evidence(h, 0) for h in range(1, MAX_POOL + 1)]
    for evidence in pool:
        node.evidence_reactor.report(evidence)

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        ((switch, probe),) = made
        with trio.fail_after(10):
            while sum(
                len(wire_pb2.EvidenceList.FromString(m).evidence) for m in probe.on(ChannelId.EVIDENCE)
            ) < len(pool):
                await trio.sleep(0.02)
        await trio.sleep(0.2)
        assert node.node_key.node_id in switch.peers()
        got = [e for m in probe.on(ChannelId.EVIDENCE) for e in wire_pb2.EvidenceList.FromString(m).evidence]
        assert got == [e.encode() for e in pool]

    run_with_probes(node, 1, body)


def test_evidence_far_from_the_chain_height_or_repeating_an_offence_is_not_kept(tmp_path: Path) -> None:
    """A byzantine validator can sign conflicting votes for any height and round: without a height window
    and one piece per validator and height, each such pair was kept and relayed to every peer by every
    node (unbounded work for it, and it pushed real evidence out of the pool)."""
    node = single_node(tmp_path)
    near = node.app.last.height + 1
    node.evidence_reactor.report(_evidence(near, 0))
    node.evidence_reactor.report(_evidence(near, 1))  # the same offence again, another round
    node.evidence_reactor.report(_evidence(near + MAX_EVIDENCE_AHEAD + 1, 0))  # far in the future
    assert [e.height for e in node.evidence_reactor.pool.values()] == [near]
    node._close()


def test_a_peer_repeating_a_valid_vote_does_not_flood_the_machine(tmp_path: Path) -> None:
    """Any peer can replay a vote it saw, as fast as its receive rate allows (20 MB/s: ~100,000 votes/s).
    Before the fix every copy was queued for its signature check and handed to the machine: the trio thread
    spent itself on copies and the bounded queues dropped honest messages. A copy already handed on is
    dropped on receipt."""
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, dataclasses.replace(FAST, block_time_ms=10_000))  # sits at one height
    handed: list[Event] = []
    submit = node.driver.submit

    def counting(event: Event) -> bool:
        handed.append(event)
        return submit(event)

    node.driver.submit = counting  # type: ignore[method-assign]

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        ((switch, _),) = made
        await wait_for_height([node], 1)
        commit = blockstore.commit_at(node.db, node.app.last.height)
        assert commit is not None and node.driver.machine.height == commit.height + 1
        sig = commit.signatures[0]
        vote = Vote.in_commit(commit, sig)
        message = wire_pb2.ConsensusMessage(vote=vote.encode()).SerializeToString()
        sent = 0
        with trio.fail_after(10):
            while sent < 3_000:
                if switch.try_send(node.node_key.node_id, ChannelId.CONSENSUS, message):
                    sent += 1
                else:
                    await trio.sleep(0.005)
        await trio.sleep(0.5)
        assert node.driver.machine.height == commit.height + 1  # the copies all arrived at this height
        copies = [e for e in handed if isinstance(e, VoteReceived) and e.vote == vote]
        assert len(copies) <= 1, f"{len(copies)} copies of one vote reached the machine"

    run_with_probes(node, 1, body)


def test_own_votes_reach_no_peer_before_their_wal_record_is_synced(tmp_path: Path) -> None:
    """The machine counts its own vote, then asks for the synced WAL record, then the broadcast. While the
    driver awaited the fsync, the gossip loop found the vote among the machine's messages and sent it:
    a crash then left peers holding a vote (a lock) the restarted node did not know it had cast."""
    node = single_node(tmp_path)
    synced: set[bytes] = set()
    early: list[Vote] = []
    append = node._wal.append

    def slow_append(record: WALRecord, sync: bool) -> None:
        if sync and record.kind == RecordKind.OWN_VOTE:
            time.sleep(0.1)  # a slow disk; the driver awaits this on a worker thread
        append(record, sync)
        if sync:
            synced.add(record.payload)

    node._wal.append = slow_append  # type: ignore[method-assign]

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        ((switch, probe),) = made
        hear = probe.receive

        def check(channel: ChannelId, peer: str, message: bytes) -> None:
            if channel == ChannelId.CONSENSUS:
                envelope = wire_pb2.ConsensusMessage.FromString(message)
                kind = envelope.WhichOneof("sum")
                if kind == "new_round_step":  # be at the node's height, so it sends us its votes
                    switch.try_send(peer, ChannelId.CONSENSUS, message)
                elif kind == "vote" and envelope.vote not in synced:
                    early.append(Vote.decode(envelope.vote))
            hear(channel, peer, message)

        probe.receive = check  # type: ignore[method-assign]
        await wait_for_height([node], node.app.last.height + 3)
        assert [m for m in probe.on(ChannelId.CONSENSUS) if wire_pb2.ConsensusMessage.FromString(m).vote]

    run_with_probes(node, 1, body)
    assert not early, f"{len(early)} own votes were sent before their WAL record was synced"


def test_a_node_without_peers_keeps_no_old_encoded_messages(tmp_path: Path) -> None:
    """The reactor encodes each own message once for every peer; it pruned that store only while gossiping
    to a peer at its height, so a validator without peers (a devnet, or one cut off) kept every proposal,
    block and vote it ever made."""
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, dataclasses.replace(FAST, block_time_ms=20))

    run_to_height(node, 8)
    kept = {key[1] for key in node.consensus_reactor._encoded}
    assert kept and min(kept) >= node.driver.machine.height - 2, f"heights kept: {sorted(kept)}"


def test_sigterm_while_waiting_for_peers_or_block_syncing_stops_cleanly(tmp_path: Path) -> None:
    """The signal handler was started only once consensus ran, i.e. after the start-up wait for peers'
    heights and the whole initial block sync (hours on a long chain): a SIGTERM then killed the process
    outright (exit -15: gRPC not stopped, worker pools and LevelDB not closed)."""
    proc = init_node(tmp_path, KEYS[:1])
    config = NodeConfig.load(proc.home / "config" / "config.toml")
    unreachable = f"{'ab' * 20}@127.0.0.1:1"  # a persistent peer that never answers: the node waits for it
    (proc.home / "config" / "config.toml").write_text(
        dataclasses.replace(config, persistent_peers=unreachable).to_toml()
    )
    proc.start()  # gRPC answers before the node decides between block sync and consensus
    assert proc.stop() == 0, proc.log.read_text()
    assert "okchain node stopped" in proc.log.read_text()


def test_a_starting_node_reports_catching_up_until_it_knows_it_is_not_behind(tmp_path: Path) -> None:
    """While a node waits for its peers' heights it may be far behind: NodeInfo said catching_up=false
    (and a consensus height of its stale tip), so a status check took a node that had not looked yet for
    a synced one."""
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, dataclasses.replace(FAST, persistent_peers=f"{'ab' * 20}@127.0.0.1:1"))
    seen: list[bool] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(lambda: node.run(handle_signals=False))
            with trio.fail_after(10):
                while node.app.last.height == 0:
                    seen.append(node.status().catching_up)
                    await trio.sleep(0.05)
                await wait_for_height([node], 1)
            seen.append(node.status().catching_up)
            nursery.cancel_scope.cancel()

    trio.run(main)
    assert len(seen) > 20 and all(seen[:20]) and not seen[-1], seen  # the wait for peers is 2 s


def test_a_node_that_fails_half_way_through_assembly_releases_what_it_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database, the WAL, the signer state and the signature pool's worker process are open before
    the switch is built: a failure there must leave none of them open or running (a second open of the
    database in this process would fail on its lock)."""
    (home,) = make_homes(tmp_path, 1)

    def broken_switch(*args: object, **kwargs: object) -> Switch:
        raise OSError("no switch today")

    with monkeypatch.context() as patch:
        patch.setattr(node_module, "Switch", broken_switch)
        with pytest.raises(OSError, match="no switch today"):
            Node(home, dataclasses.replace(FAST, signature_workers=1))
    assert multiprocessing.active_children() == []
    node = Node(home, FAST)  # every lock was released
    assert node.app.last.height == 0
    node._close()
