import datetime as dt

import time_machine

from keepwarm.care.queries import visible_people, visible_placements
from keepwarm.conftest import START, Cast, olivia_away
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement


def test_consultant_cannot_see_other_consultants_placements(cast: Cast) -> None:
    assert list(visible_placements(cast.owner)) == [cast.placement]
    assert list(visible_placements(cast.outsider)) == []


def test_consultant_cannot_see_other_consultants_people(cast: Cast) -> None:
    stranger = Person.objects.create(first_name="Stan", last_name="Stranger", owner=cast.outsider)
    mine = set(visible_people(cast.owner))
    assert {cast.candidate, cast.client_contact} <= mine
    assert stranger not in mine
    assert set(visible_people(cast.outsider)) == {stranger}


def test_hiring_manager_of_my_placement_is_visible_even_if_someone_else_owns_them(
    cast: Cast,
) -> None:
    cast.client_contact.owner = cast.outsider
    cast.client_contact.save()
    assert cast.client_contact in set(visible_people(cast.owner))


def test_managers_see_the_whole_team(cast: Cast) -> None:
    other = Placement.objects.create(
        person=Person.objects.create(first_name="A", last_name="B", owner=cast.outsider),
        company=cast.company,
        owner=cast.outsider,
        role_title="Clerk",
        start_date=START,
    )
    assert set(visible_placements(cast.manager)) == {cast.placement, other}
    assert set(visible_placements(cast.admin)) == {cast.placement, other}


def test_covering_colleague_sees_the_absent_owners_placements_only_during_cover(
    cast: Cast,
) -> None:
    olivia_away(cast, days=4)
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        assert list(visible_placements(cast.colleague)) == [cast.placement]
        assert cast.candidate in set(visible_people(cast.colleague))
    with time_machine.travel(dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC), tick=False):
        assert list(visible_placements(cast.colleague)) == []
        assert cast.candidate not in set(visible_people(cast.colleague))
