"""Lists that scale with the consultant's own book: who they see is unchanged, the count
stops at "more than 1,000", and the work a page does is the same in a bigger agency."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care.queries import visible_people
from keepwarm.care.services import set_cover
from keepwarm.conftest import START, Cast, make_user
from keepwarm.lib.paginator import COUNT_CAP, CappedPaginator
from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement

_names = itertools.count()


def _people(owner: User | None, how_many: int) -> list[Person]:
    return Person.objects.bulk_create(
        Person(first_name="Pat", last_name=f"Zed{next(_names):05d}", owner=owner)
        for _ in range(how_many)
    )


def _place(cast: Cast, person: Person, owner: User, manager: Person | None = None) -> None:
    Placement.objects.create(
        person=person,
        company=cast.company,
        hiring_manager=manager,
        owner=owner,
        role_title="Clerk",
        start_date=START,
    )


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_who_a_consultant_sees_follows_the_rule_for_every_reason_and_no_more(
    cast: Cast,
) -> None:
    """Visible: owned by them or by whom they cover, placed on or hiring manager of such
    a placement. Checked against the rule written out in Python for every user."""
    ivy = make_user("ivy_intern")
    owned_by_outsider = _people(cast.outsider, 3)
    nobodys = _people(None, 2)
    # The outsider's candidate, placed by the owner; the owner's contact managing an
    # outsider's placement; an outsider's contact managing the owner's placement.
    _place(cast, owned_by_outsider[0], cast.owner)
    _place(cast, owned_by_outsider[1], cast.outsider, manager=cast.client_contact)
    _place(cast, nobodys[0], cast.owner, manager=owned_by_outsider[2])
    set_cover(
        absent=cast.outsider,
        colleague=ivy,
        starts_on=START,
        ends_on=START + dt.timedelta(days=4),
        by=cast.manager,
    )
    everyone = list(Person.objects.all())
    placements = list(Placement.objects.all())

    def by_the_rule(owners: set[int]) -> set[Person]:
        via = {p.person_id for p in placements if p.owner_id in owners} | {
            p.hiring_manager_id for p in placements if p.owner_id in owners
        }
        return {p for p in everyone if p.owner_id in owners or p.pk in via}

    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        for user, owners in (
            (cast.owner, {cast.owner.pk}),
            (cast.outsider, {cast.outsider.pk}),
            (cast.colleague, {cast.colleague.pk}),
            (ivy, {ivy.pk, cast.outsider.pk}),
        ):
            assert set(visible_people(user)) == by_the_rule(owners), user.username
        assert set(visible_people(cast.manager)) == set(everyone)
    assert nobodys[1] not in by_the_rule({cast.owner.pk, cast.outsider.pk})


def test_a_long_list_says_more_than_a_thousand_and_still_pages_on(cast: Cast) -> None:
    _people(cast.owner, COUNT_CAP + 30)  # with Priya and Harry: 1,032 in all
    client = _signed_in(cast.owner)
    first = client.get(reverse("people")).content.decode()
    assert "more than 1,000" in first
    assert "Next" in first and "Previous" not in first
    # The last page, reached by following Next, is still there.
    page, pages = first, 1
    while 'rel="next"' in page:
        next_link = page.split('rel="next"', 1)[0].rsplit("<a ", 1)[1]
        after = next_link.split("after=", 1)[1].split('"', 1)[0].split("&amp;", 1)[0]
        page = client.get(reverse("people"), {"after": after}).content.decode()
        pages += 1
    assert pages == 21
    assert "Priya Patel" not in page and "Zed01" in page and "Previous" in page


def test_a_long_role_tab_remembers_it_holds_more_than_a_thousand(cast: Cast) -> None:
    """Saying "more than 1,000" means walking past 1,001 of the tab's people; the next
    look within a few minutes reads only its page, and says the same."""
    for person in _people(cast.owner, COUNT_CAP + 30):
        Role.objects.create(person=person, kind=Role.Kind.PLACED, started_on=START)
    client = _signed_in(cast.owner)
    url = reverse("people") + "?role=placed"
    limits: list[list[Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        limits.append(list(params or []))
        return execute(sql, params, many, context)

    for look in ("first", "again"):
        limits.clear()
        with connection.execute_wrapper(record):
            page = client.get(url).content.decode()
        assert "more than 1,000" in page and "Pat Zed" in page and "Next" in page
        walked_past_the_cap = any(COUNT_CAP + 1 in params for params in limits)
        assert walked_past_the_cap == (look == "first"), look


def test_a_short_list_still_gives_its_exact_count(cast: Cast) -> None:
    page = _signed_in(cast.owner).get(reverse("people")).content.decode()
    assert "2 in total" in page
    assert "more than" not in page


def test_the_capped_count_is_exact_up_to_the_cap_and_says_more_past_it() -> None:
    at_cap = CappedPaginator(list(range(10)), 3, cap=10)
    at_cap.get_page(1)
    assert (at_cap.count, at_cap.more_than, at_cap.num_pages) == (10, None, 4)
    past = CappedPaginator(list(range(25)), 3, cap=10)
    assert past.get_page(1).has_next()
    assert past.more_than == 10
    far = CappedPaginator(list(range(25)), 3, cap=10)
    page = far.get_page(9)  # rows 24-26: only row 24 exists, and the count reaches it
    assert (list(page), far.count, far.more_than) == ([24], 25, None)


def _list_queries(client: Client, url: str, address: str = "127.0.0.1") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, REMOTE_ADDR=address)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_a_list_page_does_the_same_work_however_big_the_agency(cast: Cast) -> None:
    urls = [reverse("people"), reverse("placements"), reverse("people") + "?page=3"]
    users = (cast.owner, cast.manager)
    clients = {user.pk: _signed_in(user) for user in users}
    _people(cast.owner, 120)
    for client in clients.values():  # the first request of a session also writes it
        client.get(urls[0])

    # Each look from an address of its own: a list read again from the same place within
    # the hour adds nothing to the trail, which would make the second look lighter.
    def looks(address: str) -> dict[tuple[int, str], int]:
        return {
            (u.pk, url): len(_list_queries(clients[u.pk], url, address))
            for u in users
            for url in urls
        }

    before = looks("198.51.100.1")
    # The agency grows tenfold around the consultant; their own book grows a little.
    for person in _people(cast.outsider, 1200)[:300]:
        _place(cast, person, cast.outsider, manager=cast.client_contact)
    for person in _people(cast.owner, 40)[:20]:
        _place(cast, person, cast.owner)
    assert looks("198.51.100.2") == before


def test_a_signed_in_page_reads_the_session_and_the_user_once(cast: Cast) -> None:
    client = _signed_in(cast.owner)
    client.get(reverse("people"))  # the first request may refresh the last-seen time
    queries = _list_queries(client, reverse("people"))
    session = connection.ops.quote_name("django_session")
    users = connection.ops.quote_name(User._meta.db_table)
    assert sum(f"FROM {session}" in sql for sql in queries) == 1
    assert sum(f"FROM {users}" in sql for sql in queries) == 1
    assert not any(sql.startswith(("UPDATE", "INSERT")) and session in sql for sql in queries)
