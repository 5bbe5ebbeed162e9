"""Off-limits while the placement is at stake: someone in a live placement's guarantee (or
first months) is never offered as ready to move nor matched to a vacancy; the pages say
until when, worries stay retention work for their consultant, and after the guarantee
readiness resumes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.network import readiness
from keepwarm.network.models import StatusStatement, Vacancy
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk

# Day 8 of Priya's 90-day guarantee (she started on 2 Mar 2026); it ends on 31 May 2026.
DAY_EIGHT = dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC)
AFTER_GUARANTEE = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


@pytest.fixture
def guarantee_only(settings: Any) -> None:
    settings.KEEPWARM_OFF_LIMITS_MONTHS = 0


@pytest.fixture
def wobbling(cast: Cast, guarantee_only: None) -> Iterator[Placement]:
    """Priya on day 8, risk 71, saying she is actively looking: the case that tempts."""
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    Risk.objects.create(placement=cast.placement, score=71, computed_at=DAY_EIGHT)
    with time_machine.travel(DAY_EIGHT, tick=False):
        StatusStatement.objects.create(
            person=cast.candidate, status="actively_looking", source="personal_page"
        )
        yield cast.placement


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ready_calls() -> list[Touchpoint]:
    return list(Touchpoint.objects.filter(kind=Kind.CALL, title__startswith="Ready to move"))


def test_someone_in_their_guarantee_is_not_offered_as_ready_to_move(
    cast: Cast, wobbling: Placement
) -> None:
    readiness.recompute([cast.candidate.pk])
    page = signed_in(cast.owner).get(reverse("ready_to_move")).content.decode()
    table = page.split("Off-limits for now")[0]
    assert "Priya Patel" not in table
    assert "off-limits until 31 May 2026" in page
    assert ready_calls() == []


def test_a_score_worked_out_before_the_placement_offers_nobody(
    cast: Cast, guarantee_only: None
) -> None:
    # Readiness computed last night, when she had no live placement; the placement is new.
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.FELL_OFF)
    StatusStatement.objects.create(
        person=cast.candidate, status="actively_looking", source="consultant"
    )
    readiness.recompute([cast.candidate.pk])
    with time_machine.travel(DAY_EIGHT, tick=False):
        Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
        page = signed_in(cast.owner).get(reverse("ready_to_move")).content.decode()
    assert "Priya Patel" not in page.split("Off-limits for now")[0]
    assert "off-limits until 31 May 2026" in page


def test_matching_vacancies_page_says_off_limits_and_offers_no_vacancy(
    cast: Cast, wobbling: Placement
) -> None:
    Vacancy.objects.create(company=cast.company, title="Account Manager", status="open")
    url = reverse("person_matches", args=[cast.candidate.pk])
    page = signed_in(cast.owner).get(url).content.decode()
    assert "Off-limits until 31 May 2026" in page
    assert "vacancy_matches" not in page and "/vacancies/" not in page


def test_a_vacancy_is_never_matched_to_someone_in_their_guarantee_and_says_why(
    cast: Cast, wobbling: Placement
) -> None:
    vacancy = Vacancy.objects.create(company=cast.company, title="Account Manager", status="open")
    page = signed_in(cast.owner).get(reverse("vacancy_matches", args=[vacancy.pk]))
    matches, _, held_back = page.content.decode().partition("Not offered")
    assert "Priya Patel" not in matches
    assert "Priya Patel</a>: Off-limits until 31 May 2026" in held_back


def test_person_page_says_off_limits_until_the_guarantee_ends(
    cast: Cast, wobbling: Placement
) -> None:
    page = signed_in(cast.owner).get(reverse("person", args=[cast.candidate.pk]))
    assert "Off-limits until 31 May 2026" in page.content.decode()


def test_first_months_setting_extends_off_limits_past_a_short_guarantee(
    cast: Cast, settings: Any
) -> None:
    settings.KEEPWARM_OFF_LIMITS_MONTHS = 6
    with time_machine.travel(DAY_EIGHT, tick=False):
        page = signed_in(cast.owner).get(reverse("person", args=[cast.candidate.pk]))
    assert "Off-limits until 1 Sep 2026" in page.content.decode()


def test_readiness_resumes_after_the_guarantee_with_a_call_for_the_owner(
    cast: Cast, wobbling: Placement
) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.SETTLED)
    with time_machine.travel(AFTER_GUARANTEE, tick=False):
        readiness.recompute([cast.candidate.pk])
        page = signed_in(cast.owner).get(reverse("ready_to_move")).content.decode()
    assert "Priya Patel" in page and "Off-limits" not in page
    [call] = ready_calls()
    assert call.owner == cast.owner


def test_a_ready_to_move_call_planned_before_the_placement_leaves_today(
    cast: Cast, wobbling: Placement
) -> None:
    call = Touchpoint.objects.create(
        person=cast.candidate,
        kind=Kind.CALL,
        title="Ready to move: Actively looking (consultant, 1 Mar 2026)",
        due_on=DAY_EIGHT.date(),
        owner=cast.owner,
    )
    readiness.recompute([cast.candidate.pk])
    call.refresh_from_db()
    assert call.state == Touchpoint.State.SKIPPED
    assert call.skip_reason.startswith("Off-limits")
    assert (
        "Ready to move: Actively"
        not in signed_in(cast.owner).get(reverse("today")).content.decode()
    )


def test_someone_at_risk_and_ready_to_move_shows_each_page_the_other(
    cast: Cast, wobbling: Placement
) -> None:
    # After the guarantee, still unhappy and saying so: an open fall-off alert and past
    # the readiness threshold at once. Ready to move says to keep them first; At risk
    # says where they could go if they cannot be kept.
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.SETTLED)
    with time_machine.travel(AFTER_GUARANTEE, tick=False):
        alert = Alert.objects.create(
            placement=cast.placement,
            owner=cast.owner,
            reason="Risk 71: actively looking",
            risk_score=71,
            opened_at=AFTER_GUARANTEE,
            due_at=AFTER_GUARANTEE,
        )
        readiness.recompute([cast.candidate.pk])
        client = signed_in(cast.owner)
        ready = client.get(reverse("ready_to_move")).content.decode()
        at_risk = client.get(reverse("at_risk")).content.decode()
    alert_link = f'<a href="{reverse("alert", args=[alert.pk])}">Open fall-off alert</a>'
    assert f"{alert_link} on their placement: try to keep them first." in ready
    matches = reverse("person_matches", args=[cast.candidate.pk])
    assert f'Also ready to move (85): if they cannot be kept, <a href="{matches}">' in at_risk


def test_a_closed_alert_or_someone_off_limits_adds_nothing_to_either_page(
    cast: Cast, wobbling: Placement
) -> None:
    # Day 8: off-limits, so At risk does not offer another role; no open alert either.
    readiness.recompute([cast.candidate.pk])
    client = signed_in(cast.owner)
    assert "Also ready to move" not in client.get(reverse("at_risk")).content.decode()
    assert "Open fall-off alert" not in client.get(reverse("ready_to_move")).content.decode()
