"""`keepwarm api-token USERNAME [--name NAME]`: print a new personal API token, once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = (
        "Create a personal API token for USERNAME and print it. Only its digest is "
        "stored, so copy it now: it cannot be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label, e.g. the script using it.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}; check the username.")
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated; reactivate them first.")
        if len(name) > 100:  # ApiToken.name
            raise CommandError("--name is too long (at most 100 characters).")
        _, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(raw)
        self.stderr.write(
            f"Token for {user.username} created. Send it as 'Authorization: Bearer <token>'; "
            "it will not be shown again."
        )
