"""Placement workflows: making a placement, its status over time, and how it ended."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    created_changes,
    entry_for,
    record_entries,
    recorded_update,
    update_with_entries,
)
from keepwarm.care.models import CarePlan, Touchpoint
from keepwarm.care.services import default_plan, lay_out_new_placements
from keepwarm.lib.bulk import insert_objects, insert_rows, update_objects
from keepwarm.lib.dates import add_working_days
from keepwarm.people.models import Company, GuaranteeUnit, Person, Role
from keepwarm.placements.models import Placement, Target
from keepwarm.signals.services import on_placement_ended

GUARANTEE_TERMS = ("guarantee_length", "guarantee_unit", "guarantee_remedy", "rebate_scale")
PLACEMENT_ENDED = "Placement ended"

Status = Placement.Status


def status_by_date(placement: Placement, today: dt.date) -> str:
    """Where an active placement stands on `today`, from its dates alone."""
    if placement.start_date > today:
        return Status.OFFER_ACCEPTED
    if not placement.guarantee_length:
        return Status.STARTED
    if today <= placement.guarantee_ends_on:
        return Status.IN_GUARANTEE
    return Status.SETTLED


@dataclass
class NewPlacement:
    """One placement to make with create_placements; `fields` as for create_placement."""

    person: Person
    company: Company
    owner: User
    role_title: str
    start_date: dt.date
    plan: CarePlan | None = None
    targets: Sequence[dict[str, Any]] = ()
    fields: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def create_placement(
    *,
    by: User,
    person: Person,
    company: Company,
    owner: User,
    role_title: str,
    start_date: dt.date,
    plan: CarePlan | None = None,
    targets: Sequence[dict[str, Any]] = (),
    today: dt.date | None = None,
    **fields: Any,
) -> Placement:
    """Record a placement and lay out its care plan.

    Guarantee terms come from the company's terms of business unless given in `fields`.
    The person gains a placed role (ending their candidate role), the hiring manager a
    client-contact role at the company if they lack one. The status follows the dates
    unless `status` is given. `plan` defaults to `care_plan` in `fields`, else the default
    plan for the placement's kind.
    """
    item = NewPlacement(
        person=person,
        company=company,
        owner=owner,
        role_title=role_title,
        start_date=start_date,
        plan=plan,
        targets=targets,
        fields=fields,
    )
    return create_placements(by=by, items=[item], today=today)[0]


@transaction.atomic
def create_placements(
    *,
    by: User,
    items: Sequence[NewPlacement],
    today: dt.date | None = None,
    past_steps: bool = True,
) -> list[Placement]:
    """create_placement for many placements at once (an import), in a few queries.

    Items are handled in order, so two placements of one person end their candidate
    role at the first start date, exactly as two calls of create_placement would.
    `past_steps=False` lays out only the care-plan steps still ahead (an import's history).
    """
    today = today or timezone.localdate()
    default_plans: dict[str, CarePlan | None] = {}
    placements: list[Placement] = []
    for item in items:
        fields = dict(item.fields)
        for term in GUARANTEE_TERMS:
            if term not in fields:
                value = getattr(item.company, term)
                fields[term] = list(value) if isinstance(value, list) else value
        placement = Placement(
            person=item.person,
            company=item.company,
            owner=item.owner,
            role_title=item.role_title,
            start_date=item.start_date,
            **fields,
        )
        if "status" not in fields:
            placement.status = status_by_date(placement, today)
        if placement.status not in Placement.ENDED:
            # Without `plan`, a care_plan given in `fields` wins over the default for the kind.
            plan = item.plan or placement.care_plan
            if plan is None:
                if placement.kind not in default_plans:
                    default_plans[placement.kind] = default_plan(placement.kind)
                plan = default_plans[placement.kind]
            placement.care_plan = plan
        placements.append(placement)
    insert_objects(placements)
    # insert_objects sends no save signal: the trail is written here, in one INSERT.
    record_entries(
        AuditEntry.Action.CREATED, (entry_for(p, changes=created_changes(p)) for p in placements)
    )

    Target.objects.bulk_create(
        Target(placement=placement, **target)
        for item, placement in zip(items, placements, strict=True)
        for target in item.targets
    )
    _give_roles(items, placements, today=today)
    lay_out_new_placements(
        placements=[p for p in placements if p.status not in Placement.ENDED],
        today=today,
        past_steps=past_steps,
    )
    return placements


def _give_roles(
    items: Sequence[NewPlacement], placements: list[Placement], *, today: dt.date
) -> None:
    """Placed roles (ending candidate roles), hiring managers' client-contact roles, and an
    owner for people who had none: the role bookkeeping of create_placement, batched."""
    person_ids = {item.person.pk for item in items}
    open_candidate_roles: dict[int, list[Role]] = {}
    for role in Role.objects.filter(
        person_id__any_of=person_ids, kind=Role.Kind.CANDIDATE, ended_on__isnull=True
    ):
        open_candidate_roles.setdefault(role.person_id, []).append(role)
    managers = {p.hiring_manager_id for p in placements if p.hiring_manager_id}
    has_contact_role = set(
        Role.objects.filter(
            person_id__in=managers, kind=Role.Kind.CLIENT_CONTACT, ended_on__isnull=True
        ).values_list("person_id", "company_id")
    )
    ended: list[Role] = []
    new_roles: list[dict[str, Any]] = []
    owners: dict[int, int] = {}
    for item, placement in zip(items, placements, strict=True):
        for role in open_candidate_roles.get(item.person.pk, []):
            if role.ended_on is None and role.started_on <= item.start_date:
                role.ended_on = item.start_date
                ended.append(role)
        new_roles.append(
            {
                "person_id": item.person.pk,
                "kind": Role.Kind.PLACED,
                "company_id": item.company.pk,
                "title": item.role_title,
                "started_on": item.start_date,
            }
        )
        manager = placement.hiring_manager_id
        if manager is not None and (manager, item.company.pk) not in has_contact_role:
            has_contact_role.add((manager, item.company.pk))
            new_roles.append(
                {
                    "person_id": manager,
                    "kind": Role.Kind.CLIENT_CONTACT,
                    "company_id": item.company.pk,
                    "started_on": min(item.start_date, today),
                }
            )
        if item.person.owner_id is None:
            item.person.owner = item.owner
            owners.setdefault(item.person.pk, item.owner.pk)
    update_objects(ended, ["ended_on"])
    insert_rows(Role, new_roles)
    by_owner: dict[int, list[int]] = {}
    for person_id, owner_id in owners.items():
        by_owner.setdefault(owner_id, []).append(person_id)
    for owner_id, people in by_owner.items():
        recorded_update(Person.objects.filter(pk__in=people, owner__isnull=True), owner_id=owner_id)


@transaction.atomic
def record_placement_outcome(
    *,
    placement: Placement,
    status: str,
    left_on: dt.date,
    reason: str,
    notes: str = "",
    by: User,
) -> Placement:
    """Record that a placement fell off or the person left early, and stop its cadence.

    The rebate owed comes from the placement's scale. Planned touchpoints from the care
    plan are skipped ("Placement ended"); follow-ups a consultant booked by hand stay.
    The placement's warning signs are kept as an example the risk model learns from, and
    its open alert is closed with the reason.
    """
    if status not in Placement.ENDED:
        raise ValidationError("A placement ends as fell off or left early.")
    if reason not in Placement.LeaveReason.values:
        raise ValidationError(f"Unknown reason {reason!r}.")
    placement.status = status
    placement.left_on = left_on
    placement.leave_reason = reason
    placement.leave_notes = notes
    placement.rebate_owed = placement.rebate_for(left_on)
    placement.save(
        update_fields=["status", "left_on", "leave_reason", "leave_notes", "rebate_owed"]
    )
    recorded_update(
        placement.touchpoints.filter(state=Touchpoint.State.PLANNED, step__isnull=False),
        state=Touchpoint.State.SKIPPED,
        skip_reason=PLACEMENT_ENDED,
    )
    Role.objects.filter(
        person_id=placement.person_id,
        kind=Role.Kind.PLACED,
        company_id=placement.company_id,
        ended_on__isnull=True,
    ).update(ended_on=left_on)
    # The outcome becomes a labelled example for the risk model; open alerts close.
    on_placement_ended(placement=placement, by=by)
    return placement


def _last_start_with_guarantee_over(length: int, unit: str, today: dt.date) -> dt.date:
    """The latest start date whose guarantee of `length` `unit` ended before `today`."""
    if unit != GuaranteeUnit.WORKING:
        return today - dt.timedelta(days=length + 1)
    # Working days: start safely early, then walk forward; a handful of steps at most.
    start = today - dt.timedelta(days=length * 7 // 5 + 8)
    while add_working_days(start + dt.timedelta(days=1), length) < today:
        start += dt.timedelta(days=1)
    return start


@transaction.atomic
def advance_statuses(*, today: dt.date) -> int:
    """Move placements along as their dates pass; returns how many changed.

    Offer accepted becomes in guarantee on the start date (started when there is no
    guarantee); in guarantee becomes settled the day after the guarantee ends. One UPDATE
    per distinct guarantee length and unit (each after reading the ids it moves), never a
    loop over placements; the audit trail's entries, one per move, go in with one INSERT.
    """
    starting = Placement.objects.filter(status=Status.OFFER_ACCEPTED, start_date__lte=today)
    moved = update_with_entries(starting.filter(guarantee_length__gt=0), status=Status.IN_GUARANTEE)
    moved += update_with_entries(starting.filter(guarantee_length=0), status=Status.STARTED)

    in_guarantee = Placement.objects.filter(status=Status.IN_GUARANTEE)
    terms = set(in_guarantee.values_list("guarantee_length", "guarantee_unit").distinct())
    for length, unit in terms:
        moved += update_with_entries(
            in_guarantee.filter(
                guarantee_length=length,
                guarantee_unit=unit,
                start_date__lte=_last_start_with_guarantee_over(length, unit, today),
            ),
            status=Status.SETTLED,
        )
    record_entries(AuditEntry.Action.CHANGED, moved)
    return len(moved)
