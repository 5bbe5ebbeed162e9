"""Worrying answers open an alert for the owner (or their cover), emailed once, closed only
with a note, and reopened (the same alert) only on new evidence that is still poor."""

from __future__ import annotations

import datetime as dt
import math

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from keepwarm.care.services import set_cover
from keepwarm.care.services.placements import record_placement_outcome
from keepwarm.conftest import START, Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Person
from keepwarm.signals.models import Alert, Risk, RiskSettings
from keepwarm.signals.services.concerns import close_alert
from keepwarm.signals.services.responses import on_response
from keepwarm.signals.services.risk import recompute_risk
from keepwarm.signals.tests.conftest import HAPPY, MONTH_1, MONTH_3, UNHAPPY, Answering, at


def logged_in_as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def respond(answer: Answering, answers: dict[str, object], when: dt.datetime, **kw: object) -> None:
    with time_machine.travel(when, tick=False):
        response = answer(answers, on=when, **kw)  # type: ignore[arg-type]
        on_response(response_id=response.pk)


def test_risk_is_recomputed_when_a_response_arrives(cast: Cast, answer: Answering) -> None:
    respond(answer, UNHAPPY, MONTH_1)
    risk = Risk.objects.get(placement=cast.placement)
    assert risk.reasons[0] == (
        "Answered no to “Does the job live up to your expectations?”: “Much more cold calling"
        " than I was told.” (Candidate: check-in (months 1, 3, 6 and 12), 1 Apr)"
    )
    # Every answer counts by its value: the 2 for the job and the 5 for recommending us.
    assert risk.features["rating:satisfaction_job"] == -1.0
    assert risk.features["nps:candidate"] == -1.0
    assert risk.features["yes:expectations_met"] == -1.0
    assert risk.score >= RiskSettings.current().alert_threshold


def test_a_happy_response_opens_nothing(cast: Cast, answer: Answering) -> None:
    respond(answer, HAPPY, MONTH_1)
    risk = Risk.objects.get(placement=cast.placement)
    assert risk.score < RiskSettings.current().alert_threshold
    assert risk.reasons == ["New in the job (30 days in)"]
    assert not Alert.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_worrying_answer_alerts_the_owner_once_due_in_a_working_day(
    cast: Cast, answer: Answering
) -> None:
    respond(answer, UNHAPPY, MONTH_1)  # Wednesday 1 April, 10:00
    alert = Alert.objects.get()
    assert alert.owner == cast.owner
    assert alert.due_at == at(dt.date(2026, 4, 2))
    assert "does not meet expectations" in alert.reason
    message = OutboxMessage.objects.get()
    assert message.to_email == cast.owner.email
    assert message.subject == "Priya Patel at Acme Widgets needs attention"
    assert "Much more cold calling than I was told." in message.body_text

    # The surveys app calling twice (a retry) changes nothing.
    with time_machine.travel(MONTH_1, tick=False):
        on_response(response_id=cast.placement.responses.get().pk)
    assert Alert.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_due_on_friday_becomes_monday(cast: Cast, answer: Answering) -> None:
    friday = at(dt.date(2026, 4, 3), 15)
    respond(answer, UNHAPPY, friday)
    assert Alert.objects.get().due_at == at(dt.date(2026, 4, 6), 15)


def test_the_covering_colleague_gets_the_alert(cast: Cast, answer: Answering) -> None:
    set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=MONTH_1.date() - dt.timedelta(days=2),
        ends_on=MONTH_1.date() + dt.timedelta(days=5),
        by=cast.manager,
    )
    respond(answer, UNHAPPY, MONTH_1)
    alert = Alert.objects.get()
    assert alert.owner == cast.colleague
    message = OutboxMessage.objects.get()
    assert message.to_email == cast.colleague.email
    assert "whom you are covering" in message.body_text


def test_a_high_risk_opens_an_alert_without_one_worrying_answer(
    cast: Cast, answer: Answering
) -> None:
    # No rating at rock bottom, every yes/no a yes: a 3, a 2 and a 6 out of 10 add up.
    lukewarm = {**HAPPY, "satisfaction_job": 2, "worklife": 3, "nps": 6}
    respond(answer, lukewarm, MONTH_1)
    alert = Alert.objects.get()
    assert alert.risk_score is not None and alert.risk_score >= 40
    assert alert.reason.startswith(
        f"Fall-off risk {alert.risk_score} (alert at 40): Rated “How happy are you with the"
        " job itself?” 2 of 5"
    )


def test_closing_needs_a_note(cast: Cast, answer: Answering) -> None:
    respond(answer, UNHAPPY, MONTH_1)
    alert = Alert.objects.get()
    with pytest.raises(ValidationError):
        close_alert(alert=alert, by=cast.owner, note="   ")
    alert.refresh_from_db()
    assert alert.is_open
    close_alert(
        alert=alert, by=cast.owner, note="Called Priya; agreed fewer cold calls with Harry."
    )
    alert.refresh_from_db()
    assert (alert.state, alert.closed_by) == (Alert.State.CLOSED, cast.owner)
    with pytest.raises(ValidationError):
        close_alert(alert=alert, by=cast.owner, note="again")


def test_poor_next_answers_reopen_the_alert(cast: Cast, answer: Answering) -> None:
    respond(answer, UNHAPPY, MONTH_1)
    alert = Alert.objects.get()
    close_alert(
        alert=alert, by=cast.owner, note="Called Priya.", now=MONTH_1 + dt.timedelta(hours=3)
    )

    respond(answer, {**UNHAPPY, "expectations_detail": "Still mostly cold calling."}, MONTH_3)
    alert.refresh_from_db()
    assert alert.is_open
    assert alert.reopened_count == 1
    assert alert.close_note == ""
    assert "closed before with: Called Priya." in alert.reason
    assert Alert.objects.count() == 1
    assert OutboxMessage.objects.count() == 2
    assert OutboxMessage.objects.order_by("-id")[0].subject.startswith("Reopened: ")


def test_good_next_answers_leave_the_alert_closed(cast: Cast, answer: Answering) -> None:
    respond(answer, UNHAPPY, MONTH_1)
    alert = Alert.objects.get()
    close_alert(
        alert=alert, by=cast.owner, note="Called Priya.", now=MONTH_1 + dt.timedelta(hours=3)
    )
    respond(answer, HAPPY, MONTH_3)
    alert.refresh_from_db()
    assert (alert.state, alert.reopened_count) == (Alert.State.CLOSED, 0)
    assert Risk.objects.get().score < RiskSettings.current().alert_threshold


def test_a_drop_against_the_previous_answers(cast: Cast, answer: Answering) -> None:
    respond(answer, HAPPY, MONTH_1)
    respond(answer, {**HAPPY, "nps": 7, "satisfaction_job": 3}, MONTH_3)
    risk = Risk.objects.get()
    assert risk.reasons[:2] == [
        "Rated “How happy are you with the job itself?” 3 of 5 after 4 (Candidate: check-in"
        " (months 1, 3, 6 and 12), 1 Jun)",
        "Would recommend us 7/10 after 9 (Candidate: check-in (months 1, 3, 6 and 12), 1 Jun)",
    ]
    assert risk.features["trend:nps"] == pytest.approx(-2 / 3, abs=1e-3)


def test_client_answers_count_for_the_placement(cast: Cast, answer: Answering) -> None:
    client = {
        "performance": 3,
        "fit_team": 4,
        "terms_kept_candidate": "yes",
        "terms_kept_client": "no",
        "terms_client_detail": "We moved her to weekend shifts.",
        "has_concerns": "no",
        "would_hire_again": 8,
        "new_roles": "no",
    }
    Person.objects.filter(pk=cast.candidate.pk).update(
        last_contacted_at=MONTH_1 - dt.timedelta(days=2)
    )
    respond(answer, client, MONTH_1, code="client-check-in", client=True)
    risk = Risk.objects.get()
    assert risk.reasons[0] == (
        "The client answered no to “Are the agreed terms being kept on your side (pay, hours,"
        " duties, training)?”: “We moved her to weekend shifts.” (Client: performance and"
        " terms, 1 Apr)"
    )
    assert Alert.objects.get().owner == cast.owner


def test_unanswered_check_ins_count_once_expired(cast: Cast, answer: Answering) -> None:
    answer.invite(sent=at(START + dt.timedelta(days=7)), days=14)
    before = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=20)))
    assert "response:unanswered" not in before.features
    after = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=22)))
    assert after.reasons[0] == "1 check-in or call unanswered since they last answered"
    assert after.score > before.score


def test_an_ending_recorded_weeks_later_keeps_the_score_of_the_day_they_left(
    cast: Cast, answer: Answering
) -> None:
    respond(answer, UNHAPPY, MONTH_1)
    left_on = MONTH_1.date() + dt.timedelta(days=5)
    record_placement_outcome(
        placement=cast.placement, status="left", left_on=left_on, reason="counter_offer",
        by=cast.owner,
    )  # fmt: skip
    risk = Risk.objects.get()
    days_in = (left_on - cast.placement.start_date).days
    assert risk.features["tenure:early"] == pytest.approx(math.exp(-days_in / 365.0), abs=1e-4)
    assert timezone.localdate(risk.computed_at) == left_on
    page = logged_in_as(cast.owner).get(cast.placement.get_absolute_url()).content.decode()
    assert f"The score on the day the placement ended, {left_on:%-d %b %Y}." in page


def test_a_fall_off_closes_the_alert_and_keeps_the_example(cast: Cast, answer: Answering) -> None:
    respond(answer, UNHAPPY, MONTH_1)
    record_placement_outcome(
        placement=cast.placement,
        status="fell_off",
        left_on=MONTH_1.date() + dt.timedelta(days=5),
        reason="role_not_as_described",
        by=cast.owner,
    )
    alert = Alert.objects.get()
    assert alert.state == Alert.State.CLOSED
    assert alert.close_note == "Placement fell off: Role not as described."
    risk = Risk.objects.get()
    assert risk.outcome == "left"
    assert risk.outcome_on == MONTH_1.date() + dt.timedelta(days=5)
    assert risk.outcome_features["yes:expectations_met"] == -1.0
