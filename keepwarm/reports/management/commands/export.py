"""`keepwarm export LIST --as USERNAME`: a staff list as CSV, XLSX or JSON, from the server.

The rows are the download's (reports/list_exports.py): the same columns, the same filters
(`--filter status=active`, as the page's `?status=active`) and only what USERNAME may see
on the page. The export is on the audit trail under that user, as a download would be.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import Actor, acting_as, record
from keepwarm.lib.exports import FORMATS, write_export
from keepwarm.reports.list_exports import LISTS


class Command(BaseCommand):
    help = (
        "Write a staff list (people, companies, placements, due, alerts, referrals, leads) "
        "as CSV, XLSX or JSON, as USERNAME sees it on the page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("list", choices=sorted(LISTS), help="which list")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="whose view of the list: they must be able to sign in; the audit trail names them",
        )
        parser.add_argument("--format", choices=FORMATS, default="csv", help="default csv")
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            help="the file to write (readable by you alone); default standard output",
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a filter of the list's page, e.g. status=active or role=candidate",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name, fmt = options["list"], options["format"]
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {options['username']!r}.")
        params = _filters(options["filter"])
        header, rows = LISTS[name](user, params)
        counted = _Counted(rows)
        with acting_as(Actor(user=user, path=f"keepwarm export {name}")):
            record(AuditEntry.Action.EXPORTED, object_type="list_export", object_repr=name)
        output: Path | None = options["output"]
        if output is None:
            if fmt == "xlsx" and sys.stdout.isatty():
                raise CommandError("An XLSX file is not for a terminal: add --output FILE.xlsx")
            self._write(sys.stdout.buffer, fmt, name, header, counted)
            sys.stdout.flush()
        else:
            # Personal data: the file is its owner's alone from the moment it exists.
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                self._write(out, fmt, name, header, counted)
            self.stderr.write(f"{counted.count} rows of {name} written to {output}")

    def _write(
        self, out: BinaryIO, fmt: str, name: str, header: list[str], rows: Iterable[Any]
    ) -> None:
        self.stdout.flush()
        write_export(out, fmt, name=name, header=header, rows=rows)


def _filters(given: Sequence[str]) -> dict[str, str]:
    params = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--filter takes NAME=VALUE, e.g. status=active; got {item!r}")
        params[key.strip()] = value.strip()
    return params


class _Counted:
    """The rows, counted as they stream past."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for row in self.rows:
            self.count += 1
            yield row
