"""`keepwarm check --deploy` with production settings gives no warning at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from keepwarm.settings import BASE_DIR

# The environment that makes production: an https:// address and a secret key.
PRODUCTION = {
    "KEEPWARM_BASE_URL": "https://crm.fernbrook.example",
    "KEEPWARM_SECRET_KEY": "d8Qm3v-not-a-real-key-but-long-and-random-enough-zT7pK2xW9sLfR4nB",
}


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return check(tmp_path, "--deploy", "--fail-level", "WARNING", **env)


def check(tmp_path: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: only what finds programs, plus the test run's database. (The
    # browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process, which production must
    # not have and check --deploy rightly flags.)
    keep = ("PATH", "HOME", "LANG", "KEEPWARM_DATABASE_URL")
    environment = {key: os.environ[key] for key in keep if key in os.environ}
    environment.update(KEEPWARM_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *options],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path: Path):
    result = check_deploy(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({"KEEPWARM_REQUIRE_SECOND_FACTOR": "off"}, "keepwarm.W001"),
        ({"KEEPWARM_BASE_URL": "http://crm.fernbrook.example"}, "security.W004"),
        ({"KEEPWARM_DEBUG": "on"}, "security.W018"),
        (
            {
                "KEEPWARM_SSO_GOOGLE_CLIENT_ID": "id",
                "KEEPWARM_SSO_GOOGLE_CLIENT_SECRET": "secret",
                "KEEPWARM_SSO_SECOND_FACTOR": "provider",
            },
            "keepwarm.W020",
        ),
    ],
)
def test_check_deploy_warns_about_what_production_must_not_have(
    tmp_path: Path, env: dict[str, str], warning: str
):
    result = check_deploy(tmp_path, **{**PRODUCTION, **env})
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KEEPWARM_REQUIRE_SECOND_FACTOR": "maybe"}, "KEEPWARM_REQUIRE_SECOND_FACTOR must be"),
        ({"KEEPWARM_LOCKOUT_MINUTES": "0"}, "KEEPWARM_LOCKOUT_MINUTES must be 1 or more"),
        ({"KEEPWARM_PROXY_COUNT": "-1"}, "KEEPWARM_PROXY_COUNT must be 0 or more"),
    ],
)
def test_nonsense_sign_in_settings_stop_start_up_with_the_variables_name(
    tmp_path: Path, env: dict[str, str], message: str
):
    result = check_deploy(tmp_path, **{**PRODUCTION, **env})
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "base_url",
    ["http://crm.fernbrook.example", "http://10.1.2.3:8000", "http://0.0.0.0:8000"],
)
def test_a_server_others_can_reach_refuses_to_start_without_its_own_secret_key(
    tmp_path: Path, base_url: str
):
    result = check(tmp_path, KEEPWARM_BASE_URL=base_url)

    assert result.returncode != 0
    assert "KEEPWARM_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"]
)
def test_the_local_demo_starts_with_the_built_in_key(tmp_path: Path, base_url: str):
    result = check(tmp_path, KEEPWARM_BASE_URL=base_url)

    assert result.returncode == 0, result.stderr


def test_check_deploy_reports_the_built_in_key_as_an_error(tmp_path: Path):
    result = check_deploy(tmp_path, KEEPWARM_BASE_URL="http://127.0.0.1:8000")

    assert result.returncode != 0
    assert "keepwarm.E001" in result.stderr + result.stdout
    assert "built-in secret key" in result.stderr + result.stdout
