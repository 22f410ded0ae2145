"""Tx gossip intake: a tx relayed by several peers is pre-checked (decoded, signer recovered) once."""

import trio
from trio.testing import wait_all_tasks_blocked

from okchain._pb.consensus.v1 import wire_pb2
from okchain.modules.bank.messages import Transfer
from okchain.node.config import NodeConfig
from okchain.node.mempool_reactor import MempoolReactor
from okchain.p2p.keys import NodeKey
from okchain.p2p.switch import ChannelId, Switch
from okchain.tx.envelope import build_tx
from tests.helpers.chain import CHAIN_ID, funded_keys

A, B = funded_keys(2)


def _tx(nonce: int) -> bytes:
    return build_tx(
        A, chain_id=CHAIN_ID, nonce=nonce, msgs=[Transfer(B.address, "okt", 1)], gas_limit=50_000, fee=1
    )


def _txs(*raws: bytes) -> bytes:
    return wire_pb2.Txs(txs=list(raws)).SerializeToString()


def test_copies_arriving_while_a_tx_is_prechecked_are_dropped() -> None:
    t0, t1 = _tx(0), _tx(1)
    admitted: list[list[bytes]] = []
    release = trio.Event()

    async def admit(raws: list[bytes], sources: list[str]) -> None:
        admitted.append(raws)
        await release.wait()  # the pre-check is still running on the signature pool

    switch = Switch(NodeKey.generate(), NodeConfig().p2p_config(None), network=CHAIN_ID)
    reactor = MempoolReactor(switch=switch, admit=admit, contains=lambda _: False, max_tx_bytes=4096)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(reactor.run)
            reactor.receive(ChannelId.MEMPOOL, "origin", _txs(t0, t1))
            reactor.receive(ChannelId.MEMPOOL, "relay", _txs(t1, t0))  # queued copies: dropped
            await wait_all_tasks_blocked()  # no clock: the reactor has handled all it was given
            reactor.receive(ChannelId.MEMPOOL, "relay2", _txs(t1))  # being pre-checked: dropped
            await wait_all_tasks_blocked()
            assert admitted == [[t0, t1]]
            release.set()
            await wait_all_tasks_blocked()
            # the pre-check is over; this mempool refused the txs (contains is False), so a later copy is
            # a fresh attempt and goes through again
            reactor.receive(ChannelId.MEMPOOL, "relay", _txs(t1))
            await wait_all_tasks_blocked()
            assert admitted == [[t0, t1], [t1]]
            nursery.cancel_scope.cancel()

    trio.run(main)
