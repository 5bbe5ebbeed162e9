"""API: someone in a current placement's guarantee is never ready to move nor matched;
the ready-to-move answer lists them apart, with the last day they are off-limits."""

from __future__ import annotations

import datetime as dt

import time_machine

from keepwarm.network import readiness
from keepwarm.network.models import StatusStatement, Vacancy
from keepwarm.placements.models import Placement

DAY_EIGHT = dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC)


def test_someone_in_their_guarantee_is_off_limits_in_the_api(cast, api_as, settings):
    settings.KEEPWARM_OFF_LIMITS_MONTHS = 0
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    vacancy = Vacancy.objects.create(company=cast.company, title="Account Manager", status="open")
    with time_machine.travel(DAY_EIGHT, tick=False):
        StatusStatement.objects.create(
            person=cast.candidate, status="actively_looking", source="personal_page"
        )
        readiness.recompute([cast.candidate.pk])
        api = api_as(cast.owner)
        ready = api.get("/matches/ready-to-move").json()
        for_vacancy = api.get(f"/matches/vacancies/{vacancy.pk}").json()
        for_person = api.get(f"/matches/people/{cast.candidate.pk}").json()
    assert ready["results"] == []
    assert ready["off_limits"] == [
        {"person": cast.candidate.pk, "person_name": "Priya Patel", "until": "2026-05-31"}
    ]
    assert [m["person"] for m in for_vacancy] == []
    assert for_person == []
