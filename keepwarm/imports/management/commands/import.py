"""`keepwarm import bullhorn DIR [--dry-run]` and `keepwarm import csv FILE --entity …`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.accounts.models import User
from keepwarm.imports import services
from keepwarm.imports.fields import FIELDS, guess_mapping
from keepwarm.imports.forms import CSV_ENTITIES
from keepwarm.imports.models import ImportRun, RowResult, Source
from keepwarm.imports.reading import ImportFileError, open_table


class Command(BaseCommand):
    help = "Import people, companies, job orders, placements and notes from Bullhorn or a CSV/XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True, metavar="{bullhorn,csv}")
        bullhorn = sub.add_parser("bullhorn", help="a folder of Bullhorn data loader CSV files")
        bullhorn.add_argument("folder", metavar="DIR")
        other = sub.add_parser("csv", help="one CSV or XLSX file of one kind of record")
        other.add_argument("file", metavar="FILE")
        other.add_argument("--entity", required=True, choices=[e for e, _ in CSV_ENTITIES])
        other.add_argument(
            "--mapping", default="", help="use the column mapping saved under this name"
        )
        other.add_argument(
            "--save-mapping", default="", metavar="NAME", help="remember the mapping under NAME"
        )
        for each in (bullhorn, other):
            each.add_argument(
                "--dry-run", action="store_true", help="report what would happen, write nothing"
            )
            each.add_argument(
                "--as",
                dest="username",
                default="",
                help="the user who owns unowned records (default: the first admin)",
            )
            each.add_argument(
                "--queue",
                action="store_true",
                help="leave the run to the worker instead of running it now",
            )
            # Subcommand parsers don't inherit Django's common options.
            each.add_argument("--verbosity", "-v", type=int, default=1, choices=[0, 1, 2, 3])
            each.add_argument("--settings")
            each.add_argument("--pythonpath")
            each.add_argument("--traceback", action="store_true")
            each.add_argument("--no-color", action="store_true")
            each.add_argument("--force-color", action="store_true")
            each.add_argument("--skip-checks", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        by = None
        if options["username"]:
            by = User.objects.filter(username=options["username"]).first()
            if by is None:
                raise CommandError(f"No user called {options['username']!r}.")
        try:
            if options["kind"] == "bullhorn":
                run = self._bullhorn(options, by)
            else:
                run = self._csv(options, by)
            if options["queue"]:
                self.stdout.write(f"Import #{run.pk} queued; the worker runs it.")
                return
            run = services.run_now(run)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self._report(run)
        if run.state == ImportRun.State.FAILED:
            raise CommandError(run.error)

    def _bullhorn(self, options: dict[str, Any], by: User | None) -> ImportRun:
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        files, skipped = services.bullhorn_files(sorted(folder.iterdir()))
        for name in skipped:
            self.stdout.write(f"Skipping {name}: not a Bullhorn entity file.")
        if not files:
            raise CommandError(
                f"No Bullhorn files in {folder} (expected Candidate.csv, ClientCorporation.csv, "
                "ClientContact.csv, JobOrder.csv, Placement.csv or Note.csv)."
            )
        return services.start_import(
            source=Source.BULLHORN, files=files, by=by, dry_run=options["dry_run"]
        )

    def _csv(self, options: dict[str, Any], by: User | None) -> ImportRun:
        path = Path(options["file"])
        entity = options["entity"]
        table, rows = open_table(path)
        getattr(rows, "close", lambda: None)()
        mapping = services.remembered_mapping(entity, table.headers, options["mapping"])
        if mapping is None and options["mapping"]:
            raise CommandError(f"No saved mapping called {options['mapping']!r} for {entity}.")
        mapping = mapping or guess_mapping(entity, table.headers)
        if not mapping:
            raise CommandError(
                f"None of the columns of {path.name} matches a field; map them on the import page "
                "or save a mapping there and use --mapping NAME."
            )
        labels = FIELDS[entity]
        for header in table.headers:
            field = mapping.get(header)
            self.stdout.write(f"  {header!r} -> {labels[field] if field else '(ignored)'}")
        services.remember_mapping(
            entity=entity, headers=table.headers, mapping=mapping, name=options["save_mapping"]
        )
        files = [{"entity": entity, "path": str(path.resolve()), "name": path.name}]
        return services.start_import(
            source=Source.CSV, files=files, by=by, dry_run=options["dry_run"], mapping=mapping
        )

    def _report(self, run: ImportRun) -> None:
        what = "Dry run, nothing written" if run.dry_run else "Imported"
        self.stdout.write(
            f"{what}: {run.created} created, {run.updated} updated, {run.merged} merged, "
            f"{run.unchanged} unchanged, {run.rejected} rejected (import #{run.pk})."
        )
        rejected = run.rows.filter(outcome=RowResult.Outcome.REJECTED)[:50]
        for row in rejected:
            self.stdout.write(f"  rejected {row.file_name} line {row.line}: {row.reason}")
        if run.rejected > 50:
            self.stdout.write(f"  … and {run.rejected - 50} more; see the import page.")
