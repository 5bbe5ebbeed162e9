"""Every list another system syncs answers `?updated_since=` with what was written since, in
id order, and resumes with `after_id` without missing a row.

Each write goes the way users make it (the API, or the service the page and the worker
call); everything the cast holds was written before the sync started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keepwarm.api.tests.test_api_updated_since import _paged_lists
from keepwarm.imports.models import ImportRun
from keepwarm.mail.models import Suppression
from keepwarm.mail.suppressions import suppress
from keepwarm.newsletters.models import Audience, Newsletter
from keepwarm.newsletters.services import add_block, create_issue
from keepwarm.signals.services.alerts import open_alert
from keepwarm.signals.services.concerns import close_alert
from keepwarm.signals.services.risk import recompute_risk
from keepwarm.surveys.services import Given, create_invitation, record_response
from keepwarm.surveys.tests.conftest import make_checkin

# (made before the sync started, changed after it: the id the sync must list)
Setup = Callable[[Any, Any], Any]
Change = Callable[[Any, Any, Any], int]


def _patched(
    path: str, body: Callable[[Any], dict[str, Any]], change: dict[str, Any]
) -> tuple[Setup, Change]:
    def setup(cast: Any, api: Any) -> int:
        made = api.post(path, body(cast))
        assert made.status_code == 201, made.content
        return int(made.json()["id"])

    def act(cast: Any, api: Any, pk: int) -> int:
        assert api.patch(f"{path}/{pk}", change).status_code == 200
        return pk

    return setup, act


def _alert_closed() -> tuple[Setup, Change]:
    def setup(cast: Any, api: Any) -> Any:
        return open_alert(placement=cast.placement, reason="Said she might leave")

    def act(cast: Any, api: Any, alert: Any) -> int:
        return int(close_alert(alert=alert, by=cast.owner, note="Called her; all well").pk)

    return setup, act


def _invitation_answered(answers: bool) -> tuple[Setup, Change]:
    def setup(cast: Any, api: Any) -> Any:
        asked = make_checkin()
        invitation = create_invitation(
            placement=cast.placement,
            person=cast.candidate,
            questionnaire=asked.questionnaire,
            sender=cast.owner,
            now=timezone.now(),
        )
        return asked, invitation

    def act(cast: Any, api: Any, made: Any) -> int:
        asked, invitation = made
        response = record_response(
            invitation=invitation, given={asked.satisfaction.pk: Given(number=Decimal(4))}
        )
        return int(response.pk if answers else invitation.pk)

    return setup, act


def _questionnaire_renamed() -> tuple[Setup, Change]:
    def act(cast: Any, api: Any, asked: Any) -> int:
        asked.questionnaire.name = "Week one check-in"
        asked.questionnaire.save(update_fields=["name"])
        return int(asked.questionnaire.pk)

    return (lambda cast, api: make_checkin()), act


def _issue_given_a_block() -> tuple[Setup, Change]:
    def setup(cast: Any, api: Any) -> Any:
        audience = Audience.objects.create(name="Everyone")
        newsletter = Newsletter.objects.create(name="Monthly", audience=audience)
        return create_issue(newsletter=newsletter, subject="May news", by=cast.manager)

    def act(cast: Any, api: Any, issue: Any) -> int:
        add_block(issue=issue, kind="cv_tips", title="Three CV tips")
        return int(issue.pk)

    return setup, act


def _suppressed() -> tuple[Setup, Change]:
    def act(cast: Any, api: Any, _: Any) -> int:
        suppress("gone@example.com", reason=Suppression.Reason.MANUAL)
        return int(Suppression.objects.get(reason=Suppression.Reason.MANUAL).pk)

    return (lambda cast, api: None), act


def _audience_renamed() -> tuple[Setup, Change]:
    def act(cast: Any, api: Any, audience: Any) -> int:
        audience.name = "Placed in the last year"
        audience.save()
        return int(audience.pk)

    return (lambda cast, api: Audience.objects.create(name="Placed")), act


def _import_finished() -> tuple[Setup, Change]:
    def setup(cast: Any, api: Any) -> Any:
        return ImportRun.objects.create(source="csv", created_by=cast.manager)

    def act(cast: Any, api: Any, run: Any) -> int:
        # How the worker ends a run: a conditional UPDATE, never a save.
        ImportRun.objects.filter(pk=run.pk).update(state="done")
        return int(run.pk)

    return setup, act


def _risk_recomputed() -> tuple[Setup, Change]:
    def act(cast: Any, api: Any, _: Any) -> int:
        cast.placement.refresh_from_db()
        return int(recompute_risk(placement=cast.placement).pk)

    return (lambda cast, api: None), act


RECIPES: dict[str, Callable[[], tuple[Setup, Change]]] = {
    "/alerts": _alert_closed,
    "/referrals": lambda: _patched(
        "/referrals",
        lambda cast: {"referrer": cast.candidate.pk, "kind": "candidate", "name": "Dev Shah"},
        {"notes": "Knows Python"},
    ),
    "/leads": lambda: _patched(
        "/leads",
        lambda cast: {"source": cast.candidate.pk, "company_name": "Northwind"},
        {"notes": "Hiring in May"},
    ),
    "/intel": lambda: _patched(
        "/intel",
        lambda cast: {"kind": "other", "sector": "Logistics", "body": "Budgets are frozen."},
        {"sector": "Logistics", "body": "Budgets thaw in June."},
    ),
    "/vacancies": lambda: _patched(
        "/vacancies",
        lambda cast: {"company": cast.company.pk, "title": "Buyer"},
        {"title": "Senior buyer"},
    ),
    "/invitations": lambda: _invitation_answered(answers=False),
    "/responses": lambda: _invitation_answered(answers=True),
    "/questionnaires": _questionnaire_renamed,
    "/newsletters/issues": _issue_given_a_block,
    "/newsletters/suppressions": _suppressed,
    "/newsletters/audiences": _audience_renamed,
    "/imports": _import_finished,
    "/risk": _risk_recomputed,
}
# Proved with their own changes in test_api_updated_since; deletions in test_api_deletions.
AUDITED = {"/people", "/companies", "/placements", "/touchpoints", "/deletions"}


def _ids(api: Any, path: str, **params: Any) -> list[int]:
    page = api.get(path, limit=200, **params)
    assert page.status_code == 200, page.content
    return [item["id"] for item in page.json()["items"]]


def test_every_paged_list_can_be_synced(db: None) -> None:
    paths = set(_paged_lists(Client().get("/api/v1/openapi.json").json()))

    assert paths == set(RECIPES) | AUDITED


@pytest.mark.parametrize("path", sorted(RECIPES))
def test_a_sync_lists_only_what_was_written_since(cast: Any, api_as: Any, path: str) -> None:
    api = api_as(cast.admin)
    setup, act = RECIPES[path]()
    made = setup(cast, api)
    started = timezone.now()

    pk = act(cast, api, made)

    assert _ids(api, path, updated_since=started.isoformat()) == [pk]
    later = (timezone.now() + dt.timedelta(seconds=1)).isoformat()
    assert _ids(api, path, updated_since=later) == []


def test_a_sync_pages_in_id_order_and_resumes_after_the_last_id(cast: Any, api_as: Any) -> None:
    api = api_as(cast.admin)
    started = timezone.now()
    made = [
        api.post("/vacancies", {"company": cast.company.pk, "title": f"Role {n}"}).json()["id"]
        for n in range(5)
    ]
    first = api.get("/vacancies", updated_since=started.isoformat(), limit=2).json()["items"]
    # A row on the first page changes meanwhile: it keeps its place, nothing shifts.
    api.patch(f"/vacancies/{first[0]['id']}", {"title": "Role 0, renamed"})
    rest = _ids(api, "/vacancies", updated_since=started.isoformat(), after_id=first[-1]["id"])

    assert [v["id"] for v in first] + rest == sorted(made)


def test_after_id_that_is_not_a_number_is_refused(cast: Any, api_as: Any) -> None:
    response = api_as(cast.manager).get("/alerts", after_id="the last one")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "after_id"
