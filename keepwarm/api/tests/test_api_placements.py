from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from keepwarm.care.models import Cover, Touchpoint
from keepwarm.conftest import START
from keepwarm.people.models import Company, Person, Role
from keepwarm.placements.models import Placement

TODAY = dt.datetime(2026, 2, 16, 12, 0, tzinfo=dt.UTC)  # two weeks before START


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def _new_placement_body(cast, plan, **changes):
    body = {
        "person": cast.candidate.pk,
        "company": cast.company.pk,
        "hiring_manager": cast.client_contact.pk,
        "role_title": "Sales Lead",
        "start_date": "2026-03-16",
        "salary": "45000.00",
        "fee": 9000,
        "care_plan": plan.pk,
        "targets": [
            {"name": "New business", "target_value": "50000", "unit": "GBP", "period": "quarter"}
        ],
    }
    body.update(changes)
    return body


def test_creating_a_placement_lays_out_its_care_plan(cast, api_as, plan):
    response = api_as(cast.owner).post("/placements", _new_placement_body(cast, plan))

    assert response.status_code == 201, response.json()
    placement = Placement.objects.get(pk=response.json()["id"])
    due = list(placement.touchpoints.values_list("title", "due_on", "state"))
    assert due == [
        ("Call before start", dt.date(2026, 3, 13), "planned"),  # the Saturday's Friday
        ("Week one check-in", dt.date(2026, 3, 23), "planned"),
    ]
    assert placement.guarantee_length == 90  # copied from Acme's terms
    assert Role.objects.filter(person=cast.candidate, kind="placed", title="Sales Lead").exists()


def test_created_placement_shows_its_targets_and_money_as_strings(cast, api_as, plan):
    body = api_as(cast.owner).post("/placements", _new_placement_body(cast, plan)).json()

    assert body["targets"] == [
        {
            "id": body["targets"][0]["id"],
            "name": "New business",
            "target_value": "50000.00",
            "unit": "GBP",
            "period": "quarter",
        }
    ]
    assert body["salary"] == "45000.00"
    assert body["fee"] == "9000.00"
    assert body["owner"] == "olivia_owner"
    assert body["status"] == "offer_accepted"
    assert body["guarantee_ends_on"] == "2026-06-14"


def test_invalid_date_gets_422_naming_the_field(cast, api_as, plan):
    response = api_as(cast.owner).post(
        "/placements", _new_placement_body(cast, plan, start_date="2026-02-30")
    )

    assert response.status_code == 422
    problems = response.json()["errors"]
    assert [p["field"] for p in problems] == ["start_date"]
    assert "start_date" in response.json()["detail"]
    assert Placement.objects.count() == 1


def test_unknown_company_gets_422_not_500(cast, api_as, plan):
    response = api_as(cast.owner).post(
        "/placements", _new_placement_body(cast, plan, company=987654)
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "company", "message": "no company with id 987654 that you can see"}
    ]


def test_someone_elses_candidate_cannot_be_placed(cast, api_as, plan):
    response = api_as(cast.outsider).post("/placements", _new_placement_body(cast, plan))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "person"
    assert Placement.objects.count() == 1


def test_a_bad_target_leaves_nothing_half_written(cast, api_as, plan):
    body = _new_placement_body(cast, plan)
    body["targets"].append({"name": "Calls", "target_value": "-5", "unit": "calls"})

    response = api_as(cast.owner).post("/placements", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "targets.1.target_value"
    assert Placement.objects.count() == 1
    assert Touchpoint.objects.count() == 0


def test_end_date_before_start_is_refused(cast, api_as, plan):
    response = api_as(cast.owner).post(
        "/placements", _new_placement_body(cast, plan, kind="contract", end_date="2026-03-01")
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "end_date"


def test_list_placements_filters_by_status_and_paginates(cast, api_as):
    for n in range(4):
        person = Person.objects.create(first_name=f"P{n}", last_name="Placed", owner=cast.owner)
        Placement.objects.create(
            person=person,
            company=cast.company,
            owner=cast.owner,
            role_title="Analyst",
            start_date=START + dt.timedelta(days=n),
            status=Placement.Status.IN_GUARANTEE if n % 2 else Placement.Status.SETTLED,
        )
    api = api_as(cast.owner)

    page1 = api.get("/placements", status="in_guarantee", limit=1).json()
    page2 = api.get("/placements", status="in_guarantee", limit=1, offset=1).json()

    assert page1["count"] == 2
    assert [p["start_date"] for p in page1["items"] + page2["items"]] == [
        "2026-03-05",
        "2026-03-03",
    ]
    assert api.get("/placements", status="settled").json()["count"] == 2


def test_list_placements_filters_by_owner_company_person_and_start(cast, api_as):
    api = api_as(cast.manager)

    def count(**filters):
        return api.get("/placements", **filters).json()["count"]

    assert count(owner="olivia_owner") == 1
    assert count(owner="colin_cover") == 0
    assert count(company=cast.company.pk) == 1
    assert count(person=cast.candidate.pk) == 1
    assert count(person=cast.client_contact.pk) == 0
    assert count(started_after="2026-03-02", started_before="2026-03-02") == 1
    assert count(started_after="2026-03-03") == 0


def test_unknown_status_filter_is_422(cast, api_as):
    response = api_as(cast.owner).get("/placements", status="happy")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_consultant_cannot_read_other_consultants_placement_via_api(cast, api_as):
    api = api_as(cast.outsider)

    assert api.get(f"/placements/{cast.placement.pk}").status_code == 404
    assert api.patch(f"/placements/{cast.placement.pk}", {"fee": "1"}).status_code == 404
    assert api.get("/placements").json()["count"] == 0


def test_covering_colleague_can_read_the_placement(cast, api_as):
    today = timezone.localdate()
    Cover.objects.create(
        absent=cast.owner, colleague=cast.colleague, starts_on=today, ends_on=today
    )

    response = api_as(cast.colleague).get(f"/placements/{cast.placement.pk}")

    assert response.status_code == 200
    assert response.json()["targets"][0]["name"] == "New business"


def test_moving_the_start_date_moves_the_future_care_plan(cast, api_as, plan):
    api = api_as(cast.owner)
    created = api.post("/placements", _new_placement_body(cast, plan)).json()

    response = api.patch(f"/placements/{created['id']}", {"start_date": "2026-03-30"})

    assert response.status_code == 200
    assert response.json()["start_date"] == "2026-03-30"
    placement = Placement.objects.get(pk=created["id"])
    assert list(placement.touchpoints.values_list("due_on", flat=True)) == [
        dt.date(2026, 3, 27),  # two days before is a Saturday: the Friday
        dt.date(2026, 4, 7),  # a week after is Easter Monday: the Tuesday
    ]


def test_patch_replaces_targets_and_keeps_the_rest(cast, api_as):
    response = api_as(cast.owner).patch(
        f"/placements/{cast.placement.pk}",
        {"targets": [{"name": "Tickets", "target_value": 120, "unit": "tickets"}], "fee": "8000"},
    )

    assert response.status_code == 200
    cast.placement.refresh_from_db()
    assert [t.name for t in cast.placement.targets.all()] == ["Tickets"]
    assert cast.placement.fee == Decimal("8000")
    assert cast.placement.salary == Decimal("38000")


def test_changing_the_owner_hands_the_placement_over(cast, api_as):
    response = api_as(cast.manager).patch(
        f"/placements/{cast.placement.pk}", {"owner": "colin_cover"}
    )

    assert response.status_code == 200
    assert response.json()["owner"] == "colin_cover"
    assert api_as(cast.colleague).get(f"/placements/{cast.placement.pk}").status_code == 200
    assert api_as(cast.owner).get(f"/placements/{cast.placement.pk}").status_code == 404


def test_a_hiring_manager_from_another_company_is_refused(cast, api_as, plan):
    other = Company.objects.create(name="Brown & Whitehouse")

    response = api_as(cast.owner).post(
        "/placements", _new_placement_body(cast, plan, company=other.pk)
    )

    assert response.status_code == 422
    assert "Harry Hughes is not a client contact at Brown & Whitehouse" in response.content.decode()
