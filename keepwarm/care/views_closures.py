"""Working days: bank holidays and the agency's own closures, kept by managers and admins."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import manager_required, user_of
from keepwarm.care import services
from keepwarm.care.forms import ClosureForm
from keepwarm.care.models import Closure
from keepwarm.lib.working_days import agency_calendar, bank_holiday

managers_only = manager_required("Only managers and admins change the agency's working days.")


def _coming_bank_holidays(today: dt.date) -> list[tuple[dt.date, str]]:
    found = []
    for offset in range(366):
        day = today + dt.timedelta(days=offset)
        name = bank_holiday(day)
        if name:
            found.append((day, name))
    return found


@managers_only
def working_days(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if request.method == "POST":
        form = ClosureForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = services.add_closure(
                    first_day=data["first_day"],
                    last_day=data["last_day"],
                    reason=data["reason"],
                    by=user_of(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    f"Closed {made.first_day:%-d %b %Y} to {made.last_day:%-d %b %Y}: "
                    "calls and emails due then move to the next working day.",
                )
                return redirect("working_days")
    else:
        form = ClosureForm()
    context = {
        "form": form,
        "closures": Closure.objects.filter(last_day__gte=today),
        "bank_holidays": _coming_bank_holidays(today),
        "country": agency_calendar().country,
        "subdivision": agency_calendar().subdivision,
    }
    return render(request, "care/working_days.html", context)


@managers_only
@require_POST
def closure_remove(request: HttpRequest, pk: int) -> HttpResponse:
    closure = get_object_or_404(Closure, pk=pk)
    services.remove_closure(closure=closure, by=user_of(request))
    messages.success(request, f"{closure.reason} removed: those days are working days again.")
    return redirect("working_days")
