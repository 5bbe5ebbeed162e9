"""Readiness to move: reasons in words, one call on Today per crossing, the daily run,
a new statement counting at once, and the Ready to move list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import DailyJob, Kind, Touchpoint
from keepwarm.conftest import START, Cast
from keepwarm.lib import events
from keepwarm.network import readiness
from keepwarm.network.models import Readiness, StatusStatement
from keepwarm.people.models import Note, Person
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Risk, Signal, SignalKind
from keepwarm.worker.tick import tick


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# Priya started on START (2 Mar 2026): her first anniversary is 2 Mar 2027.
ANNIVERSARY = dt.date(2027, 3, 2)


@pytest.fixture
def in_post(cast: Cast) -> Placement:
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save(update_fields=["status"])
    return cast.placement


@pytest.fixture
def heard() -> Any:
    """Domain events sent after commit, as a webhook would receive them."""
    got: list[dict[str, Any]] = []

    def listen(sender: Any, event: str, payload: dict[str, Any], **kwargs: Any) -> None:
        got.append({"event": event, **payload})

    events.domain_event.connect(listen, dispatch_uid="test_readiness_listen")
    yield got
    events.domain_event.disconnect(dispatch_uid="test_readiness_listen")


def say(
    person: Person, status: str, *, on: dt.datetime, contract_end_on: dt.date | None = None
) -> None:
    statement = StatusStatement.objects.create(
        person=person, status=status, contract_end_on=contract_end_on, source="personal_page"
    )
    StatusStatement.objects.filter(pk=statement.pk).update(created_at=on)


def ready_calls(person: Person) -> list[Touchpoint]:
    return list(
        Touchpoint.objects.filter(person=person, kind=Kind.CALL, title__startswith="Ready to move")
    )


def test_anniversary_alone_is_a_reason_but_not_ready(cast: Cast, in_post: Placement) -> None:
    readiness.recompute([cast.candidate.pk], now=at(ANNIVERSARY))
    r = Readiness.objects.get(person=cast.candidate)
    texts = [reason["text"] for reason in r.reasons]
    assert "1 year in post as Account Manager at Acme Widgets on 2 Mar 2027" in texts
    assert r.score < readiness.THRESHOLD
    assert ready_calls(cast.candidate) == []


def test_anniversary_months_come_from_settings(
    cast: Cast, in_post: Placement, settings: Any
) -> None:
    settings.KEEPWARM_READINESS_ANNIVERSARY_MONTHS = [9]
    readiness.recompute([cast.candidate.pk], now=at(dt.date(2026, 12, 2)))
    texts = [reason["text"] for reason in Readiness.objects.get(person=cast.candidate).reasons]
    assert any(t.startswith("9 months in post") for t in texts)
    readiness.recompute([cast.candidate.pk], now=at(ANNIVERSARY))
    texts = [reason["text"] for reason in Readiness.objects.get(person=cast.candidate).reasons]
    assert not any("in post as" in t for t in texts)


def test_anniversary_and_falling_satisfaction_put_a_call_on_the_owners_today(
    cast: Cast,
    in_post: Placement,
    heard: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    Signal.objects.create(
        placement=in_post,
        kind=SignalKind.NOT_IN_A_YEAR,
        weight=0.4,
        reason='Said "no" to seeing themselves there in a year',
        source=Signal.Source.ANSWER,
        observed_on=ANNIVERSARY - dt.timedelta(days=20),
    )
    with django_capture_on_commit_callbacks(execute=True):
        readiness.recompute([cast.candidate.pk], now=at(ANNIVERSARY))
    r = Readiness.objects.get(person=cast.candidate)
    assert r.score >= readiness.THRESHOLD
    [call] = ready_calls(cast.candidate)
    assert call.owner == cast.owner
    assert call.due_on == ANNIVERSARY
    assert call.state == Touchpoint.State.PLANNED
    assert "seeing themselves there in a year" in call.title + call.notes
    assert "1 year in post" in call.notes
    [event] = heard
    assert event["event"] == events.PERSON_READY_TO_MOVE
    assert event["person_id"] == cast.candidate.pk

    # The next day's run finds them still ready: no second call, no second event.
    with django_capture_on_commit_callbacks(execute=True):
        readiness.recompute([cast.candidate.pk], now=at(ANNIVERSARY + dt.timedelta(days=1)))
    assert len(ready_calls(cast.candidate)) == 1
    assert len(heard) == 1


def test_client_side_worries_do_not_count_as_the_candidates_mood(
    cast: Cast, in_post: Placement
) -> None:
    Signal.objects.create(
        placement=in_post,
        kind=SignalKind.LOW_RATING,
        weight=0.15,
        reason="Client rated performance 2 of 5",
        source=Signal.Source.ANSWER,
        observed_on=START + dt.timedelta(days=190),
    )
    readiness.recompute([cast.candidate.pk], now=at(START + dt.timedelta(days=200)))
    assert Readiness.objects.get(person=cast.candidate).reasons == []


def test_statement_recomputes_at_once_and_calls_once_per_crossing(
    cast: Cast, in_post: Placement, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        StatusStatement.objects.create(
            person=cast.candidate, status="actively_looking", source="personal_page"
        )
    r = Readiness.objects.get(person=cast.candidate)
    assert r.score >= readiness.THRESHOLD
    assert r.reasons[0]["text"].startswith("Actively looking (personal page")
    [call] = ready_calls(cast.candidate)
    assert call.title.startswith("Ready to move: Actively looking")

    # Saying "happy" brings them below the threshold ...
    with django_capture_on_commit_callbacks(execute=True):
        StatusStatement.objects.create(person=cast.candidate, status="happy", source="check_in")
    assert Readiness.objects.get(person=cast.candidate).score < readiness.THRESHOLD
    # ... and saying "open" again later is a new crossing with a new call.
    with django_capture_on_commit_callbacks(execute=True):
        StatusStatement.objects.create(
            person=cast.candidate, status="actively_looking", source="consultant"
        )
    assert len(ready_calls(cast.candidate)) == 2


def test_happy_statement_outweighs_the_calendar(cast: Cast, in_post: Placement) -> None:
    Risk.objects.create(placement=in_post, score=70, reasons=[], computed_at=at(ANNIVERSARY))
    say(cast.candidate, "happy", on=at(ANNIVERSARY - dt.timedelta(days=10)))
    readiness.recompute([cast.candidate.pk], now=at(ANNIVERSARY))
    r = Readiness.objects.get(person=cast.candidate)
    assert r.score < readiness.THRESHOLD
    assert r.reasons[-1]["code"] == "happy"
    assert "Fall-off risk 70 of 100 on this post" in [x["text"] for x in r.reasons]


def test_contract_end_approaching_and_an_old_statement(cast: Cast, in_post: Placement) -> None:
    today = START + dt.timedelta(days=200)
    say(
        cast.candidate,
        "open",
        on=at(today - dt.timedelta(days=250)),
        contract_end_on=today + dt.timedelta(days=30),
    )
    readiness.recompute([cast.candidate.pk], now=at(today))
    r = Readiness.objects.get(person=cast.candidate)
    texts = [x["text"] for x in r.reasons]
    ends = today + dt.timedelta(days=30)
    assert f"Contract ends {ends.day} {ends:%b %Y} (in 30 days)" in texts
    # Over six months old, the "open" statement counts half.
    statement = next(x for x in r.reasons if x["code"] == "statement")
    assert statement["weight"] == pytest.approx(readiness.WEIGHTS["open"] / 2)
    assert r.score >= readiness.THRESHOLD


def test_no_progression_after_a_year_unless_mentioned(cast: Cast, in_post: Placement) -> None:
    today = START + dt.timedelta(days=450)
    readiness.recompute([cast.candidate.pk], now=at(today))
    codes = [x["code"] for x in Readiness.objects.get(person=cast.candidate).reasons]
    assert "no_progression" in codes
    note = Note.objects.create(person=cast.candidate, text="Got promoted to team lead!")
    Note.objects.filter(pk=note.pk).update(created_at=at(today - dt.timedelta(days=5)))
    readiness.recompute([cast.candidate.pk], now=at(today))
    codes = [x["code"] for x in Readiness.objects.get(person=cast.candidate).reasons]
    assert "no_progression" not in codes


def test_worker_recomputes_readiness_once_a_day(cast: Cast, in_post: Placement) -> None:
    say(cast.candidate, "actively_looking", on=at(ANNIVERSARY - dt.timedelta(days=3)))
    report = tick(now=at(ANNIVERSARY, hour=11))
    assert "readiness recomputed for 1, newly ready 1" in report.summary()
    assert DailyJob.objects.filter(name=readiness.DAILY_JOB, day=ANNIVERSARY).exists()
    assert len(ready_calls(cast.candidate)) == 1
    again = tick(now=at(ANNIVERSARY, hour=12))
    assert "readiness" not in again.summary()
    assert len(ready_calls(cast.candidate)) == 1


def test_someone_without_an_owner_gets_no_call_but_is_listed(cast: Cast) -> None:
    loner = Person.objects.create(first_name="Lone", last_name="Wolf")
    StatusStatement.objects.create(person=loner, status="actively_looking", source="consultant")
    readiness.recompute([loner.pk])
    assert Readiness.objects.get(person=loner).score >= readiness.THRESHOLD
    assert ready_calls(loner) == []


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_ready_to_move_list_shows_own_people_with_reasons_and_managers_filter(
    cast: Cast, in_post: Placement
) -> None:
    other = Person.objects.create(first_name="Olu", last_name="Other", owner=cast.outsider)
    for person in (cast.candidate, other):
        StatusStatement.objects.create(
            person=person, status="actively_looking", source="consultant"
        )
    readiness.recompute([cast.candidate.pk, other.pk])
    url = reverse("ready_to_move")

    page = logged_in(cast.owner).get(url).content.decode()
    assert "Priya Patel" in page
    assert "Actively looking" in page
    assert "Olu Other" not in page

    page = logged_in(cast.manager).get(url).content.decode()
    assert "Priya Patel" in page and "Olu Other" in page
    page = logged_in(cast.manager).get(url, {"owner": cast.outsider.pk}).content.decode()
    assert "Olu Other" in page and "Priya Patel" not in page

    # A consultant cannot widen their view with the filter.
    page = logged_in(cast.outsider).get(url, {"owner": cast.owner.pk}).content.decode()
    assert "Priya Patel" not in page and "Olu Other" in page


def test_ready_to_move_needs_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("ready_to_move"))
    assert response.status_code == 302


def test_an_unchanged_readiness_is_marked_as_worked_out_again(
    cast: Cast, in_post: Placement
) -> None:
    readiness.recompute([cast.candidate.pk], now=at(ANNIVERSARY))
    first = Readiness.objects.get(person=cast.candidate)
    readiness.recompute([cast.candidate.pk], now=at(ANNIVERSARY, hour=15))
    again = Readiness.objects.get(person=cast.candidate)
    assert (again.score, again.reasons) == (first.score, first.reasons)
    assert again.computed_at == at(ANNIVERSARY, hour=15)


def test_a_ready_to_move_call_found_on_a_sunday_falls_due_on_monday(
    cast: Cast, in_post: Placement
) -> None:
    sunday = ANNIVERSARY + dt.timedelta(days=5)
    Signal.objects.create(
        placement=in_post,
        kind=SignalKind.NOT_IN_A_YEAR,
        weight=0.4,
        reason='Said "no" to seeing themselves there in a year',
        source=Signal.Source.ANSWER,
        observed_on=ANNIVERSARY - dt.timedelta(days=20),
    )

    readiness.recompute([cast.candidate.pk], now=at(sunday))

    [call] = ready_calls(cast.candidate)
    assert sunday.weekday() == 6
    assert call.due_on == sunday + dt.timedelta(days=1)


def test_a_long_reason_makes_a_call_title_cut_at_a_word_with_an_ellipsis() -> None:
    reason = "Less happy lately: " + "Said the job does not meet expectations; " * 8
    title = readiness.ready_call_title(reason)
    assert len(title) <= readiness.TITLE_LENGTH
    assert title.startswith("Ready to move: Less happy lately: Said the job")
    assert title.endswith("expectations…")  # a whole word, its semicolon dropped
    assert readiness.ready_call_title("Actively looking") == "Ready to move: Actively looking"
