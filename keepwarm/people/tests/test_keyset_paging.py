"""Long lists page by where the last page ended: following Next (and Previous back) shows
every row the user may see exactly once, in the list's order, people of the same name too;
a deep page starts at its cursor instead of counting past the rows before it."""

from __future__ import annotations

import datetime as dt
import re
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
from keepwarm.lib.paginator import KeysetPaginator, keyset_chunks
from keepwarm.network.models import Lead, Referral
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

PERSON_LINK = re.compile(r'href="/people/(\d+)/"><strong>')
PLACEMENT_LINK = re.compile(r'href="/placements/(\d+)/"')


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cursor(page: str, rel: str) -> str | None:
    found = re.search(rf'href="\?[^"]*?(after|before)=([\w-]+)[^"]*" rel="{rel}"', page)
    return found.group(2) if found else None


def _walk(client: Client, url: str, link: re.Pattern[str]) -> tuple[list[list[Any]], str]:
    """Every page's ids (or names) from the first page on by Next, and the last page."""
    pages: list[list[Any]] = []
    page = client.get(url).content.decode()
    while True:
        pages.append([int(pk) if pk.isdigit() else pk for pk in link.findall(page)])
        after = _cursor(page, "next")
        if after is None:
            return pages, page
        joiner = "&" if "?" in url else "?"
        page = client.get(f"{url}{joiner}after={after}").content.decode()


def _namesakes(owner: User | None, how_many: int) -> list[Person]:
    # Three names only: every page boundary falls inside a run of equal names.
    return Person.objects.bulk_create(
        Person(first_name=("Sam", "Sam", "Alex")[i % 3], last_name="Smith", owner=owner)
        for i in range(how_many)
    )


def _visible_in_name_order(user: User) -> list[int]:
    """The ids the visibility rule gives `user`, in the list's order."""
    return list(
        visible_people(user).order_by("last_name", "first_name", "id").values_list("pk", flat=True)
    )


def _place(cast: Cast, people: list[Person], *, hiring: list[Person]) -> None:
    """The owner's placements of `people`, the first ones hired by `hiring` in turn."""
    Placement.objects.bulk_create(
        Placement(
            person=person,
            company=cast.company,
            hiring_manager=hiring[i] if i < len(hiring) else None,
            owner=cast.owner,
            role_title="Clerk",
            start_date=START,
        )
        for i, person in enumerate(people)
    )


def test_next_shows_each_person_once_in_name_order_even_with_equal_names(cast: Cast) -> None:
    _namesakes(cast.owner, 130)
    _namesakes(cast.outsider, 40)  # not the owner's: never on their list
    placed = _namesakes(cast.outsider, 3)[0]
    Placement.objects.create(
        person=placed, company=cast.company, owner=cast.owner, role_title="Clerk", start_date=START
    )
    pages, _ = _walk(_signed_in(cast.owner), reverse("people"), PERSON_LINK)
    shown = [pk for page in pages for pk in page]
    expected = _visible_in_name_order(cast.owner)
    assert [len(page) for page in pages] == [50, 50, 33]
    assert shown == expected
    assert placed.pk in shown


def test_previous_goes_back_through_the_same_pages(cast: Cast) -> None:
    _namesakes(cast.owner, 130)
    client = _signed_in(cast.owner)
    forward, last = _walk(client, reverse("people"), PERSON_LINK)
    backward = [[int(pk) for pk in PERSON_LINK.findall(last)]]
    page = last
    while (before := _cursor(page, "prev")) is not None:
        page = client.get(reverse("people"), {"before": before}).content.decode()
        backward.append([int(pk) for pk in PERSON_LINK.findall(page)])
    assert backward[::-1] == forward
    assert "First page" not in page


def test_a_consultants_pages_hold_whom_they_may_see_for_every_reason_once_each_way(
    cast: Cast,
) -> None:
    """Their own people and those they see through a placement (placed by them, or hiring
    manager on one, owned by a colleague or by nobody) interleave by name across pages, for
    a consultant and for one who covers a colleague too; Previous walks the same pages."""
    ivy = make_user("ivy_intern")
    _namesakes(cast.owner, 70)
    _namesakes(cast.outsider, 45)  # the outsider's own: only on ivy's list, who covers them
    theirs = _namesakes(cast.outsider, 60)
    nobodys = _namesakes(None, 30)
    _place(cast, theirs[:40], hiring=nobodys)
    set_cover(
        absent=cast.outsider,
        colleague=ivy,
        starts_on=START,
        ends_on=START + dt.timedelta(days=4),
        by=cast.manager,
    )
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        for user in (cast.owner, ivy):
            client = _signed_in(user)
            forward, last = _walk(client, reverse("people"), PERSON_LINK)
            expected = _visible_in_name_order(user)
            assert [pk for page in forward for pk in page] == expected, user.username
            backward = [PERSON_LINK.findall(last)]
            page = last
            while (before := _cursor(page, "prev")) is not None:
                page = client.get(reverse("people"), {"before": before}).content.decode()
                backward.append(PERSON_LINK.findall(page))
            assert [[int(pk) for pk in ids] for ids in backward[::-1]] == forward


def test_people_a_consultant_owns_and_also_placed_or_hires_through_show_once(
    cast: Cast,
) -> None:
    """Most people on a consultant's placements are their own: each is listed once, in
    name order, beside those they see only through a placement (a colleague's or nobody's),
    whether the list reads them from the owner's index or through the placements."""
    mine = _namesakes(cast.owner, 80)
    colleagues = _namesakes(cast.outsider, 30)
    nobodys = _namesakes(None, 20)
    placed = [*mine[:40], *colleagues[:15], *nobodys[:10]]
    managers = [*mine[40:70], *colleagues[15:25], *nobodys[10:15]]
    _place(cast, placed, hiring=managers)
    pages, _ = _walk(_signed_in(cast.owner), reverse("people"), PERSON_LINK)
    shown = [pk for page in pages for pk in page]
    expected = _visible_in_name_order(cast.owner)
    assert shown == expected
    assert len(shown) == len(set(shown))
    # Not the colleague's people nobody placed them through, nor anyone else's.
    assert {p.pk for p in [*colleagues[25:], *nobodys[15:]]}.isdisjoint(shown)
    assert {p.pk for p in [*mine, *placed, *managers]} <= set(shown)


def test_a_manager_pages_through_the_whole_agency_once(cast: Cast) -> None:
    _namesakes(cast.owner, 60)
    _namesakes(cast.outsider, 60)
    pages, _ = _walk(_signed_in(cast.manager), reverse("people"), PERSON_LINK)
    shown = [pk for page in pages for pk in page]
    assert sorted(shown) == sorted(Person.objects.values_list("pk", flat=True))
    assert len(shown) == len(set(shown))


def test_a_deep_page_starts_at_its_cursor_without_offset(cast: Cast) -> None:
    _namesakes(cast.owner, 130)
    client = _signed_in(cast.owner)
    after = _cursor(client.get(reverse("people")).content.decode(), "next")
    assert after is not None
    with CaptureQueriesContext(connection) as captured:
        second = client.get(reverse("people"), {"after": after}).content.decode()
    assert len(PERSON_LINK.findall(second)) == 50
    assert not any("OFFSET" in q["sql"] for q in captured.captured_queries)


def test_a_mangled_cursor_gives_the_first_page(cast: Cast) -> None:
    _namesakes(cast.owner, 60)
    client = _signed_in(cast.owner)
    first = PERSON_LINK.findall(client.get(reverse("people")).content.decode())
    for cursor in ("nonsense", "WyJhIl0", "W1tdLCJ4IiwieSJd", ""):
        page = client.get(reverse("people"), {"after": cursor}).content.decode()
        assert PERSON_LINK.findall(page) == first


def test_the_filters_page_too(cast: Cast) -> None:
    _namesakes(cast.owner, 70)
    _namesakes(cast.colleague, 5)
    Placement.objects.bulk_create(
        Placement(
            person=p, company=cast.company, owner=cast.owner, role_title="Clerk", start_date=START
        )
        for p in _namesakes(cast.colleague, 60)
    )
    pages, _ = _walk(_signed_in(cast.owner), reverse("people") + "?mine=1", PERSON_LINK)
    shown = [pk for page in pages for pk in page]
    assert sorted(shown) == sorted(
        Person.objects.filter(owner=cast.owner).values_list("pk", flat=True)
    )


def test_placements_with_the_same_start_date_page_once_each(cast: Cast) -> None:
    Placement.objects.bulk_create(
        Placement(
            person=cast.candidate,
            company=cast.company,
            owner=cast.owner,
            role_title=f"Role {i}",
            start_date=START - dt.timedelta(days=i % 2),
        )
        for i in range(120)
    )
    pages, _ = _walk(_signed_in(cast.owner), reverse("placements"), PLACEMENT_LINK)
    shown = [pk for page in pages for pk in dict.fromkeys(page)]
    expected = Placement.objects.filter(owner=cast.owner).order_by("-start_date", "-id")
    assert shown == list(expected.values_list("pk", flat=True))


def test_referrals_and_leads_received_together_page_once_each(cast: Cast) -> None:
    Referral.objects.bulk_create(
        Referral(
            referrer=cast.candidate, kind=Referral.Kind.CANDIDATE, name=f"F{u.pk}-{i}", owner=u
        )
        for i in range(70)
        for u in (cast.owner, cast.outsider)
    )
    Lead.objects.bulk_create(
        Lead(source=cast.candidate, company_name=f"Co {i}", owner=cast.owner) for i in range(70)
    )
    # The same moment for all: only the id orders them.
    Referral.objects.update(received_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    Lead.objects.update(received_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    for queryset, order in (
        (Referral.objects.filter(owner=cast.owner), ("-received_at", "-id")),
        (Lead.objects.all(), ("-received_at", "-id")),
    ):
        paginator = KeysetPaginator(queryset, 30, order=order)
        page = paginator.page()
        seen = list(page)
        while page.has_next():
            page = paginator.page(after=page.next_cursor)
            seen.extend(page)
        assert seen == list(queryset.order_by(*order))
    # The page: the candidate's referrals through anyone are the owner's to see.
    pages, _ = _walk(_signed_in(cast.owner), reverse("referrals"), re.compile(r">(F\d+-\d+)<"))
    shown = [name for page in pages for name in page]
    assert len(pages) == 3 and len(shown) == len(set(shown)) == 140


def test_an_export_in_chunks_holds_every_row_once(cast: Cast) -> None:
    _namesakes(cast.owner, 53)
    order = ("last_name", "first_name", "id")
    people = visible_people(cast.owner)
    chunked = list(keyset_chunks(people, ["id", "first_name"], order=order, chunk=5))
    assert chunked == list(people.order_by(*order).values_list("id", "first_name"))
    response = _signed_in(cast.owner).get(reverse("list_export", args=["people"]))
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert body.count("Smith") == 53


def test_a_persons_touchpoints_follow_the_same_rule_as_the_whole_list(cast: Cast) -> None:
    """The person page asks about one person; the answer is the list's, for everyone."""
    from keepwarm.care.models import Touchpoint
    from keepwarm.care.queries import touchpoints_of, visible_touchpoints
    from keepwarm.care.services import set_cover

    theirs = Placement.objects.create(
        person=cast.candidate,
        company=cast.company,
        hiring_manager=cast.client_contact,
        owner=cast.outsider,
        role_title="Second job",
        start_date=START,
    )
    for person, placement in (
        (cast.candidate, cast.placement),
        (cast.candidate, theirs),
        (cast.candidate, None),
        (cast.client_contact, theirs),
        (cast.client_contact, None),
    ):
        Touchpoint.objects.create(
            person=person, placement=placement, owner=cast.owner, title="Call", due_on=START
        )
    set_cover(
        absent=cast.outsider,
        colleague=cast.colleague,
        starts_on=START,
        ends_on=START + dt.timedelta(days=3),
        by=cast.manager,
    )
    # While Colin covers Oscar, and after.
    for moment in (
        dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    ):
        with time_machine.travel(moment, tick=False):
            for user in (cast.owner, cast.colleague, cast.outsider, cast.manager, cast.admin):
                for person in (cast.candidate, cast.client_contact):
                    whole = set(visible_touchpoints(user).filter(person=person))
                    assert set(touchpoints_of(user, person)) == whole, (user.username, person)


def test_the_download_on_a_later_page_is_still_the_whole_filtered_list(cast: Cast) -> None:
    _namesakes(cast.owner, 60)
    client = _signed_in(cast.owner)
    first = client.get(reverse("people"), {"mine": "1"}).content.decode()
    after = _cursor(first, "next")
    assert after is not None
    later = client.get(reverse("people"), {"mine": "1", "after": after}).content.decode()
    download = re.search(r'href="(/[^"]*format=csv)"', later)
    assert download is not None
    assert "after=" not in download.group(1) and "mine=1" in download.group(1)
