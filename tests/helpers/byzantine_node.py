"""A byzantine validator for localnet tests: ``python tests/helpers/byzantine_node.py ATTACKS start ...``.

It runs the real node, except that each time it proposes a new block it carries out the next attack of the
comma-separated ATTACKS list (then proposes honestly). It lives with the tests, outside the package, so no
configuration of a production node can reach it. Every attack is announced on one log line,
``byzantine attack NAME at H/R``, for the test to match against the honest nodes' refusals.
"""

import argparse
import dataclasses
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import trio

from okchain.consensus.messages import Proposal
from okchain.crypto.secp import AccountKey
from okchain.modules.bank.messages import Transfer
from okchain.node.config import NodeConfig
from okchain.node.consensus_driver import Message
from okchain.node.consensus_reactor import encode, message_key
from okchain.node.home import Home
from okchain.node.node import Node
from okchain.p2p.channels import ChannelId
from okchain.rpc.server import GrpcServer
from okchain.tx.envelope import build_tx
from okchain.types.block import Block, CommitSig, last_commit_hash, txs_hash

log = logging.getLogger("byzantine")
INT64_MAX = 2**63 - 1
SECOND_NS = 1_000_000_000
FIRST_ATTACK_HEIGHT = 8  # after start-up, when every peer is connected and at the same height


def rebound(block: Block, **header: object) -> Block:
    """``block`` with header changes, its body hashes recomputed so only the attacked rule can object."""
    fields = {
        "txs_hash": txs_hash(block.txs),
        "last_commit_hash": last_commit_hash(block.last_commit),
        **header,
    }
    return Block(dataclasses.replace(block.header, **fields), block.txs, block.last_commit)  # type: ignore[arg-type]


def with_entries(block: Block, entries: tuple[CommitSig, ...], **header: object) -> Block:
    assert block.last_commit is not None
    commit = dataclasses.replace(block.last_commit, signatures=entries)
    return rebound(Block(block.header, block.txs, commit), **header)


def with_txs(block: Block, *extra: bytes) -> Block:
    return rebound(Block(block.header, (*block.txs, *extra), block.last_commit))


def unfunded_tx(chain_id: str, salt: int) -> bytes:
    """A well-formed signed tx that fails in execution: its signer has no OKT for the fee."""
    key = AccountKey(bytes([salt % 250 + 1]) * 32)
    msgs = [Transfer(key.address, "okt", 1)]
    return build_tx(key, chain_id=chain_id, nonce=0, msgs=msgs, gas_limit=100_000, fee=1)


class ByzantineNode(Node):
    def __init__(self, home: Home, config: NodeConfig, attacks: list[str]) -> None:
        super().__init__(home, config)
        self._attacks = attacks
        self._withheld: bytes | None = None
        # (the block our machine proposes, the block some peers get instead, every peer or half of them)
        self._substitute: tuple[Block, Block, bool] | None = None

    def build_block(self, height: int, round_: int) -> Block:
        honest = super().build_block(height, round_)
        if not self._attacks or height < FIRST_ATTACK_HEIGHT:
            return honest
        name = self._attacks.pop(0)
        log.warning("byzantine attack %s at %d/%d", name, height, round_)
        if name == "withhold":
            self._withheld = honest.hash
        elif name == "wrong-height":  # our own machine would not propose it: sent past it, to every peer
            self._substitute = (honest, rebound(honest, height=height + 1), True)
        elif name == "equivocate":
            self._substitute = (honest, with_txs(honest, unfunded_tx(self.app.chain_id, height)), False)
        else:
            return ATTACKS[name](self, honest)
        return honest

    def _broadcast_consensus(self, message: Message) -> None:
        if isinstance(message, Block) and message.hash == self._withheld:
            return  # the proposal goes out, its block never does
        if isinstance(message, Proposal) and self._substitute is not None:
            self._send_instead(message, *self._substitute)
            self._substitute = None
        super()._broadcast_consensus(message)

    def _send_instead(self, proposal: Proposal, ours: Block, other: Block, everyone: bool) -> None:
        """Every peer, or every other one, gets ``other`` under a second signed proposal, and is marked as
        knowing ours, so this node never sends ours to it."""
        reactor = self.consensus_reactor
        second = dataclasses.replace(proposal, block_hash=other.hash, signature=b"")
        second = second.signed(self.key.sign(second.sign_bytes(self.app.chain_id)))
        peers = sorted(reactor._peers.items())
        for peer, state in peers if everyone else peers[::2]:
            for message in (second, other):
                self.switch.try_send(peer, ChannelId.CONSENSUS, encode(message))
            reactor._mark(state, message_key(proposal))
            reactor._mark(state, message_key(ours))


def _padded_commit(node: ByzantineNode, block: Block) -> Block:
    """Three unsigned copies of an entry (its own when it signed) timed INT64_MAX, and the block time the
    padded median would give."""
    assert block.last_commit is not None
    entries = block.last_commit.signatures
    own = next((s for s in entries if s.validator_address == node.validator_address), entries[0])
    padding = (CommitSig(own.validator_address, INT64_MAX, b""),) * 3
    return with_entries(block, (*entries, *padding), time_ns=INT64_MAX)


def _duplicate_signature(node: ByzantineNode, block: Block) -> Block:
    assert block.last_commit is not None
    entries = block.last_commit.signatures
    return with_entries(block, (entries[0], *entries))


def _non_member_signature(node: ByzantineNode, block: Block) -> Block:
    assert block.last_commit is not None
    entries = block.last_commit.signatures
    stranger = CommitSig(b"\xff" * 20, entries[-1].time_ns, entries[-1].signature)
    return with_entries(block, (*entries, stranger))


ATTACKS: dict[str, Callable[[ByzantineNode, Block], Block]] = {
    "padded-commit": _padded_commit,
    "duplicate-signature": _duplicate_signature,
    "non-member-signature": _non_member_signature,
    "time-ahead": lambda node, b: rebound(b, time_ns=b.header.time_ns + 3600 * SECOND_NS),
    "time-behind": lambda node, b: rebound(b, time_ns=b.header.time_ns - SECOND_NS),
    "oversized": lambda node, b: with_txs(b, b"\x00" * node.app.params.max_block_bytes),
    "garbage-tx": lambda node, b: with_txs(b, b"\x0a\x03bad"),
    "failing-tx": lambda node, b: with_txs(b, unfunded_tx(node.app.chain_id, b.header.height)),
    "wrong-app-hash": lambda node, b: rebound(b, app_hash=b"\x01" * 32),
    "wrong-validators-hash": lambda node, b: rebound(b, validators_hash=b"\x01" * 32),
    "wrong-chain-id": lambda node, b: rebound(b, chain_id="okchain-other-1"),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("attacks")
    parser.add_argument("command", choices=["start"])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--grpc-listen")
    parser.add_argument("--p2p-listen")
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    home = Home(args.home)
    config = NodeConfig.load(home.config_file)
    if args.grpc_listen:
        config = dataclasses.replace(config, grpc_listen=args.grpc_listen)
    if args.p2p_listen:
        config = dataclasses.replace(config, p2p_listen=args.p2p_listen)
    node = ByzantineNode(home, config, args.attacks.split(","))
    trio.run(functools.partial(node.run, frontends=(GrpcServer,)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
