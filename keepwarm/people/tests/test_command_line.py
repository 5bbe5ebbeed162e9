"""The `keepwarm` command line: hyphenated aliases and `serve`'s start-up checks."""

from __future__ import annotations

import socket
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from keepwarm import cli
from keepwarm.care.management.commands.serve import parse_address


@pytest.mark.parametrize(
    ("typed", "command"), [("demo-data", "demo_data"), ("api-token", "api_token")]
)
def test_hyphenated_commands_run_the_django_command(typed: str, command: str) -> None:
    with mock.patch("django.core.management.execute_from_command_line") as execute:
        cli.main(["keepwarm", typed, "--help"])
    execute.assert_called_once_with(["keepwarm", command, "--help"])


def test_other_commands_pass_through_unchanged() -> None:
    with mock.patch("django.core.management.execute_from_command_line") as execute:
        cli.main(["keepwarm", "migrate", "--plan"])
    execute.assert_called_once_with(["keepwarm", "migrate", "--plan"])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),  # noqa: S104
        ("localhost:8765", ("localhost", 8765)),
        ("[::1]:9000", ("::1", 9000)),
        ("8001", ("127.0.0.1", 8001)),
    ],
)
def test_serve_understands_address_and_port(typed: str, expected: tuple[str, int]) -> None:
    assert parse_address(typed) == expected


@pytest.mark.parametrize(
    "typed", ["nonsense:ab", "127.0.0.1:99999", "127.0.0.1:", ":8000", "::1:8000", "http://x:80"]
)
def test_serve_refuses_a_malformed_address_clearly(typed: str) -> None:
    with pytest.raises(CommandError, match=r"is not an address to serve on\. Use ADDRESS:PORT"):
        call_command("serve", typed)


def test_serve_says_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is already in use"):
            call_command("serve", f"127.0.0.1:{port}")
