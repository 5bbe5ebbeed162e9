"""Salaries, fees and rebates: the owner, managers and admins see them; a covering colleague not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import ApiToken, User
from keepwarm.care.models import Cover
from keepwarm.conftest import Cast
from keepwarm.people.tests.test_edit_conflicts import _form_data
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db


@pytest.fixture
def covering(cast: Cast) -> Cast:
    today = timezone.localdate()
    Cover.objects.create(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=7),
        created_by=cast.manager,
    )
    return cast


@pytest.mark.parametrize(("who", "sees"), [("owner", True), ("manager", True), ("admin", True)])
def test_the_owner_and_managers_see_salary_and_fee(
    client: Client, cast: Cast, who: str, sees: bool
) -> None:
    client.force_login(getattr(cast, who))

    page = client.get(reverse("placement", args=[cast.placement.pk])).content.decode()

    assert ("38,000" in page) is sees and ("7,600" in page) is sees


def test_a_covering_colleague_sees_the_placement_but_not_the_money(
    client: Client, covering: Cast
) -> None:
    client.force_login(covering.colleague)
    url = reverse("placement", args=[covering.placement.pk])

    page = client.get(url)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Account Manager" in text
    assert "38,000" not in text and "7,600" not in text
    edit = client.get(reverse("placement_edit", args=[covering.placement.pk])).content.decode()
    assert 'name="salary"' not in edit and 'name="fee"' not in edit
    outcome = client.get(reverse("placement_outcome", args=[covering.placement.pk]))
    assert "7,600" not in outcome.content.decode()


def test_the_api_gives_a_covering_colleague_no_money(client: Client, covering: Cast) -> None:
    _, raw = ApiToken.issue(user=covering.colleague)
    _, owners = ApiToken.issue(user=covering.owner)
    url = f"/api/v1/placements/{covering.placement.pk}"

    theirs = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    mine = client.get(url, HTTP_AUTHORIZATION=f"Bearer {owners}").json()

    assert theirs["salary"] is None and theirs["fee"] is None
    assert float(mine["salary"]) == 38000 and float(mine["fee"]) == 7600


def _patch(client: Client, user: User, placement: Placement, body: dict[str, Any]) -> Any:
    _, raw = ApiToken.issue(user=user)
    return client.patch(
        f"/api/v1/placements/{placement.pk}",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


@pytest.mark.parametrize("field", ["salary", "fee"])
def test_a_covering_colleague_cannot_change_the_money_through_the_api(
    client: Client, covering: Cast, field: str
) -> None:
    response = _patch(client, covering.colleague, covering.placement, {field: "1.00"})

    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == field
    saved = Placement.objects.get(pk=covering.placement.pk)
    assert (saved.salary, saved.fee) == (38000, 7600)


def test_a_covering_colleague_cannot_hand_the_placement_over_through_the_api(
    client: Client, covering: Cast
) -> None:
    response = _patch(client, covering.colleague, covering.placement, {"owner": "colin_cover"})

    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "field": "owner",
            "message": "only the placement's owner or a manager can hand it to someone else",
        }
    ]
    assert Placement.objects.get(pk=covering.placement.pk).owner == covering.owner


def test_a_covering_colleague_still_changes_the_terms_through_the_api(
    client: Client, covering: Cast
) -> None:
    body = {"terms_notes": "Nights only", "currency": "EUR"}

    response = _patch(client, covering.colleague, covering.placement, body)

    assert response.status_code == 200, response.json()
    saved = Placement.objects.get(pk=covering.placement.pk)
    assert (saved.terms_notes, saved.currency, saved.salary) == ("Nights only", "EUR", 38000)


def test_a_covering_colleague_cannot_hand_the_placement_over_on_the_edit_form(
    client: Client, covering: Cast
) -> None:
    url = reverse("placement_edit", args=[covering.placement.pk])
    client.force_login(covering.colleague)
    form = _form_data(client, url)

    response = client.post(url, {**form, "owner": covering.colleague.pk, "benefits": "Gym"})

    assert response.status_code == 302
    saved = Placement.objects.get(pk=covering.placement.pk)
    assert (saved.owner, saved.benefits) == (covering.owner, "Gym")


def test_the_owner_still_hands_the_placement_over_through_the_api(
    client: Client, cast: Cast
) -> None:
    response = _patch(client, cast.owner, cast.placement, {"owner": "colin_cover"})

    assert response.status_code == 200, response.json()
    assert Placement.objects.get(pk=cast.placement.pk).owner == cast.colleague
