"""Pruning: drop version history, blocks, commits, results and tx indexes below the retention window.

With retention ``N`` the node keeps the state and blocks of the last ``N`` heights (``N = 0``: keep
everything, an archive node). Raising the earliest kept height from ``e`` to ``e + 1`` deletes, in one
write batch together with the new ``meta/earliest`` marker:

* the history records written by version ``e + 1`` (listed under ``hp/``), which only served reads at
  heights ``<= e`` (``okchain.state.versions``);
* block ``e``, its hash index, its commit, its results, the tx index entries that point into it, its
  address-index entries and its tx count (``okchain.state.indexes``);
* the validator set of ``e`` (or of an older height, when sets are kept longer than blocks).

So each step costs what that version changed, never the size of the state. The pruner runs on a worker
thread with its own write batches; LevelDB is thread-safe, and the batches touch no key a commit writes
except ``tx`` index entries of blocks already outside the window. A query reads one LevelDB snapshot and
checks the earliest height in that same snapshot, so it either sees a height whole or is refused.
"""

from okchain.crypto.hashing import sha256
from okchain.errors import OKChainError
from okchain.state import blockstore, indexes, schema, versions
from okchain.state.crashpoint import crash_point
from okchain.state.store import KVStore


class PruningError(OKChainError, ValueError):
    """A pruning setting the node cannot use."""


class Pruner:
    """``keep_sets``: heights whose validator sets stay even when their blocks go, so evidence of them can
    still be verified (the chain's ``evidence_max_age_blocks``)."""

    __slots__ = ("_db", "_set_lag", "retention")

    def __init__(self, db: KVStore, retention: int, keep_sets: int = 0) -> None:
        if retention < 0:
            raise PruningError(f"state_retention_heights must be >= 0 (0 keeps everything), got {retention}")
        self._db = db
        self.retention = retention
        self._set_lag = max(0, keep_sets - retention)  # the step pruning height e drops the set of e - lag

    def target(self) -> int:
        """The earliest height the retention setting asks for (the current one for an archive node)."""
        current = versions.earliest_height(self._db)
        last = blockstore.last_committed(self._db)
        if self.retention == 0 or last is None:
            return current
        return max(current, last.height - self.retention + 1)

    def run(self, max_heights: int) -> int:
        """Prune at most ``max_heights`` heights towards the target; return the earliest kept height.
        Small steps keep each call short, so a node stopping waits for at most one of them."""
        earliest = versions.earliest_height(self._db)
        stop = min(self.target(), earliest + max_heights)
        while earliest < stop:
            self._step(earliest)
            earliest += 1
            crash_point("prune-step", earliest)
        return earliest

    def _step(self, height: int) -> None:
        """Raise the earliest kept height from ``height`` to ``height + 1`` in one write batch."""
        db = self._db
        writes: dict[bytes, bytes | None] = {}
        listed_at = schema.version_changes(height + 1)
        listed = db.get(listed_at)
        if listed is not None:
            writes.update(dict.fromkeys(versions.listed_keys(listed)))
            writes[listed_at] = None
        block = blockstore.block_at(db, height)
        if block is not None:
            writes[schema.block_hash(block.hash)] = None
            for raw in block.txs:
                key = schema.tx_index(sha256(raw))
                location = db.get(key)
                if location is not None and schema.read_tx_location(location)[0] == height:
                    writes[key] = None
        writes.update(indexes.prune_writes(db, height))
        writes[schema.block(height)] = None
        writes[schema.commit(height)] = None
        writes[schema.results(height)] = None
        if height >= self._set_lag:
            writes[schema.validator_set(height - self._set_lag)] = None
        writes[schema.META_EARLIEST] = schema.u64(height + 1)
        # Not synced: a prune step lost in a crash is simply done again; the batch itself is atomic.
        db.write(writes, sync=False)
