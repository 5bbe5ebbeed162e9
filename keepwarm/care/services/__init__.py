"""Care workflows: laying out plans, logging and skipping touchpoints, cover and handover."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from keepwarm.accounts.models import ApiToken, User
from keepwarm.accounts.services import end_sessions
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    Entry,
    entry_for,
    jsonable,
    record_changed,
    record_created,
    record_entries,
    record_for,
    recorded_update,
    tracked_values,
)
from keepwarm.care.models import (
    NOT_REACHED,
    SENT_BY_WORKER,
    Audience,
    CarePlan,
    Closure,
    Cover,
    Kind,
    PlanStep,
    Touchpoint,
)
from keepwarm.lib import events
from keepwarm.lib.bulk import fetch_all, insert_select, staged
from keepwarm.lib.dates import add_months
from keepwarm.lib.memo import remembered
from keepwarm.lib.working_days import (
    forget_closures,
    next_working_day,
    on_or_after_working_day,
    on_or_before_working_day,
)
from keepwarm.people.models import Person
from keepwarm.people.services import record_contact
from keepwarm.placements.models import Placement

ENTERED_LATE = "Entered after this was due"
MOVED_INTO_PAST = "Start date moved; this fell before today"
WENT_MISSED = "Not done within {days} days of its due date"

# Sent with `touchpoint_id` after a call, meeting or email logged with a note has
# committed; the risk model, a layer above, reads the note.
call_note_logged = Signal()

# Outcomes that mean we actually got through to the person; a voicemail or no answer does
# not warm anyone up.
CONTACT_OUTCOMES = (
    Touchpoint.Outcome.REACHED,
    Touchpoint.Outcome.EMAILED,
    Touchpoint.Outcome.MET,
)
NOT_REACHED_AFTER = "Not reached after {tries} tries"


def default_plan(kind: str = "permanent") -> CarePlan | None:
    """The plan new placements of `kind` follow unless another is chosen."""
    return CarePlan.objects.filter(placement_kind=kind, is_default=True).order_by("id").first()


def step_due_dates(
    step: PlanStep, placement: Placement, *, not_before: dt.date | None = None
) -> list[dt.date]:
    """Every date `step` falls due for `placement`, oldest first (empty when it does not apply),
    from `not_before` on when it is given.

    Repeating steps are a finite series at offset_months + k * repeat_every_months up to
    repeat_until_months. Contract-end and midpoint steps need an end date; guarantee-end
    steps need a guarantee. On a placement with an end date, start- and midpoint-anchored
    steps after that date are dropped: nobody asks how the job is going once it is over.
    """
    start = placement.start_date
    if step.anchor == PlanStep.Anchor.START:
        base = start
    elif step.anchor == PlanStep.Anchor.GUARANTEE_END:
        if not placement.guarantee_length:
            return []
        base = placement.guarantee_ends_on
    elif step.anchor == PlanStep.Anchor.END:
        if placement.end_date is None:
            return []
        base = placement.end_date
    elif step.anchor == PlanStep.Anchor.MIDPOINT:
        if placement.end_date is None or placement.end_date <= start:
            return []
        base = start + dt.timedelta(days=(placement.end_date - start).days // 2)
    else:
        raise ValueError(f"Unknown plan step anchor {step.anchor!r}")

    months = range(step.offset_months, step.offset_months + 1)
    if step.repeat_every_months:
        until = step.repeat_until_months or step.offset_months
        months = range(step.offset_months, until + 1, step.repeat_every_months)
    offset = dt.timedelta(days=step.offset_days)
    if not_before is not None:
        # An import's old placement: the series' members before `not_before` are not worked
        # out one by one. A member falls before it when its month is over a month earlier.
        earliest = not_before - offset
        months_past = (earliest.year - base.year) * 12 + earliest.month - base.month - 1
        months = months[max(0, -(-(months_past - months.start) // months.step)) :]
    # A step that lands on a weekend, bank holiday or closure falls due the next working day;
    # one set before its anchor (the call before someone starts) the working day before, so
    # it still comes first.
    settle = on_or_before_working_day if step.offset_days < 0 else on_or_after_working_day
    dates = [settle(add_months(base, m) + offset) for m in months]
    if not_before is not None:
        dates = [d for d in dates if d >= not_before]
    if placement.end_date is not None and step.anchor in (
        PlanStep.Anchor.START,
        PlanStep.Anchor.MIDPOINT,
    ):
        dates = [d for d in dates if d <= placement.end_date]
    return dates


def _step_person(step: PlanStep, placement: Placement) -> Person | None:
    if step.audience == Audience.CLIENT:
        return placement.hiring_manager
    return placement.person


@transaction.atomic
def lay_out_care_plan(
    *, placement: Placement, plan: CarePlan | None = None, today: dt.date | None = None
) -> list[Touchpoint]:
    """Copy the plan's steps onto the placement as touchpoints with stored due dates.

    The plan is `plan`, else the placement's own, else the default for its kind. Steps
    already laid out (same step and date) are not duplicated. Steps due before `today`
    are created skipped, so a back-dated placement never fires its old steps at once.
    """
    today = today or timezone.localdate()
    plan = plan or placement.care_plan or default_plan(placement.kind)
    if plan is None:
        return []
    if placement.care_plan_id != plan.pk:
        before = tracked_values(placement)
        placement.care_plan = plan
        placement.save(update_fields=["care_plan"])
        record_changed(placement, before)

    existing = set(
        placement.touchpoints.filter(step__isnull=False).values_list("step_id", "due_on")
    )
    steps = list(plan.steps.order_by("order", "offset_months", "offset_days", "id"))
    new = _plan_touchpoints(placement, steps, existing, today)
    made = Touchpoint.objects.bulk_create(Touchpoint(**values) for values in new)
    _record_laid_out({placement.pk: (placement, len(made))})
    return made


def _plan_touchpoints(
    placement: Placement,
    steps: list[PlanStep],
    existing: set[tuple[int, dt.date]],
    today: dt.date,
    *,
    past_steps: bool = True,
) -> list[dict[str, Any]]:
    """The touchpoints (as field values) `steps` give `placement`, leaving out `existing`,
    and leaving out the steps already past unless `past_steps`."""
    new: list[dict[str, Any]] = []
    for step in steps:
        person = _step_person(step, placement)
        if person is None:
            continue
        for due_on in step_due_dates(step, placement, not_before=None if past_steps else today):
            if (step.pk, due_on) in existing:
                continue
            late = due_on < today  # never without past_steps: those dates start at today
            new.append(
                {
                    "person_id": person.pk,
                    "placement_id": placement.pk,
                    "step_id": step.pk,
                    "kind": step.kind,
                    "audience": step.audience,
                    "title": step.title,
                    "due_on": due_on,
                    "owner_id": placement.owner_id,
                    "state": Touchpoint.State.SKIPPED if late else Touchpoint.State.PLANNED,
                    "skip_reason": ENTERED_LATE if late else "",
                    "email_subject": step.email_subject,
                    "email_body": step.email_body,
                }
            )
    return new


@transaction.atomic
def lay_out_new_placements(
    *, placements: list[Placement], today: dt.date, past_steps: bool = True
) -> int:
    """lay_out_care_plan for many placements just made (none has touchpoints yet), each
    with its care_plan set, set-based: the plans' steps are read once, each distinct
    layout (plan, start, end and guarantee) has its dates worked out once, and the
    database writes the touchpoints from two staged tables (one row per placement, one
    per layout's step date) with one INSERT ... SELECT: no Python work per touchpoint.
    Returns how many touchpoints were made.

    `past_steps=False` leaves out the steps whose date has passed instead of laying them
    out as skipped: an import brings in history (a placement of eight years ago would
    otherwise arrive with two dozen "entered after this was due" steps), and its care
    starts from the day it arrives.
    """
    layouts = _Layouts(today=today, past_steps=past_steps)
    laid: list[tuple[int, int, int, int | None, int, int]] = []
    laid_out: dict[int, tuple[Placement, int]] = {}
    for seq, placement in enumerate(placements):
        if placement.care_plan_id is None:
            continue
        key, for_person, for_client = layouts.of(placement)
        manager = placement.hiring_manager_id
        laid.append((seq, placement.pk, placement.person_id, manager, placement.owner_id, key))
        laid_out[placement.pk] = (placement, for_person + (for_client if manager else 0))
    if not laid:
        return 0
    with (
        staged("care_laid_out", LAID_COLUMNS, laid) as placed,
        staged("care_step_dates", DATE_COLUMNS, layouts.dates) as dates,
    ):
        made = insert_select(
            Touchpoint,
            {
                "person_id": "CASE WHEN d.for_client = 1 THEN l.manager_id ELSE l.person_id END",
                "placement_id": "l.placement_id",
                "step_id": "d.step_id",
                "kind": "s.kind",
                "audience": "s.audience",
                "title": "s.title",
                "due_on": "d.due_on",
                "owner_id": "l.owner_id",
                "state": "d.state",
                "skip_reason": "d.skip_reason",
                "email_subject": "s.email_subject",
                "email_body": "s.email_body",
            },
            # A step's series in date order, step by step, placement by placement: the
            # order move_start_date reads a series back in (by id).
            f"FROM {placed} l JOIN {dates} d ON d.layout = l.layout "
            f"JOIN {PlanStep._meta.db_table} s ON s.id = d.step_id "
            "WHERE d.for_client = 0 OR l.manager_id IS NOT NULL "
            "ORDER BY l.seq, d.step_order, d.date_order",
        )
    _record_laid_out(laid_out)
    return made


# The staged tables lay_out_new_placements writes touchpoints from.
LAID_COLUMNS = (
    ("seq", "integer"),
    ("placement_id", "bigint"),
    ("person_id", "bigint"),
    ("manager_id", "bigint"),
    ("owner_id", "bigint"),
    ("layout", "integer"),
)
DATE_COLUMNS = (
    ("layout", "integer"),
    ("step_id", "bigint"),
    ("step_order", "integer"),
    ("date_order", "integer"),
    ("due_on", "date"),
    ("for_client", "integer"),
    ("state", "varchar(10)"),
    ("skip_reason", "varchar(200)"),
)


class _Layouts:
    """The distinct care-plan layouts of a batch of placements: the step dates depend only
    on the plan, the start and end dates and the guarantee (see step_due_dates), so an
    import's 1,000 placements share a few hundred of them."""

    def __init__(self, *, today: dt.date, past_steps: bool) -> None:
        self.today, self.past_steps = today, past_steps
        self.steps_of: dict[int, list[PlanStep]] = {}
        self.keys: dict[tuple[Any, ...], tuple[int, int, int]] = {}
        # (layout, step, step's place in the plan, date's place in its series, due on,
        # whether the client's contact is asked, state, skip reason)
        self.dates: list[tuple[Any, ...]] = []

    def of(self, placement: Placement) -> tuple[int, int, int]:
        """The placement's layout number and how many touchpoints it gives the candidate
        and the hiring manager."""
        plan_id = placement.care_plan_id
        assert plan_id is not None
        key = (
            plan_id,
            placement.start_date,
            placement.end_date,
            placement.guarantee_length,
            placement.guarantee_unit,
        )
        if key not in self.keys:
            self.keys[key] = self._lay_out(len(self.keys), placement, self._steps(plan_id))
        return self.keys[key]

    def _steps(self, plan_id: int) -> list[PlanStep]:
        if plan_id not in self.steps_of:
            self.steps_of[plan_id] = list(
                PlanStep.objects.filter(plan_id=plan_id).order_by(
                    "order", "offset_months", "offset_days", "id"
                )
            )
        return self.steps_of[plan_id]

    def _lay_out(
        self, layout: int, placement: Placement, steps: list[PlanStep]
    ) -> tuple[int, int, int]:
        counts = {False: 0, True: 0}
        not_before = None if self.past_steps else self.today
        for step_order, step in enumerate(steps):
            for_client = step.audience == Audience.CLIENT
            due = step_due_dates(step, placement, not_before=not_before)
            for date_order, due_on in enumerate(due):
                late = due_on < self.today  # never without past_steps: those start at today
                self.dates.append(
                    (
                        layout,
                        step.pk,
                        step_order,
                        date_order,
                        due_on,
                        int(for_client),
                        Touchpoint.State.SKIPPED if late else Touchpoint.State.PLANNED,
                        ENTERED_LATE if late else "",
                    )
                )
            counts[for_client] += len(due)
        return layout, counts[False], counts[True]


def _record_laid_out(laid_out: dict[int, tuple[Placement, int]]) -> None:
    """One entry per placement for the touchpoints its care plan gave it: a placement's
    plan is a few dozen rows, and an import lays out plans for thousands at once."""
    record_entries(
        AuditEntry.Action.CHANGED,
        (
            entry_for(placement, changes={"care_plan_touchpoints": [None, count]})
            for placement, count in laid_out.values()
            if count
        ),
    )


@transaction.atomic
def move_start_date(
    *, placement: Placement, new_start: dt.date, by: User, today: dt.date | None = None
) -> int:
    """Change the start date and move the planned touchpoints that came from plan steps.

    Done, skipped and missed touchpoints are history and never move. A planned one whose
    new date is before `today` is skipped with a reason instead of firing late. Returns
    how many touchpoints moved or were skipped.
    """
    today = today or timezone.localdate()
    # Series members are created in order, so a step's touchpoints ordered by id line up
    # with the end of the step's due dates: all of them for a placement entered by hand,
    # only those still ahead for an imported one (see lay_out_new_placements).
    series: dict[int, list[Touchpoint]] = defaultdict(list)
    steps: dict[int, PlanStep] = {}
    for touchpoint in (
        placement.touchpoints.filter(step__isnull=False).select_related("step").order_by("id")
    ):
        assert touchpoint.step is not None
        steps[touchpoint.step.pk] = touchpoint.step
        series[touchpoint.step.pk].append(touchpoint)
    # Where each series starts among its step's dates, counted before the start moves.
    first_index = {
        pk: max(0, len(step_due_dates(steps[pk], placement)) - len(touchpoints))
        for pk, touchpoints in series.items()
    }

    before = tracked_values(placement)
    placement.start_date = new_start
    fields = ["start_date"]
    if placement.status in Placement.ACTIVE:
        placement.status = placement.status_on(today)
        fields.append("status")
    placement.save(update_fields=fields)
    record_changed(placement, before)

    changed: list[Touchpoint] = []
    moves: list[Entry] = []
    for pk, touchpoints in series.items():
        new_dates = step_due_dates(steps[pk], placement)
        for index, touchpoint in enumerate(touchpoints, start=first_index[pk]):
            if touchpoint.state != Touchpoint.State.PLANNED or index >= len(new_dates):
                continue
            new_due = new_dates[index]
            before = {"due_on": touchpoint.due_on, "state": touchpoint.state}
            if new_due < today:
                touchpoint.state = Touchpoint.State.SKIPPED
                touchpoint.skip_reason = MOVED_INTO_PAST
                touchpoint.due_on = new_due
            elif new_due != touchpoint.due_on:
                touchpoint.due_on = new_due
            else:
                continue
            changed.append(touchpoint)
            moves.append(_changed_row(touchpoint, before, placement))
    Touchpoint.objects.bulk_update(changed, ["due_on", "state", "skip_reason"])
    record_entries(AuditEntry.Action.CHANGED, moves)
    return len(changed)


def _changed_row(touchpoint: Touchpoint, before: dict[str, Any], placement: Placement) -> Entry:
    changes = {
        name: [jsonable(old), jsonable(getattr(touchpoint, name))]
        for name, old in before.items()
        if getattr(touchpoint, name) != old
    }
    label = f"{touchpoint.title} ({placement.person}, {touchpoint.due_on:%d %b %Y})"
    return entry_for(touchpoint, label=lambda _: label, changes=changes)


def _audience_of(person: Person, placement: Placement | None) -> str:
    if placement is not None and placement.hiring_manager_id == person.pk:
        return Audience.CLIENT
    return Audience.CANDIDATE


@transaction.atomic
def log_touchpoint(
    *,
    person: Person,
    by: User,
    kind: str,
    outcome: str,
    notes: str = "",
    placement: Placement | None = None,
    touchpoint: Touchpoint | None = None,
    next_action_on: dt.date | None = None,
    now: dt.datetime | None = None,
    title: str = "",
) -> Touchpoint:
    """Record a call, email or meeting with `person`.

    Completes `touchpoint` when given (a planned, skipped or missed one; a done one is
    refused so a double submit does not log twice), else records a new done touchpoint.
    A planned `touchpoint` tried without reaching anyone (NOT_REACHED) is not completed:
    the try is recorded as its own done call and the planned one stays open for a retry
    (see `_tried_without_reaching`), which is what this returns then.
    Reaching the person (or meeting or emailing them) updates their last contact. With
    `next_action_on`, a follow-up call is planned for the same owner (for a call that
    stays open, that day is its retry instead).
    """
    person.refuse_if_erased()
    now = now or timezone.now()
    if touchpoint is not None and outcome in NOT_REACHED:
        if touchpoint.state == Touchpoint.State.PLANNED:
            return _tried_without_reaching(
                touchpoint=touchpoint,
                by=by,
                kind=kind,
                outcome=outcome,
                notes=notes,
                retry_on=next_action_on,
                now=now,
                title=title,
            )
        # A skipped or missed one stays as it was; this try is a call of its own.
        placement, touchpoint = placement or touchpoint.placement, None
    if touchpoint is not None:
        placement = placement or touchpoint.placement
        before = {"state": touchpoint.state, "outcome": touchpoint.outcome, "kind": touchpoint.kind}
        claimed = (
            Touchpoint.objects.filter(pk=touchpoint.pk)
            .exclude(state=Touchpoint.State.DONE)
            .update(
                state=Touchpoint.State.DONE,
                kind=kind,
                outcome=outcome,
                notes=notes,
                done_at=now,
                done_by=by,
            )
        )
        if claimed != 1:
            raise ValidationError("This has already been logged.")
        touchpoint.refresh_from_db()
        _record_change(touchpoint, before)
        follow_up_owner_id = touchpoint.owner_id
    else:
        touchpoint = _logged(
            person=person,
            placement=placement,
            by=by,
            kind=kind,
            outcome=outcome,
            notes=notes,
            now=now,
            title=title or str(Kind(kind).label),
        )
        follow_up_owner_id = (
            placement.owner_id if placement is not None else person.owner_id or by.pk
        )

    if outcome in CONTACT_OUTCOMES:
        record_contact(person=person, at=now)

    if next_action_on is not None:
        follow_up = Touchpoint.objects.create(
            person=person,
            placement=placement,
            kind=Kind.CALL,
            audience=_audience_of(person, placement),
            title="Follow-up call",
            due_on=next_action_on,
            owner_id=follow_up_owner_id,
            notes=f"Follow-up from {now:%d %b %Y}: {notes}".strip().rstrip(":"),
        )
        record_created(follow_up)
    _tell_of_note(touchpoint)
    return touchpoint


def _tell_of_note(touchpoint: Touchpoint) -> None:
    events.emit(
        events.TOUCHPOINT_LOGGED,
        {
            "touchpoint_id": touchpoint.pk,
            "person_id": touchpoint.person_id,
            "placement_id": touchpoint.placement_id,
            "kind": touchpoint.kind,
            "outcome": touchpoint.outcome,
            "done_by": touchpoint.done_by.username if touchpoint.done_by else None,
        },
    )
    if touchpoint.notes.strip():
        # The note may say they are leaving: the risk model hears of it once it is saved.
        touchpoint_id = touchpoint.pk
        transaction.on_commit(
            lambda: call_note_logged.send(sender=Touchpoint, touchpoint_id=touchpoint_id)
        )


def _logged(
    *,
    person: Person,
    placement: Placement | None,
    by: User,
    kind: str,
    outcome: str,
    notes: str,
    now: dt.datetime,
    title: str,
) -> Touchpoint:
    """A call (or meeting, email) done now, recorded as it happened."""
    logged = Touchpoint.objects.create(
        person=person,
        placement=placement,
        kind=kind,
        audience=_audience_of(person, placement),
        title=title,
        due_on=timezone.localdate(now),
        owner=by,
        state=Touchpoint.State.DONE,
        outcome=outcome,
        notes=notes,
        done_at=now,
        done_by=by,
    )
    record_created(logged)
    return logged


def _tried_without_reaching(
    *,
    touchpoint: Touchpoint,
    by: User,
    kind: str,
    outcome: str,
    notes: str,
    retry_on: dt.date | None,
    now: dt.datetime,
    title: str,
) -> Touchpoint:
    """A planned call nobody answered: the try goes on the timeline as a done call with its
    outcome (where the risk reads unanswered calls), and the planned call stays open.

    It is due again on `retry_on`, else the next working day (never earlier than it was
    due), up to KEEPWARM_CALL_RETRIES retries; the try after the last leaves it missed. A
    wrong number books no retry by itself: ringing it again reaches nobody, so the call
    stays due until the number is fixed. `first_due_on` keeps the day it was first due:
    the discipline report counts it missed, not on time, until someone is reached.
    """
    today = timezone.localdate(now)
    tries = touchpoint.attempts + 1
    changes: dict[str, Any] = {
        "attempts": tries,
        "outcome": outcome,
        "first_due_on": touchpoint.was_due_on,
    }
    if tries > settings.KEEPWARM_CALL_RETRIES:
        changes.update(
            state=Touchpoint.State.MISSED,
            skip_reason=NOT_REACHED_AFTER.format(tries=tries),
            done_at=now,
            done_by_id=by.pk,
        )
    elif retry_on is not None or outcome != Touchpoint.Outcome.WRONG_NUMBER:
        changes["due_on"] = retry_on or max(touchpoint.due_on, next_working_day(today))
    before = {name: getattr(touchpoint, name) for name in changes}
    # The attempt count in the condition makes a double submit of the same try a no-op.
    claimed = Touchpoint.objects.filter(
        pk=touchpoint.pk, state=Touchpoint.State.PLANNED, attempts=touchpoint.attempts
    ).update(**changes)
    if claimed != 1:
        raise ValidationError("This has already been logged.")
    touchpoint.refresh_from_db()
    _record_change(touchpoint, before)
    tried = _logged(
        person=touchpoint.person,
        placement=touchpoint.placement,
        by=by,
        kind=kind,
        outcome=outcome,
        notes=notes,
        now=now,
        title=title or touchpoint.title,
    )
    # What was said on a voicemail or to whoever picked up is a call note like any other.
    _tell_of_note(tried)
    return touchpoint


def _record_change(touchpoint: Touchpoint, before: dict[str, Any]) -> None:
    """A touchpoint changed by a conditional UPDATE (the claim), which sends no signal."""
    changes = {
        name: [jsonable(old), jsonable(getattr(touchpoint, name))]
        for name, old in before.items()
        if getattr(touchpoint, name) != old
    }
    if changes:
        record_for(AuditEntry.Action.CHANGED, touchpoint, changes=changes)


def plan_touchpoint(
    *,
    person: Person,
    owner_id: int,
    kind: str,
    title: str,
    due_on: dt.date,
    placement: Placement | None = None,
    notes: str = "",
    email_subject: str = "",
    email_body: str = "",
) -> Touchpoint:
    """Plan a call, email or meeting with `person`, done by the user `owner_id`."""
    person.refuse_if_erased()
    touchpoint = Touchpoint.objects.create(
        person=person,
        placement=placement,
        kind=kind,
        audience=_audience_of(person, placement),
        title=title,
        due_on=due_on,
        owner_id=owner_id,
        notes=notes,
        email_subject=email_subject,
        email_body=email_body,
    )
    record_created(touchpoint)
    return touchpoint


def change_planned_touchpoint(*, touchpoint: Touchpoint, **fields: Any) -> Touchpoint:
    """Change what a planned touchpoint is, when, or who does it (`owner`)."""
    attnames = {f.name: f.attname for f in Touchpoint._meta.concrete_fields}
    before = {attnames[name]: getattr(touchpoint, attnames[name]) for name in fields}
    for name, value in fields.items():
        setattr(touchpoint, name, value)
    if fields:
        touchpoint.save(update_fields=list(fields))
        _record_change(touchpoint, before)
    return touchpoint


def skip_touchpoint(*, touchpoint: Touchpoint, by: User, reason: str) -> Touchpoint:
    """Skip a planned touchpoint, saying why; it stays on the timeline and never fires."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why this is being skipped.")
    skipped = Touchpoint.objects.filter(pk=touchpoint.pk, state=Touchpoint.State.PLANNED).update(
        state=Touchpoint.State.SKIPPED,
        skip_reason=reason[:200],
        done_by=by,
        done_at=timezone.now(),
    )
    if skipped != 1:
        raise ValidationError("Only a planned touchpoint can be skipped.")
    touchpoint.refresh_from_db()
    _record_change(touchpoint, {"state": Touchpoint.State.PLANNED, "skip_reason": ""})
    return touchpoint


def mark_missed(*, today: dt.date, grace_days: int = 14) -> int:
    """Planned calls and meetings more than `grace_days` overdue become missed; returns how many.

    Emails are sent by the worker and never go missed; a missed call stays on the timeline
    as a warning sign instead of cluttering Today forever.
    """
    cutoff = today - dt.timedelta(days=grace_days)
    return recorded_update(
        Touchpoint.objects.filter(
            state=Touchpoint.State.PLANNED,
            kind__in=(Kind.CALL, Kind.MEETING),
            due_on__lt=cutoff,
        ),
        state=Touchpoint.State.MISSED,
        skip_reason=WENT_MISSED.format(days=grace_days),
    )


def set_cover(
    *,
    absent: User,
    colleague: User,
    starts_on: dt.date,
    ends_on: dt.date,
    by: User,
    note: str = "",
) -> Cover:
    """`colleague` sees `absent`'s due work on their Today from `starts_on` to `ends_on`."""
    if absent.pk == colleague.pk:
        raise ValidationError("Choose a colleague other than the person who is away.")
    if ends_on < starts_on:
        raise ValidationError("The cover must end on or after the day it starts.")
    if not colleague.is_active:
        raise ValidationError(f"{colleague.display_name} no longer works here.")
    _refuse_colleague_away(colleague, starts_on, ends_on)
    _refuse_covered_twice(absent, starts_on, ends_on)
    cover = Cover.objects.create(
        absent=absent,
        colleague=colleague,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        created_by=by,
    )
    # Cover lets a colleague see and work the absent consultant's people for a while.
    record_created(cover)
    return cover


def _refuse_colleague_away(colleague: User, starts_on: dt.date, ends_on: dt.date) -> None:
    # Work handed to someone who is away reaches nobody: say who covers them instead.
    away = (
        Cover.objects.filter(absent=colleague, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .select_related("colleague")
        .order_by("starts_on", "id")
        .first()
    )
    if away is None:
        return
    raise ValidationError(
        f"{colleague.display_name} is away {away.starts_on:%-d %b}–{away.ends_on:%-d %b %Y}"
        f" ({away.colleague.display_name} covers them): choose a colleague who is in,"
        f" or ask {away.colleague.display_name}."
    )


def _refuse_covered_twice(absent: User, starts_on: dt.date, ends_on: dt.date) -> None:
    # Two covers on one day would leave it to chance whose Today gets the work.
    already = (
        Cover.objects.filter(absent=absent, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .select_related("colleague")
        .order_by("starts_on", "id")
        .first()
    )
    if already is not None:
        raise ValidationError(
            f"{already.colleague.display_name} already covers {absent.display_name}"
            f" {already.starts_on:%-d %b}–{already.ends_on:%-d %b %Y}: end or change that"
            " cover first."
        )


def end_cover(*, cover: Cover, by: User, today: dt.date) -> Cover:
    """The absent consultant is back: from `today` their work shows only on their own Today.

    A cover that has not started before today is deleted (the returned cover has no pk).
    """
    if cover.starts_on >= today:
        record_for(AuditEntry.Action.DELETED, cover)
        cover.delete()
        return cover
    if cover.ends_on >= today:
        ended_on = today - dt.timedelta(days=1)
        changes = {"ends_on": [jsonable(cover.ends_on), jsonable(ended_on)]}
        record_for(AuditEntry.Action.CHANGED, cover, changes=changes)
        cover.ends_on = ended_on
        cover.save(update_fields=["ends_on"])
    return cover


@transaction.atomic
def hand_over(
    *,
    from_user: User,
    to_user: User,
    by: User,
    today: dt.date | None = None,
    placements: QuerySet[Placement] | None = None,
) -> int:
    """Permanently move `from_user`'s placements (all, or those in `placements`) to `to_user`.

    The placements, the people `from_user` owns on them and every planned touchpoint
    (overdue ones too, so nothing is dropped) move; done, skipped and missed history
    keeps who did it. A full handover also moves `from_user`'s other people and their
    planned follow-ups. Returns how many placements moved.
    """
    if from_user.pk == to_user.pk:
        raise ValidationError("Hand over to a different consultant.")
    scope = placements if placements is not None else Placement.objects.all()
    placement_ids = list(scope.filter(owner=from_user).values_list("id", flat=True))
    person_ids = set(
        Placement.objects.filter(id__in=placement_ids).values_list("person_id", flat=True)
    ) | set(
        Placement.objects.filter(id__in=placement_ids, hiring_manager__isnull=False).values_list(
            "hiring_manager_id", flat=True
        )
    )

    # Each UPDATE records its rows' owner change on the trail (bulk writes send no signal).
    planned = Touchpoint.objects.filter(owner=from_user, state=Touchpoint.State.PLANNED)
    if placements is None:
        recorded_update(Person.objects.filter(owner=from_user), owner=to_user)
        recorded_update(planned, owner=to_user)
    else:
        recorded_update(Person.objects.filter(owner=from_user, id__in=person_ids), owner=to_user)
        recorded_update(
            planned.filter(
                Q(placement_id__in=placement_ids)
                | Q(placement__isnull=True, person_id__in=person_ids)
            ),
            owner=to_user,
        )
    return recorded_update(Placement.objects.filter(id__in=placement_ids), owner=to_user)


def _covers_on(day: dt.date) -> dict[int, int]:
    """Who covers whom on `day`: absent id -> colleague id. Where two covers overlap, the
    one that started last wins (the most recent arrangement). Read once per page view: every
    "may see" query asks."""

    def read() -> dict[int, int]:
        sql = _COVERS_ON.format(cover=connection.ops.quote_name(Cover._meta.db_table))
        day_value = connection.ops.adapt_datefield_value(day)
        return dict(fetch_all(sql, [day_value, day_value]))

    return dict(remembered(("covers_on", day), read))


# Written once (prepared on PostgreSQL): Today and every list ask on each request.
_COVERS_ON = (
    "SELECT absent_id, colleague_id FROM {cover} WHERE starts_on <= %s AND ends_on >= %s"
    " ORDER BY starts_on, id"
)


def _chain(user_id: int, covers: dict[int, int]) -> list[int]:
    """`user_id` and then each colleague their work passes to: A is away, covered by B, who
    is away too and covered by C, gives [A, B, C]. A loop of covers (A covers B covers A)
    stops at the first colleague met twice, so nobody's work goes round for ever."""
    chain = [user_id]
    while chain[-1] in covers and covers[chain[-1]] not in chain:
        chain.append(covers[chain[-1]])
    return chain


def stand_in_id(user_id: int, *, day: dt.date) -> int:
    """Who does `user_id`'s work on `day`: themselves, or the end of their cover chain."""
    return _chain(user_id, _covers_on(day))[-1]


def covering_for(user: User, *, day: dt.date) -> list[User]:
    """The consultants whose work `user` covers on `day`, directly or along a chain: when
    Sam covers Tom and Tom, himself away, covers Amelia, Sam covers both."""
    covers = _covers_on(day)
    covered = [
        absent for absent in covers if absent != user.pk and user.pk in _chain(absent, covers)
    ]
    if not covered:
        return []
    return list(User.objects.filter(pk__in=covered).order_by("first_name", "last_name", "username"))


@transaction.atomic
def add_closure(*, first_day: dt.date, last_day: dt.date, reason: str, by: User) -> Closure:
    """The agency is shut from `first_day` to `last_day`: planned calls and emails due then
    move to the first working day after it, and nothing new falls due inside it."""
    if last_day < first_day:
        raise ValidationError("The last day closed must be on or after the first.")
    closure = Closure.objects.create(
        first_day=first_day, last_day=last_day, reason=reason.strip(), created_by=by
    )
    record_created(closure)
    forget_closures()
    transaction.on_commit(forget_closures)
    reopens = on_or_after_working_day(last_day + dt.timedelta(days=1))
    recorded_update(
        Touchpoint.objects.filter(
            state=Touchpoint.State.PLANNED, due_on__gte=first_day, due_on__lte=last_day
        ),
        due_on=reopens,
    )
    return closure


@transaction.atomic
def remove_closure(*, closure: Closure, by: User) -> None:
    """The agency works on those days after all (what was moved stays where it is)."""
    record_for(AuditEntry.Action.DELETED, closure)
    closure.delete()
    forget_closures()
    transaction.on_commit(forget_closures)


# --- Email that does not reach the person -------------------------------------------------

CALL_INSTEAD = "Call instead: {title}"


def call_owner(person: Person, placement: Placement | None) -> User | None:
    """Who looks after `person` for work about `placement`: its owner, else the person's.

    The one place the calls that replace failed emails ask, so the agency-wide rule can
    replace it in a single line."""
    if placement is not None:
        return placement.owner
    return person.owner


def _call_instead(touchpoint: Touchpoint, *, due_on: dt.date, why: str) -> Touchpoint:
    owner = call_owner(touchpoint.person, touchpoint.placement) or touchpoint.owner
    call = Touchpoint.objects.create(
        person=touchpoint.person,
        placement=touchpoint.placement,
        kind=Kind.CALL,
        audience=touchpoint.audience,
        title=CALL_INSTEAD.format(title=touchpoint.title)[:200],
        due_on=due_on,
        owner=owner,
        notes=why[:1000],
    )
    record_created(call)
    return call


@transaction.atomic
def record_email_failed(
    *, email: str, reason: str, touchpoint_id: int | None = None, now: dt.datetime | None = None
) -> Touchpoint | None:
    """An email to `email` bounced for good or was marked as spam.

    Everyone with that address is marked: no email reaches them (their page says why and
    since when) until someone enters another address. The check-in that failed is not
    done: it is skipped with the reason, and a call takes its place on the next working
    day for whoever looks after the person. Returns that call (None when there was no
    check-in to replace, or it was replaced already: webhooks repeat themselves).
    """
    now = now or timezone.now()
    address = email.strip()
    if not address:
        return None
    people = Person.objects.filter(email__iexact=address, erased_at__isnull=True)
    recorded_update(
        people.filter(email_failed_at__isnull=True),
        email_failed_at=now,
        email_failed_reason=reason[:300],
    )
    if touchpoint_id is None:
        return None
    failed = (
        Touchpoint.objects.select_related("person", "placement__owner", "person__owner")
        .filter(
            pk=touchpoint_id,
            kind__in=SENT_BY_WORKER,
            state__in=(Touchpoint.State.DONE, Touchpoint.State.PLANNED),
            person__in=people,
        )
        .first()
    )
    if failed is None:
        return None
    why = f"Email failed: {reason}"
    # Conditional on the state read: of two reports of one bounce arriving at once, one
    # turns the check-in into a call and the other finds nothing left to do.
    changed = Touchpoint.objects.filter(pk=failed.pk, state=failed.state).update(
        state=Touchpoint.State.SKIPPED, outcome=Touchpoint.Outcome.BOUNCED, skip_reason=why[:200]
    )
    if changed != 1:
        return None
    changes = {
        "state": [failed.state, Touchpoint.State.SKIPPED.value],
        "outcome": [failed.outcome, Touchpoint.Outcome.BOUNCED.value],
        "skip_reason": [failed.skip_reason, why[:200]],
    }
    record_for(AuditEntry.Action.CHANGED, failed, changes=changes)
    today = timezone.localdate(now)
    return _call_instead(failed, due_on=on_or_after_working_day(today), why=why)


@transaction.atomic
def calls_instead_of_emails(*, ids: list[int]) -> int:
    """Due check-ins of people whose address failed become calls for whoever looks after
    them (the worker asks, in place of sending). Returns how many."""
    due = Touchpoint.objects.filter(
        pk__in=ids, state=Touchpoint.State.PLANNED, kind__in=SENT_BY_WORKER
    ).select_related("person", "placement__owner", "person__owner")
    turned = 0
    for touchpoint in due:
        before = tracked_values(touchpoint)
        reason = touchpoint.person.email_failed_reason or "the address does not work"
        touchpoint.kind = Kind.CALL
        touchpoint.title = CALL_INSTEAD.format(title=touchpoint.title)[:200]
        touchpoint.owner = call_owner(touchpoint.person, touchpoint.placement) or touchpoint.owner
        touchpoint.notes = f"Email failed: {reason}"[:1000]
        touchpoint.save(update_fields=["kind", "title", "owner", "notes"])
        record_changed(touchpoint, before)
        turned += 1
    return turned


# --- A colleague leaving -----------------------------------------------------------------


def work_to_hand_over(user: User) -> tuple[int, int]:
    """(active placements, planned calls and check-ins) still owned by `user`."""
    placements = Placement.objects.filter(owner=user, status__in=Placement.ACTIVE).count()
    planned = Touchpoint.objects.filter(owner=user, state=Touchpoint.State.PLANNED).count()
    return placements, planned


@transaction.atomic
def deactivate_user(*, user: User, by: User | None) -> User:
    """Stop `user` signing in: end their sessions and revoke their API tokens.

    Refused while they still own active placements or planned calls (hand them over
    first, so nothing is dropped) or cover a colleague today or later.
    """
    if by is not None and user.pk == by.pk:
        raise ValidationError("You cannot deactivate yourself; ask another admin to do it.")
    placements, planned = work_to_hand_over(user)
    if placements or planned:
        raise ValidationError(
            f"{user.display_name} still owns {placements} active "
            f"placement{'s' if placements != 1 else ''} and {planned} planned "
            f"call{'s' if planned != 1 else ''} or check-in{'s' if planned != 1 else ''}. "
            "Hand them over to a colleague first."
        )
    if Cover.objects.filter(colleague=user, ends_on__gte=timezone.localdate()).exists():
        raise ValidationError(
            f"{user.display_name} is covering for a colleague; end or change that cover first."
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    end_sessions(user)
    ApiToken.objects.filter(user=user).delete()
    return user
