"""Today's rows are read as values and written without the template engine; they read
exactly as the shared row template (care/_touchpoint.html, still used by the placement,
person and Due pages) writes the same touchpoints, for every kind of row Today shows."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.template.loader import render_to_string

from keepwarm.care.models import Audience, Kind, Touchpoint
from keepwarm.care.queries import due_calls
from keepwarm.care.rows import today_rows_html
from keepwarm.conftest import Cast, make_user
from keepwarm.people.models import Person

LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = dt.date(2026, 5, 20)
NEXT = "/%3Fpage%3D2/"  # a Today URL quoted as the view quotes it


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 5, 20, 10, 0, tzinfo=LONDON), tick=False):
        yield


def _cast_of_rows(cast: Cast) -> list[Touchpoint]:
    """One of each kind of row Today shows, with names that need escaping."""
    tricky = Person.objects.create(
        first_name="Zoë <b>",
        last_name='O\'Brien & "Co"',
        email="zoe@example.net",
        phone="+33 1 42 68 53 00",
        owner=cast.owner,
    )
    nameless = make_user("nofirstname")
    nameless.first_name = ""
    nameless.save()
    day = dt.timedelta(days=1)
    rows: list[dict[str, object]] = [
        dict(title="Week one call", due_on=TODAY - 3 * day),
        dict(title="Month 2 call", due_on=TODAY),
        dict(title="Next year's call", due_on=TODAY + 400 * day),
        dict(title="Meet <the> team", kind=Kind.MEETING, due_on=TODAY + 2 * day),
        dict(title="A note", kind=Kind.NOTE, placement=None),
        dict(title="Client call", audience=Audience.CLIENT, person=cast.client_contact),
        dict(title="Tried twice", attempts=2, outcome=Touchpoint.Outcome.NO_ANSWER),
        dict(title="Retry", attempts=1, outcome="voicemail", due_on=TODAY + 2 * day),
        dict(title="Wrong", attempts=3, outcome=Touchpoint.Outcome.WRONG_NUMBER),
        dict(title="Covered", owner=cast.colleague),
        dict(title="Someone else's", owner=nameless),
        dict(title="Zoë's & <call>", person=tricky, placement=None),
        dict(title="Quotes \"and\" 'apostrophes'", person=tricky, kind=Kind.MEETING),
    ]
    made = []
    for row in rows:
        values: dict[str, object] = dict(
            person=cast.candidate,
            placement=cast.placement,
            kind=Kind.CALL,
            due_on=TODAY,
            owner=cast.owner,
        )
        values.update(row)
        made.append(Touchpoint.objects.create(**values))
    return made


def _normalised(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def _through_template(t: Touchpoint, *, user_pk: int, covering_ids: set[int]) -> str:
    user = type("User", (), {"pk": user_pk})()
    context = {
        "t": t,
        "today": TODAY,
        "user": user,
        "covering_ids": covering_ids,
        "next_param": NEXT,
    }
    return render_to_string("care/_touchpoint.html", context)


@pytest.mark.parametrize("viewer", ["owner", "colleague"])
def test_today_rows_read_exactly_as_the_row_template_writes_them(cast: Cast, viewer: str) -> None:
    made = _cast_of_rows(cast)
    # Read as Today reads them, and as the other pages do: whole model instances.
    calls = due_calls([t.pk for t in made])
    instances = {
        t.pk: t
        for t in Touchpoint.objects.filter(pk__in=[t.pk for t in made]).select_related(
            "person", "placement", "placement__company", "owner"
        )
    }
    assert [c.pk for c in calls] == sorted(instances, key=lambda pk: (instances[pk].due_on, pk))
    user = getattr(cast, viewer)
    covering = {cast.owner.pk} if viewer == "colleague" else {cast.colleague.pk}
    for call in calls:
        written = today_rows_html(
            [call], user_pk=user.pk, today=TODAY, covering_ids=covering, next_param=NEXT
        )
        expected = _through_template(instances[call.pk], user_pk=user.pk, covering_ids=covering)
        assert "<b>" not in written and "<the>" not in written  # names and titles escaped
        assert _normalised(written) == _normalised(expected), call.title
