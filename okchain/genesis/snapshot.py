"""Streaming parser for OKB holder snapshots, the source of every OKT genesis balance.

Two formats, told apart by their header line:

* ``etherscan``: Etherscan's token-holder export, ``"HolderAddress","Balance","PendingBalanceUpdate"``,
  with balances in OKB as decimal strings of up to 18 decimals (converted exactly, never via float);
* ``plain``: ``address,amount`` with integer base units.

Lines starting with ``#`` are comments. A bad row does not stop the parse: every problem is collected
with its line number so one run shows the whole list, and a caller refuses to write anything if any
were found. Zero balances are counted and skipped (they would be empty genesis accounts).
"""

import csv
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from okchain.crypto.address import Address, AddressError, parse_hex_address
from okchain.genesis.document import MAX_BALANCE, GenesisError, Progress, SnapshotFormat
from okchain.genesis.eip55 import BATCH, checksum_many, is_mixed_case

OKB_DECIMALS = 18
ETHERSCAN_HEADER = ("HolderAddress", "Balance", "PendingBalanceUpdate")
PLAIN_HEADER = ("address", "amount")
MAX_REPORTED_ERRORS = 1000
_CHUNK = 1 << 20

_HEX_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]+))?")  # ASCII digits only: int() would accept other scripts
_INTEGER = re.compile(r"[0-9]+")
_MAX_DIGITS = len(str(MAX_BALANCE))  # longer strings are refused before int() sees them
_ONE_OKB = 10**OKB_DECIMALS
_YES = frozenset({"yes", "true", "1"})
# Whole well-formed rows in one regex call; anything else goes through the field-by-field checks.
_FAST_ROW = {
    "etherscan": re.compile(r'"(0[xX][0-9a-fA-F]{40})","([0-9]{1,60})(?:\.([0-9]{1,18}))?","([^",]*)"'),
    "plain": re.compile(r"(0[xX][0-9a-fA-F]{40}),([0-9]{1,78})"),
}


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    """One problem with one line of the snapshot (1-based line numbers, comments included)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class SnapshotError(GenesisError, ValueError):
    """A snapshot that cannot be migrated; ``errors`` holds every bad row, in line order."""

    def __init__(self, message: str, errors: tuple[RowError, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def from_rows(cls, path: str | os.PathLike[str], errors: list[RowError]) -> "SnapshotError":
        ordered = tuple(sorted(errors))
        lines = [f"  {e}" for e in ordered[:MAX_REPORTED_ERRORS]]
        if len(ordered) > MAX_REPORTED_ERRORS:
            lines.append(f"  ... and {len(ordered) - MAX_REPORTED_ERRORS} more")
        rows = len({e.line for e in ordered})
        head = f"snapshot {os.fspath(path)}: {len(ordered)} problem(s) in {rows} row(s); nothing was written"
        return cls("\n".join([head, *lines]), ordered)


class SnapshotRow(NamedTuple):
    line: int
    address: Address
    amount: int


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    """What a full pass over the snapshot found; the genesis migration record is built from it."""

    file_name: str
    sha256: str
    format: SnapshotFormat
    holders: int
    total: int
    zero_balances_skipped: int
    pending_updates: int  # Etherscan rows flagged PendingBalanceUpdate=Yes: balance may be stale


def parse_okb_decimal(text: str) -> int:
    """``"1.5"`` OKB → 1_500_000_000_000_000_000 base units, exactly; ValueError says why not."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
            raise ValueError(f"negative balance {text!r}")
        raise ValueError(f"balance {text!r} is not a decimal number")
    whole, frac = match.group(1), match.group(2) or ""
    if len(frac) > OKB_DECIMALS:
        raise ValueError(f"balance {text!r} has {len(frac)} decimal places; OKB has at most {OKB_DECIMALS}")
    digits = whole.lstrip("0") + frac.ljust(OKB_DECIMALS, "0")
    return _bounded(digits, text)


def parse_base_units(text: str) -> int:
    """Integer base units of the plain format; decimals are refused rather than guessed at."""
    if _INTEGER.fullmatch(text):
        return _bounded(text.lstrip("0") or "0", text)
    if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
        raise ValueError(f"negative amount {text!r}")
    if _DECIMAL.fullmatch(text):
        raise ValueError(f"amount {text!r} has a decimal point; plain snapshots hold integer base units")
    raise ValueError(f"amount {text!r} is not an integer")


def _bounded(digits: str, text: str) -> int:
    if len(digits) > _MAX_DIGITS or int(digits) > MAX_BALANCE:
        raise ValueError(f"amount {text!r} exceeds 2**256-1 base units")
    return int(digits)


def format_okb_decimal(amount: int) -> str:
    """Inverse of :func:`parse_okb_decimal` with no trailing zeros (used by the generator and tests)."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    whole, frac = divmod(amount, 10**OKB_DECIMALS)
    if frac == 0:
        return str(whole)
    return f"{whole}.{str(frac).rjust(OKB_DECIMALS, '0').rstrip('0')}"


def _split(line: str, columns: int) -> list[str]:
    """CSV fields of one line; the common all-quoted Etherscan row is split without the csv module."""
    if '"' not in line:
        return line.split(",")
    if line.count('"') == 2 * columns and line[0] == '"' and line[-1] == '"':
        fields = line[1:-1].split('","')
        if len(fields) == columns:
            return fields
    return next(csv.reader((line,)), [])


def _unquote(field: str) -> str:
    """Quotes the csv module left in place because of spaces around them (`` "1.5" ``)."""
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].strip()
    return field


def _detect_format(fields: list[str]) -> SnapshotFormat | None:
    names = tuple(f.strip().strip('"').strip() for f in fields)
    if names == ETHERSCAN_HEADER:
        return "etherscan"
    if tuple(n.lower() for n in names) == PLAIN_HEADER:
        return "plain"
    return None


class SnapshotReader:
    """Iterate a snapshot's valid, non-zero rows while collecting every problem in ``errors``.

    Rows are yielded in file order after their batch's EIP-55 checks have passed, so a consumer never
    sees a row that will later be reported bad. After iteration, ``summary()`` describes the file
    (sha256 over the exact file bytes, comments included).
    """

    def __init__(self, path: str | os.PathLike[str], progress: Progress | None = None) -> None:
        self.path = Path(path)
        self.progress = progress
        self.errors: list[RowError] = []
        self._format: SnapshotFormat | None = None
        self._seen: dict[bytes, int] = {}  # address → first line, to name both lines of a duplicate
        self._batch: list[SnapshotRow] = []
        self._mixed: list[tuple[int, str, Address]] = []  # mixed-case addresses awaiting EIP-55 check
        self._sha256 = ""
        self._holders = self._total = self._zeros = self._pending_updates = 0
        self._done = False

    def summary(self) -> SnapshotSummary:
        if not self._done or self._format is None:
            raise GenesisError("snapshot summary requested before the whole file was read")
        return SnapshotSummary(
            file_name=self.path.name,
            sha256=self._sha256,
            format=self._format,
            holders=self._holders,
            total=self._total,
            zero_balances_skipped=self._zeros,
            pending_updates=self._pending_updates,
        )

    def __iter__(self) -> Iterator[SnapshotRow]:
        for line_no, line in self._lines():
            self._row(line_no, line)
            if len(self._batch) >= BATCH:
                yield from self._flush()
        yield from self._flush()
        if self._format is None:
            raise SnapshotError(
                f"snapshot {self.path} has no header line; expected {self._expected_headers()}"
            )
        self._done = True

    def _lines(self) -> Iterator[tuple[int, str]]:
        """(line number, text) of every non-comment, non-blank line, hashing the bytes on the way."""
        digest = hashlib.sha256()
        line_no = 0
        try:
            with self.path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                done, carry = 0, b""
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                    done += len(chunk)
                    *complete, carry = (carry + chunk).split(b"\n")
                    for line in self._decode(complete, line_no):
                        line_no += 1
                        if line and line[0] != "#" and not line.isspace():
                            yield line_no, line
                    if self.progress is not None:
                        self.progress("read", done, size)
        except OSError as exc:
            raise SnapshotError(f"cannot read snapshot {self.path}: {exc.strerror or exc}") from None
        self._sha256 = digest.hexdigest()
        for line in self._decode([carry], line_no) if carry else ():
            line_no += 1
            if line and line[0] != "#" and not line.isspace():
                yield line_no, line

    def _decode(self, raw_lines: list[bytes], first: int) -> list[str]:
        """UTF-8 text of the lines with CR and a leading BOM removed; undecodable lines become errors."""
        if not raw_lines:
            return []
        try:
            lines = b"\n".join(raw_lines).decode("utf-8").split("\n")
        except UnicodeDecodeError:
            lines = []
            for offset, raw in enumerate(raw_lines):
                try:
                    lines.append(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    self.errors.append(RowError(first + offset + 1, f"not valid UTF-8 ({exc.reason})"))
                    lines.append("")
        if first == 0 and lines and lines[0].startswith("\ufeff"):
            lines[0] = lines[0][1:]
        return [line[:-1] if line.endswith("\r") else line for line in lines]

    def _row(self, line_no: int, line: str) -> None:
        if self._format is None:
            self._header(line_no, line)
            return
        match = _FAST_ROW[self._format].fullmatch(line)
        if match is None:  # unusual spacing or quoting, or a bad row: take the careful path
            self._checked_row(line_no, line)
            return
        if self._format == "etherscan":
            text, whole, frac, pending = match.groups()
            amount = int(whole + frac.ljust(OKB_DECIMALS, "0")) if frac else int(whole) * _ONE_OKB
            self._pending_updates += pending.lower() in _YES
        else:
            text, digits = match.groups()
            amount = int(digits)
        if amount > MAX_BALANCE:
            self._checked_row(line_no, line)
            return
        self._accept(line_no, text, amount)

    def _checked_row(self, line_no: int, line: str) -> None:
        """Field-by-field parse that names every problem of the row."""
        columns = 3 if self._format == "etherscan" else 2
        fields = [_unquote(f.strip()) for f in _split(line, columns)]
        if len(fields) != columns:
            self.errors.append(RowError(line_no, f"expected {columns} columns, got {len(fields)}"))
            return
        amount = self._amount(line_no, fields[1])
        if columns == 3:
            self._pending_updates += fields[2].lower() in _YES
        if not _HEX_ADDRESS.fullmatch(fields[0]):
            self.errors.append(RowError(line_no, _address_problem(fields[0])))
            return
        self._accept(line_no, fields[0], amount)

    def _accept(self, line_no: int, text: str, amount: int | None) -> None:
        """Track a well-formed address (duplicates, EIP-55) and queue its row if the amount is good."""
        address = Address(bytes.fromhex(text[2:]))
        if is_mixed_case(text[2:]):
            self._mixed.append((line_no, text, address))
        first = self._seen.setdefault(address, line_no)
        if first != line_no:
            self.errors.append(RowError(line_no, f"duplicate address {text}: also on line {first}"))
        elif amount == 0:
            self._zeros += 1
        elif amount is not None:
            self._batch.append(SnapshotRow(line_no, address, amount))

    def _header(self, line_no: int, line: str) -> None:
        self._format = _detect_format(_split(line, 3))
        if self._format is None:
            raise SnapshotError(
                f"snapshot {self.path} line {line_no}: unrecognised header {line!r}; "
                f"expected {self._expected_headers()}",
                (RowError(line_no, "unrecognised header"),),
            )

    @staticmethod
    def _expected_headers() -> str:
        etherscan = ",".join(f'"{name}"' for name in ETHERSCAN_HEADER)
        return f"{etherscan} (Etherscan export) or {','.join(PLAIN_HEADER)} (base units)"

    def _amount(self, line_no: int, text: str) -> int | None:
        try:
            return parse_okb_decimal(text) if self._format == "etherscan" else parse_base_units(text)
        except ValueError as exc:
            self.errors.append(RowError(line_no, str(exc)))
            return None

    def _flush(self) -> Iterator[SnapshotRow]:
        """Run the batch's EIP-55 checks, then release its good rows."""
        bad = self._check_mixed_case()
        batch, self._batch = self._batch, []
        for row in batch:
            if row.line not in bad:
                self._holders += 1
                self._total += row.amount
                yield row

    def _check_mixed_case(self) -> set[int]:
        mixed, self._mixed = self._mixed, []
        if not mixed:
            return set()
        bad: set[int] = set()
        expected = checksum_many([address for _, _, address in mixed])
        for (line_no, text, _), good in zip(mixed, expected, strict=True):
            if text[2:] != good[2:]:
                bad.add(line_no)
                self.errors.append(
                    RowError(line_no, f"address {text} has a bad EIP-55 checksum (expected {good})")
                )
        return bad


def _address_problem(text: str) -> str:
    """The precise reason from the address module, for the rare rows that fail the fast check."""
    try:
        parse_hex_address(text)
    except AddressError as exc:
        return str(exc)
    return f"address {text!r} is not 0x followed by 40 hex digits"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A fully validated snapshot: its summary and every non-zero balance by address."""

    summary: SnapshotSummary
    balances: dict[Address, int]


def load_snapshot(path: str | os.PathLike[str], progress: Progress | None = None) -> Snapshot:
    """Read the whole snapshot, raising one SnapshotError that lists every bad row."""
    reader = SnapshotReader(path, progress)
    balances: dict[Address, int] = {}
    for _, address, amount in reader:
        balances[address] = amount
    if reader.errors:
        raise SnapshotError.from_rows(path, reader.errors)
    return Snapshot(reader.summary(), balances)
