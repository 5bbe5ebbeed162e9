"""The search box finds the same people and companies whichever way it is asked: the search
page's statement written by hand, the person picker's ORM filter, and the rule as Django's
own lookups first wrote it (name words from the start of a word, an address inside the
email, a number ignoring its punctuation), for each kind of user."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care import search
from keepwarm.care.queries import first_visible_people
from keepwarm.care.search import (
    PICKER_ORDER_OFF_INDEX,
    SEARCH_INDEX_IDS,
    from_trigrams,
    search_companies,
    search_people,
)
from keepwarm.care.views import NAME_FIELDS, SEARCH_ORDER, _match
from keepwarm.conftest import START, Cast, olivia_away
from keepwarm.lib.search import PHONE_LIKE, match_sql, phone_digits
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement
from keepwarm.privacy.erasure import ERASED_FIRST_NAME, erase_person, pseudonym

TYPED = [
    *("pat", "PAT", "priya pat", "smi", "jones", "smith jon", "riya", "o'b", "sam"),
    *("harry@acme", "@example", "EXAMPLE.NET", "07700 900123", "900 123", "+07700-900123"),
    *("(0113) 496", "50%", "a_b", "back\\", "zz", "s", "x y z w v u"),
]


def _as_django_wrote_it(
    people: QuerySet[Any], query: str, name_fields: list[str] = NAME_FIELDS
) -> QuerySet[Any]:
    """The search rule as Django's lookups wrote it before it was one SQL condition."""
    if PHONE_LIKE.match(query):
        digits, dialled = phone_digits(query)
        stripped: Any = "phone"
        for char in (" ", "-", "(", ")", "."):
            stripped = Replace(stripped, Value(char), Value(""))
        with_digits: QuerySet[Any] = people.annotate(_phone=stripped)
        return with_digits.filter(
            Q(_phone__contains=digits) | Q(_phone__contains=dialled) | Q(phone__icontains=query)
        )
    if "@" in query:
        return people.filter(email__icontains=query)
    for word in query.split()[:5]:
        condition = Q(email__istartswith=word)
        for name in name_fields:
            condition |= (
                Q(**{f"{name}__istartswith": word})
                | Q(**{f"{name}__icontains": f" {word}"})
                | Q(**{f"{name}__icontains": f"-{word}"})
            )
        people = people.filter(condition)
    return people


@pytest.fixture
def crowd(cast: Cast) -> Cast:
    """Namesakes, double-barrelled names, odd characters and numbers as people write
    them, owned by Olivia, by Oscar, by nobody, and one seen only through her placement."""
    own = [
        ("Anna", "Jones-Smith", "anna@example.net", "+44 113 496 0000"),
        ("Jasmine", "Smithers", "js@example.org", ""),
        ("Sam", "Smith", "smith@corp.example", "(0113) 496-0001"),
        ("Sam", "Smith", "", "+447700900999"),
        ("Percent", "50% Off", "a_b@example.net", ""),
        ("Back", "Slash\\", "", ""),
        ("Ola", "O'Brien", "", ""),
    ]
    for first, last, email, phone in own:
        Person.objects.create(
            first_name=first, last_name=last, email=email, phone=phone, owner=cast.owner
        )
    Person.objects.create(first_name="Sam", last_name="Smart", owner=cast.outsider)
    Person.objects.create(first_name="Pat", last_name="Nobody", email="pat@example.net")
    seen = Person.objects.create(first_name="Patrick", last_name="Smith-Jones", owner=cast.outsider)
    Placement.objects.create(
        person=seen, company=cast.company, owner=cast.owner, role_title="Clerk", start_date=START
    )
    Company.objects.create(name="Smith & Jones")
    return cast


def _shown(people: list[Person]) -> list[tuple[int, str, str, str]]:
    return [(p.pk, p.full_name, p.email, p.phone) for p in people]


@pytest.mark.parametrize("role", ["owner", "colleague", "manager", "outsider"])
def test_search_page_finds_who_the_picker_and_djangos_lookups_find(crowd: Cast, role: str) -> None:
    olivia_away(crowd, days=10)
    user: User = getattr(crowd, role)
    with time_machine.travel(START, tick=False):
        for query in TYPED:
            # In the order the picker asks for (a manager's from the trigram indexes).
            order = PICKER_ORDER_OFF_INDEX if from_trigrams(user, query) else SEARCH_ORDER
            picked = first_visible_people(
                user, partial(_match, query=query, name_fields=NAME_FIELDS), order, 25
            )
            lookups = first_visible_people(
                user, partial(_as_django_wrote_it, query=query), SEARCH_ORDER, 25
            )
            found = search_people(user, query, 25)
            assert _shown(found) == _shown(picked) == _shown(lookups), query  # type: ignore[arg-type]
    if role == "owner":
        # Each engine's collation orders "Smith-Jones" and "Smithers" its own way.
        assert sorted(p.full_name for p in search_people(user, "smi", 25)) == [
            "Anna Jones-Smith",
            "Jasmine Smithers",
            "Patrick Smith-Jones",
            "Sam Smith",
            "Sam Smith",
        ]


def test_companies_found_are_those_djangos_lookups_find(crowd: Cast) -> None:
    Company.objects.create(name="Jones Smithson", email="hr@jsmith.example")
    for query in ("smi", "jones", "acme wid", "&", "riya", "hr@", "jsm"):
        companies = Company.objects.order_by("name", "id")
        lookups = list(_as_django_wrote_it(companies, query, ["name"]))
        assert list(_match(companies, query, ["name"])) == lookups, query
        assert [c.pk for c in search_companies(query, 10)] == [c.pk for c in lookups], query


def test_search_page_shows_the_people_found_linked_to_their_pages(crowd: Cast) -> None:
    client = Client()
    client.force_login(crowd.owner)
    page = client.get(reverse("search"), {"q": "smith"}).content.decode()
    sam = Person.objects.filter(last_name="Smith", phone="+447700900999").get()
    assert f'<a href="{sam.get_absolute_url()}"><strong>Sam Smith</strong></a>' in page
    assert "Smith &amp; Jones" in page
    assert "Sam Smart" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL")
@pytest.mark.parametrize("typed", ["07700 900123", "smi", "harry@acme"])
@pytest.mark.parametrize("table", ["people_person", "people_company"])
def test_a_managers_search_can_be_answered_from_the_trigram_indexes(
    crowd: Cast, table: str, typed: str
) -> None:
    """The indexes (people migrations 0016, 0018) hold the exact expressions the search
    condition writes: told not to read the table in order, the planner finds the rows from
    them (a manager's search of the whole agency otherwise reads every row)."""
    quoted = connection.ops.quote_name(table)
    names = ["first_name", "last_name"] if table == "people_person" else ["name"]
    condition, params = match_sql(typed, quoted, names)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql = f"EXPLAIN SELECT id FROM {quoted} WHERE {condition}"  # noqa: S608 - quoted table, text a parameter
        cursor.execute(sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert "_trgm" in plan, plan


def _statements_of_a_managers_search(manager: User, typed: str) -> list[str]:
    """The SQL of a manager's search page and person picker for `typed`."""
    client = Client()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as run:
        search_people(manager, typed, 25)
        client.get(reverse("pick_people"), {"q": typed})
    return [query["sql"] for query in run.captured_queries if "people_person" in query["sql"]]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 search index: SQLite")
@pytest.mark.parametrize("typed", ["07700 900123", "+447700900123", "smi", "priya pat", "a@acme"])
def test_a_managers_search_on_sqlite_gathers_people_from_the_search_index(
    crowd: Cast, typed: str
) -> None:
    """The search page and the person picker ask the search index (people migration
    0019) who may match, rather than reading the whole agency in name order."""
    found = _gathering(_statements_of_a_managers_search(crowd.manager, typed))
    assert len(found) == 2, found
    with connection.cursor() as cursor:
        # The statement as run, its parameters inlined by Django's record of it.
        cursor.execute(f"EXPLAIN QUERY PLAN {found[0]}")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "SCAN people_person_search VIRTUAL TABLE INDEX" in plan, plan
    assert "SEARCH people_person USING INTEGER PRIMARY KEY" in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 search index: SQLite")
@pytest.mark.parametrize("typed", ["sm", "zz", "(12)"])
def test_text_too_short_for_the_search_index_is_still_found(crowd: Cast, typed: str) -> None:
    """Under three characters a trigram index finds nothing: such text is looked for in
    every person, as before."""
    statements = _statements_of_a_managers_search(crowd.manager, typed)
    assert statements and not any("people_person_search" in sql for sql in statements)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 search index: SQLite")
def test_text_that_many_people_hold_is_found_in_name_order(
    crowd: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gathering every holder of a common run (a shared domain, a number's prefix) from the
    search index would test thousands; in name order the first page comes at once."""
    monkeypatch.setattr(search, "GATHERED_AT_MOST", 2)
    assert not _gathering(_statements_of_a_managers_search(crowd.manager, "@example"))
    assert len(_gathering(_statements_of_a_managers_search(crowd.manager, "o'b"))) == 2
    # Found all the same, as the rule's first form finds them.
    lookups = partial(_as_django_wrote_it, query="@example")
    as_first_written = first_visible_people(crowd.manager, lookups, SEARCH_ORDER, 25)
    found = search_people(crowd.manager, "@example", 25)
    assert len(found) > 2 and _shown(found) == _shown(as_first_written)  # type: ignore[arg-type]


def _gathering(statements: list[str]) -> list[str]:
    """The statements that gather people from the search index."""
    return [sql for sql in statements if "IN (SELECT rowid FROM people_person_search" in sql]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 search index: SQLite")
def test_the_search_index_follows_people_as_they_are_renamed_erased_and_deleted(
    cast: Cast,
) -> None:
    def found(typed: str) -> list[str]:
        return [p.full_name for p in search_people(cast.manager, typed, 25)]

    def indexed(text: str) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(SEARCH_INDEX_IDS, [f'"{text}"'])
            return [row[0] for row in cursor.fetchall()]

    zelda = Person.objects.create(
        first_name="Zelda", last_name="Quartermain", email="zq@example.net", phone="+447700900555"
    )
    assert found("quarter") == found("07700 900555") == ["Zelda Quartermain"]
    zelda.last_name, zelda.phone = "Quince", "+447700900666"
    zelda.save()
    assert found("quarter") == found("900555") == []
    assert found("quin") == found("900 666") == ["Zelda Quince"]
    Person.objects.filter(pk=zelda.pk).update(email="zelda@example.org")
    assert found("zelda@") == ["Zelda Quince"] and found("zq@") == []
    erase_person(zelda, by=cast.manager, reason="Asked by email")
    assert indexed("quince") == indexed("zelda") == indexed("900666") == []
    assert found(f"{pseudonym(zelda.pk)}") == [f"{ERASED_FIRST_NAME} {pseudonym(zelda.pk)}"]
    Person.objects.filter(pk=zelda.pk).delete()
    assert indexed(pseudonym(zelda.pk)) == []
