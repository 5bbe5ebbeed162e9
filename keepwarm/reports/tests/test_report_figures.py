"""Check-in discipline, NPS and alerts figures from small, hand-counted examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from keepwarm.accounts.models import User
from keepwarm.care.models import Audience, Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.placements.models import Placement
from keepwarm.reports import queries
from keepwarm.reports.queries import Scope
from keepwarm.signals.models import Alert
from keepwarm.surveys.models import Answer, Invitation, Question, Questionnaire, Response

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)
NOON = dt.time(12, tzinfo=dt.UTC)


def _scope(cast: Cast, user: object = None, **extra: object) -> Scope:
    return Scope(
        user=user or cast.manager,  # type: ignore[arg-type]
        start=dt.date(2026, 1, 1),
        end=TODAY,
        today=TODAY,
        **extra,  # type: ignore[arg-type]
    )


def _touchpoint(
    cast: Cast,
    due: dt.date,
    state: str,
    done: dt.date | None = None,
    *,
    kind: str = Kind.CALL,
    owner: User | None = None,
) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=kind,
        title="Call",
        due_on=due,
        owner=owner or cast.owner,
        state=state,
        done_at=dt.datetime.combine(done, NOON) if done else None,
    )


def test_discipline_counts_on_time_late_missed_and_skipped(cast: Cast) -> None:
    day = dt.date(2026, 3, 10)
    _touchpoint(cast, day, Touchpoint.State.DONE, day)  # on time
    _touchpoint(cast, day, Touchpoint.State.DONE, day - dt.timedelta(days=2))  # early: on time
    _touchpoint(cast, day, Touchpoint.State.DONE, day + dt.timedelta(days=3))  # late
    _touchpoint(cast, day, Touchpoint.State.MISSED)
    _touchpoint(cast, day, Touchpoint.State.PLANNED)  # overdue: missed
    _touchpoint(cast, day, Touchpoint.State.SKIPPED)
    _touchpoint(cast, TODAY, Touchpoint.State.PLANNED)  # due today: not yet missed
    _touchpoint(cast, day, Touchpoint.State.PLANNED, kind=Kind.EMAIL)  # the worker's job
    _touchpoint(cast, day, Touchpoint.State.MISSED, owner=cast.outsider)

    rows = {r.name: r for r in queries.discipline(_scope(cast))}
    olivia = rows["Olivia Owner"]
    assert (olivia.on_time, olivia.late, olivia.missed, olivia.skipped) == (2, 1, 2, 1)
    assert olivia.on_time_percent == 33
    assert rows["Oscar Other"].missed == 1
    own = queries.discipline(_scope(cast, user=cast.owner))
    assert [r.name for r in own] == ["Olivia Owner"]


def _answer(cast: Cast, audience: str, score: int, when: dt.date, comment: str = "") -> None:
    questionnaire, _ = Questionnaire.objects.get_or_create(
        code=f"q-{audience}", defaults={"name": f"Q {audience}", "audience": audience}
    )
    nps, _ = Question.objects.get_or_create(
        questionnaire=questionnaire, code="nps", defaults={"kind": Question.Kind.NPS, "label": "?"}
    )
    text, _ = Question.objects.get_or_create(
        questionnaire=questionnaire,
        code="why",
        defaults={"kind": Question.Kind.TEXT, "label": "Why?", "required": False},
    )
    person = cast.candidate if audience == Audience.CANDIDATE else cast.client_contact
    at = dt.datetime.combine(when, NOON)
    invitation = Invitation.objects.create(
        placement=cast.placement,
        person=person,
        questionnaire=questionnaire,
        expires_at=at + dt.timedelta(days=30),
        answered_at=at,
    )
    response = Response.objects.create(
        invitation=invitation,
        placement=cast.placement,
        person=person,
        questionnaire=questionnaire,
        submitted_at=at,
    )
    Answer.objects.create(response=response, question=nps, value_number=Decimal(score))
    if comment:
        Answer.objects.create(response=response, question=text, value_text=comment)


def test_nps_is_promoters_minus_detractors_per_month_and_audience(cast: Cast) -> None:
    march, april = dt.date(2026, 3, 5), dt.date(2026, 4, 5)
    # March candidates: 5 promoters, 3 passives, 2 detractors of 10 -> +30
    for score in (10, 10, 9, 9, 9, 8, 8, 7, 3, 0):
        _answer(cast, Audience.CANDIDATE, score, march)
    _answer(cast, Audience.CANDIDATE, 6, april, comment="The commute is long")
    _answer(cast, Audience.CLIENT, 9, april)

    data = queries.nps(_scope(cast))
    assert data.by_month[Audience.CANDIDATE][dt.date(2026, 3, 1)].score == 30
    # 5 promoters, 3 detractors of 11 -> +18
    assert data.overall[Audience.CANDIDATE].score == 18
    assert data.by_consultant[0][0] == "Olivia Owner"
    [comment] = queries.nps_comments(_scope(cast))
    assert comment.value_text == "The commute is long" and comment.nps == 6  # type: ignore[attr-defined]


def test_nps_shows_no_score_until_there_are_ten_answers(cast: Cast) -> None:
    for score in (10, 10, 9):
        _answer(cast, Audience.CLIENT, score, dt.date(2026, 4, 5))

    data = queries.nps(_scope(cast))
    clients = data.overall[Audience.CLIENT]
    assert clients.score is None and clients.answers == 3
    assert clients.wanting == "3 answers so far — a score needs 10"
    assert data.overall[Audience.CANDIDATE].wanting == "No answers yet — a score needs 10"
    for _ in range(7):
        _answer(cast, Audience.CLIENT, 6, dt.date(2026, 4, 6))
    assert queries.nps(_scope(cast)).overall[Audience.CLIENT].score == -40  # 3 - 7 of 10


def test_alerts_closed_in_time_and_whether_the_next_answer_improved(cast: Cast) -> None:
    opened = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
    _answer(cast, Audience.CANDIDATE, 4, dt.date(2026, 3, 9))
    Alert.objects.create(
        placement=cast.placement,
        owner=cast.owner,
        reason="Low score",
        opened_at=opened,
        due_at=opened + dt.timedelta(days=1),
        state=Alert.State.CLOSED,
        closed_at=opened + dt.timedelta(hours=5),
        close_note="Called her",
    )
    _answer(cast, Audience.CANDIDATE, 8, dt.date(2026, 4, 9))  # better than 4
    other = Placement.objects.create(
        person=cast.client_contact,
        company=cast.company,
        owner=cast.owner,
        role_title="Other",
        start_date=dt.date(2026, 1, 5),
    )
    Alert.objects.create(
        placement=other,
        owner=cast.owner,
        reason="Silence",
        opened_at=opened,
        due_at=opened + dt.timedelta(days=1),
        state=Alert.State.CLOSED,
        closed_at=opened + dt.timedelta(days=3),
        close_note="Emailed",
    )
    Alert.objects.create(
        placement=other,
        owner=cast.owner,
        reason="Still silent",
        opened_at=opened + dt.timedelta(days=20),
        due_at=opened + dt.timedelta(days=21),
    )

    data = queries.alerts(_scope(cast))
    [row] = data.rows
    assert (row.raised, row.in_time, row.late, row.open, row.overdue) == (3, 1, 1, 1, 1)
    assert data.outcomes["improved"] == 1
    assert data.outcomes["waiting"] == 2  # no answer since on the other placement
