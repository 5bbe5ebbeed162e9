"""Each reason the profile gives moves a person above an otherwise equal person without
it, for the client's vacancy, and is listed in words with its points. (What the agency
has watched, the client's ratings and its successful hires: test_match_reasons.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.network import matching
from keepwarm.network.match_scoring import HISTORY_POINTS
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.network.tests.test_matching import candidate
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement

TITLE = "Payroll Administrator"
LONG_AGO = dt.date(2023, 1, 9)  # settled, well past any guarantee or first months
PROFILE = {
    "headline": "Payroll Administrator",
    "skills": "Sage, payroll",
    "sector": "Finance",
    "location": "Leeds",
}


@pytest.fixture
def vacancy(cast: Cast) -> Vacancy:
    return Vacancy.objects.create(
        company=cast.company,
        title="Payroll Administrator",
        skills="Sage, payroll",
        sector="Finance",
        location="Leeds",
        salary_min=30000,
        salary_max=36000,
    )


def settled(person: Person, company: Company, cast: Cast, salary: str | None = None) -> None:
    Placement.objects.create(
        person=person,
        company=company,
        owner=cast.owner,
        role_title="Clerk",
        start_date=LONG_AGO,
        salary=Decimal(salary) if salary is not None else None,
        status=Placement.Status.SETTLED,
    )


def without(field: str) -> Callable[[Cast, Vacancy], tuple[Person, Person]]:
    """The second person lacks one field of the profile the first has."""

    def make(cast: Cast, vacancy: Vacancy) -> tuple[Person, Person]:
        less = {**PROFILE, field: ""}
        # The one without is recorded first: were it a tie, it would win it.
        plain = candidate(cast.owner, "Without", **less)
        return candidate(cast.owner, "With", **PROFILE), plain

    return make


def salary_in_range(cast: Cast, vacancy: Vacancy) -> tuple[Person, Person]:
    elsewhere = Company.objects.create(name="Elsewhere Ltd")
    plain = candidate(cast.owner, "Without", **PROFILE)
    settled(plain, elsewhere, cast)
    fits = candidate(cast.owner, "With", **PROFILE)
    settled(fits, elsewhere, cast, salary="33000")
    return fits, plain


def readier(cast: Cast, vacancy: Vacancy) -> tuple[Person, Person]:
    plain = candidate(cast.owner, "Without", **PROFILE)
    ready = candidate(cast.owner, "With", **PROFILE)
    Readiness.objects.create(
        person=ready,
        score=0.8,
        reasons=[{"code": "statement", "text": "Open to a move", "weight": 0.8}],
        computed_at=timezone.now(),
    )
    return ready, plain


def placed_here_before(cast: Cast, vacancy: Vacancy) -> tuple[Person, Person]:
    elsewhere = Company.objects.create(name="Elsewhere Ltd")
    plain = candidate(cast.owner, "Without", **PROFILE)
    settled(plain, elsewhere, cast)
    known = candidate(cast.owner, "With", **PROFILE)
    settled(known, vacancy.company, cast)
    return known, plain


CASES = {
    "title": (
        without("headline"),
        "Title: Payroll Administrator is the same as Payroll Administrator",
    ),
    "skills": (without("skills"), "Skills: Sage, payroll (2 of 2)"),
    "sector": (without("sector"), "Same sector: Finance"),
    "location": (without("location"), "Based in Leeds"),
    "salary": (salary_in_range, "Last salary within the range"),
    "readiness": (readier, "Readiness to move 80%: Open to a move"),
    "history": (
        placed_here_before,
        f"Placed at Acme Widgets before ({LONG_AGO.year}); stayed past the guarantee",
    ),
}


@pytest.mark.parametrize("code", CASES)
def test_each_reason_ranks_its_person_above_an_equal_person_without_it(
    cast: Cast, vacancy: Vacancy, code: str
) -> None:
    make, text = CASES[code]
    with_it, plain = make(cast, vacancy)
    matches = [m for m in matching.match_people(vacancy) if m.person_id in (with_it.pk, plain.pk)]
    assert [m.person_id for m in matches] == [with_it.pk, plain.pk]
    first, second = matches
    [reason] = [r for r in first.reasons if r.code == code]
    assert reason.text == text
    assert reason.points > 0
    assert code not in {r.code for r in second.reasons}
    # The difference in score is that reason's points, as the page shows them.
    assert first.score - second.score == pytest.approx(reason.points)
    if code == "history":
        assert reason.points == HISTORY_POINTS
