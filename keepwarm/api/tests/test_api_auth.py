from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client

from keepwarm.accounts.models import ApiToken


def test_bad_token_gets_401_json(cast, api_as):
    response = Client().get("/api/v1/people", headers={"Authorization": "Bearer kw_not-a-token"})

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Invalid API token" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_gets_401_json(cast):
    response = Client().get("/api/v1/placements")

    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_token_of_deactivated_user_stops_working(cast, api_as):
    api = api_as(cast.owner)
    cast.owner.is_active = False
    cast.owner.save()

    assert api.get("/people").status_code == 401


def test_bad_token_is_refused_even_with_a_logged_in_session(cast):
    client = Client()
    client.force_login(cast.owner)

    response = client.get("/api/v1/people", headers={"Authorization": "Bearer wrong"})

    assert response.status_code == 401


def test_token_use_is_recorded_at_most_once_a_minute(cast, api_as):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        api = api_as(cast.owner)
        api.get("/people")
        token = ApiToken.objects.get(user=cast.owner)
        assert token.last_used_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC), tick=False):
        api.get("/people")
        token.refresh_from_db()
        assert token.last_used_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 1, 5, tzinfo=dt.UTC), tick=False):
        api.get("/people")
        token.refresh_from_db()
        assert token.last_used_at == dt.datetime(2026, 3, 2, 9, 1, 5, tzinfo=dt.UTC)


def test_logged_in_browser_can_read_but_must_send_csrf_token_to_write(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.owner)

    assert client.get(f"/api/v1/people/{cast.candidate.pk}").status_code == 200
    refused = client.patch(
        f"/api/v1/people/{cast.candidate.pk}", '{"headline": "x"}', content_type="application/json"
    )
    assert refused.status_code == 403

    client.get("/api/v1/docs")  # sets the CSRF cookie
    accepted = client.patch(
        f"/api/v1/people/{cast.candidate.pk}",
        '{"headline": "Account manager"}',
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert accepted.status_code == 200
    assert accepted.json()["headline"] == "Account manager"
