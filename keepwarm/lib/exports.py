"""Lists and report figures as CSV, XLSX or JSON downloads, safe to open in a spreadsheet.

A cell that begins with = + - @, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets, so a person named "=HYPERLINK(...)" could run
something on the recruiter's machine (OWASP "CSV injection"). Text cells that begin
with one of those get a leading apostrophe, which spreadsheets show as plain text.
Numbers, dates and booleans are written as what they are and cannot be formulas.

The writers stream: CSV and JSON a line at a time, XLSX through openpyxl's write-only
mode, so exporting a 100k-row list holds one row in memory, not the list. JSON is for
programs, not spreadsheets: values stay as they are (money as exact strings, times with
their offset), keyed by the column names in snake_case.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, BinaryIO

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx", "json")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | Decimal | dt.date | dt.datetime | bool | None


def neutralise(text: str) -> str:
    """Text a spreadsheet will show, never evaluate."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _plain(value: Any) -> Cell:
    """A cell value: numbers, dates and booleans as they are, anything else as safe text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        # Spreadsheets have no time zones: the agency's local time, without the offset.
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return neutralise(str(value))


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, a line at a time, with a BOM so Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([_csv_text(_plain(v)) for v in row])


def json_key(heading: str) -> str:
    """ "Last contacted" -> "last_contacted"."""
    words = "".join(c.lower() if c.isalnum() else " " for c in heading).split()
    return "_".join(words) or "column"


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)  # exact, as the API writes money
    if isinstance(value, dt.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def json_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A JSON array of one object per row, a row a line."""
    keys = [json_key(h) for h in header]
    yield "["
    for n, row in enumerate(rows):
        item = dict(zip(keys, (_json_value(v) for v in row), strict=True))
        yield ("," if n else "") + "\n" + json.dumps(item, ensure_ascii=False)
    yield "\n]\n"


def write_export(
    out: BinaryIO, fmt: str, *, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write `rows` to a binary file in `fmt` (csv, xlsx or json)."""
    if fmt == "xlsx":
        write_xlsx(out, header, rows, title=name)
        return
    lines = json_lines(header, rows) if fmt == "json" else csv_lines(header, rows)
    for line in lines:
        out.write(line.encode())


def write_xlsx(
    out: Any, header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export"
) -> None:
    """Write one worksheet to `out` (a path or a binary file object)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(title))
    sheet.append([neutralise(h) for h in header])
    for row in rows:
        sheet.append([_plain(v) for v in row])
    book.save(out)


def _sheet_title(title: str) -> str:
    # Excel's limits: 31 characters, none of []:*?/\
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return (cleaned or "Export")[:31]


def _filename(name: str, fmt: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "export"
    return f"{safe}-{timezone.localdate():%Y-%m-%d}.{fmt}"


def export_response(
    fmt: str, *, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """A download of `rows` as CSV, XLSX or JSON (`fmt`), named `<name>-<date>.<fmt>`."""
    filename = _filename(name, fmt)
    if fmt == "xlsx":
        # openpyxl writes rows to a temporary file as they come; the response streams it.
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        write_xlsx(spool, header, rows, title=name)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    if fmt == "json":
        response = StreamingHttpResponse(json_lines(header, rows), content_type="application/json")
    else:
        response = StreamingHttpResponse(
            csv_lines(header, rows), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV as one string (small exports and tests)."""
    buffer = io.StringIO()
    for line in csv_lines(header, rows):
        buffer.write(line)
    return buffer.getvalue()
