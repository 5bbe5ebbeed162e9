from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.ops.backup import BackupError, read_manifest, restore
from keepwarm.privacy.erasure import reapply_journal


class Command(BaseCommand):
    help = (
        "Replace this installation's data with the backup at PATH, then check every table's "
        "row count and checksum against the backup. Stop the web and the worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a file written by `keepwarm backup`")
        parser.add_argument(
            "--yes", action="store_true", help="do not ask before replacing the current data"
        )

    def handle(self, *args: Any, path: Path, yes: bool, **options: Any) -> None:
        try:
            manifest = read_manifest(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not yes and not self._confirmed(manifest):
            raise CommandError("Restore cancelled; nothing was changed.")
        try:
            report = restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not report.ok:
            raise CommandError(
                "The restore does not match the backup:\n  " + "\n  ".join(report.mismatches)
            )
        again = reapply_journal()
        if again:
            self.stdout.write(
                f"Re-applied {again} erasure{'s' if again != 1 else ''} made since the backup."
            )
        self.stdout.write(
            f"Restored {report.tables} tables ({report.rows:,} rows) "
            f"from the backup of {manifest['created_at']}; "
            "every row count and checksum matches the backup. Run `keepwarm migrate` if this "
            "version of Keepwarm is newer than the backup."
        )

    def _confirmed(self, manifest: dict[str, Any]) -> bool:
        answer = input(
            f"This replaces ALL current data with the backup taken {manifest['created_at']}. "
            "Type 'restore' to continue: "
        )
        return answer.strip() == "restore"
