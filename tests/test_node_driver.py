"""The consensus driver in a real node (LevelDB, FileWAL, FileSignerStore): crash at the worst points of a
height and restart — the WAL replay takes the node back into its round, it decides the same block it had
signed for, and the signer never signs anything conflicting."""

import dataclasses
from pathlib import Path

import pytest
import trio

from okchain.consensus.messages import Vote
from okchain.node.consensus_driver import Message
from okchain.node.node import Node
from okchain.state import blockstore
from okchain.types.block import Block, Commit
from okchain.types.vote import VoteType
from tests.helpers.node import FAST, make_homes, wait_for_height


class Crash(Exception):
    """Stands for the process dying at this point."""


def _run_until_crash(node: Node) -> None:
    async def main() -> None:
        await node.run()

    with pytest.raises(BaseExceptionGroup) as caught:
        trio.run(main)
    assert caught.group_contains(Crash)


def _run_to(node: Node, height: int) -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.run)
            await wait_for_height([node], height)
            nursery.cancel_scope.cancel()

    trio.run(main)


def test_single_validator_commits_with_the_machine(tmp_path: Path) -> None:
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, FAST)
    _run_to(node, 3)
    again = Node(home, FAST)  # a clean restart continues the chain
    _run_to(again, 5)


def test_crash_after_deciding_before_commit_replays_the_same_block(tmp_path: Path) -> None:
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, FAST)
    decided: list[Block] = []
    apply = node.apply_block

    def crash_at_three(block: Block, commit: Commit) -> None:
        if block.header.height == 3:
            decided.append(block)
            raise Crash  # END_HEIGHT(3) is synced, block 3 is not committed
        apply(block, commit)

    node.driver._hooks = dataclasses.replace(node.driver._hooks, apply_block=crash_at_three)
    _run_until_crash(node)
    restarted = Node(home, FAST)
    assert restarted.app.last.height == 2
    _run_to(restarted, 4)
    reopened = Node(home, FAST)
    try:
        stored = blockstore.block_at(reopened.db, 3)
        assert stored is not None and stored.hash == decided[0].hash  # replayed, not re-proposed
    finally:
        reopened._close()


def test_crash_after_signing_a_precommit_replays_the_round(tmp_path: Path) -> None:
    (home,) = make_homes(tmp_path, 1)
    node = Node(home, FAST)
    signed: list[Vote] = []

    def crash_on_precommit(message: Message) -> None:
        if isinstance(message, Vote) and message.vote_type == VoteType.PRECOMMIT and message.height == 3:
            signed.append(message)
            raise Crash  # the precommit is in the WAL (synced) and the signer state; it was never sent

    node.driver._hooks = dataclasses.replace(node.driver._hooks, broadcast=crash_on_precommit)
    _run_until_crash(node)
    restarted = Node(home, FAST)
    assert restarted.app.last.height == 2
    _run_to(restarted, 4)
    reopened = Node(home, FAST)
    try:
        commit = blockstore.commit_at(reopened.db, 3)
        assert commit is not None and commit.block_hash == signed[0].block_hash
        assert commit.signatures[0].signature == signed[0].signature  # the same signature, handed out again
    finally:
        reopened._close()
