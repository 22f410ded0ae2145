"""The pure half of state sync: snapshot ranking and the parallel chunk fetcher, driven by a fake clock."""

from hypothesis import given, settings
from hypothesis import strategies as st

from okchain.node.config import NodeConfig
from okchain.p2p.statesync import ChunkFetcher, FetchConfig, SnapshotName, rank_snapshots

A, B = SnapshotName(100, b"a" * 32), SnapshotName(200, b"b" * 32)


def test_ranking_prefers_snapshots_several_peers_offer_then_the_newest() -> None:
    offers = {"p1": {A, B}, "p2": {A}, "p3": set()}
    assert rank_snapshots(offers, min_peers=2) == [A, B]  # B is newer but one peer alone may be lying
    assert rank_snapshots(offers, min_peers=1) == [B, A]
    assert rank_snapshots({}, min_peers=2) == []


def test_chunks_are_spread_over_peers_within_the_window() -> None:
    f = ChunkFetcher(10, ["p2", "p1"], FetchConfig(per_peer=2, window=3))
    sent = f.requests(now=0)
    assert sorted(i for _, i in sent) == [0, 1, 2]  # the window bounds what is fetched ahead
    assert {p for p, _ in sent} == {"p1", "p2"}
    assert f.requests(now=1) == []  # all in flight
    by_index = dict((i, p) for p, i in sent)
    f.received(by_index[1], 1, b"one")
    assert f.pop_ready() is None  # chunk 0 first: chunks are written in order
    f.received(by_index[0], 0, b"zero")
    assert f.pop_ready() == (0, b"zero") and f.pop_ready() == (1, b"one") and f.next == 2
    assert sorted(i for _, i in f.requests(now=2)) == [3, 4]


def test_a_liar_leaves_the_fetch_and_its_chunk_is_asked_of_another() -> None:
    f = ChunkFetcher(2, ["honest", "liar"], FetchConfig(per_peer=1, window=2))
    sent = dict((i, p) for p, i in f.requests(now=0))
    bad = next(i for i, p in sent.items() if p == "liar")
    f.refused("liar", bad, lied=True)
    assert f.peers == ["honest"]
    assert not f.asked("liar", bad)  # anything it sends later is ignored
    good = next(i for i, p in sent.items() if p == "honest")
    f.received("honest", good, b"ok")
    assert f.requests(now=1) == [("honest", bad)]


def test_time_outs_move_requests_and_strike_out_a_silent_peer() -> None:
    f = ChunkFetcher(1, ["silent"], FetchConfig(per_peer=1, window=1, timeout_s=5, max_strikes=2))
    assert f.requests(now=0) == [("silent", 0)]
    f.add_peer("other")
    assert f.requests(now=4) == []  # not yet timed out
    assert f.requests(now=5) == [("other", 0)]  # strike one: asked of the least busy peer
    f.received("silent", 0, b"late but good")  # a late answer is as good as the re-sent one
    assert f.pop_ready() == (0, b"late but good") and f.done


def test_a_peer_lacking_every_chunk_left_leaves_and_the_fetch_stalls_without_peers() -> None:
    f = ChunkFetcher(2, ["p"], FetchConfig(per_peer=2, window=2))
    f.requests(now=0)
    f.refused("p", 0, lied=False)
    assert f.peers == ["p"] and f.requests(now=1) == []  # not asked for chunk 0 again
    f.refused("p", 1, lied=False)
    assert f.stalled


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12),
    st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["ok", "lie", "lack", "wait"]))),
)
def test_fetch_writes_each_chunk_once_in_order_whatever_peers_do(
    chunks: int, events: list[tuple[str, str]]
) -> None:
    """Whatever peers answer, chunks come out in order, each once, and only good data; with an honest peer
    always present, every chunk arrives."""
    f = ChunkFetcher(chunks, ["p1", "p2", "p3", "honest"], FetchConfig(per_peer=1, window=4, timeout_s=3))
    written: list[int] = []
    now = 0.0
    script = iter(events)
    for _ in range(10 * chunks + len(events) + 10):
        for peer, index in f.requests(now):
            action = "ok" if peer == "honest" else next(script, ("", "ok"))[1]
            if action == "ok":
                f.received(peer, index, f"chunk {index}".encode())
            elif action == "lie":
                f.refused(peer, index, lied=True)
            elif action == "lack":
                f.refused(peer, index, lied=False)
        while (ready := f.pop_ready()) is not None:
            assert ready[1] == f"chunk {ready[0]}".encode()
            written.append(ready[0])
        now += 1
    assert written == list(range(chunks)) and f.done


def test_the_trust_height_and_hash_go_together() -> None:
    assert "must be set together" in " ".join(NodeConfig(statesync_trust_height=5).problems())
    assert NodeConfig(statesync_trust_height=5, statesync_trust_hash="ab" * 32).problems() == []
    problems = NodeConfig(statesync_trust_height=5, statesync_trust_hash="xyz").problems()
    assert any(p.startswith("statesync_trust_hash must be 64 hex characters") for p in problems), problems
