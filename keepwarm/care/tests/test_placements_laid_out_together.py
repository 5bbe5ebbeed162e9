"""Placements laid out together (an import's batch, written set-based from staged rows)
get exactly the touchpoints, in the same order, that the care plan gives each one alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from keepwarm.audit.models import AuditEntry
from keepwarm.care.models import PlanStep, Touchpoint
from keepwarm.care.services import _plan_touchpoints, default_plan, lay_out_new_placements
from keepwarm.conftest import START, Cast
from keepwarm.people.models import GuaranteeUnit
from keepwarm.placements.models import Placement

FIELDS = (
    "person_id", "placement_id", "step_id", "kind", "audience", "title", "due_on",
    "owner_id", "state", "skip_reason", "email_subject", "email_body",
)  # fmt: skip


def _mixed_placements(cast: Cast) -> list[Placement]:
    """Permanent and contract, with and without a hiring manager, an end date, a working-day
    guarantee, back-dated by years, starting next month; two sharing one layout."""
    variants: list[dict[str, Any]] = [
        {},
        {"hiring_manager": None},
        {"start_date": START - dt.timedelta(days=2900)},
        {"start_date": START - dt.timedelta(days=2900), "hiring_manager": None},
        {"start_date": START + dt.timedelta(days=33)},
        {"guarantee_unit": GuaranteeUnit.WORKING, "guarantee_length": 60},
        {"guarantee_length": 0},
        {"kind": Placement.Kind.CONTRACT, "end_date": START + dt.timedelta(days=180)},
        {"kind": Placement.Kind.CONTRACT, "end_date": START + dt.timedelta(days=20)},
        {"kind": Placement.Kind.CONTRACT, "start_date": START - dt.timedelta(days=400)},
    ]
    made = []
    for variant in variants:
        fields: dict[str, Any] = {
            "person": cast.candidate,
            "company": cast.company,
            "hiring_manager": cast.client_contact,
            "owner": cast.owner,
            "role_title": "Account Manager",
            "start_date": START,
            "guarantee_length": 90,
            **variant,
        }
        fields["care_plan"] = default_plan(fields.get("kind", Placement.Kind.PERMANENT))
        made.append(Placement.objects.create(**fields))
    return made


def _one_by_one(
    placements: list[Placement], today: dt.date, past_steps: bool
) -> list[tuple[Any, ...]]:
    """What the care plan gives each placement alone, in laying-out order."""
    expected = []
    for placement in placements:
        steps = list(
            PlanStep.objects.filter(plan=placement.care_plan).order_by(
                "order", "offset_months", "offset_days", "id"
            )
        )
        for values in _plan_touchpoints(placement, steps, set(), today, past_steps=past_steps):
            expected.append(tuple(values[name] for name in FIELDS))
    return expected


@pytest.mark.parametrize("past_steps", [True, False], ids=["entered by hand", "imported"])
def test_a_batch_of_placements_gets_the_touchpoints_each_would_get_alone(
    cast: Cast, past_steps: bool
) -> None:
    placements = _mixed_placements(cast)
    today = START - dt.timedelta(days=5)
    expected = _one_by_one(placements, today, past_steps)

    made = lay_out_new_placements(placements=placements, today=today, past_steps=past_steps)

    stored = list(
        Touchpoint.objects.filter(placement__in=placements).order_by("id").values_list(*FIELDS)
    )
    assert made == len(expected) == len(stored)
    assert stored == expected
    if past_steps:
        assert any(row[FIELDS.index("skip_reason")] for row in stored)  # back-dated steps
    # Each placement's trail says how many touchpoints its plan gave it.
    counted = {
        int(entry.object_id): entry.changes["care_plan_touchpoints"][1]
        for entry in AuditEntry.objects.filter(
            object_type="placements.placement", changes__has_key="care_plan_touchpoints"
        )
    }
    for placement in placements:
        mine = [row for row in expected if row[1] == placement.pk]
        assert counted.get(placement.pk, 0) == len(mine)


def test_placements_without_a_plan_get_no_touchpoints(cast: Cast) -> None:
    cast.placement.care_plan = None
    assert lay_out_new_placements(placements=[cast.placement], today=START) == 0
    assert not Touchpoint.objects.exists()
