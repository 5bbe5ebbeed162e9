from __future__ import annotations


def test_malformed_json_gets_a_json_error_not_500(cast, api_as):
    api = api_as(cast.owner)

    response = api.client.post(
        "/api/v1/people", "{not json", content_type="application/json", headers=api.headers
    )

    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_missing_object_gets_the_same_json_error_shape(cast, api_as):
    response = api_as(cast.owner).get("/placements/424242")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found", "errors": []}


def test_huge_ids_are_refused_not_crashing_the_database(cast, api_as):
    response = api_as(cast.owner).get(f"/people/{2**80}")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "id"
