"""The audit trail, searchable by managers and admins."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
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


ERASED = "Erased person"


def _kind(object_type: str) -> str:
    """ "people.person" -> "Person", from the model's own name (no query)."""
    try:
        name = str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = object_type.replace("_", " ")
    return name[:1].upper() + name[1:]


def entry_labels(entries: list[AuditEntry]) -> dict[int, str]:
    """What each entry is about, as a person reads it: "Person: Amelia Jones", "Placement:
    Amelia Jones — Sales at Acme". The names come from the entry (written with it) and, for
    entries that only noted a number, from the people they concern: one query for the
    page. Someone erased on request is never named again."""
    ids = {e.person_id for e in entries if e.person_id is not None}
    people = {
        pk: (f"{first} {last}".strip(), erased is not None)
        for pk, first, last, erased in Person.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name", "erased_at"
        )
    }
    labels: dict[int, str] = {}
    for e in entries:
        kind = _kind(e.object_type)
        name, erased = people.get(e.person_id, ("", False)) if e.person_id else ("", False)
        brief = not e.object_repr or e.object_repr.endswith(f"#{e.object_id}")
        if erased or e.object_repr.startswith("Erased #"):
            labels[e.pk] = ERASED if e.object_type == "people.person" else f"{kind} ({ERASED})"
        elif not brief:
            labels[e.pk] = f"{kind}: {e.object_repr}"
        elif e.object_type == "people.person" and name:
            labels[e.pk] = f"{kind}: {name}"
        elif name:
            labels[e.pk] = f"{kind} about {name}"
        else:
            labels[e.pk] = f"{kind} #{e.object_id}" if e.object_id else kind
    return labels


@manager_required("Only managers and admins can read the audit trail.")
def audit_trail(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    if not request.GET:
        form = AuditSearchForm({})
    entries = _filtered(form)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    person_id = form.cleaned_data.get("person") if form.is_valid() else None
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    labels = entry_labels(list(page))
    rows = [(entry, labels[entry.pk]) for entry in page]
    return render(
        request,
        "audit/audit_trail.html",
        {"form": form, "page_obj": page, "rows": rows, "person": person, "person_id": person_id},
    )
