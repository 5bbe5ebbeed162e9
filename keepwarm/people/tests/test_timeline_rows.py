"""A person's timeline is written without the template engine; it reads exactly as the
timeline's template (people/_timeline_entry.html) wrote it, for every kind of entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import timezone

from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.queries import timeline_for
from keepwarm.conftest import Cast, make_user
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Note
from keepwarm.people.templatetags.timeline import timeline_rows
from keepwarm.signals.models import TextReading
from keepwarm.signals.templatetags.text_readings import text_readings
from keepwarm.surveys.services import Given, record_response
from keepwarm.surveys.tests.conftest import make_checkin, sent_invitation

pytestmark = pytest.mark.django_db

# The page's loop over the timeline as it was before the rows were written in Python.
LOOP = engines["django"].from_string(
    "{% for e in timeline %}\n        "
    '{% include "people/_timeline_entry.html" %}'
    "\n        {% endfor %}"
)


def _timeline_of_every_kind(cast: Cast) -> None:
    """Calls done, skipped and missed, with and without an outcome, a note's reading and
    names needing escaping; an email sent and one failed; notes; an answered questionnaire."""
    tricky = make_user("tricky")
    tricky.first_name, tricky.last_name = 'Zoë "Z" <b>', "O'Brien & Co"
    tricky.save()
    day = dt.date(2026, 3, 2)
    rows: list[dict[str, object]] = [
        dict(title="Week one call", state="done", outcome="reached", notes="All good"),
        dict(title="Call <the> client & 'co'", state="done", outcome="", done_by=tricky),
        dict(title="Month one call", state="skipped", skip_reason="Spoke at the office & <b>"),
        dict(title="Missed call", state="missed", skip_reason=""),
        dict(title="Meeting", kind=Kind.MEETING, state="done", outcome="voicemail", notes="x"),
        dict(title="No notes", kind=Kind.NOTE, state="done", placement=None),
    ]
    for n, extra in enumerate(rows):
        values: dict[str, object] = {
            "person": cast.candidate,
            "placement": cast.placement,
            "kind": Kind.CALL,
            "title": "",
            "due_on": day + dt.timedelta(days=n),
            "owner": cast.owner,
            **extra,
        }
        if values["state"] == "done":
            values["done_at"] = timezone.make_aware(dt.datetime(2026, 3, 2 + n, 14, 5))
        touchpoint = Touchpoint.objects.create(**values)
        if values.get("notes") == "All good":
            TextReading.objects.create(
                source=TextReading.Source.TOUCHPOINT,
                source_id=touchpoint.pk,
                tone=0.51,
                intent="leaving",
                intent_phrase="might look <elsewhere>",
                read_at=timezone.now(),
            )
    for n, (state, subject) in enumerate([("sent", "How is it going?"), ("failed", "A & <b>")]):
        OutboxMessage.objects.create(
            key=f"timeline:{n}",
            person=cast.candidate,
            to_email="priya@example.net",
            from_email="olivia@agency.example",
            subject=subject,
            body_text="Hi Priya",
            state=state,
            send_after=timezone.now(),
            sent_at=timezone.make_aware(dt.datetime(2026, 4, 1, 8, 30)) if n == 0 else None,
        )
    Note.objects.create(person=cast.candidate, author=tricky, text='Said "maybe" <later> & more')
    Note.objects.create(person=cast.candidate, author=None, text="Nobody's note")
    asked = make_checkin()
    invitation = sent_invitation(cast, asked)
    record_response(
        invitation=invitation,
        given={
            asked.satisfaction.pk: Given(number=Decimal(4)),
            asked.expectations.pk: Given(text="yes"),
            asked.nps.pk: Given(number=Decimal(9)),
        },
    )


def test_the_timeline_reads_as_its_template_wrote_it(cast: Cast) -> None:
    _timeline_of_every_kind(cast)
    timeline = timeline_for(cast.candidate, user=cast.owner)
    kinds = {e.kind for e in timeline}
    assert kinds == {"touchpoint", "message", "note", "response"}
    readings = text_readings(timeline)
    assert readings  # one call note was read

    written = timeline_rows(timeline, readings)

    assert written == LOOP.render({"timeline": timeline, "readings": readings})
    assert "Call &lt;the&gt; client &amp; &#x27;co&#x27;" in written
    assert "leaving intent" in written


def test_an_empty_timeline_writes_nothing(cast: Cast) -> None:
    assert timeline_rows([], {}) == ""
