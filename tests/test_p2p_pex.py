"""Peer discovery: seeds, peer exchange, the address book and its bounds."""

import json
from pathlib import Path

import trio

from okchain._pb.p2p.v1 import p2p_pb2
from okchain.p2p.addrbook import MAX_FAILURES, AddressBook
from okchain.p2p.conn import SecretConnection
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.switch import MAX_PEX_ADDRS, ChannelId
from tests.helpers.p2p import address, closed_by_remote, msg_frame, raw_peer, run, start, until


def some_address(i: int) -> PeerAddress:
    return PeerAddress(NodeKey((i + 1).to_bytes(32, "big")).node_id, f"10.0.{i // 250}.{i % 250 + 1}", 26656)


def test_node_known_only_through_a_seed_discovers_the_others(tmp_path: Path) -> None:
    book_path = tmp_path / "addrbook.json"

    async def main(nursery: trio.Nursery) -> None:
        b, _ = await start(nursery, pex=True)
        a, _ = await start(nursery, pex=True, persistent_peers=(address(b),))
        await until(lambda: a.peers() == [b.node_id])
        c, _ = await start(nursery, pex=True, seeds=(address(a),), address_book=book_path)
        await until(lambda: c.peers() == sorted([a.node_id, b.node_id]))
        await until(lambda: book_path.exists())

    run(main)
    saved = json.loads(book_path.read_text())["addresses"]
    assert len(saved) == 2 and all(text.endswith(tuple(f":{p}" for p in range(1, 65536))) for text in saved)
    reloaded = AddressBook(book_path, own_id=NodeKey.generate().node_id)
    assert sorted(str(x) for x in reloaded.addresses()) == sorted(saved)


def test_pex_request_is_answered_with_a_bounded_sample() -> None:
    async def main(nursery: trio.Nursery) -> None:
        a, _ = await start(nursery, pex=True, pex_interval_s=30.0)
        for i in range(3 * MAX_PEX_ADDRS):
            a._book.add(some_address(i))
        key = NodeKey.generate()
        conn = await raw_peer(a.listen_port, key)
        request = p2p_pb2.PexMessage(request=p2p_pb2.PexRequest()).SerializeToString()
        await conn.send(msg_frame(ChannelId.PEX, request))
        answer = await _next_pex(conn)
        addrs = answer.addrs.addrs
        assert len(addrs) == MAX_PEX_ADDRS
        assert len({x.node_id for x in addrs}) == MAX_PEX_ADDRS and key.node_id not in {
            x.node_id for x in addrs
        }
        await conn.send(msg_frame(ChannelId.PEX, request))  # asked again at once: ignored, not answered
        with trio.move_on_after(0.3):
            await _next_pex(conn)
            raise AssertionError("a repeated PEX request was answered")
        assert a.peers() == [key.node_id]

    run(main)


async def _next_pex(conn: SecretConnection) -> p2p_pb2.PexMessage:
    while True:
        frame = p2p_pb2.Frame.FromString(await conn.receive())
        for packet in frame.packets:
            if packet.WhichOneof("sum") == "msg" and packet.msg.channel == ChannelId.PEX:
                return p2p_pb2.PexMessage.FromString(packet.msg.data)


def _pex_abuse(message: bytes, *, asked: bool) -> None:
    async def main(nursery: trio.Nursery) -> None:
        a, _ = await start(nursery, pex=True, pex_interval_s=30.0)
        key = NodeKey.generate()
        conn = await raw_peer(a.listen_port, key)
        await until(lambda: a.peers() == [key.node_id])
        if asked:
            a._request_addresses(key.node_id)
        await conn.send(msg_frame(ChannelId.PEX, message))
        await closed_by_remote(conn)
        await until(lambda: a.is_banned(key.node_id))
        assert len(a._book) == 0, "nothing a banned peer sent was stored"

    run(main)


def _addrs(n: int) -> bytes:
    entries = [
        p2p_pb2.PeerAddress(node_id=x.node_id, host=x.host, port=x.port) for x in map(some_address, range(n))
    ]
    return p2p_pb2.PexMessage(addrs=p2p_pb2.PexAddrs(addrs=entries)).SerializeToString()


def test_unsolicited_pex_addresses_get_the_peer_banned() -> None:
    _pex_abuse(_addrs(3), asked=False)


def test_too_many_pex_addresses_get_the_peer_banned() -> None:
    _pex_abuse(_addrs(MAX_PEX_ADDRS + 1), asked=True)


def test_malformed_pex_address_gets_the_peer_banned() -> None:
    bad = p2p_pb2.PexMessage(
        addrs=p2p_pb2.PexAddrs(addrs=[p2p_pb2.PeerAddress(node_id="zz", host="1.2.3.4", port=1)])
    ).SerializeToString()
    _pex_abuse(bad, asked=True)


def test_undecodable_pex_message_gets_the_peer_banned() -> None:
    _pex_abuse(b"\xff\x01", asked=False)


def test_address_book_is_bounded_and_forgets_failing_addresses() -> None:
    own = NodeKey.generate().node_id
    book = AddressBook(None, own_id=own, max_size=10)
    assert not book.add(PeerAddress(own, "127.0.0.1", 1)), "our own address is never stored"
    assert all(book.add(some_address(i)) for i in range(10))
    assert not book.add(some_address(10)), "a full book of healthy addresses keeps them"
    failing = some_address(3)
    book.mark_failed(failing.node_id, now=0.0)
    waiting = book.dial_candidates(set(), now=0.0, n=20)
    assert len(waiting) == 9 and failing not in waiting, "a failed address waits out its backoff"
    assert failing in book.dial_candidates(set(), now=100.0, n=20)  # after its backoff
    assert book.add(some_address(10)), "a new address replaces a failing one once the book is full"
    assert failing.node_id not in book and len(book) == 10
    victim = some_address(4)
    for _ in range(MAX_FAILURES):
        book.mark_failed(victim.node_id, now=0.0)
    assert victim.node_id not in book
    assert len(book.sample(100, exclude=set())) == 9 and len(book.sample(3, exclude=set())) == 3


def test_unreadable_address_book_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "addrbook.json"
    path.write_text("{not json")
    book = AddressBook(path, own_id=NodeKey.generate().node_id)
    assert len(book) == 0
    book.add(some_address(1))
    book.save()
    assert json.loads(path.read_text()) == {"addresses": [str(some_address(1))]}


def test_outbound_slots_are_filled_from_the_saved_book_up_to_the_cap(tmp_path: Path) -> None:
    """Persistent peers do not count against max_outbound; book addresses fill the remaining slots only."""
    book_path = tmp_path / "addrbook.json"

    async def main(nursery: trio.Nursery) -> None:
        targets = [(await start(nursery))[0] for _ in range(4)]
        book_path.write_text(json.dumps({"addresses": [str(address(t)) for t in targets[1:]]}))
        c, _ = await start(
            nursery,
            pex=True,
            max_outbound=1,
            persistent_peers=(address(targets[0]),),
            address_book=book_path,
        )
        await until(lambda: len(c.peers()) == 2)
        await trio.sleep(0.6)  # three more discovery rounds: still one book peer
        assert len(c.peers()) == 2 and targets[0].node_id in c.peers()
        assert sum(len(t.peers()) for t in targets) == 2

    run(main)


def test_pex_cannot_redirect_a_known_peer_to_another_address() -> None:
    """A PEX answer naming a peer we know (here one connected to us) at a junk host used to replace its
    address in the book: dialled there, it failed until the book forgot it (an eclipse step)."""

    async def main(nursery: trio.Nursery) -> None:
        b, _ = await start(nursery, pex=True, pex_interval_s=30.0)
        a, _ = await start(nursery, pex=True, pex_interval_s=30.0, persistent_peers=(address(b),))
        await until(lambda: a.peers() == [b.node_id])
        key = NodeKey.generate()
        conn = await raw_peer(a.listen_port, key)
        await until(lambda: key.node_id in a.peers())
        a._request_addresses(key.node_id)
        junk = p2p_pb2.PeerAddress(node_id=b.node_id, host="10.9.9.9", port=1)
        fresh = some_address(7)
        entries = [junk, p2p_pb2.PeerAddress(node_id=fresh.node_id, host=fresh.host, port=fresh.port)]
        await conn.send(
            msg_frame(
                ChannelId.PEX, p2p_pb2.PexMessage(addrs=p2p_pb2.PexAddrs(addrs=entries)).SerializeToString()
            )
        )
        await until(lambda: fresh.node_id in a._book)
        assert [x for x in a._book.addresses() if x.node_id == b.node_id] == [address(b)]
        assert not a.is_banned(key.node_id)

    run(main)
