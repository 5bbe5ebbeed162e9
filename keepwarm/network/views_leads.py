"""Leads (and turning one into a company and a vacancy) and intelligence notes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import user_of
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.queries import visible_people
from keepwarm.lib.ids import parse_id
from keepwarm.lib.paginator import keyset_page
from keepwarm.network import queries, services
from keepwarm.network.forms import (
    ConvertLeadForm,
    IntelNoteForm,
    LeadForm,
    ResolveForm,
    company_names,
)
from keepwarm.network.models import Lead
from keepwarm.people.models import Company

PAGE_SIZE = 50


@login_required
def leads(request: HttpRequest) -> HttpResponse:
    qs = queries.visible_leads(user_of(request)).select_related("source", "company", "owner")
    status = request.GET.get("status", "")
    if status in Lead.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = keyset_page(request, qs, PAGE_SIZE, order=("-received_at", "-id"))
    record_read(page, label=brief_label, people=queries.lead_people_shown)
    context = {"page_obj": page, "status": status, "statuses": Lead.Status.choices}
    return render(request, "network/leads.html", context)


def _lead_context(request: HttpRequest, lead: Lead, **forms: Any) -> dict[str, Any]:
    user = user_of(request)
    candidates = list(queries.visible_people_among(user, lead.contact_candidates.all()))
    convert_initial = {
        "company_name": lead.company_name,
        "title": lead.role_hint,
        "add_contact": True,
    }
    return {
        "lead": lead,
        "convert_form": forms.get("convert_form") or ConvertLeadForm(initial=convert_initial),
        "candidates": candidates,
        "hidden_candidates": lead.contact_candidates.count() - len(candidates),
        "resolve_form": forms.get("resolve_form")
        or ResolveForm(candidates=candidates, new_label="Someone new: add them on conversion"),
    }


@login_required
def lead(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.get_lead_for(user_of(request), pk)
    return render(request, "network/lead.html", _lead_context(request, found))


@login_required
def lead_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        form = LeadForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.receive_lead(
                    source=data["source"],
                    company_name=data["company_name"],
                    contact_name=data["contact_name"],
                    contact_email=data["contact_email"],
                    contact_phone=data["contact_phone"],
                    role_hint=data["role_hint"],
                    notes=data["notes"],
                    by=user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Saved the lead at {created.company_name}.")
                return redirect(created)
    else:
        initial: dict[str, Any] = {}
        source_id = parse_id(request.GET.get("source", ""))
        if source_id is not None:
            person = visible_people(user).filter(pk=source_id).first()
            if person:
                initial["source"] = person.email or person.full_name
        form = LeadForm(initial=initial, user=user)
    return render(request, "network/lead_form.html", {"form": form})


@login_required
@require_POST
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """One action: the lead becomes a company, a vacancy and (if named) a client contact."""
    user = user_of(request)
    found = queries.get_lead_for(user, pk)
    form = ConvertLeadForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            converted = services.convert_lead(
                lead=found,
                by=user,
                company_name=data["company_name"],
                title=data["title"],
                sector=data["sector"],
                location=data["location"],
                add_contact=data["add_contact"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            assert converted.vacancy is not None
            messages.success(
                request,
                f"Converted: {converted.vacancy.title} at {converted.vacancy.company.name}.",
            )
            return redirect(converted.vacancy)
    context = _lead_context(request, found, convert_form=form)
    return render(request, "network/lead.html", context, status=400)


@login_required
@require_POST
def lead_discard(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.get_lead_for(user_of(request), pk)
    try:
        services.discard_lead(lead=found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Lead discarded.")
    return redirect(found)


@login_required
@require_POST
def lead_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_lead_for(user, pk)
    candidates = list(queries.visible_people_among(user, found.contact_candidates.all()))
    form = ResolveForm(request.POST, candidates=candidates, new_label="Someone new")
    if form.is_valid():
        choice = form.cleaned_data["choice"]
        person = None if choice == "new" else next(p for p in candidates if str(p.pk) == choice)
        services.resolve_lead_contact(lead=found, person=person)
        messages.success(
            request,
            f"The contact is {person.full_name}." if person else "The contact is someone new.",
        )
        return redirect(found)
    context = _lead_context(request, found, resolve_form=form)
    return render(request, "network/lead.html", context, status=400)


# --- Intelligence ---------------------------------------------------------------------------


@login_required
def intel(request: HttpRequest) -> HttpResponse:
    """Every note, newest first, filtered by a company or sector; and a form to add one."""
    user = user_of(request)
    notes = queries.intel_notes(user).select_related("company", "source_person", "author")
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if query:
        about = Q(company__name__icontains=query) | Q(sector__icontains=query)
        notes = notes.filter(about | Q(body__icontains=query))
    if request.method == "POST":
        form = IntelNoteForm(request.POST, user=user)
        if form.is_valid():
            note = form.save(commit=False)
            note.author = user
            note.save()
            messages.success(request, "Noted.")
            return redirect(note.company.get_absolute_url() if note.company else "intel")
    else:
        initial: dict[str, Any] = {"noted_on": timezone.localdate()}
        company_id = parse_id(request.GET.get("company", ""))
        if company_id is not None:
            company = Company.objects.filter(pk=company_id).first()
            if company:
                initial.update(company=company.name, sector=company.sector)
        form = IntelNoteForm(initial=initial, user=user)
    notes = notes.order_by("-noted_on", "-id")
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    record_read(page, label=brief_label, people=queries.intel_people_shown)
    context = {"page_obj": page, "form": form, "q": query, "company_names": company_names()}
    return render(request, "network/intel.html", context, status=400 if form.errors else 200)
