from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from keepwarm.accounts.models import User
from keepwarm.conftest import Cast


def adduser(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("adduser", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_adduser_prints_a_made_up_password_that_signs_in(db: None):
    out, err = adduser(
        "maggie", "--role", "manager", "--email", "maggie@agency.example", "--first-name", "Maggie"
    )

    password = out.strip()
    user = User.objects.get(username="maggie")
    assert (user.role, user.email, user.first_name) == (
        "manager",
        "maggie@agency.example",
        "Maggie",
    )
    assert len(password) >= 16
    assert "will not be shown again" in err
    assert Client().login(username="maggie", password=password)


def test_adduser_reads_the_password_from_stdin(db: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("sys.stdin", StringIO("plum-kettle-orbit-42\n"))

    out, _ = adduser(
        "nina", "--role", "admin", "--email", "nina@agency.example", "--password-stdin"
    )

    assert out == ""
    assert User.objects.get(username="nina").is_admin
    assert Client().login(username="nina", password="plum-kettle-orbit-42")


def test_adduser_refuses_a_weak_password(db: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("sys.stdin", StringIO("password\n"))

    with pytest.raises(CommandError, match="--password: This password is too common"):
        adduser("nina", "--role", "admin", "--email", "nina@agency.example", "--password-stdin")
    assert not User.objects.exists()


def test_adduser_refuses_a_taken_username(cast: Cast):
    with pytest.raises(CommandError, match="The username “olivia_owner” is already taken"):
        adduser("olivia_owner", "--role", "consultant", "--email", "o2@agency.example")


def test_adduser_refuses_a_bad_role(db: None):
    with pytest.raises(
        CommandError, match="“boss” is not a role; choose consultant, manager, admin"
    ):
        adduser("nina", "--role", "boss", "--email", "nina@agency.example")
    assert not User.objects.exists()
