"""On PostgreSQL a page's "viewed" entries commit without waiting for the disk, while every
change to data (and anything written with it) stays durable; an operator can keep read
entries durable too (KEEPWARM_DURABLE_READ_LOG).

What PostgreSQL itself saw is observed: a trigger on the audit table notes the
`synchronous_commit` in force in the transaction that wrote each entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import ApiToken
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import record, record_read
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.people.models import Person

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit modes"),
    # Each request commits its own transactions, as in production.
    pytest.mark.django_db(transaction=True),
]

Seen = list[tuple[str, str, str]]  # (action, object type, synchronous_commit)


@pytest.fixture
def commit_modes() -> Iterator[None]:
    """The server notes each audit entry written with the commit mode of the transaction
    that wrote it, as the row goes in (read with written_since)."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE seen_commit_mode (action text, object_type text, mode text)")
        cursor.execute(
            "CREATE FUNCTION note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " INSERT INTO seen_commit_mode VALUES"
            " (NEW.action, NEW.object_type, current_setting('synchronous_commit'));"
            " RETURN NULL; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER note_commit_mode AFTER INSERT ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION note_commit_mode()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER note_commit_mode ON {table}")
        cursor.execute("DROP FUNCTION note_commit_mode()")
        cursor.execute("DROP TABLE seen_commit_mode")


def written_since() -> Seen:
    """The audit entries written since the last call, with their commit modes."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM seen_commit_mode RETURNING action, object_type, mode")
        return [(action, object_type, mode) for action, object_type, mode in cursor.fetchall()]


def test_today_records_who_was_shown_without_waiting_for_the_disk(
    cast: Cast, commit_modes: None
) -> None:
    client = Client()
    client.force_login(cast.owner)
    written_since()

    assert client.get(reverse("today")).status_code == 200

    viewed = AuditEntry.objects.filter(action="viewed", actor=cast.owner)
    assert viewed.filter(person_id=cast.candidate.pk).exists()
    assert set(written_since()) == {("viewed", "people.person", "off")}


def test_logging_a_call_is_durable_while_the_page_view_after_it_is_not(
    cast: Cast, commit_modes: None
) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    call = Touchpoint.objects.create(
        person=cast.candidate, kind=Kind.CALL, title="Call", due_on=yesterday, owner=cast.owner
    )
    client = Client()
    client.force_login(cast.owner)
    written_since()

    response = client.post(reverse("log_touchpoint", args=[call.pk]), {"outcome": "reached"})
    assert response.status_code == 302
    change = written_since()
    assert ("changed", "care.touchpoint", "on") in change
    assert {mode for _, _, mode in change} == {"on"}

    client.get(reverse("person", args=[cast.candidate.pk]))
    assert {mode for _, _, mode in written_since()} == {"off"}


def test_an_api_read_and_a_record_page_record_their_reads_the_same_way(
    cast: Cast, commit_modes: None
) -> None:
    _, raw = ApiToken.issue(user=cast.manager)
    client = Client()
    written_since()

    api = client.get(reverse("api:people"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 200
    client.force_login(cast.manager)
    assert client.get(reverse("company", args=[cast.company.pk])).status_code == 200

    seen = written_since()
    assert ("viewed", "people.person", "off") in seen
    assert {(action, mode) for action, _, mode in seen} == {("viewed", "off")}


def test_a_read_recorded_inside_a_change_is_as_durable_as_the_change(
    cast: Cast, commit_modes: None
) -> None:
    written_since()

    with transaction.atomic():
        Person.objects.filter(pk=cast.candidate.pk).update(phone="+44 20 7946 0000")
        record_read([cast.candidate])

    assert written_since() == [("viewed", "people.person", "on")]


@override_settings(KEEPWARM_DURABLE_READ_LOG=True)
def test_an_operator_can_keep_every_view_durable(cast: Cast, commit_modes: None) -> None:
    client = Client()
    client.force_login(cast.owner)
    written_since()

    assert client.get(reverse("today")).status_code == 200

    assert set(written_since()) == {("viewed", "people.person", "on")}


def test_a_read_entry_written_at_once_keeps_what_it_records_exactly(commit_modes: None) -> None:
    # The entry goes as one script with its values bound in it: quotes, percent signs and
    # placeholders in a name or a path are the entry's text, nothing else.
    odd = "O'Brien 100% %s %(x)s; DROP TABLE x; --"
    entry = record(
        AuditEntry.Action.VIEWED,
        object_type="people.person",
        object_id=7,
        object_repr=odd,
        person_id=7,
        changes={"note": [None, odd]},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.object_repr, stored.changes, stored.object_id) == (
        odd,
        {"note": [None, odd]},
        "7",
    )
    assert written_since() == [("viewed", "people.person", "off")]
