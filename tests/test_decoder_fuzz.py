"""Every decoder that reads a peer's or a wallet's bytes answers garbage with its own refusal, never with
another exception: a tx reaching the pre-check, each p2p channel's messages as a real node's reactors take
them (consensus, evidence, block sync, mempool), a snapshot manifest and a genesis document.

Inputs are arbitrary bytes and, more usefully, valid encodings with fields replaced by arbitrary values or
with bits flipped, so the decoders' deeper layers are reached too.
"""

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okchain._pb.blocksync.v1 import blocksync_pb2
from okchain._pb.consensus.v1 import wire_pb2
from okchain._pb.snapshot.v1 import snapshot_pb2
from okchain._pb.types.v1 import types_pb2
from okchain.genesis.document import GenesisError, load_genesis
from okchain.node.node import Node
from okchain.node.snapshot_reactor import light_block_answer
from okchain.node.statesync import light_block
from okchain.p2p.channels import ChannelId
from okchain.p2p.errors import PeerMisbehaved
from okchain.state import blockstore
from okchain.state.snapshot import FORMAT, MANIFEST, Manifest, SnapshotError
from okchain.tx.envelope import TxDecodeError, decode_tx
from okchain.types.light import LightError
from tests.helpers.app import send
from tests.helpers.chain import funded_keys
from tests.helpers.fuzz import mutated
from tests.helpers.node import FAST, make_homes, wait_for_height

PEER = "ab" * 20
FUZZ = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
KEYS = funded_keys(2)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A real single-validator node that has committed a few blocks, then stopped: its reactors and
    application judge the fuzzed input exactly as a running node's would."""
    (home,) = make_homes(tmp_path_factory.mktemp("fuzz"), 1)
    built = Node(home, dataclasses.replace(FAST, block_time_ms=100, signature_workers=0))

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(lambda task_status: built.run(handle_signals=False, task_status=task_status))
            await wait_for_height([built], 3)
            nursery.cancel_scope.cancel()

    trio.run(main)
    reopened = Node(home, dataclasses.replace(FAST, signature_workers=0))
    for reactor in (reopened.consensus_reactor, reopened.evidence_reactor, reopened.blocksync):
        reactor.peer_added(PEER)
    yield reopened
    reopened._close()


def feeds_only_misbehaviour(receive: Callable[[], None]) -> None:
    """Run ``receive`` inside trio (the reactors' events and channels belong to it); the only exception it
    may raise is the switch's cue to ban the peer."""

    async def main() -> None:
        try:
            receive()
        except PeerMisbehaved as exc:
            assert str(exc)

    trio.run(main)


# --- txs: the pre-check every wallet's and peer's tx goes through ---

VALID_TX = send(KEYS[0], 0, KEYS[1], 1)


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(VALID_TX)))
def test_tx_bytes_are_refused_with_a_result_code_never_an_exception(node: Node, raw: bytes) -> None:
    try:
        decode_tx(raw)
    except TxDecodeError as exc:
        assert str(exc)
    delivered = node.app.precheck(raw)
    assert delivered.result.ok or delivered.result.log


# --- p2p channels, as the node's own reactors take them ---


def stored(node: Node, height: int) -> tuple[bytes, bytes]:
    block = blockstore.block_at(node.db, height)
    commit = blockstore.commit_at(node.db, height)
    assert block is not None and commit is not None
    return block.encode(), commit.encode()


def consensus_messages(node: Node) -> st.SearchStrategy[bytes]:
    block, commit = stored(node, node.app.last.height)
    fields = st.one_of(st.binary(max_size=200), mutated(block), mutated(commit))
    envelopes = st.one_of(
        fields.map(lambda b: wire_pb2.ConsensusMessage(proposal=b)),
        fields.map(lambda b: wire_pb2.ConsensusMessage(vote=b)),
        fields.map(lambda b: wire_pb2.ConsensusMessage(block=b)),
        st.tuples(fields, fields).map(
            lambda bc: wire_pb2.ConsensusMessage(commit=wire_pb2.CommitCatchUp(block=bc[0], commit=bc[1]))
        ),
        st.builds(
            lambda h, r, s, p: wire_pb2.ConsensusMessage(
                new_round_step=wire_pb2.NewRoundStep(height=h, round=r, step=s, proposal_block=p)
            ),
            st.integers(0, 2**64 - 1),
            st.integers(0, 2**32 - 1),
            st.integers(0, 2**32 - 1),
            st.binary(max_size=40),
        ),
    )
    valid = wire_pb2.ConsensusMessage(commit=wire_pb2.CommitCatchUp(block=block, commit=commit))
    return st.one_of(
        envelopes.map(lambda m: m.SerializeToString()),
        st.binary(max_size=200),
        mutated(valid.SerializeToString()),
    )


def test_consensus_channel_refuses_only_by_misbehaviour(node: Node) -> None:
    @FUZZ
    @given(consensus_messages(node))
    def check(message: bytes) -> None:
        feeds_only_misbehaviour(lambda: node.consensus_reactor.receive(ChannelId.CONSENSUS, PEER, message))

    check()


def test_evidence_channel_refuses_only_by_misbehaviour(node: Node) -> None:
    _, commit = stored(node, node.app.last.height)

    @FUZZ
    @given(st.lists(st.one_of(st.binary(max_size=200), mutated(commit)), max_size=3))
    def check(pieces: list[bytes]) -> None:
        message = wire_pb2.EvidenceList(evidence=pieces).SerializeToString()
        feeds_only_misbehaviour(lambda: node.evidence_reactor.receive(ChannelId.EVIDENCE, PEER, message))

    check()


def test_block_sync_channel_refuses_only_by_misbehaviour(node: Node) -> None:
    block, commit = stored(node, 2)
    fields = st.one_of(st.binary(max_size=200), mutated(block), mutated(commit))
    messages = st.one_of(
        st.tuples(fields, fields).map(
            lambda bc: blocksync_pb2.Message(
                block_response=blocksync_pb2.BlockResponse(block=bc[0], commit=bc[1])
            ).SerializeToString()
        ),
        st.builds(
            lambda b, h: blocksync_pb2.Message(
                status_response=blocksync_pb2.StatusResponse(base=b, height=h)
            ).SerializeToString(),
            st.integers(0, 2**64 - 1),
            st.integers(0, 2**64 - 1),
        ),
        st.integers(0, 2**64 - 1).map(
            lambda h: blocksync_pb2.Message(
                no_block_response=blocksync_pb2.NoBlockResponse(height=h)
            ).SerializeToString()
        ),
        st.binary(max_size=200),
    )

    @FUZZ
    @given(messages)
    def check(message: bytes) -> None:
        feeds_only_misbehaviour(lambda: node.blocksync.receive(ChannelId.BLOCKSYNC, PEER, message))

    check()


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=120), mutated(VALID_TX)), max_size=4))
def test_mempool_channel_admits_or_refuses_peer_txs_without_an_exception(
    node: Node, raws: list[bytes]
) -> None:
    """A peer's txs take the wallet's path: the pre-check, then the mempool."""
    message = wire_pb2.Txs(txs=raws).SerializeToString()
    feeds_only_misbehaviour(lambda: node.mempool_reactor.receive(ChannelId.MEMPOOL, PEER, message))
    for delivered in node.app.precheck_many(raws):
        assert delivered.result.ok or delivered.result.log


# --- files a new operator is handed: snapshot manifests and genesis documents ---

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)


def with_replaced_field(document: dict[str, object]) -> st.SearchStrategy[dict[str, object]]:
    """``document`` with one top-level field replaced by arbitrary JSON (or dropped)."""
    keys = sorted(document)
    return st.tuples(st.sampled_from(keys), st.one_of(st.none(), JSON), st.booleans()).map(
        lambda change: {
            **{k: v for k, v in document.items() if k != change[0] or not change[2]},
            **({change[0]: change[1]} if not change[2] else {}),
        }
    )


def test_snapshot_manifest_refuses_only_with_a_snapshot_error(tmp_path: Path) -> None:
    valid: dict[str, object] = {
        "format": FORMAT,
        "chain_id": "c",
        "height": 1,
        "app_hash": "00" * 32,
        "keys": 0,
        "chunks": [],
        "block": "",
        "next_block": "",
        "next_commit": "",
        "results": "",
    }

    @FUZZ
    @given(st.one_of(with_replaced_field(valid), JSON))
    def check(document: object) -> None:
        (tmp_path / MANIFEST).write_text(json.dumps(document))
        try:
            Manifest.read(tmp_path)
        except SnapshotError as exc:
            assert str(exc)

    check()


def test_genesis_document_refuses_only_with_a_genesis_error(node: Node, tmp_path: Path) -> None:
    valid = json.loads(node.home.genesis_file.read_text())

    @FUZZ
    @given(st.one_of(with_replaced_field(valid), JSON))
    def check(document: object) -> None:
        path = tmp_path / "genesis.json"
        path.write_text(json.dumps(document))
        try:
            load_genesis(path)
        except GenesisError as exc:
            assert str(exc)

    check()


def test_the_valid_inputs_are_taken(node: Node) -> None:
    """The fuzzed encodings start from inputs the decoders accept, so the mutations reach their depth."""
    assert decode_tx(VALID_TX).nonce == 0
    block, commit = stored(node, 2)
    assert types_pb2.Block.FromString(block).header.height == 2
    assert types_pb2.Commit.FromString(commit).height == 2


def test_snapshot_channel_requests_are_answered_and_garbage_refused_by_misbehaviour(node: Node) -> None:
    """Requests of any height, snapshot name and chunk index get an answer (a light block, or "missing");
    anything else is a decode refusal."""
    heights = st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 8), st.just(2**64 - 1))
    requests = st.one_of(
        heights.map(
            lambda h: snapshot_pb2.Message(light_block_request=snapshot_pb2.LightBlockRequest(height=h))
        ),
        st.tuples(heights, st.binary(max_size=40), st.integers(0, 2**32 - 1)).map(
            lambda r: snapshot_pb2.Message(
                chunk_request=snapshot_pb2.ChunkRequest(height=r[0], chunks_hash=r[1], index=r[2])
            )
        ),
        st.tuples(heights, st.binary(max_size=40)).map(
            lambda r: snapshot_pb2.Message(
                manifest_request=snapshot_pb2.ManifestRequest(height=r[0], chunks_hash=r[1])
            )
        ),
        st.just(snapshot_pb2.Message(offers_request=snapshot_pb2.OffersRequest())),
    )

    @FUZZ
    @given(requests, st.binary(max_size=200))
    def check(request: snapshot_pb2.Message, junk: bytes) -> None:
        answer = snapshot_pb2.Message.FromString(node.snapshot_reactor.answer(request))
        assert answer.WhichOneof("sum") == request.WhichOneof("sum").replace("request", "response")
        feeds_only_misbehaviour(lambda: node.snapshot_reactor.receive(ChannelId.SNAPSHOT, PEER, junk))

    check()


def test_served_light_blocks_refuse_only_with_a_light_error(node: Node) -> None:
    """What a state-syncing node reads from a peer's light block: decoded, or refused as unverifiable."""
    valid = light_block_answer(node.db, 2)
    assert not valid.missing and light_block(valid).header.height == 2
    fields = [valid.header, valid.commit, valid.validators, valid.next_validators]

    @FUZZ
    @given(st.integers(0, 3), st.one_of(st.binary(max_size=200), *(mutated(f) for f in fields)))
    def check(which: int, junk: bytes) -> None:
        parts = list(fields)
        parts[which] = junk
        served = snapshot_pb2.LightBlockResponse(
            height=2, header=parts[0], commit=parts[1], validators=parts[2], next_validators=parts[3]
        )
        try:
            light_block(served)
        except LightError as exc:
            assert str(exc)

    check()
