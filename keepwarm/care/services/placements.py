"""Placement workflows: making a placement, its status over time, and how it ended.

They live in care, not in the placements app, because each one also lays out, moves or
skips the placement's care plan. The end of a placement is announced (synchronously, inside
the same transaction) through `placement_ended`; the risk model, a layer above, listens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.concurrency import claim_version
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    created_changes,
    entry_for,
    record_changed,
    record_entries,
    recorded_update,
    tracked_values,
    update_with_entries,
)
from keepwarm.care.models import CarePlan, Touchpoint
from keepwarm.care.services import default_plan, hand_over, lay_out_new_placements, move_start_date
from keepwarm.lib import events
from keepwarm.lib.bulk import insert_objects, insert_rows, update_objects
from keepwarm.lib.dates import add_working_days
from keepwarm.people.models import Company, GuaranteeUnit, Person, Remedy, Role
from keepwarm.placements.models import Placement, Target

GUARANTEE_TERMS = ("guarantee_length", "guarantee_unit", "guarantee_remedy", "rebate_scale")
PLACEMENT_ENDED = "Placement ended"

Status = Placement.Status

# Sent with `placement` and `by` when a placement falls off or the person leaves early,
# inside the transaction that records it, so listeners' writes commit or roll back with it.
placement_ended = Signal()


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
    placement = create_placements(by=by, items=[item], today=today)[0]
    _announce(events.PLACEMENT_CREATED, placement)
    return placement


def _announce(event: str, placement: Placement, **more: Any) -> None:
    """Tell the agency's other tools (webhooks) about one placement, once it commits."""
    payload = {
        "placement_id": placement.pk,
        "person_id": placement.person_id,
        "company_id": placement.company_id,
        "status": placement.status,
    }
    events.emit(event, {**payload, **more})


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
        item.person.refuse_if_erased()
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
            placement.status = placement.status_on(today)
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
    # The whole batch's "created" entries in one INSERT.
    record_entries(
        AuditEntry.Action.CREATED, (entry_for(p, changes=created_changes(p)) for p in placements)
    )

    Target.objects.bulk_create(
        Target(placement=placement, **target)
        for item, placement in zip(items, placements, strict=True)
        for target in item.targets
    )
    _give_roles(items, placements, today=today)
    _calls_follow_the_placement(placements)
    lay_out_new_placements(
        placements=[p for p in placements if p.status not in Placement.ENDED],
        today=today,
        past_steps=past_steps,
    )
    return placements


def _calls_follow_the_placement(placements: list[Placement]) -> None:
    """A current placement's owner now looks after its person (care.queries.looks_after):
    the calls already planned about the person alone move to that owner, so one consultant
    rings them, not whoever found them first. Their latest placement decides."""
    latest: dict[int, tuple[dt.date, int]] = {}
    for p in placements:
        if (
            p.status not in Placement.ENDED
            and p.start_date >= latest.get(p.person_id, (p.start_date, 0))[0]
        ):
            latest[p.person_id] = (p.start_date, p.owner_id)
    by_owner: dict[int, list[int]] = {}
    for person_id, (_start, owner_id) in latest.items():
        by_owner.setdefault(owner_id, []).append(person_id)
    for owner_id, people in by_owner.items():
        planned = Touchpoint.objects.filter(
            person_id__any_of=people, placement__isnull=True, state=Touchpoint.State.PLANNED
        )
        recorded_update(planned.exclude(owner_id=owner_id), owner_id=owner_id)


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
            person_id__any_of=managers, kind=Role.Kind.CLIENT_CONTACT, ended_on__isnull=True
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
        recorded_update(
            Person.objects.filter(pk__any_of=people, owner__isnull=True), owner_id=owner_id
        )


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
    before = tracked_values(placement)
    placement.status = status
    placement.left_on = left_on
    placement.leave_reason = reason
    placement.leave_notes = notes
    placement.rebate_owed = placement.rebate_for(left_on)
    if placement.guarantee_remedy == Remedy.REPLACEMENT and placement.in_guarantee_on(left_on):
        # The guarantee is paid in kind: another hire for the client, by a deadline.
        placement.replacement_due_by = left_on + dt.timedelta(
            days=settings.KEEPWARM_REPLACEMENT_DAYS
        )
    placement.save(
        update_fields=[
            "status",
            "left_on",
            "leave_reason",
            "leave_notes",
            "rebate_owed",
            "replacement_due_by",
        ]
    )
    record_changed(placement, before)
    _announce(events.PLACEMENT_ENDED, placement, left_on=left_on.isoformat(), reason=reason)
    # Stamped with when and by whom, as a step skipped by hand is: the timeline shows them
    # where the placement ended, not at due dates years ahead.
    recorded_update(
        placement.touchpoints.filter(state=Touchpoint.State.PLANNED, step__isnull=False),
        state=Touchpoint.State.SKIPPED,
        skip_reason=PLACEMENT_ENDED,
        done_at=timezone.now(),
        done_by=by,
    )
    Role.objects.filter(
        person_id=placement.person_id,
        kind=Role.Kind.PLACED,
        company_id=placement.company_id,
        ended_on__isnull=True,
    ).update(ended_on=left_on)
    # The outcome becomes a labelled example for the risk model; open alerts close.
    placement_ended.send(sender=Placement, placement=placement, by=by)
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
    for entry in moved:
        # A handful a day: the placements whose start or guarantee end is today.
        events.emit(
            events.PLACEMENT_UPDATED,
            {
                "placement_id": int(entry.object_id),
                "person_id": entry.person_id,
                "status": entry.changes["status"][1],
                "changed": ["status"],
            },
        )
    return len(moved)


# What update_placement sets from `changes`; the start date and the owner have workflows
# of their own (the care plan moves, the calls are handed over), status and endings too.
EDITABLE = frozenset(
    {
        "role_title",
        "end_date",
        "hiring_manager",
        "salary",
        "fee",
        "currency",
        "responsibilities",
        "hours_per_week",
        "probation_weeks",
        "benefits",
        "terms_notes",
        "guarantee_length",
        "guarantee_unit",
        "guarantee_remedy",
        "rebate_scale",
    }
)
MONEY = ("salary", "fee")


class NotAllowed(PermissionDenied):
    """A change the user may not make, naming the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PlacementUpdate:
    """What update_placement did, for the caller to tell the user."""

    placement: Placement
    steps_moved: int | None = None  # None: the start date stayed
    handed_to: User | None = None


def _check_allowed(
    placement: Placement, *, by: User, changes: Mapping[str, Any], owner: User | None
) -> None:
    """A covering colleague edits the terms and the calls, not the money or the owner
    (see `shows_money`): the same rule on the form, in the API and anywhere else."""
    if not placement.shows_money_to(by):
        for name in MONEY:
            if name in changes:
                raise NotAllowed(
                    name, "only the placement's owner, managers and admins see or change it"
                )
    if owner is not None and owner.pk != placement.owner_id and not placement.may_change_owner(by):
        raise NotAllowed(
            "owner", "only the placement's owner or a manager can hand it to someone else"
        )


def _set_targets(placement: Placement, rows: Sequence[Mapping[str, Any]]) -> None:
    """The placement's targets become `rows`. A row with the `id` of one of its targets
    changes that target in place, so answers already given about it stay attached to it;
    targets not listed go, rows without an id are new."""
    fields = ("name", "target_value", "unit", "period")
    kept = {row["id"] for row in rows if row.get("id")}
    placement.targets.exclude(pk__in=kept).delete()
    existing = placement.targets.in_bulk(kept)
    new: list[Target] = []
    for row in rows:
        target = existing.get(row.get("id") or 0)
        if target is None:
            new.append(Target(placement=placement, **{f: row[f] for f in fields}))
            continue
        if any(getattr(target, f) != row[f] for f in fields):
            for f in fields:
                setattr(target, f, row[f])
            target.save(update_fields=list(fields))
    Target.objects.bulk_create(new)


@transaction.atomic
def update_placement(
    *,
    placement: Placement,
    by: User,
    expected_version: int | None,
    changes: Mapping[str, Any],
    start_date: dt.date | None = None,
    owner: User | None = None,
    targets: Sequence[Mapping[str, Any]] | None = None,
    today: dt.date | None = None,
) -> PlacementUpdate:
    """Change a placement as its edit form, the API and an import all do.

    `expected_version` is the version the change was based on (the form's, or what an
    import last wrote); None accepts whatever is current. A newer save raises
    EditConflict and nothing is written. `changes` sets fields of EDITABLE; salary and
    fee, and a new `owner`, only from whoever `shows_money` allows (NotAllowed
    otherwise). A new `start_date` moves the planned calls and check-ins with it; a new
    `owner` takes over the placement and its planned calls. `targets`, when given,
    replace the placement's targets (see _set_targets). Every write is on the audit
    trail: the placement's fields here, the care-plan move and the handover by their
    services.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"update_placement does not set {sorted(unknown)}")
    # Read afresh under the lock: the caller's copy may hold a form's unsaved values.
    current = (
        Placement.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=placement.pk)
    )
    _check_allowed(current, by=by, changes=changes, owner=owner)
    before = tracked_values(current)
    claim_version(current, expected_version, stored=current.version)
    if changes:
        for name, value in changes.items():
            setattr(current, name, value)
        current.save(update_fields=[*changes, "version"])
        entry = record_changed(current, before)
        changed = sorted(entry.changes.keys() - {"version"}) if entry is not None else []
    else:
        # Only a new start date or owner: their services put them on the trail; the
        # version still moves on, so a form open meanwhile cannot put them back.
        Placement.objects.filter(pk=current.pk).update(version=current.version)
        changed = []
    if targets is not None:
        _set_targets(current, targets)
    moved = None
    if start_date is not None and start_date != current.start_date:
        changed.append("start_date")
        moved = move_start_date(placement=current, new_start=start_date, by=by, today=today)
    handed_to = None
    if owner is not None and owner.pk != current.owner_id:
        hand_over(
            from_user=current.owner,
            to_user=owner,
            by=by,
            today=today,
            placements=Placement.objects.filter(pk=current.pk),
        )
        current.owner = handed_to = owner
        changed.append("owner")
    if changed:
        _announce(events.PLACEMENT_UPDATED, current, changed=changed)
    return PlacementUpdate(placement=current, steps_moved=moved, handed_to=handed_to)


@transaction.atomic
def link_replacement(*, placement: Placement, replacement: Placement, by: User) -> Placement:
    """`replacement` is the free hire that makes good `placement`'s failed guarantee."""
    if placement.replacement_due_by is None:
        raise ValidationError("No free replacement is owed for this placement.")
    if replacement.pk == placement.pk or replacement.company_id != placement.company_id:
        raise ValidationError("The replacement must be another placement at the same client.")
    if Placement.objects.filter(replaced_by=replacement).exclude(pk=placement.pk).exists():
        raise ValidationError("That placement already replaces another one.")
    before = tracked_values(placement)
    placement.replaced_by = replacement
    placement.save(update_fields=["replaced_by"])
    record_changed(placement, before)
    return placement
