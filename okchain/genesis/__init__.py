"""OKB holder snapshot → OKT genesis, and loading and validating genesis files.

``migrate_snapshot`` writes a genesis whose balances equal the snapshot's 1:1; ``verify_genesis``
re-proves that from the snapshot file; ``load_genesis`` is what the node calls at start.
"""

from okchain.genesis.document import (
    GenesisAccount,
    GenesisDoc,
    GenesisError,
    GenesisFileError,
    GenesisHeader,
    GenesisValidator,
    MigrationInfo,
    load_genesis,
    read_genesis,
)
from okchain.genesis.migrate import (
    GenesisMismatchError,
    VerifyReport,
    check_genesis,
    migrate_snapshot,
    verify_genesis,
)
from okchain.genesis.snapshot import (
    RowError,
    Snapshot,
    SnapshotError,
    SnapshotReader,
    SnapshotRow,
    SnapshotSummary,
    load_snapshot,
)
from okchain.genesis.writer import write_genesis

__all__ = [
    "GenesisAccount",
    "GenesisDoc",
    "GenesisError",
    "GenesisFileError",
    "GenesisHeader",
    "GenesisMismatchError",
    "GenesisValidator",
    "MigrationInfo",
    "RowError",
    "Snapshot",
    "SnapshotError",
    "SnapshotReader",
    "SnapshotRow",
    "SnapshotSummary",
    "VerifyReport",
    "check_genesis",
    "load_genesis",
    "load_snapshot",
    "migrate_snapshot",
    "read_genesis",
    "verify_genesis",
    "write_genesis",
]
