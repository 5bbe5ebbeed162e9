"""The audit trail, searchable by managers and admins."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from keepwarm.accounts.access import manager_required
from keepwarm.audit.forms import AuditSearchForm
from keepwarm.audit.models import AuditEntry
from keepwarm.people.models import Person

PAGE_SIZE = 100


def _filtered(form: AuditSearchForm) -> QuerySet[AuditEntry]:
    found = AuditEntry.objects.all()
    if not form.is_valid():
        return found.none()
    data = form.cleaned_data
    if data["person"]:
        found = found.filter(person_id=data["person"])
    if data["actor"]:
        found = found.filter(actor=data["actor"])
    if data["action"]:
        found = found.filter(action=data["action"])
    if data["what"]:
        found = found.filter(object_repr__icontains=data["what"])
    zone = timezone.get_current_timezone()
    if data["since"]:
        found = found.filter(at__gte=dt.datetime.combine(data["since"], dt.time.min, zone))
    if data["until"]:
        end = dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time.min, zone)
        found = found.filter(at__lt=end)
    return found


@manager_required("Only managers and admins can read the audit trail.")
def audit_trail(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    if not request.GET:
        form = AuditSearchForm({})
    entries = _filtered(form)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    person_id = form.cleaned_data.get("person") if form.is_valid() else None
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    return render(
        request,
        "audit/audit_trail.html",
        {"form": form, "page_obj": page, "person": person, "person_id": person_id},
    )
