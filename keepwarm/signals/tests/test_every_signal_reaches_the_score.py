"""Each thing Keepwarm hears reaches the score, its reasons and the alert: answers given on
the public answer page, a consultant's concern, a call's notes, pay against the agency's
own placements; and a closed alert comes back only on new evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import Client

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.services import log_touchpoint
from keepwarm.conftest import START, Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk
from keepwarm.signals.services.concerns import close_alert, flag_placement
from keepwarm.signals.services.responses import on_response
from keepwarm.signals.services.risk import recompute_all, recompute_risk
from keepwarm.signals.tests.conftest import HAPPY, MONTH_1, MONTH_3, UNHAPPY, Answering, at
from keepwarm.surveys.models import Invitation
from keepwarm.surveys.services import create_invitation
from keepwarm.surveys.tests.conftest import Asked, full_answers, link, make_checkin

DAY_30 = at(START + dt.timedelta(days=30))


def answer_on_the_page(
    cast: Cast, asked: Asked, when: dt.datetime, captured: object, **changes: str
) -> Risk:
    """Priya opens her emailed link and posts her answers; the risk hears after commit."""
    with time_machine.travel(when, tick=False):
        invitation = create_invitation(
            placement=cast.placement,
            person=cast.candidate,
            questionnaire=asked.questionnaire,
            sender=cast.owner,
            now=when - dt.timedelta(days=1),
        )
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=when - dt.timedelta(days=1))
        with captured(execute=True):  # type: ignore[operator]
            page = Client().post(link(invitation), full_answers(asked, **changes))
        assert page.status_code == 302
    return Risk.objects.get(placement=cast.placement)


def test_a_middling_rating_counts_less_than_a_low_one_and_more_than_a_good_one(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    asked = make_checkin()
    sat = f"q_{asked.satisfaction.pk}"
    good = answer_on_the_page(cast, asked, DAY_30, django_capture_on_commit_callbacks, **{sat: "4"})
    middling = answer_on_the_page(
        cast,
        asked,
        DAY_30 + dt.timedelta(hours=1),
        django_capture_on_commit_callbacks,
        **{sat: "3"},
    )
    assert middling.features["rating:satisfaction_job"] == -0.5
    low = answer_on_the_page(
        cast,
        asked,
        DAY_30 + dt.timedelta(hours=2),
        django_capture_on_commit_callbacks,
        **{sat: "2"},
    )
    assert good.score < middling.score < low.score
    assert low.reasons[0].startswith("Rated “How happy are you with the job?” 2 of 5 after 3")


def test_a_no_on_the_answer_page_is_quoted_in_the_reason_and_the_alert(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    asked = make_checkin()
    risk = answer_on_the_page(
        cast,
        asked,
        DAY_30,
        django_capture_on_commit_callbacks,
        **{
            f"q_{asked.expectations.pk}": "no",
            f"q_{asked.detail.pk}": "Far more cold calling than I was told",
            f"q_{asked.nps.pk}": "6",
        },
    )
    assert risk.reasons[0].startswith(
        "Answered no to “Does the job live up to expectations?”: “Far more cold calling"
    )
    alert = Alert.objects.get(placement=cast.placement)
    assert "Far more cold calling than I was told" in alert.reason
    assert "Far more cold calling than I was told" in OutboxMessage.objects.get().body_text


def test_saying_they_might_leave_in_a_comment_opens_an_alert(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    asked = make_checkin()
    risk = answer_on_the_page(
        cast,
        asked,
        DAY_30,
        django_capture_on_commit_callbacks,
        **{f"q_{asked.concerns.pk}": "I am thinking of leaving, the team is awful, I am miserable"},
    )
    assert risk.features["text:leaving"] == 1.0
    assert risk.features["text:sentiment"] < 0  # VADER's compound, kept as a number
    assert any("thinking of leaving" in r for r in risk.reasons)
    assert Alert.objects.filter(placement=cast.placement, state=Alert.State.OPEN).exists()


def test_a_consultants_concern_reaches_the_score_the_reason_and_the_alert(cast: Cast) -> None:
    quiet = recompute_risk(placement=cast.placement, now=DAY_30)
    flag_placement(
        placement=cast.placement,
        by=cast.owner,
        reason="Unhappy about the commute, might look elsewhere",
        now=DAY_30,
    )
    risk = Risk.objects.get(placement=cast.placement)
    assert risk.score > quiet.score
    assert risk.reasons[0] == (
        "Concern raised by Olivia Owner: Unhappy about the commute, might look elsewhere"
    )
    alert = Alert.objects.get(placement=cast.placement)
    assert "Unhappy about the commute" in alert.reason


def test_a_call_note_counts_by_its_tone(cast: Cast) -> None:
    before = recompute_risk(placement=cast.placement, now=DAY_30)
    log_touchpoint(
        person=cast.candidate,
        placement=cast.placement,
        by=cast.owner,
        kind=Kind.CALL,
        outcome="reached",
        notes="She sounded miserable; the commute is awful and she hates the new shifts.",
        now=DAY_30,
    )
    after = recompute_risk(placement=cast.placement, now=DAY_30 + dt.timedelta(hours=1))
    assert after.features["call:sentiment"] < -0.5
    assert after.score > before.score
    assert any(r.startswith("Call note “She sounded miserable") for r in after.reasons)


def test_the_note_of_a_call_that_did_not_get_through_is_not_read_as_what_they_said(
    cast: Cast,
) -> None:
    log_touchpoint(
        person=cast.candidate,
        placement=cast.placement,
        by=cast.owner,
        kind=Kind.CALL,
        outcome="voicemail",
        notes="No answer, straight to voicemail again. Awful line; she may be leaving?",
        now=DAY_30,
    )
    risk = recompute_risk(placement=cast.placement, now=DAY_30 + dt.timedelta(hours=1))
    assert "call:sentiment" not in risk.features
    assert not any(r.startswith(("Call note", "Leaving intent")) for r in risk.reasons)
    assert any("not answered" in r or "unanswered" in r for r in risk.reasons)


def test_pay_below_similar_roles_is_a_reason(cast: Cast) -> None:
    for n in range(3):
        Placement.objects.create(
            person=cast.client_contact,
            company=cast.company,
            owner=cast.owner,
            role_title="account manager",  # the same role, written differently
            start_date=START - dt.timedelta(days=400 + n),
            salary=Decimal("40000"),
            status=Placement.Status.SETTLED,
        )
    Placement.objects.filter(pk=cast.placement.pk).update(salary=Decimal("34400"))
    cast.placement.refresh_from_db()
    risk = recompute_risk(placement=cast.placement, now=DAY_30)
    assert risk.features["pay:below_role"] == 0.14
    assert "Paid 14% below similar roles" in risk.reasons


def test_a_closed_alert_stays_closed_on_the_same_answers_and_reopens_on_new_ones(
    cast: Cast, answer: Answering
) -> None:
    with time_machine.travel(MONTH_1, tick=False):
        response = answer(UNHAPPY, on=MONTH_1)
        on_response(response_id=response.pk)
    alert = Alert.objects.get()
    close_alert(
        alert=alert, by=cast.owner, note="Called Priya.", now=MONTH_1 + dt.timedelta(hours=2)
    )
    # The next morning's run sees the same old answers, still scoring high: nothing comes back.
    next_morning = at(MONTH_1.date() + dt.timedelta(days=1), 6)
    recompute_all(now=next_morning)
    recompute_risk(placement=cast.placement, now=next_morning + dt.timedelta(days=1))
    alert.refresh_from_db()
    assert (alert.state, alert.reopened_count, Alert.objects.count()) == ("closed", 0, 1)
    assert Risk.objects.get().score >= 40

    # New answers, still poor: the same alert reopens, with what was done before.
    with time_machine.travel(MONTH_3, tick=False):
        response = answer({**UNHAPPY, "expectations_detail": "Still cold calling."}, on=MONTH_3)
        on_response(response_id=response.pk)
    alert.refresh_from_db()
    assert (alert.state, alert.reopened_count, Alert.objects.count()) == ("open", 1, 1)
    assert "closed before with: Called Priya." in alert.reason
    assert "Still cold calling." in alert.reason


def test_a_happy_next_check_in_does_not_reopen(cast: Cast, answer: Answering) -> None:
    with time_machine.travel(MONTH_1, tick=False):
        on_response(response_id=answer(UNHAPPY, on=MONTH_1).pk)
    close_alert(alert=Alert.objects.get(), by=cast.owner, note="Sorted.", now=MONTH_1)
    with time_machine.travel(MONTH_3, tick=False):
        on_response(response_id=answer(HAPPY, on=MONTH_3).pk)
    assert Alert.objects.get().state == "closed"


def test_the_daily_run_compares_pay_the_same_way_as_a_single_recompute(cast: Cast) -> None:
    for n in range(3):
        Placement.objects.create(
            person=cast.client_contact,
            company=cast.company,
            owner=cast.owner,
            role_title="Account Manager",
            start_date=START - dt.timedelta(days=400 + n),
            salary=Decimal("40000"),
            status=Placement.Status.SETTLED,
        )
    Placement.objects.filter(pk=cast.placement.pk).update(
        salary=Decimal("34400"), status=Placement.Status.IN_GUARANTEE
    )
    cast.placement.refresh_from_db()
    one = recompute_risk(placement=cast.placement, now=DAY_30)
    recompute_all(now=DAY_30)
    daily = Risk.objects.get(placement=cast.placement)
    assert daily.features["pay:below_role"] == one.features["pay:below_role"] == 0.14
    assert daily.features["pay:below_client"] == one.features["pay:below_client"]


def test_an_open_alert_does_not_pile_up_the_same_answers_every_morning(
    cast: Cast, answer: Answering
) -> None:
    with time_machine.travel(MONTH_1, tick=False):
        on_response(response_id=answer(UNHAPPY, on=MONTH_1).pk)
    said = Alert.objects.get().reason
    for day in (1, 2, 3):
        recompute_all(now=at(MONTH_1.date() + dt.timedelta(days=day), 6))
    assert Alert.objects.get().reason == said


def test_a_call_that_reached_nobody_counts_as_unanswered(cast: Cast) -> None:
    before = recompute_risk(placement=cast.placement, now=DAY_30)
    Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Month-1 call",
        due_on=DAY_30.date(),
        owner=cast.owner,
        state=Touchpoint.State.PLANNED,  # kept open for a retry
        outcome=Touchpoint.Outcome.NO_ANSWER,
    )
    after = recompute_risk(placement=cast.placement, now=DAY_30 + dt.timedelta(hours=2))
    assert after.features["response:unanswered"] == 1
    assert after.score > before.score
