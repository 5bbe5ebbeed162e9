"""Retention rules: long-silent records are reviewed or anonymised, and people are asked first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.lib.dates import local_time
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Person
from keepwarm.privacy.models import RetentionEvent, RetentionRule
from keepwarm.privacy.retention import apply_rules
from keepwarm.worker.tick import tick

pytestmark = pytest.mark.django_db

NOW = local_time(dt.date(2026, 11, 26), 10)


def _candidate(days_silent: int, **extra: object) -> Person:
    person = Person.objects.create(
        first_name="Una", last_name="Unplaced", email="una@example.org", **extra
    )
    when = NOW - dt.timedelta(days=days_silent)
    Person.objects.filter(pk=person.pk).update(created_at=when, last_contacted_at=when)
    return person


def test_an_unplaced_candidate_silent_for_two_years_is_flagged_once(cast: Cast) -> None:
    una = _candidate(2 * 365 + 10)

    apply_rules(now=NOW)
    apply_rules(now=NOW + dt.timedelta(days=1))

    flags = RetentionEvent.objects.filter(person=una, kind="flagged")
    assert flags.count() == 1 and flags.get().resolved_at is None


def test_placed_people_are_not_under_the_unplaced_rule(cast: Cast) -> None:
    when = NOW - dt.timedelta(days=3 * 365)
    Person.objects.filter(pk=cast.candidate.pk).update(created_at=when, last_contacted_at=when)

    apply_rules(now=NOW)

    assert not RetentionEvent.objects.filter(person=cast.candidate).exists()


def test_an_anonymising_rule_erases_and_logs(cast: Cast) -> None:
    RetentionRule.objects.filter(category="unplaced").update(action="anonymise")
    una = _candidate(2 * 365 + 10)

    apply_rules(now=NOW)

    una.refresh_from_db()
    assert una.erased_at is not None and una.email == ""
    assert RetentionEvent.objects.filter(person=una, kind="anonymised").exists()


def test_people_are_asked_a_month_before_and_can_keep_their_details(
    client: Client, cast: Cast
) -> None:
    una = _candidate(2 * 365 - 20)

    tick(now=NOW)
    tick(now=NOW + dt.timedelta(days=1))

    question = OutboxMessage.objects.get(key__startswith="retention-ask:")
    assert question.person == una
    url = re.search(r"http://\S+/privacy/keep/\S+/", question.body_text)
    assert url is not None
    path = url.group(0).removeprefix("http://127.0.0.1:8000")

    page = client.get(path)
    assert "Yes, keep my details" in page.content.decode()
    una.refresh_from_db()
    assert una.retention_renewed_at is None  # a GET changes nothing

    client.post(path)
    una.refresh_from_db()
    assert una.retention_renewed_at is not None
    apply_rules(now=NOW + dt.timedelta(days=40))
    assert not RetentionEvent.objects.filter(person=una, kind="flagged").exists()


def test_a_tampered_keep_link_changes_nothing(client: Client, cast: Cast) -> None:
    una = _candidate(700)

    response = client.post(reverse("keep_details", args=["not-a-real-token"]))

    assert response.status_code == 400
    una.refresh_from_db()
    assert una.retention_renewed_at is None


def test_a_manager_keeps_a_flagged_record_on_review(client: Client, cast: Cast) -> None:
    una = _candidate(2 * 365 + 10)
    apply_rules(now=NOW)
    client.force_login(cast.manager)
    assert "Una Unplaced" in client.get(reverse("access_requests")).content.decode()

    client.post(reverse("retention_keep", args=[una.pk]))

    assert RetentionEvent.objects.get(person=una, kind="flagged").resolved_at is not None
    assert RetentionEvent.objects.filter(person=una, kind="kept", by=cast.manager).exists()


def test_an_admin_changes_a_rule_and_a_manager_cannot(client: Client, cast: Cast) -> None:
    client.force_login(cast.manager)
    assert client.get(reverse("retention_rules")).status_code == 403
    client.force_login(cast.admin)
    rules = list(RetentionRule.objects.order_by("id"))
    data: dict[str, str] = {
        "form-TOTAL_FORMS": str(len(rules)),
        "form-INITIAL_FORMS": str(len(rules)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, rule in enumerate(rules):
        data.update(
            {
                f"form-{i}-id": str(rule.pk),
                f"form-{i}-category": rule.category,
                f"form-{i}-years": "3" if rule.category == "unplaced" else str(rule.years),
                f"form-{i}-action": rule.action,
                f"form-{i}-reask_days": str(rule.reask_days),
                f"form-{i}-active": "on",
            }
        )

    response = client.post(reverse("retention_rules"), data)

    assert response.status_code == 302, response.context["formset"].errors
    assert RetentionRule.objects.get(category="unplaced").years == 3


def test_a_rule_with_bad_numbers_is_explained(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-category": "unplaced",
        "form-0-years": "0",
        "form-0-action": "flag",
        "form-0-reask_days": "30",
    }

    response = client.post(reverse("retention_rules"), data)

    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()


def test_a_forged_rule_count_gets_a_form_error_at_once(client: Client, cast: Cast) -> None:
    client.force_login(cast.admin)

    response = client.post(
        reverse("retention_rules"),
        {
            "form-TOTAL_FORMS": "99999",
            "form-INITIAL_FORMS": "0",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "99999",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Keep at most 20 retention rules." in page
    assert page.count('name="form-') < 500  # at most 20 rows, not 99,999
