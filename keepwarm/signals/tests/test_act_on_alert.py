"""Acting on an alert in one place: the person's phone on the alert page, Log call and close
in one step (the note is the call's, on the timeline, and counts as contact), escalation to
the managers after the SLA they set, the alert email linking to the alert, and a concern
raised in one click feeding the risk and the open alert."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.lib.working_days import next_working_day
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk, RiskSettings, Signal
from keepwarm.signals.services.alerts import open_alert
from keepwarm.worker.tick import tick

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.date(2026, 6, 8)
OPENED = dt.datetime(2026, 6, 8, 10, 0, tzinfo=LONDON)  # due Tuesday 10:00


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    with time_machine.travel(OPENED + dt.timedelta(minutes=5), tick=False):
        yield


@pytest.fixture
def alert(cast: Cast) -> Alert:
    Placement.objects.filter(pk=cast.placement.pk).update(
        status=Placement.Status.IN_GUARANTEE, start_date=MONDAY - dt.timedelta(days=20)
    )
    cast.placement.refresh_from_db()
    opened = open_alert(placement=cast.placement, reason="Said she might leave", now=OPENED)
    assert opened is not None
    return opened


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def plain_text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def timeline_of(client: Client, cast: Cast) -> str:
    page = client.get(cast.candidate.get_absolute_url()).content.decode()
    start = page.index('id="timeline-heading"')
    return page[start : page.index("</section>", start)]


def due_call(cast: Cast) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Month-one call",
        due_on=MONDAY,
        owner=cast.owner,
    )


def test_the_alert_page_gives_the_phone_to_tap_and_the_hours(cast: Cast, alert: Alert) -> None:
    page = logged_in(cast.owner).get(reverse("alert", args=[alert.pk])).content.decode()

    assert 'href="tel:07700 900123"' in page
    assert "37.5 hours a week" in page
    assert "Log call and close" in page


def test_log_call_and_close_is_one_step_and_the_note_is_the_call_on_the_timeline(
    cast: Cast, alert: Alert
) -> None:
    call = due_call(cast)
    client = logged_in(cast.owner)

    response = client.post(
        reverse("alert_call", args=[alert.pk]),
        {"outcome": "reached", "note": "Talked it through; staying, rota sorted"},
    )

    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.close_note) == ("closed", "Talked it through; staying, rota sorted")
    # The call due is the call logged: done with the note, not a second call beside it.
    call.refresh_from_db()
    assert (call.state, call.outcome) == ("done", "reached")
    assert call.notes == "Talked it through; staying, rota sorted"
    assert Touchpoint.objects.filter(person=cast.candidate).count() == 1
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at == OPENED + dt.timedelta(minutes=5)
    assert timeline_of(client, cast).count("Talked it through; staying, rota sorted") == 1


def test_a_call_that_reached_nobody_is_logged_and_the_alert_stays_open(
    cast: Cast, alert: Alert
) -> None:
    call = due_call(cast)

    response = logged_in(cast.owner).post(
        reverse("alert_call", args=[alert.pk]),
        {"outcome": "no_answer", "note": "Rang at lunch"},
        follow=True,
    )

    assert "The alert stays open until you reach them" in response.content.decode()
    alert.refresh_from_db()
    call.refresh_from_db()
    assert alert.state == "open"
    assert (call.state, call.due_on) == ("planned", next_working_day(MONDAY))


def test_closing_without_a_call_puts_the_note_on_the_timeline(cast: Cast, alert: Alert) -> None:
    client = logged_in(cast.owner)
    client.post(reverse("alert_close", args=[alert.pk]), {"note": "Emailed her manager"})

    assert "Alert closed: Emailed her manager" in timeline_of(client, cast)


def test_an_overdue_alert_escalates_to_the_manager_once_with_a_link_to_the_alert(
    cast: Cast, alert: Alert, smtp_server: SmtpSink, settings: Any
) -> None:
    settings.KEEPWARM_ALERT_ESCALATE_HOURS = 24
    # Tuesday 10:00 due, + 24 hours: not yet on Wednesday at 9:30.
    tick(now=dt.datetime(2026, 6, 10, 9, 30, tzinfo=LONDON))
    owner_mail = [m for m in smtp_server.messages if m["To"] == cast.owner.email]
    assert len(owner_mail) == 1
    body = plain_text(owner_mail[0])
    assert f"/alerts/{alert.pk}/" in body
    assert cast.placement.get_absolute_url() not in body
    assert not [m for m in smtp_server.messages if m["To"] == cast.manager.email]

    tick(now=dt.datetime(2026, 6, 10, 10, 30, tzinfo=LONDON))
    tick(now=dt.datetime(2026, 6, 10, 11, 0, tzinfo=LONDON))

    escalated = [m for m in smtp_server.messages if m["To"] == cast.manager.email]
    assert len(escalated) == 1
    assert escalated[0]["Subject"].startswith("Escalated: Priya Patel at Acme Widgets")
    text = plain_text(escalated[0])
    assert f"/alerts/{alert.pk}/" in text
    with time_machine.travel(dt.datetime(2026, 6, 10, 11, 5, tzinfo=LONDON), tick=False):
        manager_today = logged_in(cast.manager).get("/").content.decode()
        owner_today = logged_in(cast.owner).get("/").content.decode()
    assert "Escalated to you" in manager_today
    assert "Escalated to you" not in owner_today


def test_the_manager_sets_how_long_before_alerts_escalate(
    cast: Cast, alert: Alert, settings: Any
) -> None:
    settings.KEEPWARM_ALERT_ESCALATE_HOURS = 24
    refused = logged_in(cast.owner).post(reverse("alert_escalation"), {"escalate_after_hours": "2"})
    assert refused.status_code == 403

    logged_in(cast.manager).post(reverse("alert_escalation"), {"escalate_after_hours": "2"})
    assert RiskSettings.current().escalate_after_hours == 2
    tick(now=dt.datetime(2026, 6, 9, 12, 30, tzinfo=LONDON))  # 2.5 hours overdue

    alert.refresh_from_db()
    assert alert.escalated_at is not None
    page = logged_in(cast.manager).get(reverse("alerts")).content.decode()
    assert "Now 2 hours" in page


def test_a_concern_raised_from_today_counts_in_the_risk_and_lands_on_the_open_alert(
    cast: Cast, alert: Alert
) -> None:
    client = logged_in(cast.owner)
    today = client.get("/").content.decode()
    assert "Mentioned another offer or interview" in today  # a button on the alert's row

    response = client.post(
        reverse("raise_concern", args=[cast.placement.pk]),
        {
            "reason": "Mentioned another offer or interview",
            "detail": "Interview Friday",
            "next": "/",
        },
        follow=True,
    )

    assert "Concern about Priya Patel raised. Fall-off risk now" in response.content.decode()
    risk = Risk.objects.get(placement=cast.placement)
    assert risk.score > 0
    assert any("Interview Friday" in reason for reason in risk.reasons)
    assert Signal.objects.get(source=Signal.Source.MANUAL).reason == (
        "Olivia Owner: Mentioned another offer or interview: Interview Friday"
    )
    alert.refresh_from_db()
    assert "Concern raised: Olivia Owner: Mentioned another offer" in alert.reason


def test_a_concern_from_the_person_page_can_open_an_alert_at_the_threshold(
    cast: Cast, settings: Any
) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(
        status=Placement.Status.IN_GUARANTEE, start_date=MONDAY - dt.timedelta(days=20)
    )
    RiskSettings.objects.update_or_create(pk=1, defaults={"alert_threshold": 10})
    client = logged_in(cast.owner)
    person_page = client.get(cast.candidate.get_absolute_url()).content.decode()
    assert "Raise a concern" in person_page

    client.post(
        reverse("raise_concern", args=[cast.placement.pk]),
        {"reason": "Sounds unhappy", "next": cast.candidate.get_absolute_url()},
    )

    assert Alert.objects.get(placement=cast.placement).state == "open"


def test_other_needs_a_word_and_an_ended_placement_takes_no_concern(cast: Cast) -> None:
    client = logged_in(cast.owner)
    response = client.post(
        reverse("raise_concern", args=[cast.placement.pk]), {"reason": "Other"}, follow=True
    )
    assert "Say in a few words what worries you." in response.content.decode()
    Placement.objects.filter(pk=cast.placement.pk).update(
        status=Placement.Status.FELL_OFF, left_on=MONDAY, rebate_owed=Decimal(0)
    )
    response = client.post(
        reverse("raise_concern", args=[cast.placement.pk]),
        {"reason": "Sounds unhappy"},
        follow=True,
    )
    assert "This placement has ended" in response.content.decode()
    assert not Signal.objects.exists()
    assert (
        logged_in(cast.outsider)
        .post(reverse("raise_concern", args=[cast.placement.pk]), {"reason": "Sounds unhappy"})
        .status_code
        == 404
    )
