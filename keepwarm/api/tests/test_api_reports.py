"""API v1 reads report figures with the pages' access rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.placements.models import Placement
from keepwarm.reports.pages import REPORTS

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-01-01", "end": "2026-12-31"}


def test_lists_the_reports(cast: Cast, api_as: Any) -> None:
    body = api_as(cast.owner).get("/reports").json()
    assert [r["slug"] for r in body] == list(REPORTS)
    assert body[0]["url"] == "/api/v1/reports/retention"


@pytest.mark.parametrize("slug", list(REPORTS))
def test_every_report_reads_as_tables(cast: Cast, api_as: Any, slug: str) -> None:
    response = api_as(cast.manager).get(f"/reports/{slug}", **PERIOD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["start"] == "2026-01-01" and body["tables"]
    assert all(len(row) == len(t["header"]) for t in body["tables"] for row in t["rows"])


def test_fall_off_money_is_a_string_and_a_consultant_reads_only_their_own(
    cast: Cast, api_as: Any
) -> None:
    placement = cast.placement
    placement.status = Placement.Status.FELL_OFF
    placement.left_on = placement.start_date + dt.timedelta(days=40)
    placement.leave_reason = Placement.LeaveReason.PAY
    placement.rebate_owed = placement.rebate_for(placement.left_on)
    placement.save()
    body = api_as(cast.manager).get("/reports/fall-offs", **PERIOD).json()
    reasons = body["tables"][0]
    assert reasons["rows"][0] == ["Pay", 1, 0, "3800.00", "0.00"]
    theirs = (
        api_as(cast.outsider)
        .get("/reports/fall-offs", consultant=cast.owner.username, **PERIOD)
        .json()
    )
    assert theirs["consultant"] == cast.outsider.username
    assert theirs["tables"][0]["rows"] == [["All reasons", 0, 0, "0.00", "0.00"]]


def test_bad_filters_are_422_naming_the_field(cast: Cast, api_as: Any) -> None:
    api = api_as(cast.manager)
    response = api.get("/reports/nps", start="2026-05-01", end="2026-01-01")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "end"
    assert api.get("/reports/nps", consultant="nobody").status_code == 422
    assert api.get("/reports/nps", client=999999).status_code == 422
    assert api.get("/reports/nps", start="yesterday").status_code == 422
    assert api.get("/reports/nope").status_code == 404
    too_long = api.get("/reports/nps", start="1900-01-01", end="2999-12-31")
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "start"
