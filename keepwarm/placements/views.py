"""Placements: list, page, create, edit and recording how one ended."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import user_of
from keepwarm.audit.concurrency import EditConflict, conflict_message, with_current_version
from keepwarm.audit.recording import record_read
from keepwarm.care import queries
from keepwarm.care.forms import team
from keepwarm.care.models import Touchpoint
from keepwarm.care.services import placements as placing
from keepwarm.care.services.placements import PLACEMENT_ENDED, NotAllowed
from keepwarm.care.templatetags.keepwarm import money
from keepwarm.care.views import covering_ids
from keepwarm.lib.ids import parse_id
from keepwarm.lib.paginator import keyset_page
from keepwarm.placements.forms import OutcomeForm, PlacementEditForm, PlacementForm, TargetFormSet
from keepwarm.placements.models import Placement
from keepwarm.signals import queries as signals_queries

PAGE_SIZE = 50
# Planned steps the placement page shows before "show all".
NEXT_STEPS = 5


@login_required
def placements(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    qs = queries.visible_placements(user).select_related("person", "company", "owner")
    status = request.GET.get("status", "")
    if status == "active":
        qs = qs.filter(status__in=Placement.ACTIVE)
    elif status in Placement.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    owner = request.GET.get("owner", "")
    owner_id = parse_id(owner)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    else:
        owner = ""
    page = keyset_page(request, qs, PAGE_SIZE, order=("-start_date", "-id"))
    record_read(page)
    context = {
        "page_obj": page,
        "status": status,
        "statuses": Placement.Status.choices,
        "owner": owner,
        "owners": team(),
        "today": timezone.localdate(),
    }
    return render(request, "placements/placements.html", context)


@login_required
def placement(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_placement_for(user, pk)
    touchpoints = found.touchpoints.select_related("person", "owner", "done_by").order_by(
        "due_on", "id"
    )
    planned = [t for t in touchpoints if t.state == Touchpoint.State.PLANNED]
    past = [t for t in touchpoints if t.state != Touchpoint.State.PLANNED]
    # The steps an ending called off are one line, not one row each at dates years ahead.
    called_off = [t for t in past if t.skip_reason == PLACEMENT_ENDED]
    # Newest first by the day each happened, grouped by month in the page.
    history = sorted(
        (t for t in past if t.skip_reason != PLACEMENT_ENDED),
        key=lambda t: (t.happened_on, t.pk),
        reverse=True,
    )
    context = {
        "placement": found,
        "targets": found.targets.all(),
        # What is next first; the years of keep-in-touch calls behind "show all".
        "next_steps": planned[:NEXT_STEPS],
        "later_steps": planned[NEXT_STEPS:],
        "planned_count": len(planned),
        "last_planned_on": planned[-1].due_on if planned else None,
        "history": history,
        "called_off": called_off,
        "today": timezone.localdate(),
        "is_active": found.status in Placement.ACTIVE,
        "covering_ids": covering_ids(user, timezone.localdate()),
        "shows_money": found.shows_money_to(user),
        "replacement_choices": _replacement_choices(user, found),
        "risk_panel": signals_queries.risk_panel(found),
    }
    return render(request, "placements/placement.html", context)


def _replacement_choices(user: Any, placement: Placement) -> list[Placement]:
    """The client's later placements that could be the free replacement owed."""
    if not placement.replacement_owed or placement.left_on is None:
        return []
    return list(
        queries.visible_placements(user)
        .filter(company_id=placement.company_id, start_date__gte=placement.left_on)
        .exclude(pk=placement.pk)
        .filter(replaces__isnull=True)
        .select_related("person")
        .order_by("start_date")[:50]
    )


@login_required
@require_POST
def placement_replacement(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_placement_for(user, pk)
    chosen = parse_id(request.POST.get("replacement", ""))
    replacement = queries.visible_placements(user).filter(pk=chosen).first() if chosen else None
    if replacement is None:
        messages.error(request, "Choose the placement that replaces this one.")
        return redirect("placement", pk=pk)
    try:
        placing.link_replacement(placement=found, replacement=replacement, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{replacement.person.full_name} is the free replacement: nothing more is owed.",
        )
    return redirect("placement", pk=pk)


def _targets(formset: Any) -> list[dict[str, Any]]:
    """The targets the formset keeps, each with the id of the one it edits (if any)."""
    rows = []
    for form in formset.forms:
        if form.cleaned_data and not form.cleaned_data.get("DELETE"):
            row = {k: form.cleaned_data[k] for k in ("name", "target_value", "unit", "period")}
            rows.append({**row, "id": form.instance.pk})
    return rows


@login_required
def placement_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    people = queries.visible_people(user)
    if request.method == "POST":
        form = PlacementForm(request.POST, people=people)
        formset = TargetFormSet(request.POST, instance=Placement(), prefix="targets")
        if form.is_valid() and formset.is_valid():
            data = dict(form.cleaned_data)
            fields = {k: v for k, v in data.items() if k not in ("person", "company", "owner")}
            fields.pop("plan", None)
            role_title, start_date = fields.pop("role_title"), fields.pop("start_date")
            try:
                made = placing.create_placement(
                    by=user,
                    person=data["person"],
                    company=data["company"],
                    owner=data["owner"],
                    role_title=role_title,
                    start_date=start_date,
                    plan=data.get("plan"),
                    targets=_targets(formset),
                    **fields,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    f"Placed {made.person.full_name} at {made.company.name}. "
                    "Their care plan is laid out below.",
                )
                return redirect(made)
    else:
        initial: dict[str, Any] = {"owner": user}
        for name in ("person", "company"):
            value = parse_id(request.GET.get(name, ""))
            if value is not None:
                initial[name] = value
        form = PlacementForm(people=people, initial=initial)
        formset = TargetFormSet(instance=Placement(), prefix="targets")
    context = {"form": form, "formset": formset, "placement": None}
    return render(request, "placements/placement_form.html", context)


@login_required
def placement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_placement_for(user, pk)
    people = queries.visible_people(user)
    conflict: EditConflict | None = None
    if request.method == "POST":
        form = PlacementEditForm(request.POST, instance=found, people=people, user=user)
        formset = TargetFormSet(request.POST, instance=found, prefix="targets")
        if form.is_valid() and formset.is_valid():
            try:
                done = placing.update_placement(
                    placement=found,
                    by=user,
                    expected_version=form.cleaned_data.get("version"),
                    changes=form.changes(),
                    start_date=form.cleaned_data["start_date"],
                    owner=form.cleaned_data["owner"],
                    targets=_targets(formset),
                )
            except EditConflict as stale:
                conflict = stale
                data = with_current_version(request.POST, stale)
                current = queries.get_placement_for(user, pk)
                form = PlacementEditForm(data, instance=current, people=people, user=user)
                formset = TargetFormSet(data, instance=current, prefix="targets")
                form.is_valid()
                form.add_error(None, conflict_message(stale))
            except NotAllowed as refused:
                field = refused.field if refused.field in form.fields else None
                form.add_error(field, refused.message)
            else:
                messages.success(request, f"Saved the placement.{_update_note(done)}")
                return redirect(done.placement)
    else:
        form = PlacementEditForm(instance=found, people=people, user=user)
        formset = TargetFormSet(instance=found, prefix="targets")
    context = {"form": form, "formset": formset, "placement": found, "conflict": conflict}
    return render(request, "placements/placement_form.html", context)


def _update_note(done: placing.PlacementUpdate) -> str:
    note = ""
    if done.steps_moved is not None:
        steps = "step" if done.steps_moved == 1 else "steps"
        note += f" Start date moved; {done.steps_moved} planned {steps} moved with it."
    if done.handed_to is not None:
        note += f" Handed over to {done.handed_to.display_name}."
    return note


@login_required
def placement_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a fall-off or early leaver; the rebate owed comes from the scale."""
    user = user_of(request)
    found = queries.get_placement_for(user, pk)
    day = timezone.localdate()
    if request.method == "POST":
        form = OutcomeForm(request.POST, placement=found, today=day)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ended = placing.record_placement_outcome(
                    placement=found,
                    status=data["status"],
                    left_on=data["left_on"],
                    reason=data["reason"],
                    notes=data["notes"],
                    by=user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                owed = f" Rebate owed: {_money(ended)}." if ended.shows_money_to(user) else ""
                messages.warning(
                    request,
                    f"Recorded: {ended.get_status_display().lower()} on {ended.left_on:%-d %b %Y}."
                    f"{owed} Future planned check-ins were cancelled.",
                )
                return redirect(ended)
    else:
        form = OutcomeForm(placement=found, today=day, initial={"left_on": day})
    context = {
        "placement": found,
        "form": form,
        "rebate_if_today": found.rebate_for(day),
        "today": day,
        "shows_money": found.shows_money_to(user),
    }
    return render(request, "placements/outcome.html", context)


def _money(placement: Placement) -> str:
    return money(placement.rebate_owed, placement.currency)
