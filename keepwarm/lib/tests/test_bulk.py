"""insert_objects stores what bulk_create would, on both engines, and gives back the ids;
update_objects saves what bulk_update would; `any_of` finds what `__in` finds; a staged
table fans out through insert_select."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.lib.bulk import (
    Ids,
    fetch_all,
    fetch_each,
    insert_objects,
    insert_rows,
    insert_select,
    read_as,
    staged,
    update_objects,
)
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db


def test_new_people_get_their_ids_and_every_value_as_given(cast: Cast) -> None:
    people = [
        Person(
            first_name="Zoë", last_name=f"O'Brien {i}", email=f"z{i}@example.org", owner=cast.owner
        )
        for i in range(3)
    ]
    assert insert_objects(people, batch=2) == 3
    assert all(p.pk and not p._state.adding for p in people)
    stored = Person.objects.in_bulk([p.pk for p in people])
    for person in people:
        got = stored[person.pk]
        assert (got.first_name, got.last_name, got.email, got.owner_id) == (
            "Zoë", person.last_name, person.email, cast.owner.pk,
        )  # fmt: skip
        assert got.created_at is not None  # auto_now_add stamped


def test_placements_keep_decimals_dates_and_json(cast: Cast) -> None:
    placement = Placement(
        person=cast.candidate,
        company=cast.company,
        owner=cast.owner,
        role_title="Analyst",
        start_date=dt.date(2026, 3, 2),
        salary=Decimal("41250.50"),
        fee=Decimal("8250.10"),
        rebate_scale=[{"within_days": 30, "percent": 100}],
    )
    insert_objects([placement])
    got = Placement.objects.get(pk=placement.pk)
    assert (got.start_date, got.salary, got.fee) == (
        dt.date(2026, 3, 2), Decimal("41250.50"), Decimal("8250.10"),
    )  # fmt: skip
    assert got.rebate_scale == [{"within_days": 30, "percent": 100}]


def test_values_read_by_hand_read_as_the_orm_reads_them(cast: Cast) -> None:
    placement = Placement.objects.create(
        person=cast.candidate,
        company=cast.company,
        owner=cast.owner,
        role_title="Analyst",
        start_date=dt.date(2026, 3, 2),
        salary=Decimal("41250.50"),
    )
    [(salary, start, created)] = fetch_all(
        "SELECT salary, start_date, created_at FROM placements_placement WHERE id = %s",
        [placement.pk],
    )
    got = Placement.objects.get(pk=placement.pk)
    read = (
        read_as(Placement, "salary")(salary),
        read_as(Placement, "start_date")(start),
        read_as(Placement, "created_at")(created),
    )
    assert read == (got.salary, got.start_date, got.created_at)
    assert str(read[0]) == "41250.50"  # the field's places, as the page writes it
    assert timezone.is_aware(read[2])


def test_statements_sent_together_answer_as_each_would_alone(cast: Cast) -> None:
    people = "SELECT id, first_name FROM people_person WHERE id IN (%s, %s) ORDER BY id"
    nobody = "SELECT id FROM people_person WHERE id = %s"
    statements = [
        (people, [cast.candidate.pk, cast.client_contact.pk]),
        (nobody, [-1]),
        ("SELECT %s + 1", [41]),
    ]
    assert fetch_each(statements) == [fetch_all(sql, params) for sql, params in statements]
    assert fetch_each(statements)[2] == [(42,)]


def test_a_failing_statement_sent_with_others_raises_as_alone(db: None) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        fetch_each([("SELECT 1", []), ("SELECT * FROM no_such_table", [])])
    assert fetch_each([("SELECT 1", []), ("SELECT 2", [])]) == [[(1,)], [(2,)]]


def test_a_person_saved_after_being_assigned_is_linked_by_id(cast: Cast) -> None:
    person = Person(first_name="New", last_name="Starter")
    placement = Placement(
        person=person, company=cast.company, owner=cast.owner, role_title="Clerk",
        start_date=dt.date(2026, 4, 1),
    )  # fmt: skip
    insert_objects([person])
    insert_objects([placement])
    assert Placement.objects.get(pk=placement.pk).person_id == person.pk


def test_rows_whose_key_is_taken_are_skipped_and_not_counted(db: None) -> None:
    now = timezone.now()

    def message(key: str) -> OutboxMessage:
        return OutboxMessage(
            key=key, to_email="a@example.org", from_email="k@agency.example",
            subject="Hello", body_text="Hi", send_after=now,
        )  # fmt: skip

    assert insert_objects([message("one")], skip_conflicts_on="key") == 1
    assert insert_objects([message("one"), message("two")], skip_conflicts_on="key") == 1
    assert sorted(OutboxMessage.objects.values_list("key", flat=True)) == ["one", "two"]


def test_updated_fields_are_saved_for_each_row_and_the_rest_left_alone(cast: Cast) -> None:
    placements = [
        Placement.objects.create(
            person=cast.candidate,
            company=cast.company,
            owner=cast.owner,
            role_title=f"Role {i}",
            start_date=dt.date(2026, 3, 2),
        )
        for i in range(3)
    ]
    for i, placement in enumerate(placements):
        placement.start_date = dt.date(2026, 4, 1 + i)
        placement.fee = Decimal(f"100{i}.50")
        placement.rebate_scale = [{"within_days": 10 * i, "percent": 50}]
        placement.hiring_manager = cast.client_contact if i else None
        placement.role_title = "not saved"
    names = ["start_date", "fee", "rebate_scale", "hiring_manager"]
    assert update_objects(placements, names, batch=2) == 3
    for i, placement in enumerate(placements):
        got = Placement.objects.get(pk=placement.pk)
        assert (got.start_date, got.fee, got.rebate_scale, got.hiring_manager_id) == (
            dt.date(2026, 4, 1 + i), Decimal(f"100{i}.50"),
            [{"within_days": 10 * i, "percent": 50}], cast.client_contact.pk if i else None,
        )  # fmt: skip
        assert got.role_title == f"Role {i}"


def test_any_of_finds_what_in_finds_for_text_numbers_and_nothing(cast: Cast) -> None:
    people = [
        Person.objects.create(first_name="A", last_name=str(i), email=f"a{i}@example.org")
        for i in range(4)
    ]
    emails = ["a1@example.org", "a3@example.org", "o'brien@example.org", 'x"y@example.org']
    assert set(Person.objects.filter(email__any_of=emails)) == set(
        Person.objects.filter(email__in=emails)
    ) == {people[1], people[3]}  # fmt: skip
    ids = [people[0].pk, people[2].pk, 10**9]
    assert set(Person.objects.filter(pk__any_of=ids)) == {people[0], people[2]}
    assert not Person.objects.filter(email__any_of=[]).exists()


def test_any_of_takes_ids_written_as_text_for_a_key_or_a_foreign_key(cast: Cast) -> None:
    people = [Person.objects.create(first_name="B", last_name=str(i)) for i in range(3)]
    as_text = [str(people[0].pk), str(people[2].pk)]
    assert set(Person.objects.filter(pk__any_of=as_text)) == {people[0], people[2]}
    roles = [
        Role.objects.create(person=p, kind=Role.Kind.CANDIDATE, started_on=dt.date(2026, 1, 5))
        for p in people
    ]
    assert set(Role.objects.filter(person_id__any_of=as_text)) == {roles[0], roles[2]}
    assert set(Role.objects.filter(person__any_of=[people[1].pk])) == {roles[1]}


def test_ids_named_once_match_in_every_filter_without_the_orm_walking_them(
    cast: Cast,
) -> None:
    people = [Person.objects.create(first_name="C", last_name=str(i)) for i in range(3)]
    roles = [
        Role.objects.create(person=p, kind=Role.Kind.CANDIDATE, started_on=dt.date(2026, 1, 5))
        for p in people
    ]
    ids = Ids([people[0].pk, people[2].pk, people[0].pk, 10**9])
    # The ORM walks any iterable a lookup is given (and, for a foreign key, checks each
    # value's model): Ids is not one.
    assert not hasattr(ids, "__iter__")
    assert len(ids) == 3 and people[2].pk in ids and people[1].pk not in ids
    assert set(Person.objects.filter(pk__any_of=ids)) == {people[0], people[2]}
    assert set(Role.objects.filter(person_id__any_of=ids)) == {roles[0], roles[2]}
    either = Role.objects.filter(Q(person_id__any_of=ids) | Q(pk__any_of=[roles[1].pk]))
    assert either.count() == 3
    assert not Person.objects.filter(pk__any_of=Ids([])).exists()
    # Or the statement that finds them, matched inside the same statement.
    found_by = Person.objects.filter(pk__any_of=ids).values("pk")
    assert set(Role.objects.filter(person_id__any_of=found_by)) == {roles[0], roles[2]}


def test_rows_from_a_generator_that_reads_the_database_are_all_written(cast: Cast) -> None:
    # On PostgreSQL rows go in by COPY, during which the connection can run nothing else.
    people = [Person.objects.create(first_name="P", last_name=str(i)) for i in range(5)]

    def roles() -> Iterator[dict[str, object]]:
        for person in people:
            yield {
                "person_id": Person.objects.get(pk=person.pk).pk,
                "kind": Role.Kind.CANDIDATE,
                "started_on": dt.date(2026, 1, 1 + person.pk % 20),
            }

    assert insert_rows(Role, roles(), batch=2) == 5
    assert Role.objects.filter(person__in=people).count() == 5


def test_a_staged_table_fans_out_in_the_selects_order_with_defaults_and_shared_values(
    cast: Cast,
) -> None:
    people = [Person.objects.create(first_name="S", last_name=str(i)) for i in range(3)]
    rows = [(p.pk, dt.date(2026, 5, 1 + i), f"Title {i}") for i, p in enumerate(people)]
    columns = (("person_id", "bigint"), ("started_on", "date"), ("title", "varchar(200)"))
    with transaction.atomic(), staged("test_roles", columns, reversed(rows)) as table:
        written = insert_select(
            Role,
            {"person_id": "r.person_id", "started_on": "r.started_on", "title": "r.title"},
            f"FROM {table} r ORDER BY r.person_id DESC",
            same={"kind": Role.Kind.CANDIDATE},
        )
    assert written == 3
    got = list(
        Role.objects.filter(person__in=people)
        .order_by("id")
        .values_list("person_id", "started_on", "title", "kind", "ended_on", "company_id")
    )
    assert got == [
        (pk, started, title, "candidate", None, None) for pk, started, title in reversed(rows)
    ]
