"""Mint and distribution at block begin, through the real Application (``RewardChain``) and on the modules
alone (``PureChain``), and the supply accounting checks."""

from collections.abc import Collection, Sequence

from okchain.app import FinalizedBlock
from okchain.crypto.address import Address
from okchain.deliver import HANDLERS
from okchain.genesis.document import GenesisDoc
from okchain.modules.bank import keeper as bank
from okchain.modules.blockinfo import BlockInfo, VoteInfo
from okchain.modules.context import ModuleError, MsgContext
from okchain.modules.distribution import allocate
from okchain.modules.distribution import keeper as dk
from okchain.modules.mint import keeper as mint
from okchain.modules.staking import active
from okchain.modules.staking import keeper as k
from okchain.modules.staking.endblock import end_block as staking_end_block
from okchain.modules.staking.keeper import Store
from okchain.state import schema
from okchain.state.cache import CacheKV
from okchain.state.store import KVReader, KVStore, MemoryKV
from okchain.types.block import Block, Commit
from okchain.types.params import ChainParams
from okchain.types.results import Event
from tests.helpers.app import balances
from tests.helpers.staking import check_invariants
from tests.helpers.valsets import SetChain

T0 = 1_600_000_000 * 10**9  # block time of the pure chain's first block (2020: staking weight above 1)


def begin_block(store: Store, info: BlockInfo, params: ChainParams) -> None:
    """The modules' part of the application's block begin: mint, then distribution."""
    mint.begin_block(store, info, params)
    allocate.begin_block(store, info, params)


class RewardChain(SetChain):
    """``SetChain`` whose blocks begin with mint and distribution; checks every accounting invariant after
    each block."""

    def __init__(self, db: KVStore, genesis: GenesisDoc) -> None:
        super().__init__(db, genesis)
        self.genesis_supply = bank.get_supply(self.db, "okt")
        self.slashed = 0  # OKT burned by double-sign slashes: a test adds each before its block
        # a voter's share of a slash its next staking tx pays, counted if that tx (the block's first) succeeds
        self.owed_by_next_tx = 0

    def apply(self, block: Block, commit: Commit) -> FinalizedBlock:
        finalized = super().apply(block, commit)
        if finalized.results and finalized.results[0].ok:
            self.slashed += self.owed_by_next_tx
        self.owed_by_next_tx = 0
        check_invariants(self.db)
        check_supply(self.db, self.genesis_supply, slashed=self.slashed)
        check_owed(self.db)
        return finalized


def undistributed(db: KVReader) -> int:
    """What the rewards pool must hold: per validator its stakers' owed rewards rounded up, plus the settled
    rewards of every stake and every commission."""
    owed = sum(dk.get_rewards(db, op).held for op in _suffixes(db, schema.distribution_validator(b"")))
    stakes = [dk.get_stake(db, key[:20], key[20:]) for key in _suffixes(db, schema.distribution_stakes(b""))]
    settled = sum(s.settled for s in stakes if s is not None)
    commission = sum(dk.get_commission(db, op) for op in _suffixes(db, schema.distribution_commission(b"")))
    return owed + settled + commission


def _suffixes(db: KVReader, prefix: bytes) -> list[bytes]:
    return [key[len(prefix) :] for key, _ in db.iterate(prefix)]


def check_supply(db: KVReader, genesis_supply: int, burned: int = 0, slashed: int = 0) -> None:
    """Σ balances + deposits + unbonding + undistributed rewards + community pool = total supply, and
    total supply = genesis + minted − burned − slashed; the rewards pool holds exactly the undistributed
    rewards. (The fee collector is an ordinary balance here: it holds the fees of the last block's txs.)"""
    okt = {addr: v for (addr, denom), v in balances(db).items() if denom == "okt"}
    modules = (k.STAKING_POOL, dk.REWARDS_POOL, dk.COMMUNITY_POOL)
    accounts = sum(v for addr, v in okt.items() if addr not in modules)
    deposits = sum(v.deposit for _, v in k.all_voters(db)) + sum(v.self_deposit for v in k.all_validators(db))
    community = okt.get(dk.COMMUNITY_POOL, 0)
    supply = bank.get_supply(db, "okt")
    assert accounts + deposits + k.total_unbonding(db) + undistributed(db) + community == supply
    assert okt.get(dk.REWARDS_POOL, 0) == undistributed(db)
    assert supply == genesis_supply + mint.total_minted(db) - burned - slashed


def check_owed(db: KVReader) -> None:
    """F1's books balance: each validator's stakers are owed exactly Σ stake × (ratio − the ratio the stake
    last settled at) over its stake records, so a stake that changed without a settlement shows up here."""
    claims: dict[bytes, int] = {}
    for key in _suffixes(db, schema.distribution_stakes(b"")):
        addr, op = key[:20], key[20:]
        stake = dk.get_stake(db, addr, op)
        assert stake is not None
        accrued = dk.stake_of(db, addr, op) * (dk.get_rewards(db, op).ratio - stake.start)
        claims[op] = claims.get(op, 0) + accrued
    for op in _suffixes(db, schema.distribution_validator(b"")):
        assert dk.get_rewards(db, op).owed == claims.get(op, 0), op.hex()


GENESIS_KEY = b"\x07" * 32  # a genesis validator without a staking record: its rewards go to the community


class PureChain:
    """The modules alone on a memory store, block by block: ``begin`` (with the previous block's set as
    ``last_votes``, each signing if it is in ``signers``), any ``run`` of messages, then ``end``."""

    def __init__(self, params: ChainParams, accounts: Sequence[bytes], balance: int) -> None:
        self.params = params
        self.store = CacheKV(MemoryKV())
        for addr in accounts:
            bank.mint(self.store, addr, "okt", balance)
        self.genesis_supply = bank.get_supply(self.store, "okt")
        active.set_active(self.store, {GENESIS_KEY: 1})
        self.last_set = active.get_active(self.store)
        self.height = 0
        self.time_ns = T0

    def info(self, signers: Collection[bytes]) -> BlockInfo:
        votes = tuple(VoteInfo(key, power, key in signers) for key, power in self.last_set.items())
        return BlockInfo(self.height + 1, self.time_ns, votes)

    def begin(self, signers: Collection[bytes] = ()) -> BlockInfo:
        info = self.info(signers)
        self.height = info.height
        begin_block(self.store, info, self.params)
        return info

    def run(self, signer: Address, msg: object) -> list[Event] | ModuleError:
        """Deliver ``msg`` like a tx's message: on a branch kept only on success."""
        branch = self.store.branch()
        ctx = MsgContext(signer, b"", self.height, self.time_ns, self.params)
        try:
            events = HANDLERS[type(msg)](branch, ctx, msg)
        except ModuleError as exc:
            return exc
        branch.merge_into(self.store)
        return events

    def ok(self, signer: Address, msg: object) -> list[Event]:
        out = self.run(signer, msg)
        assert not isinstance(out, ModuleError), out
        return out

    def end(self, seconds: int = 1) -> None:
        self.time_ns += seconds * 10**9
        staking_end_block(self.store, self.height, self.time_ns, self.params)
        self.last_set = active.get_active(self.store)
        check_invariants(self.store)
        check_supply(self.store, self.genesis_supply)
        check_owed(self.store)

    def block(self, *msgs: tuple[Address, object], signers: Collection[bytes] | None = None) -> None:
        """A block all of the previous set signed (unless ``signers`` says) carrying ``msgs``, each of which
        must succeed."""
        self.begin(self.last_set if signers is None else signers)
        for signer, msg in msgs:
            self.ok(signer, msg)
        self.end()
