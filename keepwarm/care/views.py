"""Today, logging calls, search, cover and handover, and care plans."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import BooleanField, Count, Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from keepwarm.accounts.access import admin_required, manager_required, user_of
from keepwarm.accounts.models import User
from keepwarm.agency.models import agency_settings
from keepwarm.audit.recording import record_people_read, record_read
from keepwarm.care import queries, services
from keepwarm.care.forms import (
    CoverForm,
    HandoverForm,
    LogTouchpointForm,
    PlanForm,
    PlanStepFormSet,
    SkipForm,
)
from keepwarm.care.models import CarePlan, Cover, PlanStep, Touchpoint
from keepwarm.care.rows import going_cold_rows_html, guarantee_rows_html, today_rows_html
from keepwarm.care.search import (
    PICKER_ORDER_OFF_INDEX,
    SEARCH_INDEX_IDS,
    FoundCompany,
    from_search_index,
    from_trigrams,
    search_companies,
    search_people,
)
from keepwarm.lib.ids import parse_id
from keepwarm.lib.search import match_sql
from keepwarm.people.models import Company, Person, Role
from keepwarm.people.pickers import PICKER_MATCHES, company_label, person_label
from keepwarm.people.rows import PersonBrief


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Today -------------------------------------------------------------------------

# The coldest first; a longer list stops being a to-do and becomes noise.
GOING_COLD_SHOWN = 12


@login_required
def today(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    day = timezone.localdate()
    work = queries.today_for(user, today=day, cold_shown=GOING_COLD_SHOWN)
    guarantee_ending = list(work.guarantee_ending)
    shown = [(t.person.pk, t.person.full_name) for t in work.due]
    shown += [(p.person.pk, p.person.full_name) for p in guarantee_ending]
    shown += [(c.person.pk, c.person.full_name) for c in work.going_cold]
    record_people_read(shown)
    covering = {u.pk for u in work.covering}
    # Each row's buttons come back here (as |urlencode would); worked out once, not per row.
    next_param = quote(request.get_full_path(), safe="/")

    def rows(calls: list[queries.DueCall]) -> SafeString:
        return today_rows_html(
            calls, user_pk=user.pk, today=day, covering_ids=covering, next_param=next_param
        )

    context = {
        "today": day,
        "overdue": work.overdue,
        "overdue_rows": rows(work.overdue),
        "due_today": work.due_today,
        "due_today_rows": rows(work.due_today),
        "next_call": work.next_call,
        "overdue_count": work.overdue_count,
        "due_today_count": work.due_today_count,
        "not_shown": work.not_shown,
        "emails_due": work.emails_due,
        "guarantee_ending": guarantee_ending,
        "guarantee_rows": guarantee_rows_html(guarantee_ending, today=day),
        "going_cold": work.going_cold,
        "going_cold_rows": going_cold_rows_html(work.going_cold),
        "going_cold_more": work.going_cold_count - len(work.going_cold),
        "covering": list(work.covering),
        "amber_days": agency_settings().amber_days,
        "next_param": next_param,
    }
    return render(request, "care/today.html", context)


DUE_PAGE_SIZE = 50


@login_required
def due(request: HttpRequest) -> HttpResponse:
    """Everything due by today, a page at a time: the calls Today leaves out, or (?emails=1)
    the check-in emails Keepwarm is about to send."""
    user = user_of(request)
    day = timezone.localdate()
    covering = services.covering_for(user, day=day)
    emails = request.GET.get("emails") == "1"
    work = queries.due_work(
        [user.pk, *(u.pk for u in covering)], today=day, sent_by_worker=emails
    ).select_related("person", "placement", "placement__company", "owner")
    page = Paginator(work, DUE_PAGE_SIZE).get_page(request.GET.get("page"))
    record_read({t.person_id: t.person for t in page}.values())
    context = {
        "page_obj": page,
        "emails": emails,
        "today": day,
        "covering_ids": {u.pk for u in covering},
        "next_param": quote(request.get_full_path(), safe="/"),
    }
    return render(request, "care/due.html", context)


def covering_ids(user: User, day: dt.date) -> set[int]:
    """Whose work `user` covers today, so a row can say "covering for Olivia"."""
    return {u.pk for u in services.covering_for(user, day=day)}


def _row(request: HtmxHttpRequest, touchpoint: Touchpoint, **extra: Any) -> HttpResponse:
    day = timezone.localdate()
    context = {
        "t": touchpoint,
        "today": day,
        "covering_ids": covering_ids(user_of(request), day),
        # Where a form in the row (a concern raised) returns to: the page the row is on.
        "back": (request.htmx.current_url_abs_path if request.htmx else None)
        or _next_url(request, "/"),
        **extra,
    }
    return render(request, "care/_touchpoint.html", context)


def logged_message(
    logged: Touchpoint, kind: str, person: Person, completes: Touchpoint | None = None
) -> str:
    """What logging a call did, in a line: done, open for a retry, or missed."""
    if logged.state == Touchpoint.State.PLANNED:
        outcome = logged.get_outcome_display()
        if logged.outcome == Touchpoint.Outcome.WRONG_NUMBER:
            return f"{outcome}: “{logged.title}” stays open until you reach {person.first_name}."
        return f"{outcome}: “{logged.title}” stays open; try again on {logged.due_on:%a %-d %b}."
    if logged.state == Touchpoint.State.MISSED:
        outcome = logged.get_outcome_display()
        return f"{outcome}: “{logged.title}” is now missed ({logged.skip_reason})."
    if completes is not None and logged.pk == completes.pk:
        return f"Logged: “{logged.title}” with {person.full_name} is done."
    return f"Logged your {kind} with {person.full_name}."


@login_required
def log_touchpoint(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Complete a due call (or other touchpoint): inline on Today via htmx, or as a page."""
    user = user_of(request)
    touchpoint = queries.get_touchpoint_for(user, pk)
    day = timezone.localdate()
    if touchpoint.state != Touchpoint.State.PLANNED or (request.htmx and request.GET.get("row")):
        # "row" is the inline form's Cancel: show the item again without the form.
        if request.htmx:
            return _row(request, touchpoint)
        messages.info(request, "That was already dealt with.")
        return redirect(_next_url(request, touchpoint.person.get_absolute_url()))
    if request.method == "POST":
        form = LogTouchpointForm(request.POST, today=day)
        if form.is_valid():
            try:
                done = services.log_touchpoint(
                    person=touchpoint.person,
                    by=user,
                    kind=touchpoint.kind,
                    outcome=form.cleaned_data["outcome"],
                    notes=form.cleaned_data["notes"],
                    placement=touchpoint.placement,
                    touchpoint=touchpoint,
                    next_action_on=form.cleaned_data["next_action_on"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                next_on = form.cleaned_data["next_action_on"]
                if request.htmx:
                    return _row(request, done, next_action_on=next_on)
                note = ""
                if next_on and done.state == Touchpoint.State.DONE:
                    note = f" Next call planned for {next_on:%-d %b}."
                said = logged_message(done, touchpoint.kind, done.person, touchpoint)
                messages.success(request, f"{said}{note}")
                return redirect(_next_url(request, "/"))
    else:
        form = LogTouchpointForm(today=day)
    if request.htmx:
        return _row(request, touchpoint, form=form, mode="log")
    context = {"t": touchpoint, "form": form, "next": _next_url(request, ""), "today": day}
    return render(request, "care/log_touchpoint.html", context)


@login_required
def skip_touchpoint(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    touchpoint = queries.get_touchpoint_for(user, pk)
    if touchpoint.state != Touchpoint.State.PLANNED:
        if request.htmx:
            return _row(request, touchpoint)
        return redirect(_next_url(request, touchpoint.person.get_absolute_url()))
    if request.method == "POST":
        form = SkipForm(request.POST)
        if form.is_valid():
            try:
                skipped = services.skip_touchpoint(
                    touchpoint=touchpoint, by=user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if request.htmx:
                    return _row(request, skipped)
                messages.success(request, f"Skipped: {skipped.title} with {skipped.person}.")
                return redirect(_next_url(request, "/"))
    else:
        form = SkipForm()
    if request.htmx:
        return _row(request, touchpoint, form=form, mode="skip")
    context = {"t": touchpoint, "form": form, "next": _next_url(request, "")}
    return render(request, "care/skip_touchpoint.html", context)


# --- Search ------------------------------------------------------------------------

LIVE_PEOPLE, LIVE_COMPANIES = 8, 4
# People found are listed by name; the id last, so namesakes keep one order.
SEARCH_ORDER = ("last_name", "first_name", "id")
NAME_FIELDS = ["first_name", "last_name"]
_M = TypeVar("_M", bound=Model)


def _match(qs: QuerySet[_M], query: str, name_fields: list[str]) -> QuerySet[_M]:
    """What was typed in a search box, as lib.search states it (the search page's own
    statement asks the same of people)."""
    table = connection.ops.quote_name(qs.model._meta.db_table)
    sql, params = match_sql(query, table, name_fields)
    # The condition is lib.search's, its columns quoted; what was typed is a parameter.
    return qs.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611


@login_required
def search(request: HtmxHttpRequest) -> HttpResponse:
    user = user_of(request)
    query = request.GET.get("q", "").strip()[:100]
    people: list[PersonBrief] = []
    companies: list[FoundCompany] = []
    if query:
        people = search_people(user, query, 25)
        companies = search_companies(query, 10)
    context: dict[str, Any] = {"search_query": query, "people": people, "companies": companies}
    if request.htmx and request.htmx.target == "live-results":
        context.update(people=people[:LIVE_PEOPLE], companies=companies[:LIVE_COMPANIES])
        context["more"] = len(people) > LIVE_PEOPLE or len(companies) > LIVE_COMPANIES
        record_people_read((p.pk, p.full_name) for p in context["people"])
        return render(request, "care/_search_results.html", context)
    record_people_read((p.pk, p.full_name) for p in people)
    return render(request, "care/search.html", context)


@login_required
def pick_people(request: HttpRequest) -> JsonResponse:
    """Matches as a person picker is typed in: only people this user may see; with
    `company`, only that company's client contacts (a placement's hiring manager)."""
    user = user_of(request)
    query = request.GET.get("q", "").strip()[:100]
    company = parse_id(request.GET.get("company"))
    contacts: QuerySet[Role] | None = None
    if request.GET.get("role") == Role.Kind.CLIENT_CONTACT or company is not None:
        contacts = Role.objects.filter(kind=Role.Kind.CLIENT_CONTACT)
        if company is not None:
            contacts = contacts.filter(company_id=company)

    gathered = from_search_index(user, query)

    def narrow(people: QuerySet[Person]) -> QuerySet[Person]:
        if contacts is not None:
            people = people.filter(id__in=contacts.values("person_id"))
        if gathered is not None:
            # A statement from code; what was typed is its parameter.
            people = people.filter(id__in=RawSQL(SEARCH_INDEX_IDS, [gathered]))  # noqa: S611
        return _match(people, query, NAME_FIELDS)

    found: list[Person] = []
    if query:
        order = PICKER_ORDER_OFF_INDEX if from_trigrams(user, query) else SEARCH_ORDER
        found = queries.first_visible_people(user, narrow, order, PICKER_MATCHES)
        record_read(found)
    results = [{"id": p.pk, "label": person_label(p)} for p in found]
    return JsonResponse({"results": results})


@login_required
def pick_companies(request: HttpRequest) -> JsonResponse:
    """Matches as a company picker is typed in."""
    query = request.GET.get("q", "").strip()[:100]
    found: list[Company] = []
    if query:
        found = list(
            _match(Company.objects.all(), query, ["name"]).order_by("name", "id")[:PICKER_MATCHES]
        )
    return JsonResponse({"results": [{"id": c.pk, "label": company_label(c)} for c in found]})


# --- Cover and handover --------------------------------------------------------------


def _covers_for(user: User, day: dt.date) -> QuerySet[Cover]:
    covers = Cover.objects.filter(ends_on__gte=day).select_related("absent", "colleague")
    if not user.sees_whole_team:
        covers = covers.filter(Q(absent=user) | Q(colleague=user))
    return covers.order_by("starts_on")


def _passes_on(covers: QuerySet[Cover]) -> dict[int, str]:
    """For each cover whose colleague is away during it: who the work passes on to."""
    notes: dict[int, str] = {}
    for c in covers:
        away = (
            Cover.objects.filter(
                absent=c.colleague_id, starts_on__lte=c.ends_on, ends_on__gte=c.starts_on
            )
            .exclude(pk=c.pk)
            .select_related("colleague")
            .first()
        )
        if away is not None:
            notes[c.pk] = (
                f"{c.colleague.display_name} is away {away.starts_on:%-d %b}–"
                f"{away.ends_on:%-d %b}: the work passes on to {away.colleague.display_name}"
            )
    return notes


def _set_cover(form: CoverForm, user: User) -> Cover | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.set_cover(
            absent=data["absent"],
            colleague=data["colleague"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            by=user,
            note=data["note"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@login_required
def cover(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    day = timezone.localdate()
    initial = {"starts_on": day, "ends_on": day}
    form = CoverForm(user=user, initial=initial)
    offer = CoverForm(user=user, offer=True, initial=initial, prefix="offer")
    if request.method == "POST":
        offering = "offer-starts_on" in request.POST
        if offering:
            offer = CoverForm(request.POST, user=user, offer=True, prefix="offer")
        else:
            form = CoverForm(request.POST, user=user)
        made = _set_cover(offer if offering else form, user)
        if made is not None:
            messages.success(
                request,
                f"{made.colleague.display_name} covers {made.absent.display_name} "
                f"from {made.starts_on:%-d %b} to {made.ends_on:%-d %b %Y}.",
            )
            return redirect("cover")
    covers = _covers_for(user, day)
    context = {
        "form": form,
        "offer_form": offer if not user.sees_whole_team else None,
        "covers": covers,
        "passes_on": _passes_on(covers),
        "today": day,
    }
    return render(request, "care/cover.html", context)


@login_required
@require_POST
def cover_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    day = timezone.localdate()
    found = get_object_or_404(_covers_for(user, day), pk=pk)
    if not user.sees_whole_team and found.absent != user and found.colleague != user:
        raise PermissionDenied
    try:
        services.end_cover(cover=found, by=user, today=day)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Cover ended.")
    return redirect("cover")


@manager_required("Only managers hand over a consultant's placements.")
def handover(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        form = HandoverForm(request.POST)
        if form.is_valid():
            src, dst = form.cleaned_data["from_user"], form.cleaned_data["to_user"]
            try:
                moved = services.hand_over(
                    from_user=src, to_user=dst, by=user, today=timezone.localdate()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    f"Handed over {moved} placement{'s' if moved != 1 else ''} from "
                    f"{src.display_name} to {dst.display_name}, with their future calls.",
                )
                return redirect("handover")
    else:
        form = HandoverForm()
    return render(request, "care/handover.html", {"form": form})


# --- Care plans (admins) ----------------------------------------------------------------


admins_only = admin_required("Only admins edit care plans.")


@admins_only
def plans(request: HttpRequest) -> HttpResponse:
    all_plans = CarePlan.objects.annotate(step_count=Count("steps")).order_by("name")
    return render(request, "care/plans.html", {"plans": all_plans})


@admins_only
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(CarePlan, pk=pk)
    return render(request, "care/plan.html", {"plan": found, "steps": found.steps.all()})


@admins_only
def plan_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_object_or_404(CarePlan, pk=pk) if pk else None
    if request.method == "POST":
        form = PlanForm(request.POST, instance=instance)
        formset = PlanStepFormSet(request.POST, instance=instance or CarePlan(), prefix="steps")
        if form.is_valid() and formset.is_valid():
            with transaction.atomic():
                saved = form.save()
                if saved.is_default:
                    CarePlan.objects.filter(
                        placement_kind=saved.placement_kind, is_default=True
                    ).exclude(pk=saved.pk).update(is_default=False)
                formset.instance = saved
                formset.save()
            messages.success(
                request,
                f"Saved “{saved.name}”. New placements get these steps; "
                "existing placements keep the steps they were given.",
            )
            return redirect("plan", pk=saved.pk)
    else:
        form = PlanForm(instance=instance)
        formset = PlanStepFormSet(instance=instance or CarePlan(), prefix="steps")
    context = {"form": form, "formset": formset, "plan": instance}
    return render(request, "care/plan_edit.html", context)


@admins_only
@require_POST
def plan_copy(request: HttpRequest, pk: int) -> HttpResponse:
    original = get_object_or_404(CarePlan, pk=pk)
    name = f"Copy of {original.name}"
    suffix = 2
    while CarePlan.objects.filter(name=name).exists():
        name = f"Copy of {original.name} ({suffix})"
        suffix += 1
    with transaction.atomic():
        copy = CarePlan.objects.create(
            name=name,
            description=original.description,
            placement_kind=original.placement_kind,
            is_default=False,
        )
        steps = list(original.steps.all())
        for step in steps:
            step.pk = None
            step.plan = copy
        PlanStep.objects.bulk_create(steps)
    messages.success(request, f"Copied “{original.name}”. Rename it and change its steps.")
    return redirect("plan_edit", pk=copy.pk)
