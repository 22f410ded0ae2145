"""Writing a genesis file: accounts streamed out in EIP-55 batches, checked against the migration record,
and the file put in place atomically (on any error the old file stays)."""

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from okchain.genesis.document import (
    ORDER_RULE,
    GenesisAccount,
    GenesisError,
    GenesisHeader,
    MigrationInfo,
    Progress,
)
from okchain.genesis.eip55 import BATCH, checksum_many


def _account_lines(accounts: Iterable[GenesisAccount]) -> Iterator[tuple[str, int, int]]:
    """Yield (text of a batch of account lines, accounts in it, their balance sum), checking the order."""
    previous = b""
    batch: list[GenesisAccount] = []

    def render() -> tuple[str, int, int]:
        names = checksum_many([a.address for a in batch])
        text = ",\n".join(
            f'    {{"address": "{name}", "balance": "{a.balance}"}}'
            for name, a in zip(names, batch, strict=True)
        )
        return text, len(batch), sum(a.balance for a in batch)

    for account in accounts:
        if account.address <= previous:
            raise GenesisError(f"0x{account.address.hex()} comes after 0x{previous.hex()}: {ORDER_RULE}")
        previous = account.address
        batch.append(account)
        if len(batch) == BATCH:
            yield render()
            batch = []
    if batch:
        yield render()


def _write_document(
    out: IO[str], header: GenesisHeader, accounts: Iterable[GenesisAccount], progress: Progress | None
) -> tuple[int, int]:
    head = json.dumps(header.to_json(), indent=2)
    out.write(head[: head.rindex("}")].rstrip() + ',\n  "accounts": [')
    count = total = 0
    expected = header.migration.holders if header.migration is not None else 0
    for text, n, subtotal in _account_lines(accounts):
        out.write(",\n" if count else "\n")
        out.write(text)
        count += n
        total += subtotal
        if progress is not None:
            progress("write", count, expected)
    out.write("\n  ]\n}\n" if count else "]\n}\n")
    return count, total


def write_genesis(
    header: GenesisHeader,
    accounts: Iterable[GenesisAccount],
    path: str | os.PathLike[str],
    progress: Progress | None = None,
) -> None:
    """Stream a genesis file and atomically put it in place; on any error the old file stays.

    Accounts must arrive sorted by address bytes. When the header carries a migration record, the
    streamed accounts must match its holder count and total exactly, or nothing is written.
    """
    target = Path(path)
    tmp_name: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
        ) as handle:
            tmp_name = handle.name
            count, total = _write_document(handle, header, accounts, progress)
            _check_written(header.migration, count, total)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise GenesisError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)


def _check_written(info: MigrationInfo | None, count: int, total: int) -> None:
    if info is not None and (info.holders, info.total) != (count, total):
        raise GenesisError(
            f"accounts do not match the migration record: {count} accounts summing to {total}, "
            f"record says {info.holders} summing to {info.total}"
        )
