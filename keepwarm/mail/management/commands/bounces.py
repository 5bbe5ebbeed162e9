"""keepwarm bounces [PATH ...]: record bounce messages and spam complaints from files.

For plain SMTP: point the bounce mailbox at a file per message (maildir) and run this on
it, or pipe one message in (`keepwarm bounces < message.eml`, e.g. from a .forward or
procmail). A directory is read file by file; "-" or no path reads standard input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.mail.bounces import process_report


class Command(BaseCommand):
    help = "Record bounce messages (RFC 3464) and complaints (ARF) from files or stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="files or directories; '-' for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        sources = options["paths"] or ["-"]
        seen = recorded = 0
        for name, raw in self._messages(sources):
            seen += 1
            result = process_report(raw)
            if not result.recognised:
                self.stdout.write(f"{name}: not a bounce or complaint report, skipped")
                continue
            for report in result.reports:
                recorded += 1
                self.stdout.write(f"{name}: {report.kind} {report.recipient} {report.detail}")
            if not result.reports:
                self.stdout.write(f"{name}: a delay or delivery notice, nothing to record")
        self.stdout.write(f"{seen} messages read, {recorded} bounces or complaints recorded")

    def _messages(self, sources: list[str]) -> Any:
        for source in sources:
            if source == "-":
                yield "stdin", sys.stdin.buffer.read()
                continue
            path = Path(source)
            if path.is_dir():
                for child in sorted(p for p in path.rglob("*") if p.is_file()):
                    yield str(child), child.read_bytes()
            elif path.is_file():
                yield str(path), path.read_bytes()
            else:
                raise CommandError(f"No such file or directory: {source}")
