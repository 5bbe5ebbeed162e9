"""Another system keeps in step with `?updated_since=`: only what changed since comes back.

Changes are made the way users make them (through the API, so the services record them on
the audit trail); the cast's records, made directly, count as unchanged.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keepwarm.care.models import Touchpoint

# The lists whose every writer records on the audit trail (audit/queries.changed_since).
SYNCED = ("/people", "/companies", "/placements", "/touchpoints")


def _ids(api, path, since):
    page = api.get(path, updated_since=since.isoformat(), limit=200)
    assert page.status_code == 200, page.content
    return [item["id"] for item in page.json()["items"]]


def _touchpoint(cast):
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind="call",
        title="Week one call",
        due_on=timezone.localdate() + dt.timedelta(days=7),
        owner=cast.owner,
    )


CHANGES = {
    "/companies": lambda cast: (cast.company.pk, {"guarantee_length": 120}),
    "/placements": lambda cast: (cast.placement.pk, {"fee": "8000"}),
    "/touchpoints": lambda cast: (_touchpoint(cast).pk, {"title": "Week one call, moved"}),
    "/people": lambda cast: (cast.client_contact.pk, {"notes": "Prefers mornings"}),
}


@pytest.mark.parametrize("path", sorted(CHANGES))
def test_updated_since_lists_only_records_changed_since(cast, api_as, path):
    api = api_as(cast.manager)
    pk, change = CHANGES[path](cast)
    assert pk in [item["id"] for item in api.get(path, limit=200).json()["items"]]
    before = timezone.now()

    assert api.patch(f"{path}/{pk}", change).status_code == 200

    assert _ids(api, path, before) == [pk]
    assert _ids(api, path, timezone.now() + dt.timedelta(seconds=1)) == []


def test_a_person_counts_as_changed_when_their_placement_changes(cast, api_as):
    api = api_as(cast.manager)
    before = timezone.now()

    api.patch(f"/placements/{cast.placement.pk}", {"fee": "8000"})

    assert _ids(api, "/people", before) == [cast.candidate.pk]


def test_a_record_created_since_is_listed(cast, api_as):
    api = api_as(cast.manager)
    before = timezone.now()

    created = api.post("/companies", {"name": "Brand New Ltd"}).json()

    assert _ids(api, "/companies", before) == [created["id"]]


def test_updated_since_without_an_offset_is_the_agencys_time(cast, api_as, settings):
    settings.TIME_ZONE = "Asia/Kolkata"  # UTC+05:30, so a naive time read as UTC would miss
    api = api_as(cast.manager)
    local_now = timezone.localtime().replace(tzinfo=None)
    assert api.patch(f"/companies/{cast.company.pk}", {"guarantee_length": 120}).status_code == 200

    minute = dt.timedelta(minutes=1)
    earlier = api.get("/companies", updated_since=(local_now - minute).isoformat())
    later = api.get("/companies", updated_since=(local_now + minute).isoformat())

    assert [c["id"] for c in earlier.json()["items"]] == [cast.company.pk]
    assert later.json()["items"] == []


def test_updated_since_that_is_not_a_moment_is_refused(cast, api_as):
    response = api_as(cast.manager).get("/people", updated_since="last tuesday")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "updated_since"


def test_every_synced_list_states_updated_since_in_the_schema(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]

    for path in SYNCED:
        names = [parameter["name"] for parameter in paths[f"/api/v1{path}"]["get"]["parameters"]]
        assert "updated_since" in names, path


def _paged_lists(schema):
    """GET operations that page (`limit` and `offset`) and name no object in their path."""
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        names = {parameter["name"] for parameter in (get or {}).get("parameters", [])}
        if get and {"limit", "offset"} <= names and "{" not in path:
            yield path.removeprefix("/api/v1")


_LAST_ORDER_TERM = re.compile(r'ORDER BY .*"(\w+)"\."(\w+)" (?:ASC|DESC)\s+LIMIT', re.S)


def _unique_column(table, column):
    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    return field.primary_key or field.unique


def test_every_paged_list_ends_its_order_with_a_unique_column(cast, api_as):
    """Without it, rows that tie on the sort keys may swap between pages, so a client paging
    through would see one twice and miss another."""
    api = api_as(cast.admin)
    paths = sorted(_paged_lists(Client().get("/api/v1/openapi.json").json()))
    assert {"/people", "/placements", "/referrals", "/alerts"} <= set(paths)
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path, limit=1).status_code in (200, 403), path
        paged = [m for q in queries if (m := _LAST_ORDER_TERM.search(q["sql"]))]
        if not paged:  # nothing to page: the caller may not see this list (403)
            continue
        table, column = paged[-1].groups()
        assert _unique_column(table, column), f"{path} orders last by {table}.{column}"


@pytest.mark.parametrize("since", ["0509-09-01T03:17:29+23:45", "0001-01-01T00:00:00+23:59"])
def test_updated_since_with_any_iso_offset_lists_everything_since(cast, api_as, since):
    """ISO 8601 allows offsets a database refuses (PostgreSQL stops at ±15:59) and moments
    before year 1 in UTC: the sync still answers, with everything changed since."""
    api = api_as(cast.manager)
    assert api.patch(f"/companies/{cast.company.pk}", {"guarantee_length": 120}).status_code == 200

    response = api.get("/companies", updated_since=since)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [cast.company.pk]
