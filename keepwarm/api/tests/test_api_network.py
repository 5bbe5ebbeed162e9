"""API v1: referrals, leads, intelligence notes and vacancies."""

from __future__ import annotations

import json
from decimal import Decimal

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepwarm.conftest import START
from keepwarm.network.models import IntelNote, Lead, Referral, RewardRule, Vacancy
from keepwarm.network.services import receive_lead, receive_referral
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement


def test_referral_of_a_known_person_links_them(cast, api_as):
    api = api_as(cast.owner)
    response = api.post(
        "/referrals",
        {
            "referrer": cast.client_contact.pk,
            "kind": "candidate",
            "name": "Priya Patel",
            "email": "PRIYA@example.net",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["referred"], body["status"], body["candidates"]) == (
        cast.candidate.pk,
        "received",
        [],
    )
    assert api.get("/referrals", person=cast.candidate.pk).json()["count"] == 1


def test_doubtful_referral_lists_candidates_and_is_settled_by_patch(cast, api_as):
    api = api_as(cast.owner)
    body = api.post(
        "/referrals",
        {
            "referrer": cast.client_contact.pk,
            "kind": "candidate",
            "name": "Tom Baker",
            "phone": "07700 900123",
        },
    ).json()
    assert body["referred"] is None and body["candidates"] == [cast.candidate.pk]
    patched = api.patch(f"/referrals/{body['id']}", {"referred": cast.candidate.pk}).json()
    assert (patched["referred"], patched["candidates"]) == (cast.candidate.pk, [])


def test_referral_walks_its_status_steps_and_refuses_a_jump(cast, api_as):
    rule = RewardRule.objects.create(
        name="Intro", kind="client", amount=Decimal("750"), due_when="on_win"
    )
    api = api_as(cast.owner)
    referral = api.post(
        "/referrals",
        {
            "referrer": cast.candidate.pk,
            "kind": "client",
            "name": "Gina Gold",
            "company_name": "Globex",
        },
    ).json()
    jump = api.patch(f"/referrals/{referral['id']}", {"status": "paid"})
    assert jump.status_code == 422
    assert "cannot become" in jump.json()["detail"]
    won = api.patch(f"/referrals/{referral['id']}", {"status": "won", "rule": rule.pk}).json()
    assert (won["status"], won["reward_amount"]) == ("won", "750.00")
    assert won["reward_due_on"] is not None
    due = api.get("/referrals", reward_due=True).json()
    assert [r["id"] for r in due["items"]] == [referral["id"]]
    paid = api.patch(f"/referrals/{referral['id']}", {"status": "paid"}).json()
    assert paid["status"] == "paid" and paid["paid_on"] is not None


def test_referral_from_someone_you_cannot_see_is_refused(cast, api_as):
    response = api_as(cast.outsider).post(
        "/referrals", {"referrer": cast.candidate.pk, "kind": "candidate", "name": "Dev Shah"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "referrer"
    assert not Referral.objects.exists()


def test_other_consultants_referrals_are_404(cast, api_as):
    created = (
        api_as(cast.owner)
        .post(
            "/referrals", {"referrer": cast.candidate.pk, "kind": "candidate", "name": "Dev Shah"}
        )
        .json()
    )
    other = api_as(cast.outsider)
    assert other.get(f"/referrals/{created['id']}").status_code == 404
    assert other.patch(f"/referrals/{created['id']}", {"status": "contacted"}).status_code == 404
    assert other.get("/referrals").json()["count"] == 0


def _sam(cast):
    """Oscar's candidate, placed by him at Acme: nobody of Olivia's."""
    sam = Person.objects.create(
        first_name="Sam", last_name="Stone", email="sam@example.net", owner=cast.outsider
    )
    Placement.objects.create(
        person=sam, company=cast.company, owner=cast.outsider, role_title="Buyer", start_date=START
    )
    return sam


def test_a_referral_gives_no_id_of_a_colleagues_referrer_or_placement(cast, api_as):
    sam = _sam(cast)
    # Sam (Oscar's) referred Priya (Olivia's), and Priya was placed by Olivia.
    referral = receive_referral(referrer=sam, kind="candidate", name="Priya Patel")
    Referral.objects.filter(pk=referral.pk).update(
        referred=cast.candidate, placement=cast.placement
    )
    olivia, oscar = api_as(cast.owner), api_as(cast.outsider)

    hers = olivia.get(f"/referrals/{referral.pk}").json()
    his = oscar.get(f"/referrals/{referral.pk}").json()

    assert (hers["referrer"], hers["referred"], hers["placement"]) == (
        None,
        cast.candidate.pk,
        cast.placement.pk,
    )
    assert (his["referrer"], his["referred"], his["placement"]) == (sam.pk, None, None)
    assert olivia.get("/referrals", person=sam.pk).json()["count"] == 0
    assert oscar.get("/referrals", person=cast.candidate.pk).json()["count"] == 0
    assert api_as(cast.manager).get(f"/referrals/{referral.pk}").json()["referrer"] == sam.pk


def test_a_referral_cannot_be_placed_with_a_colleagues_placement(cast, api_as):
    sam = _sam(cast)
    # Priya (Olivia's) referred Sam; Sam might be one of two people, one of them Oscar's.
    referral = receive_referral(referrer=cast.candidate, kind="candidate", name="Sam Stone")
    referral.candidates.set([sam, cast.client_contact])
    api = api_as(cast.owner)

    assert api.get(f"/referrals/{referral.pk}").json()["candidates"] == [cast.client_contact.pk]
    Referral.objects.filter(pk=referral.pk).update(referred=sam)
    refused = api.patch(
        f"/referrals/{referral.pk}", {"status": "placed", "placement": sam.placements.get().pk}
    )

    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "placement"
    referral.refresh_from_db()
    assert (referral.status, referral.placement) == ("received", None)


def test_a_lead_gives_no_id_of_a_colleagues_source_or_contact(cast, api_as):
    sam = _sam(cast)
    # Sam (Oscar's) passed on a lead whose contact is Priya (Olivia's); Olivia handles it.
    lead = receive_lead(source=sam, company_name="Globex", contact_email="priya@example.net")
    Lead.objects.filter(pk=lead.pk).update(owner=cast.owner)
    olivia, oscar = api_as(cast.owner), api_as(cast.outsider)

    hers = olivia.get(f"/leads/{lead.pk}").json()
    his = oscar.get(f"/leads/{lead.pk}").json()

    assert (hers["source"], hers["contact"]) == (None, cast.candidate.pk)
    assert (his["source"], his["contact"]) == (sam.pk, None)
    assert olivia.get("/leads", source=sam.pk).json()["count"] == 0


def test_lead_is_converted_into_company_vacancy_and_contact(cast, api_as):
    api = api_as(cast.owner)
    lead = api.post(
        "/leads",
        {
            "source": cast.candidate.pk,
            "company_name": "Globex",
            "contact_name": "Gina Gold",
            "contact_email": "gina@globex.example",
            "role_hint": "Buyer",
        },
    ).json()
    assert lead["status"] == "new" and lead["source"] == cast.candidate.pk
    converted = api.post(
        f"/leads/{lead['id']}/convert", {"company_name": "Globex", "title": "Buyer"}
    )
    assert converted.status_code == 200
    body = converted.json()
    assert body["status"] == "converted"
    vacancy = api.get(f"/vacancies/{body['vacancy']}").json()
    assert (vacancy["title"], vacancy["company"], vacancy["lead"]) == (
        "Buyer",
        body["company"],
        lead["id"],
    )
    assert Person.objects.get(pk=body["contact"]).email == "gina@globex.example"
    again = api.post(f"/leads/{lead['id']}/convert", {"company_name": "Globex", "title": "Buyer"})
    assert again.status_code == 422 and "already converted" in again.json()["detail"]
    assert Vacancy.objects.count() == 1


def test_lead_can_be_discarded_but_not_converted_by_patch(cast, api_as):
    api = api_as(cast.owner)
    lead = api.post("/leads", {"source": cast.candidate.pk, "company_name": "Globex"}).json()
    assert api.patch(f"/leads/{lead['id']}", {"status": "converted"}).status_code == 422
    assert (
        api.patch(f"/leads/{lead['id']}", {"status": "discarded"}).json()["status"] == "discarded"
    )
    assert Lead.objects.get().status == "discarded"


def test_intel_notes_are_tagged_and_found_by_company(cast, api_as):
    api = api_as(cast.colleague)
    untagged = api.post("/intel", {"kind": "other", "body": "A rumour."})
    assert untagged.status_code == 422 and untagged.json()["errors"][0]["field"] == "company"
    note = api.post(
        "/intel",
        {
            "kind": "client_plans",
            "company": cast.company.pk,
            "body": "New plant in Hull.",
            "source": "Harry",
            "noted_on": "2026-03-10",
        },
    )
    assert note.status_code == 201 and note.json()["author"] == "colin_cover"
    api.post("/intel", {"kind": "industry_news", "sector": "Manufacturing", "body": "Steel up."})
    api.post("/intel", {"kind": "competitor", "sector": "Retail", "body": "Elsewhere."})
    found = api.get("/intel", company=cast.company.pk).json()
    assert {n["body"] for n in found["items"]} == {"New plant in Hull.", "Steel up."}
    patched = api.patch(f"/intel/{note.json()['id']}", {"body": "Plant in Hull, 200 jobs."})
    assert patched.json()["body"] == "Plant in Hull, 200 jobs."
    assert IntelNote.objects.count() == 3


def test_vacancies_crud_and_salary_only_for_its_consultant(cast, api_as):
    api = api_as(cast.owner)
    created = api.post(
        "/vacancies",
        {"company": cast.company.pk, "title": "Buyer", "salary_min": 30000, "salary_max": 36000},
    )
    assert created.status_code == 201
    vacancy = created.json()
    assert (vacancy["owner"], vacancy["salary_max"], vacancy["status"]) == (
        "olivia_owner",
        36000,
        "open",
    )
    assert api_as(cast.outsider).get(f"/vacancies/{vacancy['id']}").json()["salary_max"] is None
    bad = api.patch(f"/vacancies/{vacancy['id']}", {"salary_min": 40000})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "salary_max"
    filled = api.patch(f"/vacancies/{vacancy['id']}", {"status": "filled"}).json()
    assert filled["status"] == "filled" and filled["title"] == "Buyer"
    assert api.get("/vacancies", status="open").json()["count"] == 0
    assert api.post("/vacancies", {"company": 999999, "title": "X"}).status_code == 422


def test_schema_lists_the_network_resources(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for resource in ("referrals", "leads", "intel", "vacancies"):
        assert set(paths[f"/api/v1/{resource}"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{id}}"]) == {"get", "patch"}
    assert set(paths["/api/v1/leads/{id}/convert"]) == {"post"}


NETWORK_FIELDS = {
    "/referrals": [
        "referrer",
        "kind",
        "name",
        "email",
        "phone",
        "company_name",
        "status",
        "placement",
        "rule",
        "paid_on",
        "referred",
        "notes",
    ],
    "/leads": [
        "source",
        "company_name",
        "contact_name",
        "contact_email",
        "role_hint",
        "status",
        "contact",
        "notes",
    ],
    "/intel": ["kind", "company", "sector", "body", "source", "source_person", "noted_on"],
    "/vacancies": ["company", "title", "skills", "salary_min", "salary_max", "status", "owner"],
}
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2026-03-02",
            "9999-12-31",
            "\x00",
            "candidate",
            "client",
            "won",
            "paid",
            "placed",
            "discarded",
            "olivia_owner",
            "x" * 300,
            "a@b.example",
        ]
    )
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=8), inner, max_size=2)
    ),
    max_leaves=5,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_network_endpoints_never_answer_500(cast, api_as, data):
    api = api_as(cast.owner)
    ids = [cast.candidate.pk, cast.client_contact.pk, cast.company.pk, cast.placement.pk]
    path = data.draw(st.sampled_from(sorted(NETWORK_FIELDS)))
    body = data.draw(
        st.fixed_dictionaries(
            {}, optional={f: st.one_of(_values, st.sampled_from(ids)) for f in NETWORK_FIELDS[path]}
        )
        | _values
    )
    created = api.post(path, body)
    assert created.status_code in (201, 422), (path, json.dumps(body), created.content)
    target = created.json()["id"] if created.status_code == 201 else 1
    patched = api.patch(f"{path}/{target}", body)
    assert patched.status_code in (200, 404, 422), (path, body, patched.content)
    if path == "/leads":
        converted = api.post(f"/leads/{target}/convert", body)
        assert converted.status_code in (200, 404, 422), (body, converted.content)


def test_intel_gives_the_id_of_the_person_it_came_from_only_to_those_who_may_see_them(cast, api_as):
    note = (
        api_as(cast.owner)
        .post(
            "/intel",
            {
                "kind": "client_plans",
                "company": cast.company.pk,
                "body": "Budget for two more.",
                "source_person": cast.client_contact.pk,
            },
        )
        .json()
    )
    assert note["source_person"] == cast.client_contact.pk

    oscar = api_as(cast.outsider)
    assert oscar.get(f"/intel/{note['id']}").json()["source_person"] is None
    listed = oscar.get("/intel", company=cast.company.pk).json()["items"]
    assert [n["source_person"] for n in listed] == [None]


def test_only_its_consultant_or_a_manager_gives_a_vacancy_to_someone_else(cast, api_as):
    vacancy = Vacancy.objects.create(
        company=cast.company, title="Buyer", salary_min=30000, owner=cast.owner
    )
    url = f"/vacancies/{vacancy.pk}"

    refused = api_as(cast.outsider).patch(url, {"owner": "oscar_other"})

    assert refused.status_code == 403
    assert refused.json()["errors"] == [
        {
            "field": "owner",
            "message": "only the vacancy's consultant or a manager can give it to someone else",
        }
    ]
    vacancy.refresh_from_db()
    assert vacancy.owner == cast.owner
    assert api_as(cast.outsider).patch(url, {"title": "Lead Buyer"}).status_code == 200
    assert api_as(cast.owner).patch(url, {"owner": "colin_cover"}).json()["owner"] == "colin_cover"
    assert api_as(cast.manager).patch(url, {"owner": None}).json()["owner"] is None


def test_a_vacancys_salary_follows_the_money_rule_in_the_api(cast, api_as):
    mine = Vacancy.objects.create(
        company=cast.company, title="Buyer", salary_max=36000, owner=cast.owner
    )
    nobodys = Vacancy.objects.create(company=cast.company, title="Clerk", salary_max=25000)

    refused = api_as(cast.outsider).patch(f"/vacancies/{mine.pk}", {"salary_max": 1})

    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "salary_max"
    mine.refresh_from_db()
    assert mine.salary_max == 36000
    assert api_as(cast.owner).get(f"/vacancies/{nobodys.pk}").json()["salary_max"] is None
    assert api_as(cast.manager).get(f"/vacancies/{nobodys.pk}").json()["salary_max"] == 25000
