"""The node's reactors against hand-driven peers: a real node, and real switches (encrypted loopback
connections) whose test reactor sends exactly the bytes a test chooses and records what arrives."""

import dataclasses
from pathlib import Path

import trio

from okchain._pb.consensus.v1 import wire_pb2
from okchain.consensus.evidence import DuplicateVoteEvidence
from okchain.consensus.messages import Vote
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
