"""The genesis file: its types and a validating loader (the streaming, atomic writer is ``writer.py``).

Layout (``accounts`` last so a million balances can be streamed out and parsed one object at a time)::

    {"chain_id": …, "genesis_time": "2026-11-25T00:00:00Z", "initial_height": "1", "params": {…},
     "validators": [{"name", "pub_key", "power", "operator"?}], "migration": {…},
     "accounts": [{"address", "balance"}]}

Every integer that can exceed 2**53 is a decimal string so no JSON reader rounds it; floats are refused.
"""

import gc
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn

from okchain.crypto.address import Address, AddressError, parse_hex_address
from okchain.errors import OKChainError
from okchain.genesis.eip55 import BATCH, checksum_many, is_mixed_case
from okchain.types.params import ChainParams

SnapshotFormat = Literal["etherscan", "plain"]
SNAPSHOT_FORMATS: tuple[SnapshotFormat, ...] = ("etherscan", "plain")
MIGRATION_SOURCE = "OKB token holder snapshot"
MAX_BALANCE = 2**256 - 1  # EVM uint256, the widest balance an OKB holder can have
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Progress = Callable[[str, int, int], None]
"""Called as ``progress(phase, done, total)``; the CLI draws a bar with it when stderr is a terminal."""

_CHAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")
_UINT = re.compile(r"0|[1-9][0-9]*")  # canonical: no sign, no leading zeros, ASCII digits only
_HEX_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_PUBKEY = re.compile(r"[0-9a-fA-F]{64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_WS = re.compile(r"[ \t\n\r]*")
_ACCOUNT = re.compile(
    r'[ \t\n\r]*\{[ \t\n\r]*"address"[ \t\n\r]*:[ \t\n\r]*"(0[xX][0-9a-fA-F]{40})"[ \t\n\r]*,'
    r'[ \t\n\r]*"balance"[ \t\n\r]*:[ \t\n\r]*"(0|[1-9][0-9]{0,79})"[ \t\n\r]*\}[ \t\n\r]*([,\]])'
)
ORDER_RULE = "accounts must be sorted by address bytes with no duplicates"
_TOP_KEYS = ("chain_id", "genesis_time", "initial_height", "params", "validators", "migration", "accounts")


class GenesisError(OKChainError):
    """Root of the genesis layer: snapshot parsing, genesis files, migration checks."""


class GenesisFileError(GenesisError, ValueError):
    """A genesis file that is not valid JSON or breaks the schema; the message names the field."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Build a million acyclic objects without the cyclic GC rescanning them again and again.

    Everything the migration allocates is reference-counted garbage at worst (no cycles), so pausing
    the collector only saves time: ~30% of a 1M-holder migrate.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _uint(value: object, what: str, *, minimum: int = 0) -> int:
    """Decimal string of an unsigned integer, the only way amounts and heights travel in JSON."""
    if not isinstance(value, str) or len(value) > 80 or not _UINT.fullmatch(value):
        raise GenesisFileError(f"{what} must be a decimal string of an unsigned integer, got {value!r}")
    number = int(value)
    if number < minimum:
        raise GenesisFileError(f"{what} must be at least {minimum}, got {value}")
    return number


def _count(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise GenesisFileError(f"{what} must be a non-negative JSON integer, got {value!r}")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise GenesisFileError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _object(value: object, what: str, keys: Iterable[str]) -> dict[str, Any]:
    """A JSON object with exactly these keys, so typos and missing fields fail loudly."""
    if not isinstance(value, dict):
        raise GenesisFileError(f"{what} must be a JSON object, got {type(value).__name__}")
    expected = set(keys)
    missing = sorted(expected - value.keys())
    unknown = sorted(value.keys() - expected)
    if missing:
        raise GenesisFileError(f"{what} is missing {', '.join(missing)}")
    if unknown:
        raise GenesisFileError(f"{what} has unknown field(s) {', '.join(unknown)}")
    return value


def parse_chain_id(text: str) -> str:
    if not _CHAIN_ID.fullmatch(text):
        raise GenesisFileError(
            f"chain_id {text!r} must be 1-50 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return text


def parse_genesis_time(text: str) -> datetime:
    """RFC 3339 in UTC with whole seconds (``2026-11-25T00:00:00Z``): one spelling, one genesis hash."""
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise GenesisFileError(f"genesis_time {text!r} must look like 2026-11-25T00:00:00Z (UTC)") from None


def format_genesis_time(when: datetime) -> str:
    if when.tzinfo is None:
        raise GenesisFileError("genesis time must be timezone-aware")
    return when.astimezone(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class GenesisValidator:
    """A validator of the first block: name, ed25519 public key and voting power, and (for a supernode that
    stakes from block one) the operator address whose migrated OKT pays its self-deposit."""

    name: str
    pub_key: bytes
    power: int
    operator: Address | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise GenesisFileError("validator name must not be empty")
        if len(self.pub_key) != 32:
            raise GenesisFileError(
                f"validator {self.name}: pub_key must be 32 bytes, got {len(self.pub_key)}"
            )
        if self.power <= 0:
            raise GenesisFileError(f"validator {self.name}: power must be positive, got {self.power}")

    def to_json(self) -> dict[str, str]:
        out = {"name": self.name, "pub_key": self.pub_key.hex(), "power": str(self.power)}
        if self.operator is not None:
            out["operator"] = "0x" + self.operator.hex()
        return out

    @classmethod
    def from_json(cls, data: object, what: str = "validator") -> "GenesisValidator":
        keys = ("name", "pub_key", "power") + (
            ("operator",) if isinstance(data, dict) and "operator" in data else ()
        )
        obj = _object(data, what, keys)
        pub_key = obj["pub_key"]
        if not isinstance(pub_key, str) or not _PUBKEY.fullmatch(pub_key):
            raise GenesisFileError(f"{what}.pub_key must be 64 hex characters (ed25519), got {pub_key!r}")
        name = _text(obj["name"], f"{what}.name")
        operator = None
        if "operator" in obj:
            raw = obj["operator"]
            if not isinstance(raw, str) or not _HEX_ADDRESS.fullmatch(raw):
                raise GenesisFileError(f"{what}.operator must be a 0x address, got {raw!r}")
            operator = Address(bytes.fromhex(raw[2:]))
        return cls(name, bytes.fromhex(pub_key), _uint(obj["power"], f"{what}.power", minimum=1), operator)


@dataclass(frozen=True, slots=True)
class GenesisAccount:
    """An opening balance in OKT base units (18 decimals)."""

    address: Address
    balance: int

    def __post_init__(self) -> None:
        if len(self.address) != 20:
            raise GenesisFileError(f"account address must be 20 bytes, got {len(self.address)}")
        if not 0 <= self.balance <= MAX_BALANCE:
            raise GenesisFileError(f"account balance {self.balance} is outside 0..2**256-1")


@dataclass(frozen=True, slots=True)
class MigrationInfo:
    """Where the balances came from, so anyone can re-prove the 1:1 OKB → OKT mapping."""

    snapshot_file: str
    snapshot_sha256: str
    format: SnapshotFormat
    holders: int
    total: int
    zero_balances_skipped: int
    source: str = MIGRATION_SOURCE

    def __post_init__(self) -> None:
        if not _SHA256.fullmatch(self.snapshot_sha256):
            raise GenesisFileError("migration.snapshot_sha256 must be 64 lowercase hex characters")
        if self.format not in SNAPSHOT_FORMATS:
            raise GenesisFileError(f"migration.format must be one of {SNAPSHOT_FORMATS}, got {self.format!r}")
        if min(self.holders, self.total, self.zero_balances_skipped) < 0:
            raise GenesisFileError("migration counts and total must not be negative")

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "snapshot_file": self.snapshot_file,
            "snapshot_sha256": self.snapshot_sha256,
            "format": self.format,
            "holders": self.holders,
            "total": str(self.total),
            "zero_balances_skipped": self.zero_balances_skipped,
        }

    @classmethod
    def from_json(cls, data: object) -> "MigrationInfo":
        keys = (
            "source",
            "snapshot_file",
            "snapshot_sha256",
            "format",
            "holders",
            "total",
            "zero_balances_skipped",
        )
        obj = _object(data, "migration", keys)
        fmt = obj["format"]
        if fmt not in SNAPSHOT_FORMATS:
            raise GenesisFileError(f"migration.format must be one of {SNAPSHOT_FORMATS}, got {fmt!r}")
        sha = obj["snapshot_sha256"]
        if not isinstance(sha, str):
            raise GenesisFileError(f"migration.snapshot_sha256 must be a string, got {sha!r}")
        return cls(
            snapshot_file=_text(obj["snapshot_file"], "migration.snapshot_file"),
            snapshot_sha256=sha,
            format=fmt,
            holders=_count(obj["holders"], "migration.holders"),
            total=_uint(obj["total"], "migration.total"),
            zero_balances_skipped=_count(obj["zero_balances_skipped"], "migration.zero_balances_skipped"),
            source=_text(obj["source"], "migration.source"),
        )


@dataclass(frozen=True, slots=True)
class GenesisHeader:
    """Everything in genesis except the accounts, which are streamed separately."""

    chain_id: str
    genesis_time: datetime
    initial_height: int = 1
    params: ChainParams = field(default_factory=ChainParams)
    validators: tuple[GenesisValidator, ...] = ()
    migration: MigrationInfo | None = None

    def __post_init__(self) -> None:
        parse_chain_id(self.chain_id)
        format_genesis_time(self.genesis_time)
        if self.initial_height < 1:
            raise GenesisFileError(f"initial_height must be at least 1, got {self.initial_height}")
        names = [v.name for v in self.validators]
        keys = [v.pub_key for v in self.validators]
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            raise GenesisFileError("validators must have distinct names and distinct pub_keys")
        operators = [v.operator for v in self.validators if v.operator is not None]
        if len(set(operators)) != len(operators):
            raise GenesisFileError("validators must have distinct operators")

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "chain_id": self.chain_id,
            "genesis_time": format_genesis_time(self.genesis_time),
            "initial_height": str(self.initial_height),
            "params": self.params.to_json(),
            "validators": [v.to_json() for v in self.validators],
        }
        if self.migration is not None:
            out["migration"] = self.migration.to_json()
        return out


@dataclass(frozen=True, slots=True)
class GenesisDoc:
    """A loaded genesis: header plus accounts sorted by address bytes (so no duplicates)."""

    header: GenesisHeader
    accounts: tuple[GenesisAccount, ...]

    @property
    def total_balance(self) -> int:
        return sum(a.balance for a in self.accounts)


def _header_from_json(values: dict[str, object]) -> GenesisHeader:
    for key in _TOP_KEYS[:-1]:
        if key not in values and key != "migration":
            raise GenesisFileError(f"genesis is missing {key}")
    params = values["params"]
    if not isinstance(params, dict):
        raise GenesisFileError("params must be a JSON object")
    validators = values["validators"]
    if not isinstance(validators, list):
        raise GenesisFileError("validators must be a JSON list")
    migration = values.get("migration")
    missing = [f.name for f in fields(ChainParams) if f.name not in params]
    if missing:  # a default baked into code could differ between node versions: genesis must say
        raise GenesisFileError(f"params is missing {', '.join(missing)}")
    try:
        chain_params = ChainParams.from_json(params)
    except OKChainError as exc:
        raise GenesisFileError(f"params: {exc}") from None
    return GenesisHeader(
        chain_id=parse_chain_id(_text(values["chain_id"], "chain_id")),
        genesis_time=parse_genesis_time(_text(values["genesis_time"], "genesis_time")),
        initial_height=_uint(values["initial_height"], "initial_height", minimum=1),
        params=chain_params,
        validators=tuple(GenesisValidator.from_json(v, f"validators[{i}]") for i, v in enumerate(validators)),
        migration=None if migration is None else MigrationInfo.from_json(migration),
    )


def _reject_float(text: str) -> object:
    raise GenesisFileError(f"floating point number {text} in genesis: amounts must be decimal strings")


class _AccountChecker:
    """Validates accounts one at a time; EIP-55 checks run in batches (see ``eip55``)."""

    def __init__(self) -> None:
        self.accounts: list[GenesisAccount] = []
        self._previous = b""
        self._pending: list[tuple[int, str, bytes]] = []  # addresses awaiting their EIP-55 check

    def add_object(self, obj: object) -> None:
        """Any JSON spelling of an account: check its shape, then :meth:`add`."""
        what = f"accounts[{len(self.accounts)}]"
        fields = _object(obj, what, ("address", "balance"))
        text, balance = fields["address"], fields["balance"]
        if not isinstance(text, str) or not _HEX_ADDRESS.fullmatch(text):
            self._fail(f"{what}.address: {_address_problem(text)}")
        if not isinstance(balance, str) or len(balance) > 80 or not _UINT.fullmatch(balance):
            self._fail(f"{what}.balance must be a decimal string of an unsigned integer, got {balance!r}")
        self.add(text, balance)

    def add(self, text: str, balance: str) -> None:
        """An account whose address is 0x + 40 hex digits and balance a canonical decimal string."""
        index = len(self.accounts)
        raw = bytes.fromhex(text[2:])
        self._pending.append((index, text, raw))
        if raw <= self._previous:
            self._fail(
                f"accounts[{index}].address {text} is not after 0x{self._previous.hex()}: {ORDER_RULE}"
            )
        self._previous = raw
        amount = int(balance)
        if amount > MAX_BALANCE:
            self._fail(f"accounts[{index}].balance {balance} exceeds 2**256-1")
        self.accounts.append(GenesisAccount(Address(raw), amount))
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Check the pending checksums; the earliest bad one is the error to report.

        Every address is hashed because the writer emits all of them checksummed; only mixed-case
        text that differs from the checksum is wrong (all-lower and all-upper claim no checksum).
        """
        pending, self._pending = self._pending, []
        good = checksum_many([raw for _, _, raw in pending])
        for (index, text, _), expected in zip(pending, good, strict=True):
            if text[2:] != expected[2:] and is_mixed_case(text[2:]):
                message = f"accounts[{index}].address {text} has a bad EIP-55 checksum (expected {expected})"
                raise GenesisFileError(message)

    def _fail(self, message: str) -> NoReturn:
        self.flush()
        raise GenesisFileError(message)


def _address_problem(text: object) -> str:
    if not isinstance(text, str):
        return f"must be a string, got {text!r}"
    try:
        parse_hex_address(text)
    except AddressError as exc:
        return str(exc)
    return f"{text!r} is not 0x followed by 40 hex digits"


class _Scanner:
    """Walks the top-level JSON object by hand so ``accounts`` is validated element by element.

    ``json.load`` of a million-account genesis keeps a million dicts alive at once (~400 MB);
    decoding one account object at a time keeps only the GenesisAccount values.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.decoder = json.JSONDecoder(parse_float=_reject_float, parse_constant=_reject_float)

    def skip_ws(self) -> None:
        match = _WS.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()

    def expect(self, chars: str) -> str:
        self.skip_ws()
        found = self.text[self.pos : self.pos + 1]
        if not found or found not in chars:
            self.error(f"expected {' or '.join(repr(c) for c in chars)}, found {found or 'end of file'!r}")
        self.pos += 1
        return found

    def value(self) -> Any:
        self.skip_ws()
        try:
            value, self.pos = self.decoder.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as exc:
            self.error(exc.msg, exc.pos)
        return value

    def error(self, message: str, pos: int | None = None) -> NoReturn:
        at = self.pos if pos is None else pos
        line = self.text.count("\n", 0, at) + 1
        column = at - self.text.rfind("\n", 0, at)
        raise GenesisFileError(f"invalid JSON at line {line} column {column}: {message}")

    def members(self) -> Iterator[str]:
        """Yield each key of the top-level object, leaving ``pos`` at its value."""
        self.expect("{")
        self.skip_ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return
        while True:
            self.skip_ws()
            if not self.text.startswith('"', self.pos):
                self.error("expected a quoted key")
            key = self.value()
            self.expect(":")
            yield key
            if self.expect(",}") == "}":
                return

    def array(self) -> Iterator[object]:
        self.expect("[")
        self.skip_ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.expect(",]") == "]":
                return

    def accounts(self, checker: _AccountChecker) -> None:
        """Like :meth:`array`, but one regex call per account in the writer's layout (any other
        valid JSON spelling still goes through the decoder)."""
        self.expect("[")
        self.skip_ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return
        while True:
            match = _ACCOUNT.match(self.text, self.pos)
            if match is not None:
                checker.add(match[1], match[2])
                self.pos = match.end()
                if match[3] == "]":
                    return
                continue
            checker.add_object(self.value())
            if self.expect(",]") == "]":
                return

    def end(self) -> None:
        self.skip_ws()
        if self.pos != len(self.text):
            self.error("unexpected data after the genesis object")


def _parse(text: str) -> GenesisDoc:
    scanner = _Scanner(text)
    values: dict[str, object] = {}
    checker: _AccountChecker | None = None
    for key in scanner.members():
        if key in values or (key == "accounts" and checker is not None):
            raise GenesisFileError(f"genesis has {key!r} twice")
        if key not in _TOP_KEYS:
            raise GenesisFileError(f"genesis has unknown field {key!r}")
        if key == "accounts":
            checker = _AccountChecker()
            scanner.accounts(checker)
            checker.flush()
        else:
            values[key] = scanner.value()
    scanner.end()
    if checker is None:
        raise GenesisFileError("genesis is missing accounts")
    return GenesisDoc(_header_from_json(values), tuple(checker.accounts))


def read_genesis(path: str | os.PathLike[str]) -> GenesisDoc:
    """Parse and schema-check a genesis file without requiring the migration totals to agree.

    ``verify`` uses this so it can list every difference instead of stopping at the first.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise GenesisFileError(f"cannot read genesis {os.fspath(path)}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise GenesisFileError(f"genesis {os.fspath(path)} is not UTF-8: {exc.reason}") from None
    try:
        with gc_paused():
            return _parse(text)
    except GenesisFileError as exc:
        raise GenesisFileError(f"genesis {os.fspath(path)}: {exc}") from None


def migration_mismatches(doc: GenesisDoc) -> list[str]:
    """The ways the migration record disagrees with the accounts in the same file."""
    info = doc.header.migration
    if info is None:
        return []
    problems: list[str] = []
    if info.holders != len(doc.accounts):
        problems.append(f"migration.holders is {info.holders} but genesis has {len(doc.accounts)} accounts")
    total = doc.total_balance
    if info.total != total:
        problems.append(f"migration.total is {info.total} but the accounts sum to {total}")
    return problems


def load_genesis(path: str | os.PathLike[str]) -> GenesisDoc:
    """Load a genesis for the node: schema-valid and internally consistent, or GenesisFileError."""
    doc = read_genesis(path)
    problems = migration_mismatches(doc)
    if problems:
        raise GenesisFileError(f"genesis {os.fspath(path)}: {'; '.join(problems)}")
    return doc
