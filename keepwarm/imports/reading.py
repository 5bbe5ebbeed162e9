"""Reading a table from a CSV or XLSX file a row at a time, whatever its encoding and delimiter.

Spreadsheets and ATS exports arrive as UTF-8 with or without a byte-order mark, or as
Windows-1252 from Excel; separated by commas, semicolons (Excel in most of Europe) or tabs.
The stdlib's csv.Sniffer guesses a space on Bullhorn's padded headers, so the delimiter is
chosen by which candidate splits the first lines into the most, equally long, rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
# Beyond this a "cell" is a broken file (an unclosed quote swallowing the rest), not data.
MAX_CELL = 100_000
MAX_COLUMNS = 1_000
# A workbook is a zip of XML: these are read from its directory before anything is
# decompressed, so a small file that unpacks to gigabytes (a zip bomb) is refused at once.
# Real exports unpack to 5-20 times their size; zeros or one repeated cell reach 1,000.
XLSX_MAX_UNPACKED = 500 * 1024 * 1024
XLSX_MAX_RATIO = 100
XLSX_MAX_MEMBERS = 10_000
# openpyxl holds every shared string in memory at once (the sheet itself it streams).
XLSX_MAX_SHARED_STRINGS = 2_000_000
XLSX_MAX_STRING_CELLS = 50_000_000
SST_HEAD_BYTES = 4096


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why in a user's words."""


class UploadTooLarge(ImportFileError):
    """The file is larger than KEEPWARM_UPLOAD_MAX_MB; nothing of it is kept."""


@dataclass
class Table:
    headers: list[str]
    encoding: str
    delimiter: str
    kind: str  # "csv" or "xlsx"


def detect_encoding(path: Path) -> str:
    """utf-8-sig when the file starts with a BOM, utf-8 when every byte decodes, else cp1252
    (what Excel writes on Windows), else latin-1 (which decodes anything)."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        windows = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := handle.read(1 << 20):
                windows.decode(chunk)
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's complete lines into the most equal rows."""
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut the last line short
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines[:50], delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        agreeing = sum(1 for r in rows if len(r) == width)
        # Rows that agree with the header first, then more columns.
        score = (agreeing if width > 1 else 0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm") or zipfile.is_zipfile(path)


def clean_header(value: object) -> str:
    return " ".join(str(value if value is not None else "").split())


def open_table(path: Path) -> tuple[Table, Iterator[list[str]]]:
    """The header row and an iterator over the data rows (lists of stripped strings).

    Raises ImportFileError for anything that is not a table, now or while iterating.
    """
    if not path.is_file():
        raise ImportFileError(f"{path.name}: no such file.")
    if is_xlsx(path):
        return _open_xlsx(path)
    return _open_csv(path)


def _open_csv(path: Path) -> tuple[Table, Iterator[list[str]]]:
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="", errors="replace") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ImportFileError(f"{path.name} is empty.")
    if "\x00" in sample:
        raise ImportFileError(f"{path.name} is not a text file (it contains NUL bytes).")
    delimiter = detect_delimiter(sample)
    with path.open("r", encoding=encoding, newline="", errors="replace") as handle:
        try:
            headers = [clean_header(h) for h in next(csv.reader(handle, delimiter=delimiter))]
        except (csv.Error, StopIteration) as exc:
            raise ImportFileError(
                f"{path.name}: the first line is not a header row ({exc})."
            ) from exc
    _check_headers(path, headers)
    table = Table(headers=headers, encoding=encoding, delimiter=delimiter, kind="csv")
    return table, _csv_rows(path, encoding, delimiter)


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[list[str]]:
    # The file opens when iteration starts, so a table only looked at leaves nothing open.
    with path.open("r", encoding=encoding, newline="", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader, None)  # the header row
            for row in reader:
                # max(map(len, ...)) runs in C: this loop reads every row of every file twice.
                if len(row) > MAX_COLUMNS or (row and max(map(len, row)) > MAX_CELL):
                    raise ImportFileError(
                        f"{path.name}: a cell near line {reader.line_num} is too long; "
                        "a quote is probably not closed."
                    )
                if "\x00" in "".join(row):
                    raise ImportFileError(f"{path.name} contains NUL bytes; it is not a text file.")
                yield [cell.strip() for cell in row]
        except csv.Error as exc:
            raise ImportFileError(f"{path.name} is not a readable CSV file: {exc}.") from exc


def _check_headers(path: Path, headers: list[str]) -> None:
    if not any(headers):
        raise ImportFileError(f"{path.name}: the first line has no column names.")
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(f"{path.name} has more than {MAX_COLUMNS} columns.")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _first_sheet_rows(path: Path) -> tuple[Any, Iterator[tuple[Any, ...]]]:
    # openpyxl's read-only mode streams the sheet's XML instead of loading the workbook.
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a zip that is not a workbook, a corrupt sheet…
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook ({exc}).") from exc
    if not book.worksheets:
        book.close()
        raise ImportFileError(f"{path.name} has no sheets.")
    return book, book.worksheets[0].iter_rows(values_only=True)


def check_xlsx_size(path: Path) -> None:
    """Refuse a workbook whose zip directory declares more than a real export unpacks to.

    Reads the central directory and the first few kilobytes of the shared strings, never
    a whole member, so it takes milliseconds and no memory whatever the file claims.
    """
    refused = (
        f"{path.name} unpacks to far more than a spreadsheet export does, so it is not "
        "imported. Save it again from your spreadsheet program, or export it as CSV."
    )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS:
                raise ImportFileError(refused)
            if sum(m.file_size for m in members) > XLSX_MAX_UNPACKED:
                raise ImportFileError(refused)
            for member in members:
                if member.file_size > XLSX_MAX_RATIO * max(member.compress_size, 1024):
                    raise ImportFileError(refused)
            for member in members:
                if member.filename.lower().endswith("sharedstrings.xml"):
                    _check_shared_strings(path, archive, member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook ({exc}).") from exc


def _check_shared_strings(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    with archive.open(member) as handle:
        head = handle.read(SST_HEAD_BYTES).decode("utf-8", "replace")
    declared = {
        name: int(value)
        for name, value in re.findall(r'\b(count|uniqueCount)\s*=\s*["\'](\d{1,20})["\']', head)
    }
    if (
        declared.get("uniqueCount", 0) > XLSX_MAX_SHARED_STRINGS
        or declared.get("count", 0) > XLSX_MAX_STRING_CELLS
    ):
        raise ImportFileError(
            f"{path.name} declares {max(declared.values()):,} text cells, more than Keepwarm "
            "reads from one workbook. Split it, or export it as CSV."
        )


def _open_xlsx(path: Path) -> tuple[Table, Iterator[list[str]]]:
    check_xlsx_size(path)
    book, rows = _first_sheet_rows(path)
    try:
        first = next(rows, None)
    except Exception as exc:
        raise ImportFileError(f"{path.name} is not a readable XLSX workbook ({exc}).") from exc
    finally:
        book.close()
    if first is None:
        raise ImportFileError(f"{path.name} is empty.")
    headers = [clean_header(h) for h in first]
    while headers and not headers[-1]:
        headers.pop()
    _check_headers(path, headers)
    return Table(headers=headers, encoding="", delimiter="", kind="xlsx"), _xlsx_rows(
        path, len(headers)
    )


def _xlsx_rows(path: Path, width: int) -> Iterator[list[str]]:
    book, rows = _first_sheet_rows(path)
    try:
        next(rows, None)  # the header row
        for row in rows:
            yield [_cell(v) for v in row[:width]]
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(f"{path.name}: a sheet row could not be read ({exc}).") from exc
    finally:
        book.close()


def read_head(path: Path, rows: int = 5) -> tuple[Table, list[list[str]]]:
    """The header and the first few rows, for the column-mapping screen."""
    table, data = open_table(path)
    sample: list[list[str]] = []
    for row in data:
        sample.append(row)
        if len(sample) >= rows:
            break
    close = getattr(data, "close", None)
    if close is not None:
        close()
    return table, sample


def count_rows(path: Path) -> int:
    """Data rows in the file (blank lines excluded), for the progress bar."""
    _, data = open_table(path)
    return sum(1 for row in data if any(row))
