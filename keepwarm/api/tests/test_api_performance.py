"""A person's performance record through the API, within what the caller may see."""

from __future__ import annotations

from typing import Any

from keepwarm.conftest import Cast
from keepwarm.network.tests.test_performance_record_pages import rated


def test_api_returns_the_performance_record(cast: Cast, api_as: Any) -> None:
    rated(cast)
    [row] = api_as(cast.owner).get(f"/people/{cast.candidate.pk}/performance").json()
    assert row["company"] == "Acme Widgets"
    assert (row["client_rating"], row["client_rating_month"]) == (5, 3)
    assert (row["targets_met"], row["targets"]) == (1, 1)
    assert row["outcome"].startswith("Stayed past the guarantee")
    assert api_as(cast.outsider).get(f"/people/{cast.candidate.pk}/performance").status_code == 404
