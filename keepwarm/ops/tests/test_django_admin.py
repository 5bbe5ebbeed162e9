"""The Django admin for operators: admins with the second factor, read-only by default,
secrets never shown, and what it shows on the audit trail."""

from __future__ import annotations

import json
from typing import Any

import pyotp
import pytest
from django.contrib.admin.models import LogEntry
from django.forms.models import model_to_dict
from django.test import Client

from keepwarm.accounts import services
from keepwarm.audit.models import AuditEntry
from keepwarm.conftest import Cast, pass_second_factor
from keepwarm.demo import agency
from keepwarm.ops.admin import operators_site

pytestmark = pytest.mark.django_db


def _operator(cast: Cast) -> Client:
    client = Client()
    pass_second_factor(client, cast.admin)
    return client


def test_an_admin_with_the_second_factor_reads_every_table(cast: Cast) -> None:
    client = _operator(cast)

    index = client.get("/admin/")
    assert index.status_code == 200
    for table in ("People", "Placements", "Companies", "Outbox messages", "Audit entries"):
        assert table in index.content.decode(), table
    people = client.get("/admin/people/person/")
    assert people.status_code == 200
    assert "Priya Patel" in people.content.decode()
    assert client.get(f"/admin/placements/placement/{cast.placement.pk}/change/").status_code == 200


def test_what_the_admin_shows_is_on_the_audit_trail(cast: Cast) -> None:
    client = _operator(cast)

    client.get("/admin/people/person/")
    client.get(f"/admin/people/person/{cast.candidate.pk}/change/")

    seen = AuditEntry.objects.filter(
        actor=cast.admin, action="viewed", person_id=cast.candidate.pk
    ).values_list("path", flat=True)
    assert sorted(seen) == [
        "/admin/people/person/",
        f"/admin/people/person/{cast.candidate.pk}/change/",
    ]


def test_nothing_changes_through_the_admin_unless_edits_are_turned_on(
    cast: Cast, settings: Any
) -> None:
    client = _operator(cast)
    url = f"/admin/people/person/{cast.candidate.pk}/change/"

    page = client.get(url).content.decode()
    assert 'name="_save"' not in page
    refused = client.post(url, {"first_name": "Changed", "last_name": "Patel"})
    assert refused.status_code == 403
    assert client.get("/admin/people/person/add/").status_code == 403
    assert client.post(f"/admin/people/person/{cast.candidate.pk}/delete/").status_code == 403
    cast.candidate.refresh_from_db()
    assert cast.candidate.first_name == "Priya"

    settings.KEEPWARM_ADMIN_EDITS = True
    assert 'name="_save"' in client.get(url).content.decode()
    assert client.get("/admin/people/person/add/").status_code == 200


def test_the_audit_trail_is_never_editable_there(cast: Cast, settings: Any) -> None:
    settings.KEEPWARM_ADMIN_EDITS = True
    client = _operator(cast)
    client.get("/admin/people/person/")
    entry = AuditEntry.objects.first()
    assert entry is not None
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    page = client.get(f"/admin/audit/auditentry/{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page


def test_secrets_are_never_shown(cast: Cast) -> None:
    secret = pyotp.random_base32()
    services.confirm_enrolment(user=cast.owner, secret=secret, code=pyotp.TOTP(secret).now())
    client = _operator(cast)

    factor = client.get(f"/admin/accounts/secondfactor/{cast.owner.second_factor.pk}/change/")
    assert factor.status_code == 200
    assert secret not in factor.content.decode()
    user = client.get(f"/admin/accounts/user/{cast.owner.pk}/change/").content.decode()
    assert cast.owner.password not in user


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_consultants_and_managers_are_refused(cast: Cast, who: str) -> None:
    client = Client()
    pass_second_factor(client, getattr(cast, who))
    response = client.get("/admin/people/person/", follow=True)
    assert response.status_code == 403


def test_an_admin_without_the_second_factor_is_refused(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)  # the demo's password-only sign-in
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "signed in with their second factor" in response.content.decode()


def test_someone_signed_out_signs_in_on_keepwarms_own_page(cast: Cast) -> None:
    response = Client().get("/admin/people/person/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    assert "Log in to Keepwarm" in response.content.decode()


def test_an_edit_allowed_by_the_setting_is_on_the_audit_trail(cast: Cast, settings: Any) -> None:
    settings.KEEPWARM_ADMIN_EDITS = True
    client = _operator(cast)
    company = cast.company
    form = {
        key: json.dumps(value) if isinstance(value, list | dict) else value
        for key, value in model_to_dict(company).items()
        if value is not None
    }

    saved = client.post(
        f"/admin/people/company/{company.pk}/change/", {**form, "name": "Acme Widgets Ltd"}
    )

    assert saved.status_code == 302, saved.content.decode()[:2000]
    entry = AuditEntry.objects.get(actor=cast.admin, action="changed", object_id=str(company.pk))
    assert entry.changes == {"name": ["Acme Widgets", "Acme Widgets Ltd"]}
    assert entry.path == f"/admin/people/company/{company.pk}/change/"
    assert not LogEntry.objects.exists()  # it would keep names past an erasure


@pytest.mark.parametrize("edits", [False, True])
def test_every_tables_list_and_records_open(cast: Cast, settings: Any, edits: bool) -> None:
    settings.KEEPWARM_ADMIN_EDITS = edits
    agency.load(people=12, placements=6, companies=3)
    client = _operator(cast)
    opened = 0
    for model in operators_site._registry:
        meta = model._meta
        listing = client.get(f"/admin/{meta.app_label}/{meta.model_name}/")
        assert listing.status_code == 200, meta.label
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            page = client.get(f"/admin/{meta.app_label}/{meta.model_name}/{first.pk}/change/")
            assert page.status_code == 200, meta.label
            opened += 1
    assert opened >= 30
