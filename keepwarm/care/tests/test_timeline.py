import datetime as dt

from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import timeline_for
from keepwarm.care.services import log_touchpoint
from keepwarm.conftest import START, Cast, oscar_places_sam
from keepwarm.mail.models import OutboxMessage, OutboxTemplate
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

    entries = timeline_for(cast.candidate, user=cast.owner)

    assert [(e.kind, e.obj.pk) for e in entries] == [
        ("note", note.pk),
        ("message", message.pk),
        ("touchpoint", call.pk),
    ]
    assert entries[2].by == cast.owner
    assert entries[2].text == "Loves the team"


def test_other_peoples_history_stays_off_the_timeline(cast: Cast) -> None:
    log_touchpoint(person=cast.client_contact, by=cast.owner, kind="call", outcome="reached")
    assert timeline_for(cast.candidate, user=cast.owner) == []


def test_a_shared_hiring_managers_timeline_shows_only_the_viewers_placements(cast: Cast) -> None:
    theirs = oscar_places_sam(cast)
    olivias = log_touchpoint(
        person=cast.client_contact,
        by=cast.owner,
        kind="call",
        outcome="reached",
        notes="Harry worries Priya misses her targets",
        placement=cast.placement,
    )
    oscars = log_touchpoint(
        person=cast.client_contact,
        by=cast.outsider,
        kind="call",
        outcome="reached",
        notes="Sam is settling in",
        placement=theirs,
    )

    def seen_by(user: User) -> set[int]:
        return {e.obj.pk for e in timeline_for(cast.client_contact, user=user)}

    assert seen_by(cast.outsider) == {oscars.pk}
    assert seen_by(cast.owner) == {olivias.pk}
    assert seen_by(cast.manager) == {olivias.pk, oscars.pk}


def test_a_shared_hiring_managers_check_in_about_anothers_placement_stays_off(
    cast: Cast,
) -> None:
    oscar_places_sam(cast)
    check_in = Touchpoint.objects.create(
        person=cast.client_contact,
        placement=cast.placement,
        kind="email",
        title="How is Priya doing?",
        owner=cast.owner,
        due_on=START,
        state=Touchpoint.State.DONE,
    )
    OutboxMessage.objects.create(
        key="touchpoint:shared",
        person=cast.client_contact,
        touchpoint=check_in,
        to_email=cast.client_contact.email,
        from_email="olivia@agency.example",
        subject="How is Priya doing?",
        body_text="Hi Harry",
        send_after=dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC),
    )

    assert timeline_for(cast.client_contact, user=cast.outsider) == []
    assert len(timeline_for(cast.client_contact, user=cast.owner)) == 2


def test_a_newsletter_copy_reads_on_the_timeline_as_it_was_sent(cast: Cast) -> None:
    template = OutboxTemplate.objects.create(
        key="newsletter:1:abc", body_text="Hi %%KW_FIRST_NAME%%, June news.", fields=["first_name"]
    )
    OutboxMessage.objects.create(
        key="newsletter:1:1",
        person=cast.candidate,
        to_email=cast.candidate.email,
        subject="June news",
        template=template,
        fills={"first_name": "Priya"},
        send_after=dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC),
    )

    entries = timeline_for(cast.candidate, user=cast.owner)

    assert [(e.title, e.text) for e in entries] == [("June news", "Hi Priya, June news.")]
