"""`keepwarm adduser USERNAME --role ROLE --email EMAIL`: add a colleague who can sign in."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from keepwarm.accounts import services
from keepwarm.accounts.models import User


class Command(BaseCommand):
    help = (
        "Add a user with a role. Without --password-stdin a password is made up and "
        "printed once; they can change it under My account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(User.Role.values)}.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input "
            "(kept out of the shell history and the process list).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = ""
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin was given but standard input is empty.")
        try:
            user, generated = services.create_user(
                username=options["username"],
                email=options["email"],
                role=options["role"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                phone=options["phone"],
                password=password,
            )
        except ValidationError as exc:
            raise CommandError(
                " ".join(
                    f"--{field}: {message}" if field != "username" else message
                    for field, messages in exc.message_dict.items()
                    for message in messages
                )
            ) from exc
        if generated:
            self.stdout.write(generated)
            self.stderr.write(
                f"Added {user.username} ({user.get_role_display()}). Their password is above; "
                "it will not be shown again."
            )
        else:
            self.stderr.write(f"Added {user.username} ({user.get_role_display()}).")
