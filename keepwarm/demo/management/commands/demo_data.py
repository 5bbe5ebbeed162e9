"""`keepwarm demo-data`: load a demo agency, relative to today, and print how to log in."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.demo import agency, sign_in


class Command(BaseCommand):
    help = (
        "Load a demo recruitment agency (5 consultants, ~60 clients, ~600 people, ~300 "
        "placements with two years of history) into an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=600, help="people in all (600)")
        parser.add_argument("--placements", type=int, default=300, help="placements (300)")
        parser.add_argument(
            "--companies", type=int, default=None, help="client companies (placements / 5)"
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="build the demo as of this date, YYYY-MM-DD (default today)",
        )
        parser.add_argument("--password", default=agency.PASSWORD, help="for every demo user")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete ALL people, companies, placements, touchpoints and mail, "
            "and the demo users (refused if the database has users of its own)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["placements"] < 1 or options["people"] < 1:
            raise CommandError("--people and --placements must be at least 1.")
        if options["reset"]:
            others = agency.non_demo_users()
            if others:
                raise CommandError(
                    "--reset only wipes a demo database, and this one has users of its own: "
                    f"{', '.join(sorted(others)[:5])}. Nothing was deleted."
                )
            agency.wipe()
        elif agency.demo_loaded():
            self.stdout.write(
                "The demo agency is already loaded; nothing changed. "
                "`keepwarm demo-data --reset` loads it afresh, as of today."
            )
            self.print_login(options["password"])
            return
        else:
            existing = agency.existing_data()
            if existing:
                found = ", ".join(f"{n} {name}" for name, n in existing.items())
                raise CommandError(
                    f"This database already holds data ({found}). Demo data only goes into "
                    "an empty database: point KEEPWARM_DATABASE_URL (or KEEPWARM_DATA_DIR) "
                    "somewhere new."
                )

        started = time.monotonic()
        try:
            report = agency.load(
                today=options["today"],
                people=options["people"],
                placements=options["placements"],
                companies=options["companies"],
                password=options["password"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        seconds = time.monotonic() - started
        summary = ", ".join(f"{n} {name}" for name, n in report.counts.items())
        self.stdout.write(
            f"Loaded {agency.AGENCY} as of {report.today:%d %B %Y} in {seconds:.1f} s: {summary}."
        )
        self.print_login(options["password"])

    def print_login(self, password: str) -> None:
        others = ", ".join(u for u, *_ in (*agency.USERS[1:], agency.ADMIN))
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in as {agency.USERNAME} / {password} (Sam Fletcher: consultant and team "
                f"manager, covering Tom this week)."
            )
        )
        self.stdout.write(
            f"Other users, same password: {others} (admin is the system administrator)."
        )
        self.stdout.write(sign_in.SECOND_FACTOR_NOTE)
