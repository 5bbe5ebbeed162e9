"""Which calls and check-ins each user may open: the rule `visible_touchpoints` keeps, read
from the ids each consultant sees (the API's touchpoint list and a touchpoint's log form)."""

from __future__ import annotations

from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import visible_touchpoints
from keepwarm.conftest import START, Cast, oscar_places_sam
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement


def touchpoint(person: Person, placement: Placement | None, title: str, owner: User) -> None:
    Touchpoint.objects.create(
        person=person, placement=placement, kind="call", title=title, due_on=START, owner=owner
    )


def titles_seen(user: User) -> set[str]:
    return set(visible_touchpoints(user).values_list("title", flat=True))


def test_a_shared_hiring_manager_shows_each_consultant_only_their_own_placements_calls(
    cast: Cast,
) -> None:
    # Oscar placed Sam with Harry too: Harry's calls of his own are Oscar's to see, but a
    # call about Harry on Olivia's placement is not, nor is Oscar's check-in Olivia's.
    oscars = oscar_places_sam(cast)
    sam = oscars.person
    touchpoint(cast.candidate, cast.placement, "Priya's check-in", cast.owner)
    touchpoint(cast.candidate, None, "Call Priya", cast.owner)
    touchpoint(cast.client_contact, None, "Call Harry", cast.owner)
    touchpoint(cast.client_contact, cast.placement, "Harry about Priya", cast.owner)
    touchpoint(sam, oscars, "Sam's check-in", cast.outsider)
    touchpoint(cast.client_contact, oscars, "Harry about Sam", cast.outsider)

    assert titles_seen(cast.owner) == {
        "Priya's check-in",
        "Call Priya",
        "Call Harry",
        "Harry about Priya",
    }
    assert titles_seen(cast.outsider) == {"Call Harry", "Sam's check-in", "Harry about Sam"}
    assert len(titles_seen(cast.manager)) == 6


def test_a_consultant_with_no_book_sees_no_touchpoints(cast: Cast) -> None:
    touchpoint(cast.candidate, cast.placement, "Priya's check-in", cast.owner)
    assert titles_seen(cast.colleague) == set()
