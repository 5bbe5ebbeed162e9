"""Pages for managers or admins only: who is refused, with what words, and who gets in.

The role is stated once per page, in its decorator (keepwarm.accounts.access); the
signed-in user is reached one way. The last test keeps it so: a view module that grows
its own copy of the helper fails it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import keepwarm
from keepwarm.accounts.models import User
from keepwarm.conftest import Cast

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_consultant_is_told_that_the_system_page_is_for_managers_and_admins(cast: Cast):
    response = signed_in(cast.owner).get(reverse("system"))

    assert response.status_code == 403
    assert "Only managers and admins see the System page." in response.content.decode()


def test_manager_is_told_that_only_admins_edit_care_plans(cast: Cast):
    response = signed_in(cast.manager).get(reverse("plans"))

    assert response.status_code == 403
    assert "Only admins edit care plans." in response.content.decode()


def test_anonymous_visitor_to_a_managers_page_is_sent_to_sign_in(cast: Cast):
    response = Client().get(reverse("team"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_managers_and_admins_open_the_team_page_and_admins_the_care_plans(cast: Cast):
    assert signed_in(cast.manager).get(reverse("team")).status_code == 200
    assert signed_in(cast.admin).get(reverse("team")).status_code == 200
    assert signed_in(cast.admin).get(reverse("plans")).status_code == 200


def test_consultant_reading_the_audit_trail_is_refused_before_anything_is_read(cast: Cast):
    response = signed_in(cast.outsider).get(reverse("audit_trail"))

    assert response.status_code == 403
    assert "Only managers and admins can read the audit trail." in response.content.decode()


# A private copy of "the signed-in user" or of a role check, in any production module.
COPIES = re.compile(
    r"^def _(?:user|require_admin|admin)\(|^\s+assert isinstance\(request\.user, User\)"
    r"|^\s+user = request\.user\n\s+assert isinstance\(user, User\)",
    re.MULTILINE,
)


def test_no_module_keeps_its_own_copy_of_the_signed_in_user_or_the_admin_check():
    root = Path(keepwarm.__file__).parent
    the_one = root / "accounts" / "access.py"
    copies = [
        f"{path.relative_to(root)}: {match.group(0).strip()}"
        for path in sorted(root.rglob("*.py"))
        if path != the_one and "tests" not in path.parts and "migrations" not in path.parts
        for match in COPIES.finditer(path.read_text())
    ]

    assert copies == [], "use keepwarm.accounts.access (user_of, admin_required, ...)"
