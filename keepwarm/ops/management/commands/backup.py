from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write a consistent backup (database and uploaded files) to PATH while the app runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", type=Path, help="the backup file to write, e.g. backups/keepwarm.tar.gz"
        )

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            manifest = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            f"Backed up {len(manifest['tables'])} tables ({rows:,} rows) and "
            f"{manifest['media_files']} uploaded files from {manifest['engine']} to {path}"
        )
