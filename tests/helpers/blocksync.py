"""A four-validator chain built in process and a node serving it over block sync, for the block-sync tests
and benchmark."""

import datetime as dt
from collections.abc import Callable, Iterator

import trio
import trio.testing

from okchain.app import Application
from okchain.crypto.ed25519 import ValidatorKey
from okchain.crypto.hashing import sha256
from okchain.genesis.document import GenesisAccount, GenesisDoc, GenesisHeader, GenesisValidator
from okchain.modules.bank.messages import Transfer
from okchain.node.blocksync_reactor import BlockSyncReactor
from okchain.p2p.config import P2PConfig
from okchain.p2p.keys import NodeKey, PeerAddress
from okchain.p2p.switch import Switch
from okchain.state import blockstore
from okchain.state.store import KVReader
from okchain.tx.envelope import build_tx
from okchain.types.block import Block, Commit, CommitSig, Header, last_commit_hash, txs_hash
from okchain.types.vote import VoteType, vote_sign_bytes
from tests.helpers.chain import CHAIN_ID, funded_keys
from tests.helpers.p2p import config

VALIDATOR_KEYS = [ValidatorKey(bytes([0x40 + i]) * 32) for i in range(4)]


ACCOUNTS = funded_keys(8)


GAS = 50_000


def four_validator_genesis(accounts: int = len(ACCOUNTS)) -> GenesisDoc:
    keys = funded_keys(accounts)
    header = GenesisHeader(
        chain_id=CHAIN_ID,
        genesis_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        validators=tuple(GenesisValidator(f"v{i}", k.public_key, 10) for i, k in enumerate(VALIDATOR_KEYS)),
    )
    balances = sorted((GenesisAccount(k.address, 10**30) for k in keys), key=lambda a: a.address)
    return GenesisDoc(header, tuple(balances))


def transfers(block: int, count: int, accounts: int = len(ACCOUNTS)) -> list[bytes]:
    """``count`` transfers for the ``block``-th block (from 0): each account sends once per block, so its
    nonce is the block number."""
    keys = funded_keys(accounts)
    return [
        build_tx(
            keys[i],
            chain_id=CHAIN_ID,
            nonce=block,
            msgs=[Transfer(keys[(i + 1) % accounts].address, "okt", 1 + block)],
            gas_limit=GAS,
            fee=GAS,
        )
        for i in range(count)
    ]


def decide(app: Application, txs: list[bytes], last_commit: Commit | None) -> tuple[Block, Commit]:
    """Block ``app.last.height + 1`` and a commit of it precommitted by all four validators."""
    last = app.last
    h = last.height + 1
    header = Header(
        chain_id=app.chain_id,
        height=h,
        time_ns=app.block_time_ns(last_commit),
        last_block_hash=last.block_hash,
        txs_hash=txs_hash(txs),
        app_hash=last.app_hash,
        last_results_hash=last.results_hash,
        validators_hash=app.validators_hash,
        proposer_address=app.validator_set(h).validators[h % len(VALIDATOR_KEYS)].address,
        last_commit_hash=last_commit_hash(last_commit),
        next_validators_hash=app.next_validators_hash,
    )
    block = Block(header, tuple(txs), last_commit)
    sigs = []
    for i, key in enumerate(VALIDATOR_KEYS):
        t = header.time_ns + 10**9 + i  # a second later; the next block's time is their median
        message = vote_sign_bytes(app.chain_id, h, 0, VoteType.PRECOMMIT, block.hash, t)
        sigs.append(CommitSig(sha256(key.public_key)[:20], t, key.sign(message)))
    return block, Commit(h, 0, block.hash, tuple(sorted(sigs, key=lambda s: s.validator_address)))


def build_chain(app: Application, blocks: Iterator[list[bytes]]) -> None:
    """Decide and commit each block of txs on ``app``, as four validators would."""
    last_commit = blockstore.commit_at(app.db, app.last.height)
    for txs in blocks:
        block, commit = decide(app, txs, last_commit)
        app.finalize_block(block, commit)
        app.commit()
        last_commit = commit


def p2p_config(peers: tuple[PeerAddress, ...] = ()) -> P2PConfig:
    """The loopback switch settings of the p2p tests, with the switch's own timers and patient timeouts."""
    return config(
        persistent_peers=peers,
        handshake_timeout_s=5.0,
        idle_timeout_s=30.0,
        pex_interval_s=30.0,
        dial_backoff_s=0.5,
        max_dial_backoff_s=30.0,
    )


def validator_powers(app: Application) -> Callable[[int], tuple[tuple[bytes, int], ...] | None]:
    """The (public key, power) pairs of the set that signs a height, as the node hands them to block sync."""
    return app.validator_powers


class Server:
    """A node that only serves: its block store and a Switch."""

    def __init__(self, db: KVReader, app: Application) -> None:
        self.key = NodeKey.generate()
        self.switch = Switch(self.key, p2p_config(), network=CHAIN_ID)
        last = blockstore.last_committed(db)
        assert last is not None
        self.reactor = BlockSyncReactor(
            chain_id=CHAIN_ID,
            db=db,
            validators=validator_powers(app),
            max_validators=len(VALIDATOR_KEYS),
            last_height=lambda: last.height,
            apply_block=refuse_blocks,
            switch=self.switch,
            params=app.params,
        )
        self.switch.add_reactor(self.reactor)

    async def start(self, nursery: trio.Nursery) -> PeerAddress:
        port = await nursery.start(self.switch.run)
        nursery.start_soon(self.reactor.run)
        return PeerAddress(self.key.node_id, "127.0.0.1", port)


def refuse_blocks(block: Block, commit: Commit) -> None:
    raise AssertionError("a server never applies blocks")
