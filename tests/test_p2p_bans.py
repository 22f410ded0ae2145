"""Bans survive a restart: kept with their wall-clock expiry in bans.json, so a banned peer is refused by
the next run of the node until its ban ends, and then admitted again."""

import json
from pathlib import Path

import pytest
import trio

from okchain.p2p.bans import BanList
from okchain.p2p.conn import ConnectionClosed, SecretConnection
from okchain.p2p.errors import HandshakeError
from okchain.p2p.keys import NodeKey
from okchain.p2p.switch import ChannelId
from tests.helpers.p2p import closed_by_remote, msg_frame, raw_peer, run, start, until


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_ban_is_read_back_until_it_ends(tmp_path: Path) -> None:
    path, clock = tmp_path / "bans.json", Clock()
    BanList(path, clock=clock).ban(["peer-a", "10.0.0.7"], 60)
    BanList(path, clock=clock).ban(["peer-b"], 600)
    clock.now += 61
    again = BanList(path, clock=clock)
    assert not again.is_banned("peer-a") and not again.is_banned("10.0.0.7") and again.is_banned("peer-b")
    assert len(again) == 1 and again.remaining("peer-b") == 539  # the ended bans were dropped


def test_a_full_list_forgets_ended_bans_then_the_oldest(tmp_path: Path) -> None:
    clock = Clock()
    bans = BanList(tmp_path / "bans.json", max_size=3, clock=clock)
    bans.ban(["old"], 10)
    bans.ban(["a", "b"], 100)
    clock.now += 11
    bans.ban(["c"], 100)  # "old" has ended: it makes room
    assert bans.active() == {"a", "b", "c"}
    bans.ban(["d"], 100)  # all active: the oldest goes
    assert bans.active() == {"b", "c", "d"}


@pytest.mark.parametrize("content", ["{not json", '{"bans": [1, 2]}', '{"bans": {"x": "soon"}}', "[]"])
def test_an_unreadable_ban_list_is_ignored(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bans.json"
    path.write_text(content)
    assert len(BanList(path)) == 0
    BanList(path).ban(["peer"], 60)  # and replaced by the next ban
    assert "peer" in json.loads(path.read_text())["bans"]


def test_a_peer_banned_before_a_restart_is_refused_after_it(tmp_path: Path) -> None:
    key, bans = NodeKey.generate(), tmp_path / "bans.json"
    node_key = NodeKey.generate()

    async def misbehave(nursery: trio.Nursery) -> None:
        a, _ = await start(nursery, node_key, ban_list=bans)
        conn = await raw_peer(a.listen_port, key)
        await until(lambda: a.peers() == [key.node_id])
        await conn.send(msg_frame(ChannelId.CONSENSUS, b"malformed"))
        await closed_by_remote(conn)
        await until(lambda: a.is_banned(key.node_id))

    async def after_restart(nursery: trio.Nursery) -> None:
        a, _ = await start(nursery, node_key, ban_list=bans)  # a new process would build the same switch
        assert a.is_banned(key.node_id)
        with pytest.raises((HandshakeError, ConnectionClosed, trio.BrokenResourceError)):
            conn: SecretConnection = await raw_peer(a.listen_port, key)
            await conn.receive()  # closed right after the handshake
        assert a.peers() == []

    run(misbehave)
    run(after_restart)
