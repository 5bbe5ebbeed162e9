"""Everyone a consultant may see through their placements turns up wherever people are
listed or found: role tabs, search, the person picker and the downloads, each once."""

from __future__ import annotations

import csv
import datetime as dt
import io

import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care.queries import first_visible_people, visible_people
from keepwarm.conftest import START, Cast, olivia_away
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

BY_NAME = ("last_name", "first_name", "id")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def hiring_manager_owned_elsewhere(cast: Cast) -> Person:
    """Harry, hiring manager on two of Olivia's placements, but on another consultant's
    books: she sees him only through her placements."""
    harry = cast.client_contact
    harry.owner = cast.outsider
    harry.save()
    Placement.objects.create(
        person=Person.objects.create(first_name="Sam", last_name="Second", owner=cast.owner),
        company=cast.company,
        owner=cast.owner,
        hiring_manager=harry,
        role_title="Clerk",
        start_date=START,
    )
    return harry


def test_search_finds_someone_seen_only_through_placements_once(cast: Cast) -> None:
    harry = hiring_manager_owned_elsewhere(cast)
    page = logged_in(cast.owner).get(reverse("search"), {"q": "harry"}).content.decode()
    assert page.count(harry.get_absolute_url()) == 1
    # The outsider owns him, and sees him too; a consultant with neither does not.
    stranger = User.objects.create_user(username="stan", password="correct-horse-battery")
    assert (
        "Harry Hughes"
        in logged_in(cast.outsider).get(reverse("search"), {"q": "harry"}).content.decode()
    )
    assert (
        "Harry Hughes"
        not in logged_in(stranger).get(reverse("search"), {"q": "harry"}).content.decode()
    )


def test_search_lists_owned_and_placed_people_together_by_name(cast: Cast) -> None:
    harry = hiring_manager_owned_elsewhere(cast)
    found = first_visible_people(cast.owner, lambda people: people, BY_NAME, 25)
    assert found == list(visible_people(cast.owner).order_by(*BY_NAME))
    assert found.count(harry) == 1
    assert [p.last_name for p in found] == sorted(p.last_name for p in found)


def test_person_picker_offers_someone_seen_only_through_placements_once(cast: Cast) -> None:
    hiring_manager_owned_elsewhere(cast)
    found = logged_in(cast.owner).get(reverse("pick_people"), {"q": "har"}).json()["results"]
    assert [r["label"] for r in found] == ["Hughes, Harry (harry@acme.example)"]


def test_role_tab_lists_someone_seen_only_through_placements(cast: Cast) -> None:
    hiring_manager_owned_elsewhere(cast)
    client = logged_in(cast.owner)
    contacts = client.get(reverse("people"), {"role": "client_contact"})
    assert [row.full_name for row in contacts.context["page_obj"]] == ["Harry Hughes"]
    assert contacts.context["page_obj"].paginator.count == 1
    placed = client.get(reverse("people"), {"role": "placed"})
    assert [row.full_name for row in placed.context["page_obj"]] == ["Priya Patel"]
    # Only mine: the people she owns, not those she sees through placements.
    mine = client.get(reverse("people"), {"role": "client_contact", "mine": "1"})
    assert list(mine.context["page_obj"]) == []


def test_role_tab_shows_the_absent_owners_people_to_whoever_covers_only_during_cover(
    cast: Cast,
) -> None:
    olivia_away(cast, days=4)
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        placed = logged_in(cast.colleague).get(reverse("people"), {"role": "placed"})
        assert [row.full_name for row in placed.context["page_obj"]] == ["Priya Patel"]
    with time_machine.travel(dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC), tick=False):
        placed = logged_in(cast.colleague).get(reverse("people"), {"role": "placed"})
        assert list(placed.context["page_obj"]) == []


def test_people_download_lists_the_same_people_as_the_list(cast: Cast) -> None:
    hiring_manager_owned_elsewhere(cast)
    client = logged_in(cast.owner)
    for tab in ({}, {"role": "client_contact"}, {"role": "placed"}, {"mine": "1"}):
        listed = [row.full_name for row in client.get(reverse("people"), tab).context["page_obj"]]
        response = client.get(reverse("list_export", args=["people"]), {**tab, "format": "csv"})
        body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
        rows = list(csv.reader(io.StringIO(body[1:])))[1:]
        assert [f"{first} {last}" for first, last, *_ in rows] == listed, tab
