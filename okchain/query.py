"""Reads for wallets and explorers, each answered from one committed LevelDB snapshot.

This is the ``query`` side of the application door: it never sees uncommitted state, and it is safe to use
from gRPC threads while the node commits blocks and prunes (LevelDB snapshots are consistent and
thread-safe). A query is bound to one height: the latest, or any height still in the retention window
(``okchain.state.versions``); pruned heights raise ``HeightPrunedError`` naming the earliest one kept.
"""

from collections.abc import Callable, Iterable, Sequence

from okchain._pb.types.v1 import types_pb2
from okchain.crypto.address import Address
from okchain.modules.auth.keeper import get_nonce
from okchain.modules.bank import keeper as bank
from okchain.modules.dex.queries import DexReader
from okchain.modules.slashing import keeper as slashing
from okchain.modules.slashing.keeper import SigningInfo
from okchain.modules.staking import keeper as staking_keeper
from okchain.modules.staking import queries as staking
from okchain.modules.staking.keeper import Validator, Voter
from okchain.modules.staking.queries import Unbonding
from okchain.modules.token import keeper as token_keeper
from okchain.modules.token.keeper import TokenInfo
from okchain.state import blockstore, indexes, versions
from okchain.state.blockstore import LastCommitted, StoredTx
from okchain.state.merkle_proof import Proof
from okchain.state.proven import RecordingReader
from okchain.state.store import KVReader
from okchain.types.block import Block, Commit


class StateQuery:
    def __init__(self, snapshot: KVReader, height: int | None = None) -> None:
        self._snapshot = snapshot
        self.last: LastCommitted | None = blockstore.last_committed(snapshot)
        latest = self.last.height if self.last else 0
        self._reader: KVReader = snapshot
        self._height = latest
        if height is not None and height != latest:
            versions.check_height(snapshot, height)
            self._reader = versions.StateAt(snapshot, height)
            self._height = height

    @property
    def height(self) -> int:
        """The height whose state this query reads (the latest unless one was asked for)."""
        return self._height

    @property
    def reader(self) -> KVReader:
        """The state at this query's height, for a module's pure query functions."""
        return self._reader

    @property
    def latest_height(self) -> int:
        return self.last.height if self.last else 0

    @property
    def earliest_height(self) -> int:
        return versions.earliest_height(self._snapshot)

    def kept_height(self, height: int) -> int:
        """``height`` (0: the latest) if this snapshot holds its block, else ``VersionError`` naming the
        earliest height kept (or the latest, for a height not reached yet)."""
        height = height or self.latest_height
        versions.check_height(self._snapshot, height)
        return height

    def nonce(self, addr: bytes) -> int:
        return get_nonce(self._reader, addr)

    def balance(self, addr: bytes, denom: str) -> int:
        return bank.get_balance(self._reader, addr, denom)

    def balances(self, addr: bytes, start_denom: str, limit: int) -> list[tuple[str, int]]:
        return bank.all_balances(self._reader, addr, start_denom, limit)

    def supply(self, denom: str) -> int:
        return bank.get_supply(self._reader, denom)

    def token(self, denom: str) -> TokenInfo | None:
        return token_keeper.get_token(self._reader, denom)

    def tokens(self, start_denom: str, limit: int) -> list[TokenInfo]:
        return token_keeper.tokens(self._reader, start_denom, limit)

    def dex(self) -> DexReader:
        """DEX views at this query's height; tickers end their 24 h window at that block's time."""
        now = self.last.time_ns if self.last else 0
        if self._height != self.latest_height:
            block = blockstore.block_at(self._snapshot, self._height)
            now = block.header.time_ns if block else now
        return DexReader(self._reader, now)

    def validators(self) -> list[Validator]:
        """Every staking validator by shares, most first."""
        return staking.validators(self._reader)

    def validator(self, operator: bytes) -> Validator | None:
        return staking.validator(self._reader, operator)

    def voter(self, addr: bytes) -> Voter:
        return staking.voter(self._reader, addr)

    def unbondings(self, addr: bytes) -> list[Unbonding]:
        return staking.unbondings(self._reader, addr)

    def consensus_key_owner(self, pubkey: bytes) -> Address | None:
        return staking_keeper.consensus_key_owner(self._reader, pubkey)

    def signing_info(self, pubkey: bytes) -> SigningInfo | None:
        """A consensus key's signing record (window, misses, jail), once it has been in a block's votes."""
        return slashing.get_info(self._reader, pubkey)

    def bonded(self) -> int:
        return staking.bonded(self._reader)

    def unbonding_total(self) -> int:
        return staking.unbonding_total(self._reader)

    def validator_status(self, v: Validator) -> str:
        """active, candidate, jailed, tombstoned or destroyed (``staking.queries.status``)."""
        return staking.status(self._reader, v)

    def prove(self, key: bytes) -> tuple[bytes | None, Proof, bytes]:
        """(value, proof, root) of a raw state key at this query's height; see ``versions.prove_at``."""
        return versions.prove_at(self._snapshot, key, self._height)

    def proof_of(self, read: Callable[[KVReader], object]) -> types_pb2.ReadProof:
        """Proofs of every key ``read`` (a module's pure point query) reads at this height: what a client
        needs to recompute its answer over ``okchain.state.proven.ProvenState``."""
        recorder = RecordingReader(self._reader)
        read(recorder)
        out = types_pb2.ReadProof(height=self._height)
        for key in recorder.keys:
            value, proof, root = self.prove(key)
            out.root = root
            out.values.add(key=key, value=value or b"", present=value is not None, proof=proof.to_bytes())
        return out

    def block(self, height: int) -> Block | None:
        """The block at ``height``; a pruned height raises ``HeightPrunedError`` instead of reading None."""
        block = blockstore.block_at(self._snapshot, height)
        if block is None and height <= self.latest_height:
            versions.check_height(self._snapshot, height)
        return block

    def height_of(self, block_hash: bytes) -> int | None:
        return blockstore.height_of_hash(self._snapshot, block_hash)

    def results(self, height: int) -> types_pb2.BlockResults | None:
        return blockstore.results_at(self._snapshot, height)

    def tx(self, tx_hash: bytes) -> StoredTx | None:
        return blockstore.tx_by_hash(self._snapshot, tx_hash)

    def txs_at(self, positions: Iterable[indexes.Position]) -> list[StoredTx]:
        return blockstore.txs_at(self._snapshot, positions)

    def commit(self, height: int) -> Commit | None:
        """The commit that finalised block ``height``."""
        return blockstore.commit_at(self._snapshot, height)

    def address_txs(
        self, addr: bytes, roles: Sequence[indexes.Role], start: indexes.Position, limit: int
    ) -> tuple[list[indexes.Position], indexes.Position | None]:
        """A page of ``addr``'s txs from the address index; see ``indexes.txs_of``."""
        return indexes.txs_of(self._snapshot, addr, roles, start, limit)

    def tx_total(self, height: int) -> int | None:
        return indexes.tx_total(self._snapshot, height)
