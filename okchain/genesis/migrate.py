"""OKB snapshot → OKT genesis, and the independent re-check that the mapping is exactly 1:1.

OKT has the same 18 decimals as OKB, so a holder's OKT balance in base units *is* their OKB balance
in base units: no rate, no rounding. ``verify_genesis`` re-derives everything from the snapshot file
so a reviewer need not trust the machine that ran the migration.
"""

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from okchain.crypto.address import Address, to_checksum
from okchain.genesis.document import (
    GenesisAccount,
    GenesisError,
    GenesisHeader,
    GenesisValidator,
    MigrationInfo,
    Progress,
    gc_paused,
    migration_mismatches,
    read_genesis,
)
from okchain.genesis.snapshot import Snapshot, SnapshotSummary, load_snapshot
from okchain.genesis.writer import write_genesis
from okchain.types.params import ChainParams


class GenesisMismatchError(GenesisError):
    """``verify`` found differences between a genesis file and its snapshot; ``differences`` lists them."""

    def __init__(self, message: str, differences: list[str]) -> None:
        super().__init__(message)
        self.differences = differences


def migration_info(summary: SnapshotSummary) -> MigrationInfo:
    return MigrationInfo(
        snapshot_file=summary.file_name,
        snapshot_sha256=summary.sha256,
        format=summary.format,
        holders=summary.holders,
        total=summary.total,
        zero_balances_skipped=summary.zero_balances_skipped,
    )


def _sorted_accounts(balances: dict[Address, int]) -> Iterator[GenesisAccount]:
    for address in sorted(balances):
        yield GenesisAccount(address, balances[address])


def migrate_snapshot(
    snapshot_path: str | os.PathLike[str],
    chain_id: str,
    out_path: str | os.PathLike[str],
    validators: Iterable[GenesisValidator] = (),
    params: ChainParams | None = None,
    genesis_time: datetime | None = None,
    progress: Progress | None = None,
) -> MigrationInfo:
    """Write a genesis whose accounts are the snapshot's non-zero balances, 1:1; returns the record.

    Nothing is written unless the whole snapshot is valid; ``genesis_time`` defaults to now (UTC,
    whole seconds) because the chain's first block time is a launch decision, not a consensus input.
    """
    if Path(snapshot_path).resolve() == Path(out_path).resolve():
        raise GenesisError("the genesis output would overwrite the snapshot it is made from")
    with gc_paused():
        return _migrate(snapshot_path, chain_id, out_path, validators, params, genesis_time, progress)


def _migrate(
    snapshot_path: str | os.PathLike[str],
    chain_id: str,
    out_path: str | os.PathLike[str],
    validators: Iterable[GenesisValidator],
    params: ChainParams | None,
    genesis_time: datetime | None,
    progress: Progress | None,
) -> MigrationInfo:
    snapshot = load_snapshot(snapshot_path, progress)
    info = migration_info(snapshot.summary)
    header = GenesisHeader(
        chain_id=chain_id,
        genesis_time=genesis_time or datetime.now(UTC).replace(microsecond=0),
        params=params or ChainParams(),
        validators=tuple(validators),
        migration=info,
    )
    write_genesis(header, _sorted_accounts(snapshot.balances), out_path, progress)
    return info


def _header_differences(snapshot: Snapshot, info: MigrationInfo | None) -> list[str]:
    if info is None:
        return ["genesis has no migration record"]
    expected = migration_info(snapshot.summary)
    checks = [
        ("snapshot_sha256", info.snapshot_sha256, expected.snapshot_sha256),
        ("format", info.format, expected.format),
        ("holders", info.holders, expected.holders),
        ("total", info.total, expected.total),
        ("zero_balances_skipped", info.zero_balances_skipped, expected.zero_balances_skipped),
    ]
    return [
        f"migration.{name} is {got} but the snapshot gives {want}"
        for name, got, want in checks
        if got != want
    ]


def _account_differences(snapshot: Snapshot, accounts: Iterable[GenesisAccount]) -> list[str]:
    """Every missing, extra or wrong balance, in address order."""
    remaining = dict(snapshot.balances)
    found: list[tuple[bytes, str]] = []
    for account in accounts:
        want = remaining.pop(account.address, None)
        if want == account.balance:
            continue
        name, got = to_checksum(account.address), account.balance
        if want is None:
            found.append((account.address, f"{name}: in genesis with {got} but not a holder in the snapshot"))
        else:
            found.append((account.address, f"{name}: genesis balance {got} != snapshot balance {want}"))
    for address, want in remaining.items():
        found.append((address, f"{to_checksum(address)}: snapshot balance {want} is missing from genesis"))
    found.sort()
    return [text for _, text in found]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of re-deriving a genesis from its snapshot: what the snapshot gives, and every difference."""

    expected: MigrationInfo
    differences: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences


def check_genesis(
    snapshot_path: str | os.PathLike[str],
    genesis_path: str | os.PathLike[str],
    progress: Progress | None = None,
) -> VerifyReport:
    """Re-prove the 1:1 mapping from the snapshot file alone.

    A snapshot with bad rows raises SnapshotError and an unreadable genesis GenesisFileError: there
    is nothing to compare then. Everything else is a difference, all of them listed.
    """
    with gc_paused():
        snapshot = load_snapshot(snapshot_path, progress)
        doc = read_genesis(genesis_path)
    differences = (
        migration_mismatches(doc)
        + _header_differences(snapshot, doc.header.migration)
        + _account_differences(snapshot, doc.accounts)
    )
    return VerifyReport(migration_info(snapshot.summary), differences)


def verify_genesis(
    snapshot_path: str | os.PathLike[str],
    genesis_path: str | os.PathLike[str],
    progress: Progress | None = None,
) -> list[str]:
    """Every difference between the genesis and what the snapshot gives; empty when they match exactly."""
    return check_genesis(snapshot_path, genesis_path, progress).differences
