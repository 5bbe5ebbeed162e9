import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from keepwarm.care.models import Touchpoint
from keepwarm.care.services import log_touchpoint, skip_touchpoint
from keepwarm.conftest import START, Cast

NOW = dt.datetime(2026, 3, 5, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def week_one_call(cast: Cast) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind="call",
        title="Week-one call",
        due_on=START + dt.timedelta(days=3),
        owner=cast.owner,
    )


def test_logging_a_due_call_completes_it_and_warms_the_contact(
    cast: Cast, week_one_call: Touchpoint
) -> None:
    done = log_touchpoint(
        person=cast.candidate,
        by=cast.colleague,
        kind="call",
        outcome="reached",
        notes="Settling in well",
        touchpoint=week_one_call,
        now=NOW,
    )
    assert done.pk == week_one_call.pk
    assert done.state == Touchpoint.State.DONE
    assert done.done_by == cast.colleague
    assert done.done_at == NOW
    assert done.notes == "Settling in well"
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at == NOW


def test_no_answer_does_not_count_as_contact(cast: Cast, week_one_call: Touchpoint) -> None:
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="no_answer",
        touchpoint=week_one_call,
        now=NOW,
    )
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at is None


def test_logging_the_same_call_twice_is_refused(cast: Cast, week_one_call: Touchpoint) -> None:
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="reached",
        touchpoint=week_one_call,
        now=NOW,
    )
    with pytest.raises(ValidationError):
        log_touchpoint(
            person=cast.candidate,
            by=cast.owner,
            kind="call",
            outcome="reached",
            touchpoint=week_one_call,
            now=NOW,
        )


def test_next_action_date_plans_a_follow_up_call_for_the_owner(
    cast: Cast, week_one_call: Touchpoint
) -> None:
    log_touchpoint(
        person=cast.candidate,
        by=cast.colleague,
        kind="call",
        outcome="voicemail",
        touchpoint=week_one_call,
        next_action_on=dt.date(2026, 3, 9),
        now=NOW,
    )
    follow_up = Touchpoint.objects.get(state="planned", person=cast.candidate)
    assert follow_up.kind == "call"
    assert follow_up.due_on == dt.date(2026, 3, 9)
    assert follow_up.owner == cast.owner  # the covering colleague logged it
    assert follow_up.placement == cast.placement


def test_an_unplanned_call_is_recorded_as_done(cast: Cast) -> None:
    logged = log_touchpoint(
        person=cast.client_contact,
        by=cast.owner,
        kind="call",
        outcome="reached",
        placement=cast.placement,
        now=NOW,
    )
    assert logged.state == Touchpoint.State.DONE
    assert logged.audience == "client"
    assert logged.due_on == dt.date(2026, 3, 5)
    cast.client_contact.refresh_from_db()
    assert cast.client_contact.last_contacted_at == NOW


def test_an_older_call_logged_late_does_not_make_the_contact_look_older(cast: Cast) -> None:
    log_touchpoint(person=cast.candidate, by=cast.owner, kind="call", outcome="reached", now=NOW)
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="reached",
        now=NOW - dt.timedelta(days=3),
    )
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at == NOW


def test_skipping_needs_a_reason_and_keeps_it(cast: Cast, week_one_call: Touchpoint) -> None:
    with pytest.raises(ValidationError):
        skip_touchpoint(touchpoint=week_one_call, by=cast.owner, reason="  ")
    skipped = skip_touchpoint(touchpoint=week_one_call, by=cast.owner, reason="On holiday")
    assert skipped.state == Touchpoint.State.SKIPPED
    assert skipped.skip_reason == "On holiday"


def test_done_work_cannot_be_skipped(cast: Cast, week_one_call: Touchpoint) -> None:
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="reached",
        touchpoint=week_one_call,
        now=NOW,
    )
    with pytest.raises(ValidationError):
        skip_touchpoint(touchpoint=week_one_call, by=cast.owner, reason="Changed my mind")
