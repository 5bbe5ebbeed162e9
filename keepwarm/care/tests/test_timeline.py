import datetime as dt

from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import timeline_for
from keepwarm.care.services import log_touchpoint
from keepwarm.conftest import START, Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Note


def test_timeline_shows_calls_messages_and_notes_newest_first(cast: Cast) -> None:
    call = log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="reached",
        notes="Loves the team",
        now=dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC),
    )
    message = OutboxMessage.objects.create(
        key="touchpoint:test",
        person=cast.candidate,
        to_email=cast.candidate.email,
        from_email="olivia@agency.example",
        subject="How was your first week?",
        body_text="Hi Priya",
        send_after=dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC),
        state=OutboxMessage.State.SENT,
        sent_at=dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC),
    )
    note = Note.objects.create(person=cast.candidate, author=cast.owner, text="Wants to manage")
    Note.objects.filter(pk=note.pk).update(created_at=dt.datetime(2026, 3, 12, tzinfo=dt.UTC))
    Touchpoint.objects.create(
        person=cast.candidate,
        kind="call",
        title="Future call",
        owner=cast.owner,
        due_on=START + dt.timedelta(days=300),
    )

    entries = timeline_for(cast.candidate)

    assert [(e.kind, e.obj.pk) for e in entries] == [
        ("note", note.pk),
        ("message", message.pk),
        ("touchpoint", call.pk),
    ]
    assert entries[2].by == cast.owner
    assert entries[2].text == "Loves the team"


def test_other_peoples_history_stays_off_the_timeline(cast: Cast) -> None:
    log_touchpoint(person=cast.client_contact, by=cast.owner, kind="call", outcome="reached")
    assert timeline_for(cast.candidate) == []
