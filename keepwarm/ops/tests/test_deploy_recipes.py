"""The deployment recipes in deploy/ and the Dockerfile say what Keepwarm needs.

Checked here without Docker or systemd running anything: the compose file's services,
settings and order; gunicorn's options (gunicorn itself checks them); the systemd units
(`systemd-analyze verify` where it exists, a parser check otherwise); the Dockerfile's
stages. Building the image needs a Docker daemon and, unless the base image is already
there, a download, so that test runs only where Docker answers and the base image is
present or KEEPWARM_TEST_DOCKER_PULL=1 allows pulling it.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from keepwarm.ops.tests.variables import PACKAGE, variables_read

CHECKOUT = PACKAGE.parent
DEPLOY = CHECKOUT / "deploy"
UNITS = DEPLOY / "systemd"
VENV_BIN = "/opt/keepwarm/.venv/bin/"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def _keepwarm_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == "keepwarm:latest"
    }


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def test_compose_runs_postgres_two_web_servers_workers_in_both_lanes_and_a_proxy() -> None:
    compose = _compose()
    services = compose["services"]
    keepwarm = _keepwarm_services(compose)
    web = sorted(n for n, s in keepwarm.items() if _command(s)[:2] == ["gunicorn", "keepwarm.wsgi"])
    workers = sorted(n for n, s in keepwarm.items() if _command(s)[:2] == ["keepwarm", "worker"])
    lanes = sorted(_command(keepwarm[name])[2:] for name in workers)
    # Two send mail (either may stop), one runs imports and the long jobs.
    assert lanes == [["--lane", "jobs"], ["--lane", "mail"], ["--lane", "mail"]], workers
    assert len(web) == 2, web
    assert services["db"]["image"].startswith("postgres:")
    assert "migrate" in _command(keepwarm["migrate"])[2]
    assert "collectstatic" in _command(keepwarm["migrate"])[2]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in [*web, *workers]:
        # Nothing serves or ticks on a database older than the code.
        assert keepwarm[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert keepwarm[name]["restart"] == "unless-stopped"
        assert "ports" not in keepwarm[name], f"{name} must be reached through the proxy only"
    published = [name for name, service in services.items() if "ports" in service]
    assert published == ["proxy"]
    assert services["proxy"]["image"].startswith("caddy:")


def test_compose_gives_every_keepwarm_container_the_same_settings_and_data() -> None:
    keepwarm = _keepwarm_services(_compose())
    environments = [service["environment"] for service in keepwarm.values()]
    assert all(environment == environments[0] for environment in environments)
    environment = environments[0]
    assert environment["KEEPWARM_DATABASE_URL"].startswith("postgres://keepwarm:")
    assert environment["KEEPWARM_DATABASE_URL"].endswith("@db:5432/keepwarm")
    assert environment["KEEPWARM_PROXY_COUNT"] == "1"
    assert environment["KEEPWARM_DATA_DIR"] == "/data"
    assert {"KEEPWARM_BASE_URL", "KEEPWARM_SECRET_KEY"} <= set(environment)
    unknown = sorted(set(environment) - variables_read())
    assert unknown == [], f"compose sets variables Keepwarm never reads: {unknown}"
    assert all(service["volumes"] == ["data:/data"] for service in keepwarm.values())


def test_compose_file_passes_docker_compose_config_where_it_is_installed() -> None:
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("the docker compose plugin is not installed; the YAML checks above still ran")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "x",
        "KEEPWARM_BASE_URL": "https://aftercare.example.co.uk",
        "KEEPWARM_SECRET_KEY": "y" * 50,
    }
    result = subprocess.run(
        [docker, "compose", "-f", DEPLOY / "compose.yaml", "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _gunicorn_arguments(command: list[str]) -> list[str]:
    assert Path(command[0]).name == "gunicorn", command
    return command[1:]


@pytest.mark.parametrize("recipe", ["compose", "systemd"])
def test_gunicorn_accepts_the_recipes_options_and_loads_keepwarm(recipe: str) -> None:
    if recipe == "compose":
        keepwarm = _keepwarm_services(_compose())
        command = _command(keepwarm["web-1"])
    else:
        command = shlex.split(_unit(UNITS / "keepwarm-web.service")["Service"]["ExecStart"])
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [gunicorn, "--check-config", *_gunicorn_arguments(command)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(), str(path))
    return parser


# The keys the units use, by section; a typo (ExecStrt=) is silently ignored by systemd.
KNOWN_KEYS = {
    "Unit": {"Description", "After", "Wants", "Requires"},
    "Service": {
        "Type", "User", "Group", "EnvironmentFile", "StateDirectory", "StateDirectoryMode",
        "WorkingDirectory", "ExecStart", "ExecReload", "KillMode", "KillSignal",
        "TimeoutStopSec", "Restart", "RestartSec", "NoNewPrivileges", "PrivateTmp",
        "PrivateDevices", "ProtectSystem", "ProtectHome", "ProtectKernelTunables",
        "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality",
        "ReadWritePaths",
    },
    "Timer": {"OnCalendar", "RandomizedDelaySec", "Persistent"},
    "Install": {"WantedBy"},
}  # fmt: skip


def test_systemd_units_run_keepwarm_as_its_own_user_from_the_venv() -> None:
    units = sorted(UNITS.iterdir())
    assert [u.name for u in units] == [
        "keepwarm-backup.service",
        "keepwarm-backup.timer",
        "keepwarm-web.service",
        "keepwarm-worker@.service",
    ]
    for path in units:
        unit = _unit(path)
        for section in unit.sections():
            unknown = set(unit[section]) - KNOWN_KEYS[section]
            assert unknown == set(), f"{path.name} [{section}]: {unknown}"
        if path.suffix == ".service":
            service = unit["Service"]
            assert service["User"] == "keepwarm"
            assert service["EnvironmentFile"] == "/etc/keepwarm/keepwarm.env"
            assert VENV_BIN in service["ExecStart"]
    worker = _unit(UNITS / "keepwarm-worker@.service")["Service"]["ExecStart"]
    # The instance name is the lane: keepwarm-worker@all, @mail, @jobs.
    assert shlex.split(worker) == [f"{VENV_BIN}keepwarm", "worker", "--lane", "%i"]


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the parser check above still ran")
    # verify also checks that each command exists: point them at this venv's.
    for path in UNITS.iterdir():
        text = path.read_text().replace(VENV_BIN, f"{Path(sys.executable).parent}/")
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *sorted(tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def _dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (comments and continuations folded), by stage."""
    text = re.sub(r"\\\n\s*", " ", (CHECKOUT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    stages: list[list[str]] = []
    for line in lines:
        if not line or line.startswith("#") or line.startswith("ARG "):
            continue
        if line.startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_dockerfile_builds_in_two_stages_from_the_lock_and_runs_unprivileged() -> None:
    build, final = _dockerfile_stages()
    assert build[0].endswith(" AS build")
    assert any("--require-hashes" in line and "requirements.lock" in line for line in build)
    assert any(line.startswith("COPY --from=build /opt/keepwarm") for line in final)
    user = [line.split()[1] for line in final if line.startswith("USER ")]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert not any("pip install" in line for line in final), "the final stage builds nothing"
    assert any("KEEPWARM_DATA_DIR=/data" in line for line in final)
    ignored = (CHECKOUT / ".dockerignore").read_text()
    assert "!requirements.lock" in ignored
    assert "!keepwarm/" in ignored


def _docker_usable() -> str | None:
    """Why Docker cannot build here, or None."""
    docker = shutil.which("docker")
    if docker is None:
        return "docker is not installed"
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        return f"the Docker daemon does not answer ({info.stderr.strip().splitlines()[-1]})"
    return None


DOCKER_PROBLEM = _docker_usable()


@pytest.mark.skipif(bool(DOCKER_PROBLEM), reason=f"cannot build the image: {DOCKER_PROBLEM}")
def test_the_image_builds_and_runs_keepwarm_as_a_user_without_root() -> None:
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", (CHECKOUT / "Dockerfile").read_text())
    assert base
    present = subprocess.run(["docker", "image", "inspect", base[1]], capture_output=True)
    if present.returncode and os.environ.get("KEEPWARM_TEST_DOCKER_PULL") != "1":
        pytest.skip(f"{base[1]} is not here; KEEPWARM_TEST_DOCKER_PULL=1 allows pulling it")
    tag = "keepwarm:test-build"
    subprocess.run(["docker", "build", "-t", tag, CHECKOUT], check=True, timeout=1800)
    try:
        uid = subprocess.run(
            ["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, timeout=120
        )
        assert uid.stdout.strip() not in ("", "0")
        checked = subprocess.run(
            ["docker", "run", "--rm", tag, "sh", "-c", "keepwarm migrate -v0 && keepwarm check"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert checked.returncode == 0, checked.stderr
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)


@pytest.mark.parametrize(("pgbouncer", "disabled"), [("off", False), ("on", True)])
def test_keepwarm_pgbouncer_turns_off_server_side_cursors(pgbouncer: str, disabled: bool) -> None:
    env = {
        **os.environ,
        "KEEPWARM_DATABASE_URL": "postgres://keepwarm:x@127.0.0.1:6432/keepwarm",
        "KEEPWARM_PGBOUNCER": pgbouncer,
    }
    shown = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS', False))"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == str(disabled)
