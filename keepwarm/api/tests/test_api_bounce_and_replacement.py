"""Through the API: a person whose address bounced says so until a new address is sent,
and a failed free-replacement guarantee says what is owed and by when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from keepwarm.care.services import record_email_failed
from keepwarm.care.services.placements import record_placement_outcome
from keepwarm.conftest import Cast
from keepwarm.people.models import Remedy
from keepwarm.placements.models import Placement


def test_a_bounced_address_shows_until_the_email_is_changed(cast: Cast, api_as: Any) -> None:
    record_email_failed(email="PRIYA@example.net", reason="550 5.1.1 No such user")
    api = api_as(cast.owner)

    before = api.get(f"/people/{cast.candidate.pk}").json()
    assert before["email_failed_at"] is not None
    assert before["email_failed_reason"] == "550 5.1.1 No such user"

    changed = api.patch(f"/people/{cast.candidate.pk}", {"email": "priya@example.org"})

    assert changed.status_code == 200, changed.content
    assert changed.json()["email_failed_at"] is None
    assert changed.json()["email_failed_reason"] == ""


def test_a_failed_free_replacement_guarantee_is_owed_by_a_date(cast: Cast, api_as: Any) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(guarantee_remedy=Remedy.REPLACEMENT)
    cast.placement.refresh_from_db()
    left_on = cast.placement.start_date + dt.timedelta(days=20)
    record_placement_outcome(
        placement=cast.placement,
        status=Placement.Status.LEFT,
        left_on=left_on,
        reason=Placement.LeaveReason.MANAGER,
        by=cast.owner,
    )

    body = api_as(cast.owner).get(f"/placements/{cast.placement.pk}").json()

    assert body["replacement_due_by"] == (left_on + dt.timedelta(days=90)).isoformat()
    assert body["replaced_by"] is None
    assert body["rebate_owed"] == "0.00"
