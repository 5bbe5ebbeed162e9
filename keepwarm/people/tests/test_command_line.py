"""The `keepwarm` command line: hyphenated aliases and `serve`'s start-up checks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from keepwarm import cli
from keepwarm.worker.management.commands.serve import parse_address


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


def _children(pid: int) -> dict[int, str]:
    """Child processes of `pid` and their command lines, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_serve_runs_the_site_and_the_worker_and_sigterm_stops_both(tmp_path: Path) -> None:
    # A database of its own: the worker must not tick on the developer's data.
    env = {
        **os.environ,
        "KEEPWARM_DATA_DIR": str(tmp_path),
        "KEEPWARM_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    command = [sys.executable, "-m", "keepwarm.cli"]
    subprocess.run([*command, "migrate", "-v0"], env=env, check=True, timeout=120)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "serve", f"127.0.0.1:{port}"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        workers = [pid for pid, cmd in _children(server.pid).items() if " worker" in cmd]
        assert len(workers) == 1, _children(server.pid)

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, log.read_text()
        with pytest.raises(ProcessLookupError):
            os.kill(workers[0], 0)
        output = log.read_text()
        assert f"running at http://127.0.0.1:{port}/" in output
        assert "Keepwarm stopped." in output
    finally:
        if server.poll() is None:
            for pid in _children(server.pid):
                os.kill(pid, signal.SIGKILL)
            server.kill()
            server.wait()


def test_a_web_worker_loads_every_page_before_its_first_visitor(tmp_path: Path) -> None:
    # gunicorn imports keepwarm.wsgi when a worker starts; the pages' code (the API's
    # schemas above all) used to load in the first request instead, seconds after a deploy.
    loaded = (
        "import sys, keepwarm.wsgi;"
        "print(all(m in sys.modules for m in ("
        "'keepwarm.api.api', 'keepwarm.network.views_matching', 'keepwarm.reports.views')))"
    )
    env = {**os.environ, "KEEPWARM_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    found = subprocess.run(
        [sys.executable, "-c", loaded], env=env, capture_output=True, text=True, timeout=120
    )
    assert found.stdout.strip() == "True", found.stderr
