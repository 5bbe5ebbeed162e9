"""Files as agencies really send them: any delimiter, any encoding, CSV or XLSX."""

from __future__ import annotations

import codecs
from pathlib import Path

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
