"""OKB snapshot parsing: both formats, exact decimals, and every bad row reported in one run."""

import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okchain.crypto.address import to_checksum
from okchain.genesis.document import MAX_BALANCE
from okchain.genesis.eip55 import checksum_many
from okchain.genesis.migrate import migrate_snapshot
from okchain.genesis.snapshot import (
    MAX_REPORTED_ERRORS,
    RowError,
    SnapshotError,
    SnapshotReader,
    format_okb_decimal,
    load_snapshot,
    parse_base_units,
    parse_okb_decimal,
)

OKB = 10**18
ETHERSCAN_HEADER = '"HolderAddress","Balance","PendingBalanceUpdate"'
HARDHAT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
HARDHAT_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def addr(n: int) -> str:
    return "0x" + n.to_bytes(20, "big").hex()


def raw(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def flip_case(name: str) -> str:
    """The same address with one letter's case flipped: a broken EIP-55 checksum."""
    i = next(i for i, c in enumerate(name) if i > 1 and c.isalpha())
    return name[:i] + name[i].swapcase() + name[i + 1 :]


def write(tmp_path: Path, lines: list[str], name: str = "snap.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def etherscan(rows: list[tuple[str, str]]) -> list[str]:
    return [ETHERSCAN_HEADER, *(f'"{a}","{b}","No"' for a, b in rows)]


def test_etherscan_decimals_convert_exactly(tmp_path: Path) -> None:
    rows = [
        (HARDHAT_0, "1000000"),
        (HARDHAT_1, "0.000000000000000001"),
        (addr(1), "123.123456789012345678"),  # the full 18 decimals
        (addr(2), "0.1"),
        (addr(3), "007.50"),
    ]
    snap = load_snapshot(write(tmp_path, ["# SYNTHETIC", *etherscan(rows)]))
    assert snap.balances == {
        raw(HARDHAT_0): 1_000_000 * OKB,
        raw(HARDHAT_1): 1,
        raw(addr(1)): 123_123456789012345678,
        raw(addr(2)): OKB // 10,
        raw(addr(3)): 7 * OKB + OKB // 2,
    }
    s = snap.summary
    assert (s.format, s.holders, s.zero_balances_skipped, s.file_name) == ("etherscan", 5, 0, "snap.csv")
    assert s.total == sum(snap.balances.values())


def test_plain_format_is_integer_base_units(tmp_path: Path) -> None:
    path = write(tmp_path, ["address,amount", f"{HARDHAT_0},1", f"{addr(7)},{MAX_BALANCE}"])
    snap = load_snapshot(path)
    assert snap.summary.format == "plain"
    assert snap.balances == {raw(HARDHAT_0): 1, raw(addr(7)): MAX_BALANCE}


def test_sha256_covers_the_exact_file_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, ["# comment counts too", *etherscan([(addr(1), "1")])])
    assert load_snapshot(path).summary.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_crlf_bom_blank_lines_spacing_and_unquoted_rows(tmp_path: Path) -> None:
    text = "\ufeff# c\r\n" + ETHERSCAN_HEADER + "\r\n\r\n" + f'"{addr(1)}", "2.5" ,"No"\r\n{addr(2)},3,No'
    path = tmp_path / "crlf.csv"
    path.write_bytes(text.encode("utf-8"))  # no final newline either
    snap = load_snapshot(path)
    assert snap.balances == {raw(addr(1)): 2 * OKB + OKB // 2, raw(addr(2)): 3 * OKB}


def test_zero_balances_are_skipped_and_counted(tmp_path: Path) -> None:
    snap = load_snapshot(write(tmp_path, etherscan([(addr(1), "0"), (addr(2), "0.000"), (addr(3), "1")])))
    assert snap.balances == {raw(addr(3)): OKB}
    assert (snap.summary.holders, snap.summary.zero_balances_skipped) == (1, 2)


def test_pending_balance_updates_are_counted(tmp_path: Path) -> None:
    path = write(tmp_path, [ETHERSCAN_HEADER, f'"{addr(1)}","1","Yes"', f'"{addr(2)}","1","No"'])
    assert load_snapshot(path).summary.pending_updates == 1


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path: Path) -> None:
    bad_checksum = flip_case(HARDHAT_1)
    lines = [
        "# SYNTHETIC test file",  # 1
        ETHERSCAN_HEADER,  # 2
        f'"{HARDHAT_0}","1","No"',  # 3
        '"0xzz9fd6e51aad88f6f4ce6ab8827279cfffb92266","1","No"',  # 4 bad hex
        '"0x1234","1","No"',  # 5 wrong length
        f'"{bad_checksum}","1","No"',  # 6 bad EIP-55 checksum
        f'"{addr(1)}","-1","No"',  # 7 negative
        f'"{addr(2)}","1.0000000000000000001","No"',  # 8 nineteen decimals
        f'"{addr(3)}","ten","No"',  # 9 non-numeric
        f'"{addr(4)}","1"',  # 10 wrong column count
        f'"{HARDHAT_0.lower()}","2","No"',  # 11 duplicate of line 3
        f'"{addr(5)}","1e18","No"',  # 12 scientific notation is not a decimal
        f'"{addr(6)}","1","No"',  # 13 fine
    ]
    path = write(tmp_path, lines)
    out = tmp_path / "genesis.json"
    with pytest.raises(SnapshotError) as caught:
        migrate_snapshot(path, "okchain-test-1", out)
    by_line = {e.line: e.reason for e in caught.value.errors}
    assert sorted(by_line) == [4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "not hexadecimal" in by_line[4]
    assert "40 hex digits" in by_line[5]
    assert "EIP-55" in by_line[6] and f"expected {HARDHAT_1}" in by_line[6]
    assert "negative" in by_line[7]
    assert "19 decimal places" in by_line[8]
    assert "not a decimal number" in by_line[9] and "not a decimal number" in by_line[12]
    assert "expected 3 columns, got 2" in by_line[10]
    assert "duplicate" in by_line[11] and "line 3" in by_line[11]
    message = str(caught.value)
    assert "line 11: duplicate" in message and "nothing was written" in message
    assert sorted(os.listdir(tmp_path)) == ["snap.csv"]  # no genesis, no temp file left behind


def test_bad_plain_rows(tmp_path: Path) -> None:
    lines = [
        "address,amount",
        f"{addr(1)},1.5",
        f"{addr(2)},-3",
        f"{addr(3)},x",
        f"{addr(4)},{MAX_BALANCE + 1}",
    ]
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(write(tmp_path, lines))
    reasons = [e.reason for e in caught.value.errors]
    assert [e.line for e in caught.value.errors] == [2, 3, 4, 5]
    assert "decimal point" in reasons[0] and "negative" in reasons[1]
    assert "not an integer" in reasons[2] and "2**256-1" in reasons[3]


def test_existing_output_survives_a_failed_migration(tmp_path: Path) -> None:
    out = tmp_path / "genesis.json"
    out.write_text("previous genesis")
    with pytest.raises(SnapshotError):
        migrate_snapshot(write(tmp_path, etherscan([(addr(1), "abc")])), "okchain-test-1", out)
    assert out.read_text() == "previous genesis"


def test_error_list_is_capped_but_complete(tmp_path: Path) -> None:
    count = MAX_REPORTED_ERRORS + 5
    path = write(tmp_path, etherscan([(addr(i + 1), "-1") for i in range(count)]))
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(path)
    assert len(caught.value.errors) == count
    assert str(caught.value).endswith("... and 5 more")
    assert caught.value.errors[-1] == RowError(count + 1, "negative balance '-1'")


def test_duplicate_reported_even_when_first_copy_is_a_zero_row(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(write(tmp_path, etherscan([(addr(1), "0"), (addr(1), "5")])))
    assert caught.value.errors == (RowError(3, f"duplicate address {addr(1)}: also on line 2"),)


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        ([], "no header"),
        (["# only comments"], "no header"),
        (["addr,amt", f"{addr(1)},1"], "unrecognised header"),
        ([f"{addr(1)},1"], "unrecognised header"),  # the plain header is required
    ],
)
def test_missing_or_unknown_header(tmp_path: Path, lines: list[str], needle: str) -> None:
    with pytest.raises(SnapshotError, match=needle):
        load_snapshot(write(tmp_path, lines))


def test_missing_file_is_a_snapshot_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        load_snapshot(tmp_path / "nope.csv")


def test_invalid_utf8_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(
        b"address,amount\n" + addr(1).encode() + b",1\n\xff\xfe,1\n" + addr(2).encode() + b",2\n"
    )
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(path)
    assert [e.line for e in caught.value.errors] == [3]
    assert "UTF-8" in caught.value.errors[0].reason


def test_reader_streams_rows_in_file_order(tmp_path: Path) -> None:
    reader = SnapshotReader(
        write(tmp_path, ["address,amount", f"{addr(9)},9", f"{addr(1)},0", f"{addr(3)},3"])
    )
    assert [(r.line, r.address, r.amount) for r in reader] == [(2, raw(addr(9)), 9), (4, raw(addr(3)), 3)]
    assert reader.errors == []
    assert reader.summary().zero_balances_skipped == 1


def test_checksum_errors_span_batches(tmp_path: Path) -> None:
    """EIP-55 checks run in batches; a bad one in a later batch still names its own line."""
    good = checksum_many([hashlib.sha256(i.to_bytes(4, "big")).digest()[:20] for i in range(20_000)])
    bad_index = 18_000
    good[bad_index] = flip_case(good[bad_index])
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(write(tmp_path, ["address,amount", *(f"{a},1" for a in good)]))
    assert [e.line for e in caught.value.errors] == [bad_index + 2]


def test_decimal_parsers_refuse_what_they_should() -> None:
    assert parse_okb_decimal("0.000000000000000001") == 1
    assert parse_okb_decimal("1.000000000000000000") == OKB
    for text in ("", ".5", "1.", "+1", "1,5", " 1", "٣", "NaN", "1e3", "0x10"):
        with pytest.raises(ValueError):
            parse_okb_decimal(text)
    assert parse_base_units("000") == 0
    with pytest.raises(ValueError):
        parse_base_units("9" * 100)


@given(st.integers(min_value=0, max_value=MAX_BALANCE))
def test_format_then_parse_is_exact(amount: int) -> None:
    text = format_okb_decimal(amount)
    assert parse_okb_decimal(text) == amount
    whole, _, frac = text.partition(".")
    assert parse_okb_decimal(f"{whole}.{frac.ljust(18, '0')}") == amount  # trailing zeros too


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.binary(min_size=20, max_size=20), st.integers(0, 10**30), min_size=1, max_size=40))
def test_random_balances_written_as_decimals_read_back_exactly(balances: dict[bytes, int]) -> None:
    names = dict(zip(balances, checksum_many(list(balances)), strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            (names[a] if i % 2 else "0x" + a.hex(), format_okb_decimal(v))
            for i, (a, v) in enumerate(balances.items())
        ]
        snap = load_snapshot(write(Path(tmp), etherscan(rows)))
    assert snap.balances == {a: v for a, v in balances.items() if v}
    assert snap.summary.zero_balances_skipped == sum(1 for v in balances.values() if not v)
    assert snap.summary.total == sum(balances.values())


@settings(max_examples=50)
@given(st.lists(st.binary(min_size=20, max_size=20), max_size=50))
def test_batched_checksums_match_the_reference(addresses: list[bytes]) -> None:
    assert checksum_many(addresses) == [to_checksum(a) for a in addresses]


def test_batched_checksums_match_the_reference_across_batches() -> None:
    addresses = [i.to_bytes(20, "big") for i in range(0, 40_000, 1)]
    picked = list(range(0, 40_000, 997))
    got = checksum_many(addresses)
    assert [got[i] for i in picked] == [to_checksum(addresses[i]) for i in picked]
    assert got[0] == "0x0000000000000000000000000000000000000000"
    assert checksum_many([raw(HARDHAT_0.lower())]) == [HARDHAT_0]
