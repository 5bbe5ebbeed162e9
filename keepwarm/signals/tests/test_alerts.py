"""Worrying answers open an alert for the owner (or their cover), emailed once, closed only
with a note, and reopened when the next answers are still poor."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from keepwarm.care.services import set_cover
from keepwarm.care.services.placements import record_placement_outcome
from keepwarm.conftest import START, Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Person
from keepwarm.signals.models import Alert, Risk, RiskSettings, SignalKind
from keepwarm.signals.services.concerns import close_alert
from keepwarm.signals.services.responses import on_response
from keepwarm.signals.services.risk import recompute_risk
from keepwarm.signals.tests.conftest import HAPPY, MONTH_1, MONTH_3, UNHAPPY, Answering, at


def respond(answer: Answering, answers: dict[str, object], when: dt.datetime, **kw: object) -> None:
    with time_machine.travel(when, tick=False):
        response = answer(answers, on=when, **kw)  # type: ignore[arg-type]
        on_response(response_id=response.pk)


def test_risk_is_recomputed_when_a_response_arrives(cast: Cast, answer: Answering) -> None:
    respond(answer, UNHAPPY, MONTH_1)
    risk = Risk.objects.get(placement=cast.placement)
    assert risk.reasons[0] == (
        "Said the job does not meet expectations: “Much more cold calling than I was told.”"
        " (Candidate: check-in (months 1, 3, 6 and 12), 1 Apr)"
    )
    assert set(risk.features) == {
        SignalKind.EXPECTATIONS_NOT_MET,
        SignalKind.DETRACTOR_NPS,
        SignalKind.LOW_RATING,
    }
    assert risk.score == 59  # 1 - 0.65 * 0.75 * 0.85


def test_a_happy_response_opens_nothing(cast: Cast, answer: Answering) -> None:
    respond(answer, HAPPY, MONTH_1)
    assert Risk.objects.get(placement=cast.placement).score == 0
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
    assert "does not meet expectations" in message.body_text

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
    RiskSettings.objects.filter(pk=1).update(alert_threshold=40)
    lukewarm = {**HAPPY, "satisfaction_job": 2, "worklife": 1, "nps": 6}  # 0.15, 0.15, 0.25
    respond(answer, lukewarm, MONTH_1)
    alert = Alert.objects.get()
    assert alert.risk_score == 46
    assert alert.reason.startswith(
        "Fall-off risk 46 (alert at 40): Candidate would recommend us 6/10"
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
    assert Risk.objects.get().score == 0


def test_a_drop_against_the_previous_answers(cast: Cast, answer: Answering) -> None:
    respond(answer, HAPPY, MONTH_1)
    respond(answer, {**HAPPY, "nps": 7, "satisfaction_job": 3}, MONTH_3)
    risk = Risk.objects.get()
    assert risk.reasons == [
        "NPS fell from 9 to 7 (Candidate: check-in (months 1, 3, 6 and 12), 1 Jun)"
    ]


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
    assert risk.reasons == [
        "Client says the employer is not keeping to the agreed terms: “We moved her to weekend"
        " shifts.” (Client: performance and terms, 1 Apr)"
    ]
    assert Alert.objects.get().owner == cast.owner


def test_unanswered_check_ins_count_once_expired(cast: Cast, answer: Answering) -> None:
    answer.invite(sent=at(START + dt.timedelta(days=7)), days=14)
    before = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=20)))
    assert before.reasons == []
    after = recompute_risk(placement=cast.placement, now=at(START + dt.timedelta(days=22)))
    assert after.reasons == [
        "Did not answer the candidate: check-in (months 1, 3, 6 and 12) (expired) (23 Mar)"
    ]


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
    assert risk.outcome_features[SignalKind.EXPECTATIONS_NOT_MET] == 1
