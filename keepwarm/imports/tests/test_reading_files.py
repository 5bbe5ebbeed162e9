"""Files as agencies really send them: any delimiter, any encoding, CSV or XLSX."""

from __future__ import annotations

import codecs
import io
import resource
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from keepwarm.imports.fields import parse_date
from keepwarm.imports.reading import ImportFileError, open_table

ROWS = [
    ["First name", "Last name", "Email"],
    ["Zoë", "Brontë", "zoe@example.org"],
    ["Tom", "Ng", "tom@example.org"],
]


def write(
    path: Path, delimiter: str, encoding: str, bom: bool = False, newline: str = "\r\n"
) -> Path:
    text = newline.join(delimiter.join(row) for row in ROWS) + newline
    data = text.encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp1252", False)]
)
def test_delimiter_and_encoding_are_detected(
    tmp_path: Path, delimiter: str, encoding: str, bom: bool
) -> None:
    table, rows = open_table(write(tmp_path / "people.csv", delimiter, encoding, bom))
    assert table.headers == ROWS[0]
    assert table.delimiter == delimiter
    assert list(rows) == ROWS[1:]


def test_bullhorn_padded_headers_are_read_as_commas_not_spaces(tmp_path: Path) -> None:
    path = tmp_path / "Candidate.csv"
    path.write_text("firstName     ,lastName      ,address.city\n Ann , Lee , Hull \n")
    table, rows = open_table(path)
    assert (table.delimiter, table.headers) == (",", ["firstName", "lastName", "address.city"])
    assert list(rows) == [["Ann", "Lee", "Hull"]]


def test_xlsx_sheet_is_read_like_a_csv(tmp_path: Path) -> None:
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Start", "Salary"])
    sheet.append(["Zoë Brontë", dt.datetime(2026, 3, 2), 32000])
    path = tmp_path / "placements.xlsx"
    book.save(path)
    table, rows = open_table(path)
    assert table.headers == ["Name", "Start", "Salary"]
    assert list(rows) == [["Zoë Brontë", "2026-03-02 00:00:00", "32000"]]


def test_a_file_that_is_not_a_table_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        open_table(empty)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ImportFileError, match="NUL"):
        open_table(binary)
    fake = tmp_path / "book.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        open_table(fake)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=3000)
    | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_garbage_is_read_or_refused_with_a_message_never_a_crash(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(data)
    try:
        _table, rows = open_table(path)
        for row in rows:
            assert all(isinstance(cell, str) for cell in row)
    except ImportFileError as exc:
        assert str(exc)


@given(st.text(max_size=40), st.booleans())
@example("300000000000000", False)  # epoch milliseconds past the year 9999
@example("9" * 40, True)
@example("¹²³⁴⁵⁶⁷⁸⁹⁰¹²³", False)  # digits to str.isdigit, not to int()
def test_date_parsing_returns_a_date_or_a_value_error(text: str, month_first: bool) -> None:
    try:
        parse_date(text, month_first=month_first)
    except ValueError as exc:
        assert repr(text)[:10] in str(exc) or "not a date" in str(exc)


def test_bullhorn_dates_are_month_first_and_others_day_first() -> None:
    assert parse_date("1/31/16 0:00", month_first=True).isoformat() == "2016-01-31"
    assert parse_date("31/01/2016", month_first=False).isoformat() == "2016-01-31"
    assert parse_date("2016-01-31", month_first=True).isoformat() == "2016-01-31"
    with pytest.raises(ValueError, match="month/day/year"):
        parse_date("31/1/16", month_first=True)


# --- Workbooks that unpack to far more than they weigh (zip bombs) -----------------------


def _workbook_with_shared_strings(path: Path, write_strings: Callable[[IO[bytes]], None]) -> Path:
    """A real workbook from openpyxl whose xl/sharedStrings.xml is replaced."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name"])
    sheet.append(["Zoë"])
    original = io.BytesIO()
    book.save(original)
    with (
        zipfile.ZipFile(original) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for member in source.infolist():
            if member.filename != "xl/sharedStrings.xml":
                target.writestr(member, source.read(member))
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            write_strings(strings)
    return path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1 MB on disk; its one shared string is a gigabyte of zeros once unpacked."""

    def gigabyte_of_zeros(strings: IO[bytes]) -> None:
        strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        strings.write(b' count="2" uniqueCount="2"><si><t>Name</t></si><si><t>')
        zeros = b"0" * (1 << 20)
        for _ in range(1024):
            strings.write(zeros)
        strings.write(b"</t></si></sst>")

    path = tmp_path_factory.mktemp("bomb") / "people.xlsx"
    return _workbook_with_shared_strings(path, gigabyte_of_zeros)


def test_a_zip_bomb_workbook_is_refused_at_once_without_unpacking_it(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 1_500_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError) as refused:
            open_table(zip_bomb)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    peak_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before

    assert "people.xlsx unpacks to far more than a spreadsheet export does" in str(refused.value)
    assert "export it as CSV" in str(refused.value)
    assert python_peak < 5 * 1024 * 1024
    assert peak_growth < 20 * 1024


def test_a_zip_bomb_is_refused_from_its_directory_before_any_of_it_is_read(
    zip_bomb: Path, tmp_path: Path
) -> None:
    """The refusal comes from the sizes the archive declares: with the bomb's compressed
    bytes scrambled, unpacking any of it would fail differently, yet the message is the same."""
    scrambled = tmp_path / "people.xlsx"
    data = bytearray(zip_bomb.read_bytes())
    with zipfile.ZipFile(zip_bomb) as archive:
        member = archive.getinfo("xl/sharedStrings.xml")
    name_and_extra = data[member.header_offset + 26 : member.header_offset + 30]
    start = member.header_offset + 30 + int.from_bytes(name_and_extra[:2], "little")
    start += int.from_bytes(name_and_extra[2:], "little")
    data[start : start + member.compress_size] = bytes(member.compress_size)  # not deflate data
    scrambled.write_bytes(bytes(data))
    with zipfile.ZipFile(scrambled) as archive, pytest.raises((zipfile.BadZipFile, zlib.error)):
        archive.read("xl/sharedStrings.xml")  # unpacking it now fails

    with pytest.raises(ImportFileError) as refused:
        open_table(scrambled)
    assert "unpacks to far more than a spreadsheet export does" in str(refused.value)


def test_a_workbook_declaring_millions_of_shared_strings_is_refused(tmp_path: Path) -> None:
    def declared_hundreds_of_millions(strings: IO[bytes]) -> None:
        strings.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'count="900000000" uniqueCount="900000000"><si><t>Name</t></si>'
            b"<si><t>Zo\xc3\xab</t></si></sst>"
        )

    path = _workbook_with_shared_strings(tmp_path / "people.xlsx", declared_hundreds_of_millions)

    with pytest.raises(ImportFileError, match="declares 900,000,000 text cells"):
        open_table(path)


def test_an_ordinary_workbook_passes_the_size_checks(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Email"])
    for n in range(2000):
        sheet.append([f"Person {n}", f"person{n}@example.org"])
    book.save(tmp_path / "people.xlsx")

    table, rows = open_table(tmp_path / "people.xlsx")

    assert table.headers == ["Name", "Email"]
    assert sum(1 for _ in rows) == 2000
