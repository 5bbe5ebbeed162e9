"""Who is in the pool and how equals are ordered: everyone who can be placed is ranked,
ties go to evidence (who was in touch lately, who is readier to move), never to the
alphabet, and a vacancy with no skills listed counts the title once."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.network import matching
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.network.tests.test_matching import candidate
from keepwarm.people.models import Person, Role


@pytest.fixture
def vacancy(cast: Cast) -> Vacancy:
    return Vacancy.objects.create(
        company=cast.company, title="Payroll Administrator", skills="Sage, payroll"
    )


def twins(cast: Cast) -> tuple[Person, Person]:
    """Two people alike in every way the score sees; Zoe was recorded first, Aaron comes
    first in the alphabet."""
    zoe = candidate(cast.owner, "Zoe", headline="Payroll Administrator", skills="Sage")
    aaron = candidate(cast.owner, "Aaron", headline="Payroll Administrator", skills="Sage")
    return aaron, zoe


def ranked(vacancy: Vacancy, *people: Person) -> list[int]:
    ids = {p.pk for p in people}
    return [m.person_id for m in matching.match_people(vacancy) if m.person_id in ids]


def ready(person: Person, score: float) -> None:
    Readiness.objects.create(person=person, score=score, reasons=[], computed_at=timezone.now())


def test_among_equals_the_person_in_touch_more_lately_ranks_first(
    cast: Cast, vacancy: Vacancy
) -> None:
    aaron, zoe = twins(cast)
    now = timezone.now()
    Person.objects.filter(pk=aaron.pk).update(last_contacted_at=now - dt.timedelta(days=200))
    Person.objects.filter(pk=zoe.pk).update(last_contacted_at=now - dt.timedelta(days=3))
    # A tenth of a point more for Aaron is not a difference anyone sees: still equals.
    ready(aaron, 0.02)
    ready(zoe, 0.01)
    scores = {m.person_id: m.score_display for m in matching.match_people(vacancy)}
    assert scores[aaron.pk] == scores[zoe.pk]
    assert ranked(vacancy, aaron, zoe) == [zoe.pk, aaron.pk]


def test_among_equals_in_touch_alike_the_readier_to_move_ranks_first(
    cast: Cast, vacancy: Vacancy
) -> None:
    aaron, zoe = twins(cast)
    ready(aaron, 0.01)
    ready(zoe, 0.02)
    assert ranked(vacancy, aaron, zoe) == [zoe.pk, aaron.pk]


def test_among_equals_with_no_evidence_the_alphabet_does_not_decide(
    cast: Cast, vacancy: Vacancy
) -> None:
    aaron, zoe = twins(cast)
    assert ranked(vacancy, aaron, zoe) == [zoe.pk, aaron.pk]


def test_a_vacancy_without_skills_counts_the_title_once(cast: Cast) -> None:
    vacancy = Vacancy.objects.create(company=cast.company, title="Payroll Administrator")
    same_title = candidate(cast.owner, "Tess", headline="Payroll Administrator")
    [match] = [m for m in matching.match_people(vacancy) if m.person_id == same_title.pk]
    # The title's 35 of 100 becomes 35 of the 75 left without skills: 46.7, not 35 + 25.
    assert "skills" not in match.parts
    assert match.score == pytest.approx(100 * 35 / 75, abs=0.1)
    [title] = [r for r in match.reasons if r.code == "title"]
    assert title.points == pytest.approx(match.score, abs=0.1)


def test_someone_recorded_without_a_role_is_ranked_once_the_data_is_mended(
    cast: Cast, vacancy: Vacancy
) -> None:
    # As the API recorded people before it gave them a role.
    roleless = Person.objects.create(
        first_name="Rhys", last_name="Nobody", headline="Payroll Administrator", owner=cast.owner
    )
    signup = Person.objects.create(
        first_name="Nia",
        last_name="News",
        headline="Payroll Administrator",
        notes="Signed up for the newsletter on the website.",
    )
    assert roleless.pk not in ranked(vacancy, roleless)
    mend = importlib.import_module(
        "keepwarm.people.migrations.0008_roleless_people_become_candidates"
    )
    mend.give_roles(apps, None)
    assert ranked(vacancy, roleless, signup) == [roleless.pk]
    [role] = Role.objects.filter(person=roleless)
    assert (role.kind, role.started_on) == (Role.Kind.CANDIDATE, timezone.localdate())
    assert not Role.objects.filter(person=signup).exists()
