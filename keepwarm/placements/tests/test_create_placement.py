import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from keepwarm.care.models import CarePlan
from keepwarm.care.services import default_plan
from keepwarm.care.services.placements import create_placement
from keepwarm.conftest import START, Cast
from keepwarm.people.models import GuaranteeUnit, Person, Role
from keepwarm.placements.models import Placement


@pytest.fixture
def sam(cast: Cast) -> Person:
    person = Person.objects.create(first_name="Sam", last_name="Shah", email="sam@example.net")
    Role.objects.create(person=person, kind=Role.Kind.CANDIDATE, started_on=dt.date(2025, 6, 1))
    return person


def place(cast: Cast, person: Person, *, today: dt.date, **fields: Any) -> Placement:
    return create_placement(
        by=cast.owner,
        person=person,
        company=cast.company,
        owner=cast.owner,
        role_title="Sales Executive",
        start_date=START,
        today=today,
        **fields,
    )


def test_new_placement_copies_the_clients_terms_of_business(cast: Cast, sam: Person) -> None:
    placement = place(cast, sam, today=START - dt.timedelta(days=7))
    assert placement.guarantee_length == 90
    assert placement.rebate_scale == cast.company.rebate_scale
    # Changing the client's terms later does not change an agreed placement.
    cast.company.rebate_scale[0]["percent"] = 80
    cast.company.save()
    placement.refresh_from_db()
    assert placement.rebate_scale[0]["percent"] == 100


def test_terms_given_for_this_placement_win(cast: Cast, sam: Person) -> None:
    placement = place(
        cast, sam, today=START, guarantee_length=20, guarantee_unit=GuaranteeUnit.WORKING
    )
    assert placement.guarantee_length == 20
    assert placement.guarantee_unit == GuaranteeUnit.WORKING


def test_placed_candidate_gets_a_placed_role_and_stops_being_a_candidate(
    cast: Cast, sam: Person
) -> None:
    place(cast, sam, today=START)
    roles = {r.kind: r for r in sam.roles.all()}
    assert roles[Role.Kind.PLACED].company == cast.company
    assert roles[Role.Kind.PLACED].started_on == START
    assert roles[Role.Kind.CANDIDATE].ended_on == START


def test_hiring_manager_becomes_a_client_contact_once(cast: Cast, sam: Person) -> None:
    newcomer = Person.objects.create(first_name="Nia", last_name="New")
    place(cast, sam, today=START, hiring_manager=newcomer)
    place(cast, sam, today=START, hiring_manager=newcomer)
    assert newcomer.roles.filter(kind=Role.Kind.CLIENT_CONTACT, company=cast.company).count() == 1


def test_unowned_person_is_owned_by_the_placing_consultant(cast: Cast, sam: Person) -> None:
    place(cast, sam, today=START)
    sam.refresh_from_db()
    assert sam.owner == cast.owner


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (START - dt.timedelta(days=1), Placement.Status.OFFER_ACCEPTED),
        (START, Placement.Status.IN_GUARANTEE),
        (START + dt.timedelta(days=90), Placement.Status.IN_GUARANTEE),
        (START + dt.timedelta(days=91), Placement.Status.SETTLED),
    ],
)
def test_status_follows_the_dates(cast: Cast, sam: Person, today: dt.date, status: str) -> None:
    assert place(cast, sam, today=today).status == status


def test_no_guarantee_means_started(cast: Cast, sam: Person) -> None:
    assert place(cast, sam, today=START, guarantee_length=0).status == Placement.Status.STARTED


def test_targets_are_recorded(cast: Cast, sam: Person) -> None:
    placement = place(
        cast,
        sam,
        today=START,
        targets=[
            {"name": "Calls", "target_value": Decimal("200"), "unit": "calls", "period": "week"}
        ],
    )
    [target] = placement.targets.all()
    assert str(target) == "Calls: 200 calls a week"


def test_new_placement_follows_the_default_plan(cast: Cast, sam: Person) -> None:
    placement = place(cast, sam, today=START - dt.timedelta(days=7))
    assert placement.care_plan == default_plan("permanent")
    assert placement.touchpoints.filter(state="planned").count() == 35  # no hiring manager


def test_chosen_plan_is_followed(cast: Cast, sam: Person) -> None:
    plan = CarePlan.objects.create(name="Light touch")
    plan.steps.create(title="Hello", kind="call", offset_days=1)
    placement = place(cast, sam, today=START, plan=plan)
    assert list(placement.touchpoints.values_list("title", "due_on")) == [
        ("Hello", START + dt.timedelta(days=1))
    ]


def test_contract_placement_follows_the_contractor_plan(cast: Cast, sam: Person) -> None:
    placement = place(
        cast,
        sam,
        today=START,
        kind=Placement.Kind.CONTRACT,
        end_date=START + dt.timedelta(days=100),
        guarantee_length=0,
    )
    assert placement.care_plan is not None
    assert placement.care_plan.placement_kind == "contract"
    assert placement.touchpoints.filter(title="Call about what's next").exists()


def test_care_plan_given_as_a_field_is_followed(cast: Cast, sam: Person) -> None:
    plan = CarePlan.objects.create(name="Executive")
    plan.steps.create(title="Lunch", kind="meeting", offset_months=1)
    placement = place(cast, sam, today=START, care_plan=plan)
    assert list(placement.touchpoints.values_list("title", flat=True)) == ["Lunch"]
