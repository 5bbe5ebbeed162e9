"""`keepwarm`: the command line, a superset of manage.py."""

import os
import sys

# Django names commands after modules, so with underscores; people type hyphens.
ALIASES = {"demo-data": "demo_data", "api-token": "api_token"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepwarm.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
