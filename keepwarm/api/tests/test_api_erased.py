"""API: an erased person is read-only; a change answers 409 with the reason, not a 500."""

from __future__ import annotations

from keepwarm.conftest import START
from keepwarm.placements.models import Placement
from keepwarm.privacy.erasure import erase_person

READ_ONLY = "the record is read-only and nothing is sent to them"


def test_changes_to_an_erased_person_answer_409_with_the_reason(cast, api_as):
    erase_person(cast.candidate, by=cast.manager, reason="Asked by email")
    api = api_as(cast.manager)
    pk = cast.candidate.pk

    patched = api.patch(f"/people/{pk}", {"first_name": "Priya"})
    assert patched.status_code == 409 and READ_ONLY in patched.json()["detail"]

    planned = api.post(
        "/touchpoints",
        {"person": pk, "kind": "call", "title": "Catch up", "due_on": str(START)},
    )
    assert planned.status_code == 409 and READ_ONLY in planned.json()["detail"]

    placed = api.post(
        "/placements",
        {
            "person": pk,
            "company": cast.company.pk,
            "role_title": "Sales Lead",
            "start_date": "2026-12-14",
        },
    )
    assert placed.status_code == 409 and READ_ONLY in placed.json()["detail"]
    assert Placement.objects.filter(person_id=pk).count() == 1
    assert api.get(f"/people/{pk}").json()["first_name"] == "Erased"
