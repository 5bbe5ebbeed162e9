"""What the agency has watched enters the ranking as reasons in words with their points:
the client's rating at month N, the agreed targets, how long they stayed, how this
vacancy's own client rated them, and how they compare with that client's successful hires.
One test per reason; each reason moves the person against an equal person without it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from keepwarm.conftest import START, Cast
from keepwarm.network import matching
from keepwarm.network.match_scoring import (
    CLIENT_PAY_POINTS,
    CLIENT_RATED_POINTS,
    FELL_OFF_ELSEWHERE_POINTS,
    PERFORMANCE_POINTS,
    TARGET_POINTS,
    TENURE_POINTS,
)
from keepwarm.network.models import Vacancy
from keepwarm.network.performance import client_knowledge, records
from keepwarm.network.tests.test_matching import candidate
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement, Target
from keepwarm.surveys.models import Answer, Invitation, Question, Questionnaire, Response

MONTH_3 = timezone.make_aware(dt.datetime.combine(START + dt.timedelta(days=91), dt.time(12)))


def placed(
    person: Person,
    company: Company,
    cast: Cast,
    *,
    status: str = Placement.Status.SETTLED,
    start: dt.date = START,
    salary: str = "38000",
    title: str = "Account Manager",
) -> Placement:
    return Placement.objects.create(
        person=person,
        company=company,
        owner=cast.owner,
        role_title=title,
        start_date=start,
        salary=Decimal(salary),
        status=status,
    )


def client_answers(
    placement: Placement, *, rating: int | None = None, targets: dict[Target, str] | None = None
) -> None:
    """The client's check-in on `placement` at month 3."""
    questionnaire = Questionnaire.objects.get(code="client-check-in")
    invitation = Invitation.objects.create(
        placement=placement,
        person=placement.person,
        questionnaire=questionnaire,
        expires_at=MONTH_3 + dt.timedelta(days=30),
    )
    response = Response.objects.create(
        invitation=invitation,
        placement=placement,
        person=placement.person,
        questionnaire=questionnaire,
        submitted_at=MONTH_3,
    )
    if rating is not None:
        question = Question.objects.get(
            questionnaire=questionnaire, code="performance", invitation=None
        )
        Answer.objects.create(response=response, question=question, value_number=rating)
    for target, status in (targets or {}).items():
        question = Question.objects.create(
            questionnaire=questionnaire,
            invitation=invitation,
            code=f"target:{target.pk}",
            kind=Question.Kind.CHOICE,
            label=target.name,
        )
        Answer.objects.create(response=response, question=question, value_text=status)


@pytest.fixture
def vacancy(cast: Cast) -> Vacancy:
    return Vacancy.objects.create(company=cast.company, title="Account Manager")


@pytest.fixture
def elsewhere() -> Company:
    return Company.objects.create(name="Elsewhere Ltd")


def pair(cast: Cast) -> tuple[Person, Person]:
    """Two people alike in all the profile shows; the second was recorded later (a tie
    would go to the first)."""
    plain = candidate(cast.owner, "Plain", headline="Account Manager")
    watched = candidate(cast.owner, "Watched", headline="Account Manager")
    return plain, watched


def reasons_of(vacancy: Vacancy, person: Person) -> dict[str, tuple[str, float]]:
    [match] = [m for m in matching.match_people(vacancy) if m.person_id == person.pk]
    return {r.code: (r.text, r.points) for r in match.reasons}


def ranked(vacancy: Vacancy, *people: Person) -> list[int]:
    ids = {p.pk for p in people}
    return [m.person_id for m in matching.match_people(vacancy) if m.person_id in ids]


def test_a_person_rated_highly_by_this_client_ranks_above_an_equal_person_without_a_record(
    cast: Cast, vacancy: Vacancy
) -> None:
    plain, watched = pair(cast)
    client_answers(placed(watched, cast.company, cast, title="Sales Executive"), rating=5)
    assert ranked(vacancy, plain, watched) == [watched.pk, plain.pk]
    found = reasons_of(vacancy, watched)
    assert found["client_rated"] == (
        "Acme Widgets rated them 5/5 at month 3 (Sales Executive)",
        CLIENT_RATED_POINTS,
    )


def test_a_client_rating_elsewhere_counts_with_its_month(
    cast: Cast, vacancy: Vacancy, elsewhere: Company
) -> None:
    plain, watched = pair(cast)
    client_answers(placed(watched, elsewhere, cast), rating=5)
    assert ranked(vacancy, plain, watched) == [watched.pk, plain.pk]
    assert reasons_of(vacancy, watched)["performance"] == (
        "Client rated 5/5 at month 3 (Elsewhere Ltd, Account Manager)",
        PERFORMANCE_POINTS,
    )
    assert "client_rated" not in reasons_of(vacancy, watched)


def test_a_poor_client_rating_counts_against(
    cast: Cast, vacancy: Vacancy, elsewhere: Company
) -> None:
    plain, watched = pair(cast)
    client_answers(placed(watched, elsewhere, cast), rating=2)
    assert ranked(vacancy, plain, watched) == [plain.pk, watched.pk]
    assert reasons_of(vacancy, watched)["performance"][1] == -PERFORMANCE_POINTS


def test_agreed_targets_met_count_for_them_and_behind_against(
    cast: Cast, vacancy: Vacancy, elsewhere: Company
) -> None:
    plain, watched = pair(cast)
    behind = candidate(cast.owner, "Behind", headline="Account Manager")
    for person, status in ((watched, "met"), (behind, "behind")):
        placement = placed(person, elsewhere, cast)
        target = Target.objects.create(
            placement=placement, name="New business", target_value=40000, unit="GBP"
        )
        client_answers(placement, targets={target: status})
    assert ranked(vacancy, plain, watched, behind) == [watched.pk, plain.pk, behind.pk]
    assert reasons_of(vacancy, watched)["targets"] == (
        "1 of 1 agreed targets met or on track at month 3 (Elsewhere Ltd)",
        TARGET_POINTS,
    )
    assert reasons_of(vacancy, behind)["targets"][1] == -TARGET_POINTS


def test_staying_a_year_counts_and_falling_off_elsewhere_counts_against(
    cast: Cast, vacancy: Vacancy, elsewhere: Company
) -> None:
    plain, stayed = pair(cast)
    fell = candidate(cast.owner, "Fell", headline="Account Manager")
    placed(stayed, elsewhere, cast, start=START - dt.timedelta(days=800))
    gone = placed(fell, elsewhere, cast, status=Placement.Status.FELL_OFF)
    Placement.objects.filter(pk=gone.pk).update(left_on=START + dt.timedelta(days=45))
    assert ranked(vacancy, plain, stayed, fell)[0] == stayed.pk
    assert ranked(vacancy, plain, fell) == [plain.pk, fell.pk]
    text, points = reasons_of(vacancy, stayed)["tenure"]
    assert text.startswith("Stayed ") and text.endswith(" months at Elsewhere Ltd")
    assert points == TENURE_POINTS
    assert reasons_of(vacancy, fell)["tenure"] == (
        "Fell off at month 1 (Elsewhere Ltd)",
        FELL_OFF_ELSEWHERE_POINTS,
    )


def test_someone_like_this_clients_successful_hires_ranks_above_someone_who_is_not(
    cast: Cast, elsewhere: Company
) -> None:
    # Acme's hires who did well were Account Managers on 36–40k.
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save(update_fields=["status"])
    placed(candidate(cast.owner, "Earlier"), cast.company, cast, salary="36000")
    vacancy = Vacancy.objects.create(company=cast.company, title="Senior Account Manager")
    like = candidate(cast.owner, "Like", headline="Account Manager")
    unlike = candidate(cast.owner, "Unlike", headline="Senior Account Director")
    placed(like, elsewhere, cast, salary="37000")
    placed(unlike, elsewhere, cast, salary="90000", title="Senior Account Director")
    # Acme's successful welder says nothing about an account manager's vacancy.
    placed(candidate(cast.owner, "Welder"), cast.company, cast, title="Welder", salary="30000")
    cheaper = candidate(cast.owner, "Cheaper", headline="Account Manager")
    placed(cheaper, elsewhere, cast, salary="31000")
    found = reasons_of(vacancy, like)
    assert found["client_hires"][0] == "Like Acme Widgets's successful hires: Account Manager"
    assert found["client_hires"][1] > 0
    assert found["client_pay"] == (
        "Last salary within the pay band of Acme Widgets's successful hires",
        CLIENT_PAY_POINTS,
    )
    assert "client_hires" not in reasons_of(vacancy, unlike)
    assert "client_pay" not in reasons_of(vacancy, cheaper)  # the welder's pay is not the band
    assert ranked(vacancy, like, unlike) == [like.pk, unlike.pk]


def test_client_knowledge_says_what_successful_hires_had_in_common(
    cast: Cast, elsewhere: Company
) -> None:
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save(update_fields=["status"])
    client_answers(cast.placement, rating=5)
    other = placed(candidate(cast.owner, "Gone"), cast.company, cast, salary="50000")
    Placement.objects.filter(pk=other.pk).update(status=Placement.Status.FELL_OFF)
    knowledge = client_knowledge(cast.company.pk)
    assert knowledge.placements == 2
    assert knowledge.roles == ["Account Manager"]
    assert knowledge.pay_band == (Decimal("38000"), Decimal("38000"))
    assert knowledge.rated_highly == ["performance overall (5.0/5)"]


def test_the_record_holds_each_placement_with_rating_targets_tenure_and_outcome(
    cast: Cast,
) -> None:
    target = cast.placement.targets.get()
    client_answers(cast.placement, rating=4, targets={target: "on_track"})
    [placement] = records([cast.candidate.pk])[cast.candidate.pk].placements
    assert placement.rating_text == "4/5 at month 3"
    assert placement.targets_text == "1 of 1 agreed targets met or on track at month 3"
    assert placement.as_dict()["client_rating"] == 4
    assert placement.months > 0
