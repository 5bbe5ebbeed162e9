"""The audit trail answers "who accessed or changed this person's data, and when?"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keepwarm.accounts.models import ApiToken
from keepwarm.audit.models import AppendOnlyError, AuditEntry
from keepwarm.audit.recording import SYSTEM, acting_as
from keepwarm.care.services.placements import update_placement
from keepwarm.conftest import Cast
from keepwarm.people.forms import format_rebate_scale
from keepwarm.people.models import Company, Person
from keepwarm.people.services import update_company, update_person
from keepwarm.placements.models import Placement
from keepwarm.privacy.services import log_access_request

pytestmark = pytest.mark.django_db


def test_opening_a_person_page_records_who_viewed_it(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)

    client.get(reverse("person", args=[cast.candidate.pk]), REMOTE_ADDR="203.0.113.7")

    entry = AuditEntry.objects.get(action="viewed")
    assert entry.actor == cast.owner and entry.person_id == cast.candidate.pk
    assert entry.ip == "203.0.113.7" and entry.object_repr == "Priya Patel"


def test_a_placement_page_view_is_filed_under_the_placed_person(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)

    client.get(reverse("placement", args=[cast.placement.pk]))

    assert AuditEntry.objects.get(action="viewed").person_id == cast.candidate.pk


def test_a_page_someone_may_not_see_records_nothing(client: Client, cast: Cast) -> None:
    client.force_login(cast.outsider)

    assert client.get(reverse("person", args=[cast.candidate.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="viewed").exists()


def test_an_api_read_records_the_token_owner(client: Client, cast: Cast) -> None:
    _, raw = ApiToken.issue(user=cast.manager)

    client.get(f"/api/v1/people/{cast.candidate.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")

    entry = AuditEntry.objects.get(action="viewed")
    assert entry.actor == cast.manager and entry.person_id == cast.candidate.pk


def test_an_edit_keeps_the_old_and_new_value_of_each_changed_field(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    page = client.get(reverse("person_edit", args=[cast.candidate.pk]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(first_name="Priya", last_name="Patel-Shah", email="priya@example.net")

    response = client.post(reverse("person_edit", args=[cast.candidate.pk]), data)

    assert response.status_code == 302, response.context["form"].errors
    entry = AuditEntry.objects.get(action="changed")
    assert entry.changes == {"last_name": ["Patel", "Patel-Shah"], "version": [0, 1]}
    assert entry.actor == cast.owner


def test_saving_without_changes_records_nothing(cast: Cast) -> None:
    update_company(company=Company.objects.get(pk=cast.company.pk))

    assert not AuditEntry.objects.filter(action="changed").exists()


def test_changes_outside_a_request_are_by_the_system(cast: Cast) -> None:
    placement = Placement.objects.get(pk=cast.placement.pk)
    with acting_as(SYSTEM):
        update_placement(
            placement=placement,
            by=cast.manager,
            expected_version=None,
            changes={"salary": Decimal("41000")},
        )

    entry = AuditEntry.objects.get(action="changed")
    assert entry.actor_name == "system"
    # An edit through the service moves the version on, so a form open meanwhile is told.
    assert entry.changes == {"salary": ["38000", "41000"], "version": [0, 1]}


def test_a_company_edit_keeps_the_old_and_new_value_of_each_changed_field(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.owner)
    page = client.get(reverse("company_edit", args=[cast.company.pk]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(rebate_scale=format_rebate_scale(cast.company.rebate_scale), learnt="Pays on time")

    response = client.post(reverse("company_edit", args=[cast.company.pk]), data)

    assert response.status_code == 302, response.context["form"].errors
    entry = AuditEntry.objects.get(action="changed")
    assert entry.changes == {"learnt": ["", "Pays on time"]}
    assert entry.actor == cast.owner and entry.object_repr == "Acme Widgets"


def test_companies_made_and_changed_through_the_api_are_on_the_trail(
    client: Client, cast: Cast
) -> None:
    _, raw = ApiToken.issue(user=cast.manager)
    auth = {"Authorization": f"Bearer {raw}"}
    json = "application/json"

    made = client.post(
        "/api/v1/companies",
        {"name": "Bright Ltd", "owner": "olivia_owner"},
        content_type=json,
        headers=auth,
    )
    pk = made.json()["id"]
    client.patch(f"/api/v1/companies/{pk}", {"sector": "Retail"}, content_type=json, headers=auth)

    created = AuditEntry.objects.get(action="created", object_type="people.company")
    assert created.changes["name"] == [None, "Bright Ltd"]
    assert created.changes["owner_id"] == [None, cast.owner.pk]
    changed = AuditEntry.objects.get(action="changed", object_type="people.company")
    assert changed.changes == {"sector": ["", "Retail"]}
    assert {created.actor, changed.actor} == {cast.manager}


def test_a_person_edit_reads_the_persons_row_once(client: Client, cast: Cast) -> None:
    """The trail's old values come from the read that claims the version: no SELECT
    of its own per save."""
    person = Person.objects.get(pk=cast.candidate.pk)
    person.headline = "Top biller"
    table = connection.ops.quote_name(Person._meta.db_table)

    with CaptureQueriesContext(connection) as context:
        update_person(person=person, expected_version=person.version)

    reads = [q for q in context.captured_queries if q["sql"].startswith("SELECT")]
    assert [table in q["sql"] for q in reads] == [True]
    assert AuditEntry.objects.get(action="changed").changes == {
        "headline": ["", "Top biller"],
        "version": [0, 1],
    }


def test_the_trail_cannot_be_rewritten_by_the_application(cast: Cast) -> None:
    update_company(company=cast.company, name="Acme Widgets Group")
    entry = AuditEntry.objects.get(action="changed")

    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(actor_name="nobody")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_a_manager_finds_who_accessed_a_person(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.get(reverse("person", args=[cast.candidate.pk]))
    client.get(reverse("person", args=[cast.client_contact.pk]))
    client.force_login(cast.manager)

    page = client.get(reverse("audit_trail"), {"person": cast.candidate.pk})

    assert page.status_code == 200
    entries = list(page.context["page_obj"])
    assert {e.person_id for e in entries} == {cast.candidate.pk}
    assert [e.actor for e in entries if e.action == "viewed"] == [cast.owner]
    assert "olivia_owner" in page.content.decode()


def test_a_backwards_date_range_is_explained(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)

    page = client.get(reverse("audit_trail"), {"since": "2026-05-02", "until": "2026-05-01"})

    assert "must be on or before" in page.content.decode()


def test_consultants_cannot_read_the_trail(client: Client, cast: Cast) -> None:
    client.force_login(cast.owner)

    assert client.get(reverse("audit_trail")).status_code == 403


def test_a_subject_access_export_is_on_the_trail_and_in_the_export(
    client: Client, cast: Cast
) -> None:

    client.force_login(cast.manager)
    request = log_access_request(
        person=cast.candidate,
        received_on=dt.date(2026, 11, 1),
        channel="email",
        notes="",
        by=cast.manager,
    )
    client.get(reverse("access_request_document", args=[request.pk]))
    text = client.get(reverse("access_request_json", args=[request.pk])).content.decode()

    exports = AuditEntry.objects.filter(action="exported", person_id=cast.candidate.pk)
    assert exports.count() == 2
    assert "subject access document" in text


def test_behind_a_proxy_the_entry_records_the_readers_address(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.KEEPWARM_PROXY_COUNT = 1
    client.force_login(cast.owner)

    client.get(
        reverse("person", args=[cast.candidate.pk]),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )

    assert AuditEntry.objects.get(action="viewed").ip == "203.0.113.7"
