from __future__ import annotations

from keepwarm.people.models import Company


def test_list_companies_filters_by_name_and_sector(cast, api_as):
    Company.objects.create(name="Bolt Logistics", sector="Logistics")
    api = api_as(cast.owner)

    assert [c["name"] for c in api.get("/companies", q="acme").json()["items"]] == ["Acme Widgets"]
    by_sector = api.get("/companies", sector="logistics").json()
    assert [c["name"] for c in by_sector["items"]] == ["Bolt Logistics"]
    assert api.get("/companies").json()["count"] == 2


def test_company_shows_its_terms_of_business(cast, api_as):
    body = api_as(cast.owner).get(f"/companies/{cast.company.pk}").json()

    assert body["guarantee_length"] == 90
    assert body["guarantee_unit"] == "calendar"
    assert body["rebate_scale"][0] == {"up_to_day": 30, "percent": 100}


def test_create_company_sorts_its_rebate_scale(cast, api_as):
    response = api_as(cast.owner).post(
        "/companies",
        {
            "name": "Cobalt Care",
            "guarantee_length": 60,
            "rebate_scale": [{"up_to_day": 60, "percent": 50}, {"up_to_day": 30, "percent": 100}],
        },
    )

    assert response.status_code == 201
    company = Company.objects.get(name="Cobalt Care")
    assert [row["up_to_day"] for row in company.rebate_scale] == [30, 60]


def test_rebate_above_100_percent_is_refused_naming_the_row(cast, api_as):
    response = api_as(cast.owner).post(
        "/companies", {"name": "Greedy Ltd", "rebate_scale": [{"up_to_day": 30, "percent": 150}]}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "rebate_scale.0.percent"
    assert not Company.objects.filter(name="Greedy Ltd").exists()


def test_patch_company_terms(cast, api_as):
    response = api_as(cast.manager).patch(
        f"/companies/{cast.company.pk}", {"guarantee_length": 120, "guarantee_unit": "working"}
    )

    assert response.status_code == 200
    cast.company.refresh_from_db()
    assert (cast.company.guarantee_length, cast.company.guarantee_unit) == (120, "working")
    assert cast.company.name == "Acme Widgets"


def test_unknown_company_is_404_json(cast, api_as):
    response = api_as(cast.owner).get("/companies/999999")

    assert response.status_code == 404
    assert response.json()["detail"]
