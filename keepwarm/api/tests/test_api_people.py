from __future__ import annotations

from django.utils import timezone

from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement


def test_list_people_searches_name_email_and_phone(cast, api_as):
    api = api_as(cast.owner)

    by_name = api.get("/people", q="priya patel").json()
    by_email = api.get("/people", q="acme.example").json()
    by_phone = api.get("/people", q="900123").json()

    assert [p["full_name"] for p in by_name["items"]] == ["Priya Patel"]
    assert [p["full_name"] for p in by_email["items"]] == ["Harry Hughes"]
    assert [p["full_name"] for p in by_phone["items"]] == ["Priya Patel"]


def test_list_people_filters_by_current_role(cast, api_as):
    response = api_as(cast.owner).get("/people", role="client_contact").json()

    assert response["count"] == 1
    assert response["items"][0]["id"] == cast.client_contact.pk
    assert response["items"][0]["roles"][0]["kind"] == "client_contact"


def test_list_people_paginates_in_a_stable_order(cast, api_as):
    for n in range(5):
        Person.objects.create(
            first_name="Sam", last_name="Same", owner=cast.owner, email=f"{n}@x.io"
        )
    api = api_as(cast.owner)

    first = api.get("/people", q="same", limit=2).json()
    rest = api.get("/people", q="same", limit=2, offset=2).json()
    last = api.get("/people", q="same", limit=2, offset=4).json()

    ids = [p["id"] for page in (first, rest, last) for p in page["items"]]
    assert first["count"] == 5
    assert len(ids) == 5 == len(set(ids))
    assert ids == sorted(ids)


def test_list_limit_above_200_is_refused(cast, api_as):
    response = api_as(cast.owner).get("/people", limit=201)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_consultant_sees_only_their_own_people(cast, api_as):
    api = api_as(cast.outsider)

    assert api.get("/people").json()["count"] == 0
    assert api.get(f"/people/{cast.candidate.pk}").status_code == 404
    assert api.patch(f"/people/{cast.candidate.pk}", {"notes": "mine"}).status_code == 404


def test_manager_sees_everyone(cast, api_as):
    assert api_as(cast.manager).get("/people").json()["count"] == 2


def test_create_person_owned_by_the_caller(cast, api_as):
    response = api_as(cast.colleague).post(
        "/people", {"first_name": "Nina", "last_name": "New", "email": "nina@example.org"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == "colin_cover"
    assert body["url"] == f"/api/v1/people/{body['id']}"
    assert Person.objects.get(pk=body["id"]).email == "nina@example.org"


def test_create_person_with_bad_email_names_the_field(cast, api_as):
    response = api_as(cast.owner).post(
        "/people", {"first_name": "Nina", "last_name": "New", "email": "not-an-email"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "email", "message": "Value error, must be a valid email address"}
    ]


def test_create_person_with_unknown_owner_is_422(cast, api_as):
    response = api_as(cast.owner).post(
        "/people", {"first_name": "Nina", "last_name": "New", "owner": "nobody"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner"
    assert not Person.objects.filter(first_name="Nina").exists()


def test_patch_changes_only_the_fields_sent(cast, api_as):
    response = api_as(cast.owner).patch(f"/people/{cast.candidate.pk}", {"phone": "0113 496 0000"})

    assert response.status_code == 200
    cast.candidate.refresh_from_db()
    assert cast.candidate.phone == "+441134960000"
    assert cast.candidate.email == "priya@example.net"


def test_patch_cannot_blank_a_required_name(cast, api_as):
    response = api_as(cast.owner).patch(f"/people/{cast.candidate.pk}", {"last_name": ""})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "last_name"


def test_covering_colleague_sees_the_absent_owners_people(cast, api_as):
    from django.utils import timezone

    from keepwarm.care.models import Cover

    today = timezone.localdate()
    Cover.objects.create(
        absent=cast.owner, colleague=cast.colleague, starts_on=today, ends_on=today
    )

    assert api_as(cast.colleague).get(f"/people/{cast.candidate.pk}").status_code == 200
    assert Placement.objects.count() == 1
    assert Role.objects.count() == 2


def test_a_person_created_through_the_api_is_a_candidate_from_today(cast, api_as):
    response = api_as(cast.owner).post("/people", {"first_name": "Nina", "last_name": "New"})

    assert response.status_code == 201
    roles = response.json()["roles"]
    assert [(r["kind"], r["ended_on"]) for r in roles] == [("candidate", None)]
    assert roles[0]["started_on"] == timezone.localdate().isoformat()


def test_a_person_created_through_the_api_can_be_a_client_contact(cast, api_as):
    body = {"first_name": "Cleo", "last_name": "Client", "role": "client_contact"}

    response = api_as(cast.owner).post(
        "/people", {**body, "company": cast.company.pk, "title": "Head of Sales"}
    )

    assert response.status_code == 201, response.json()
    role = Role.objects.get(person_id=response.json()["id"])
    assert (role.kind, role.company) == ("client_contact", cast.company)
    assert role.title == "Head of Sales"


def test_a_client_contact_without_a_company_is_refused_naming_the_field(cast, api_as):
    body = {"first_name": "Cleo", "last_name": "Client", "role": "client_contact"}

    response = api_as(cast.owner).post("/people", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "company"
    assert not Person.objects.filter(first_name="Cleo").exists()


def test_the_api_answers_a_bad_number_with_the_reason(cast, api_as):
    api = api_as(cast.owner)

    refused = api.post("/people", {"first_name": "Ann", "last_name": "Lee", "phone": "not-a-phone"})
    made = api.post("/people", {"first_name": "Ann", "last_name": "Lee", "phone": "07911 123456"})

    assert refused.status_code == 422
    assert "is not a phone number" in refused.content.decode()
    assert made.status_code == 201
    assert made.json()["phone"] == "+447911123456"


def test_a_number_typed_as_dialled_finds_the_stored_number(cast, api_as):
    Person.objects.filter(pk=cast.candidate.pk).update(phone="+447911123456")

    found = api_as(cast.owner).get("/people", q="07911 123456").json()

    assert [p["full_name"] for p in found["items"]] == ["Priya Patel"]
