"""README's tables stay true: commands, settings and dependencies, each listed once.

The command table is held to what `keepwarm help` lists for Keepwarm's own apps, the
variable table to the KEEPWARM_* variables the code reads (variables.py), and the
dependency table to the pins in requirements.txt and requirements-dev.txt.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

from django.apps import apps
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from keepwarm.cli import ALIASES
from keepwarm.ops.tests.variables import PACKAGE, variables_read

CHECKOUT = PACKAGE.parent
README = (CHECKOUT / "README.md").read_text()


def _table(header: str) -> list[list[str]]:
    """The rows of the table whose header row starts with `header`, up to its first gap.

    A blank line ends a Markdown table, so rows after one are not part of it (and render
    as loose text): they are not counted here either.
    """
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([cell.strip() for cell in cells])
    return rows


def _help_sections() -> dict[str, list[str]]:
    """`keepwarm help`'s commands by the app label it prints them under."""
    shown = subprocess.run(
        [sys.executable, "-m", "keepwarm.cli", "help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    sections: dict[str, list[str]] = {}
    label = ""
    for line in shown.splitlines():
        if match := re.fullmatch(r"\[(\S+)\]", line.strip()):
            label = match[1]
            sections[label] = []
        elif label and line.startswith("    ") and line.strip():
            sections[label].append(line.strip())
    return sections


def test_readme_lists_every_keepwarm_command_once_and_no_other() -> None:
    ours = {config.label for config in apps.get_app_configs() if config.name.startswith("keepwarm")}
    sections = _help_sections()
    commands = {command for label in ours for command in sections.get(label, [])}
    assert {"serve", "worker", "backup"} <= commands  # the help was read
    rows = _table("Command")
    own = [row[0] for row in rows if "Django's own" not in row[1]]
    typed = [re.match(r"`keepwarm ([\w-]+)(?: ([a-z]+))?", cell) for cell in own]
    assert all(typed), own
    names = [ALIASES.get(match[1], match[1]) for match in typed if match]
    assert sorted(set(names)) == sorted(commands)
    # A command is listed once, or once per subcommand (`import bullhorn`, `import csv`).
    listed = Counter((match[1], match[2]) for match in typed if match)
    assert [key for key, count in listed.items() if count > 1] == []


def test_readmes_django_commands_are_djangos_own() -> None:
    row = next(row for row in _table("Command") if "Django's own" in row[1])
    named = re.findall(r"`(?:keepwarm )?([a-z_]+)", row[0])
    django_commands = {
        command
        for label, found in _help_sections().items()
        if label == "django" or not apps.get_app_config(label).name.startswith("keepwarm")
        for command in found
    }
    assert set(named) <= django_commands, set(named) - django_commands


def test_readme_lists_every_setting_once_and_only_those_read() -> None:
    listed = [re.fullmatch(r"`(KEEPWARM_[A-Z0-9_]+)`", row[0]) for row in _table("Variable")]
    assert all(listed)
    names = [match[1] for match in listed if match]
    assert [name for name, count in Counter(names).items() if count > 1] == []
    read = variables_read()
    assert sorted(read - set(names)) == [], "read by Keepwarm but missing from README"
    assert sorted(set(names) - read) == [], "listed in README but read nowhere"


def test_env_example_shows_every_setting() -> None:
    example = (CHECKOUT / ".env.example").read_text()
    shown = set(re.findall(r"^#? ?(KEEPWARM_[A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert sorted(variables_read() - shown) == []


def test_readme_explains_every_pinned_dependency_once() -> None:
    explained = [
        canonicalize_name(part.strip().split()[0])
        for row in _table("Package")
        for part in row[0].split(",")
    ]
    assert [name for name, count in Counter(explained).items() if count > 1] == []
    pinned = set()
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (CHECKOUT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                pinned.add(canonicalize_name(Requirement(line).name))
    assert sorted(pinned - set(explained)) == [], "pinned but not in README's Dependencies"
    assert sorted(set(explained) - pinned) == [], "in README's Dependencies but not pinned"
