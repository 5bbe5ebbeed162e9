"""Bulk writes (an UPDATE of many rows, rows inserted together) send no save signals; the
services that make them still leave the trail a manager searches."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keepwarm.accounts.models import ApiToken
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import Actor, acting_as
from keepwarm.care.models import Touchpoint
from keepwarm.care.services import end_cover, hand_over, set_cover
from keepwarm.care.services.placements import advance_statuses, create_placement
from keepwarm.conftest import START, Cast
from keepwarm.imports import services as imports
from keepwarm.imports.models import Source
from keepwarm.imports.tests.conftest import FIXTURES, NOW
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db


def entries(**filters: object) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def inserts_into_the_trail(context: CaptureQueriesContext) -> int:
    """Statements that wrote audit entries (an executemany is one, "4 times: INSERT ...")."""
    into = f"INSERT INTO {connection.ops.quote_name(AuditEntry._meta.db_table)}"
    return sum(1 for q in context.captured_queries if into in q["sql"])


def test_making_a_placement_puts_it_and_its_care_plan_on_the_trail(cast: Cast) -> None:
    with acting_as(Actor(user=cast.owner)):
        made = create_placement(
            by=cast.owner,
            person=cast.client_contact,
            company=cast.company,
            owner=cast.owner,
            role_title="Buyer",
            start_date=START,
            today=START,
        )

    created = AuditEntry.objects.get(
        action="created", object_type="placements.placement", object_id=str(made.pk)
    )
    assert created.person_id == cast.client_contact.pk
    assert created.actor == cast.owner and created.object_repr == str(made)
    assert created.changes["role_title"] == [None, "Buyer"]
    laid_out = AuditEntry.objects.get(
        action="changed", object_type="placements.placement", object_id=str(made.pk)
    )
    assert laid_out.changes == {"care_plan_touchpoints": [None, made.touchpoints.count()]}


def test_status_advances_record_each_placement_moved_with_one_insert(cast: Cast) -> None:
    others = [
        Placement.objects.create(
            person=Person.objects.create(first_name="Pat", last_name=f"Number {i}"),
            company=cast.company,
            owner=cast.owner,
            role_title="Clerk",
            start_date=START - dt.timedelta(days=200 * i),
            guarantee_length=30,
            status=Placement.Status.IN_GUARANTEE,
        )
        for i in range(1, 4)
    ]
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.OFFER_ACCEPTED)

    with CaptureQueriesContext(connection) as context:
        moved = advance_statuses(today=START + dt.timedelta(days=1))

    assert moved == 4
    # One statement for the four entries (PostgreSQL's COPY is not among captured queries).
    assert inserts_into_the_trail(context) <= 1
    trail = {e.object_id: e for e in entries(action="changed")}
    assert trail[str(cast.placement.pk)].changes == {"status": ["offer_accepted", "in_guarantee"]}
    assert trail[str(cast.placement.pk)].person_id == cast.candidate.pk
    assert trail[str(cast.placement.pk)].object_repr == str(cast.placement)
    for placement in others:
        assert trail[str(placement.pk)].changes == {"status": ["in_guarantee", "settled"]}
        assert trail[str(placement.pk)].actor_name == "system"


def test_a_handover_records_every_owner_change_by_who_made_it(cast: Cast) -> None:
    planned = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind="call",
        title="Week-one call",
        due_on=START,
        owner=cast.owner,
    )

    with acting_as(Actor(user=cast.manager)):
        hand_over(from_user=cast.owner, to_user=cast.colleague, by=cast.manager)

    moved = {(e.object_type, e.object_id): e for e in entries(action="changed")}
    ids = [cast.owner.pk, cast.colleague.pk]
    assert moved["placements.placement", str(cast.placement.pk)].changes == {"owner_id": ids}
    assert moved["people.person", str(cast.candidate.pk)].changes == {"owner_id": ids}
    assert moved["people.person", str(cast.client_contact.pk)].changes == {"owner_id": ids}
    touchpoint = moved["care.touchpoint", str(planned.pk)]
    assert touchpoint.changes == {"owner_id": ids}
    assert touchpoint.person_id == cast.candidate.pk
    assert touchpoint.object_repr == "Week-one call (Priya Patel, 02 Mar 2026)"
    assert {e.actor_name for e in moved.values()} == {"maggie_manager"}


def test_an_api_owner_change_is_recorded_as_the_token_owner(client: Client, cast: Cast) -> None:
    _, raw = ApiToken.issue(user=cast.manager)

    response = client.patch(
        f"/api/v1/placements/{cast.placement.pk}",
        {"owner": "colin_cover"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 200, response.content
    change = AuditEntry.objects.get(object_type="placements.placement", action="changed")
    assert change.changes == {"owner_id": [cast.owner.pk, cast.colleague.pk]}
    assert change.actor == cast.manager
    assert change.path == f"/api/v1/placements/{cast.placement.pk}"


def test_an_api_change_of_who_makes_a_call_is_on_the_trail(client: Client, cast: Cast) -> None:
    _, raw = ApiToken.issue(user=cast.manager)
    planned = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind="call",
        title="Week-one call",
        due_on=START,
        owner=cast.owner,
    )

    response = client.patch(
        f"/api/v1/touchpoints/{planned.pk}",
        {"owner": "colin_cover"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert response.status_code == 200, response.content
    change = AuditEntry.objects.get(object_type="care.touchpoint", action="changed")
    assert change.changes == {"owner_id": [cast.owner.pk, cast.colleague.pk]}
    assert change.actor == cast.manager and change.person_id == cast.candidate.pk


def test_cover_set_and_ended_is_on_the_trail(cast: Cast) -> None:
    with acting_as(Actor(user=cast.manager)):
        cover = set_cover(
            absent=cast.owner,
            colleague=cast.colleague,
            starts_on=START,
            ends_on=START + dt.timedelta(days=14),
            by=cast.manager,
        )
        end_cover(cover=cover, by=cast.manager, today=START + dt.timedelta(days=3))

    created, ended = entries(object_type="care.cover")
    assert (created.action, ended.action) == ("created", "changed")
    assert created.changes["absent_id"] == [None, cast.owner.pk]
    assert created.changes["colleague_id"] == [None, cast.colleague.pk]
    assert ended.changes == {"ends_on": ["2026-03-16", "2026-03-04"]}
    assert {created.actor, ended.actor} == {cast.manager}


def test_an_import_records_its_placements_and_care_plans_as_whoever_started_it(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "bullhorn", folder)
    files, _ = imports.bullhorn_files(sorted(folder.iterdir()))
    run = imports.start_import(source=Source.BULLHORN, files=files, by=cast.manager, dry_run=False)
    run = imports.run_now(run, now=NOW)

    placements = Placement.objects.exclude(pk=cast.placement.pk)
    assert placements.exists()
    for placement in placements:
        created = AuditEntry.objects.get(
            action="created", object_type="placements.placement", object_id=str(placement.pk)
        )
        assert created.actor == cast.manager and created.path == f"import #{run.pk}"
        assert created.person_id == placement.person_id
    laid_out = AuditEntry.objects.filter(changes__has_key="care_plan_touchpoints")
    assert laid_out.count() == placements.filter(touchpoints__isnull=False).distinct().count()
