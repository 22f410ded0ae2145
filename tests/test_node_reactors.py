"""The node's reactors against hand-driven peers: a real node, and real switches (encrypted loopback
connections) whose test reactor sends exactly the bytes a test chooses and records what arrives."""

import dataclasses
from pathlib import Path

import pytest
import trio

from okchain._pb.consensus.v1 import wire_pb2
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.machine import MAX_ROUNDS_AHEAD
from okchain.consensus.messages import Vote
from okchain.crypto import ed25519
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.crypto.hashing import sha256
from okchain.modules.bank.messages import Transfer
from okchain.p2p.switch import ChannelId, Switch
from okchain.tx.envelope import build_tx
from okchain.types.vote import VoteType
from tests.helpers.chain import CHAIN_ID
from tests.helpers.node import (
    KEYS,
    VALIDATOR,
    Probe,
    disconnected,
    run_with_probes,
    single_node,
    wait_for_height,
)

FLOOD_VOTES = 8_000  # distinct votes, sent round and round for FLOOD_S
FLOOD_S = 2.0


def test_a_vote_with_a_bad_signature_gets_its_sender_banned(tmp_path: Path) -> None:
    node = single_node(tmp_path)

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        (switch, _), (witness, probe) = made
        await wait_for_height([node], 1)
        vote = Vote(
            VoteType.PREVOTE,
            node.driver.machine.height,
            0,
            b"\x11" * 32,
            1,
            node.validator_address,
            b"\x00" * 64,
        )
        switch.try_send(
            node.node_key.node_id,
            ChannelId.CONSENSUS,
            wire_pb2.ConsensusMessage(vote=vote.encode()).SerializeToString(),
        )
        await disconnected(switch, node)
        assert node.switch.is_banned(switch.node_id)
        assert node.node_key.node_id in witness.peers()  # only the liar was dropped
        assert probe.on(ChannelId.CONSENSUS)  # and the honest peer hears round steps and votes

    run_with_probes(node, 2, body)


def test_undecodable_consensus_bytes_get_the_sender_banned(tmp_path: Path) -> None:
    node = single_node(tmp_path)

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        ((switch, _),) = made
        switch.try_send(node.node_key.node_id, ChannelId.CONSENSUS, b"\xff\xff\xff")
        await disconnected(switch, node)
        assert node.switch.is_banned(switch.node_id)

    run_with_probes(node, 1, body)


def test_a_peer_tx_is_admitted_and_sent_to_each_other_peer_once(tmp_path: Path) -> None:
    node = single_node(tmp_path)
    raw = build_tx(
        KEYS[0],
        chain_id=CHAIN_ID,
        nonce=0,
        msgs=[Transfer(KEYS[1].address, "okt", 7)],
        gas_limit=200_000,
        fee=10**15,
    )

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        (sender, sender_probe), (other, other_probe) = made
        batch = wire_pb2.Txs(txs=[raw]).SerializeToString()
        sender.try_send(node.node_key.node_id, ChannelId.MEMPOOL, batch)
        with trio.fail_after(10):
            while node.app.query().tx(sha256(raw)) is None:
                await trio.sleep(0.02)
        sender.try_send(node.node_key.node_id, ChannelId.MEMPOOL, batch)  # again, after its commit
        other.try_send(node.node_key.node_id, ChannelId.MEMPOOL, batch)
        await trio.sleep(0.3)
        relayed = [tx for m in other_probe.on(ChannelId.MEMPOOL) for tx in wire_pb2.Txs.FromString(m).txs]
        assert relayed == [raw]
        assert not sender_probe.on(ChannelId.MEMPOOL)  # never back to where it came from

    run_with_probes(node, 2, body)


def _evidence(key: ValidatorKey, height: int) -> DuplicateVoteEvidence:
    votes = []
    for block_hash in (b"\x01" * 32, b"\x02" * 32):
        vote = Vote(VoteType.PREVOTE, height, 0, block_hash, 5, validator_address(key.public_key), b"")
        votes.append(vote.signed(key.sign(vote.sign_bytes(CHAIN_ID))))
    return DuplicateVoteEvidence.from_votes(votes[0], votes[1], 10, 10)


def test_evidence_is_verified_kept_and_relayed_and_forged_evidence_banned(tmp_path: Path) -> None:
    node = single_node(tmp_path)
    good = _evidence(VALIDATOR, 3)
    forged = _evidence(ValidatorKey(b"\x09" * 32), 3)  # signed by a key that is not the validator's
    forged = dataclasses.replace(
        forged,
        vote_a=dataclasses.replace(forged.vote_a, validator_address=node.validator_address),
        vote_b=dataclasses.replace(forged.vote_b, validator_address=node.validator_address),
    )

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        (sender, _), (other, other_probe) = made
        message = wire_pb2.EvidenceList(evidence=[good.encode()]).SerializeToString()
        sender.try_send(node.node_key.node_id, ChannelId.EVIDENCE, message)
        with trio.fail_after(10):
            while not other_probe.on(ChannelId.EVIDENCE):
                await trio.sleep(0.02)
        assert list(node.evidence_reactor.pool.values()) == [good]
        assert wire_pb2.EvidenceList.FromString(other_probe.on(ChannelId.EVIDENCE)[0]).evidence == [
            good.encode()
        ]
        bad = wire_pb2.EvidenceList(evidence=[forged.encode()]).SerializeToString()
        other.try_send(node.node_key.node_id, ChannelId.EVIDENCE, bad)
        await disconnected(other, node)
        assert node.switch.is_banned(other.node_id) and len(node.evidence_reactor.pool) == 1

    run_with_probes(node, 2, body)


def test_a_flood_of_far_future_votes_costs_no_signature_check_and_no_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Votes for heights the node is not at, or rounds far ahead of its own, are dropped after decoding:
    however many a peer sends, validly signed or not, none is verified, queued or remembered, and the node
    keeps committing at its block time."""
    node = single_node(tmp_path)
    checked: list[bytes] = []
    real_verify = ed25519.verify

    def counting_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
        checked.append(message)
        return real_verify(public_key, message, signature)

    monkeypatch.setattr(ed25519, "verify", counting_verify)

    async def body(made: list[tuple[Switch, Probe]]) -> None:
        (flooder, _), (witness, witness_probe) = made
        await wait_for_height([node], 2)
        calm_height = node.app.last.height
        await trio.sleep(FLOOD_S)
        calm = node.app.last.height - calm_height  # heights committed in FLOOD_S without a flood
        height = node.driver.machine.height
        flood = []
        for i in range(FLOOD_VOTES):
            far_height, round_ = (height + 1_000 + i, 0) if i % 2 else (height, MAX_ROUNDS_AHEAD + 10 + i)
            vote = Vote(VoteType.PREVOTE, far_height, round_, b"\x11" * 32, 1, node.validator_address, b"")
            signature = VALIDATOR.sign(vote.sign_bytes(CHAIN_ID)) if i % 4 < 2 else b"\x00" * 64
            flood.append(vote.signed(signature))
        flood_bytes = {v.sign_bytes(CHAIN_ID) for v in flood}
        messages = [wire_pb2.ConsensusMessage(vote=v.encode()).SerializeToString() for v in flood]
        started, start_height = trio.current_time(), node.app.last.height
        peer, sent = node.node_key.node_id, 0
        while trio.current_time() - started < FLOOD_S:  # the same votes again and again, for FLOOD_S
            while not flooder.try_send(peer, ChannelId.CONSENSUS, messages[sent % len(messages)]):
                await trio.sleep(0.002)  # its send queue is full: wait for the connection to drain it
            sent += 1
        # a round step after the flood, on the same channel, tells us the node has read every vote
        marker = wire_pb2.NewRoundStep(height=0, round=12_345, step=1)
        flooder.try_send(
            peer, ChannelId.CONSENSUS, wire_pb2.ConsensusMessage(new_round_step=marker).SerializeToString()
        )
        reactor = node.consensus_reactor
        with trio.fail_after(30):
            while reactor._peers[flooder.node_id].round != 12_345:
                await trio.sleep(0.01)
        flooded_for = trio.current_time() - started
        committed = node.app.last.height - start_height
        await wait_for_height([node], node.app.last.height + 2)  # and still committing after it
        assert not flood_bytes & set(checked)  # not one signature of the flood was checked
        assert len(reactor._peers[flooder.node_id].known) <= 2  # nothing of it remembered for the flooder
        assert len(reactor._pending) <= 2 and len(reactor._handed) <= 10
        assert not node.switch.is_banned(flooder.node_id) and peer in flooder.peers()  # not ours to judge
        assert peer in witness.peers() and witness_probe.on(ChannelId.CONSENSUS)
        assert committed >= calm // 2, (committed, calm)  # the flooder's own encoding shares this CPU
        print(f"{sent} far-future votes in {flooded_for:.2f} s: {committed} heights committed ({calm} calm)")

    run_with_probes(node, 2, body)
