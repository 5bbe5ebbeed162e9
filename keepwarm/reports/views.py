"""Report pages, the dashboard of headline figures, and their CSV/XLSX downloads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import user_of
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.models import Audience
from keepwarm.care.queries import get_placement_for
from keepwarm.lib.exports import FORMATS, export_response
from keepwarm.reports import business, pages, queries, services
from keepwarm.reports.forms import RebatePaidForm, ReportFilterForm
from keepwarm.reports.pages.page import percent, period, share
from keepwarm.reports.pages.retention import retention_page
from keepwarm.reports.survival import HORIZONS


def _filters(request: HttpRequest, default_days: int) -> ReportFilterForm:
    return ReportFilterForm(
        request.GET,
        user=user_of(request),
        default_days=default_days,
        today=timezone.localdate(),
    )


@login_required
def report(request: HttpRequest, slug: str) -> HttpResponseBase:
    found = pages.REPORTS.get(slug)
    if found is None:
        raise Http404
    form = _filters(request, found.default_days)
    scope = form.scope()
    by = request.GET.get("by", "consultant")
    page = found.build(scope, by) if slug == "retention" else found.build(scope)
    fmt = request.GET.get("format", "")
    if fmt in FORMATS:
        name = request.GET.get("table") or next(iter(page.tables))
        table = page.tables.get(name)
        if table is None:
            raise Http404
        return export_response(fmt, name=f"{slug}-{name}", header=table.header, rows=table.rows)
    # After the downloads: an export is recorded as one (by the audit middleware).
    record_read(page.named, label=brief_label)
    query = scope.as_query()
    if slug == "retention":
        query["by"] = by
    context = {
        "report": found,
        "reports": pages.REPORTS.values(),
        "form": form,
        "scope": scope,
        "period": period(scope),
        "page": page,
        "query": urlencode(query),
        **page.extra,
    }
    if slug == "fall-offs":
        context["paid_form"] = RebatePaidForm(initial={"paid_on": timezone.localdate()})
    return render(request, f"reports/{slug}.html", context)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The headline figures of every report, each linking to its page."""
    form = _filters(request, 365)
    # Every card counts the one period the page states, whatever its own report's default.
    scope = form.scope()
    retention = queries.retention(scope)
    falls = queries.fall_offs(scope)
    discipline = queries.discipline(scope)
    due = sum(r.total for r in discipline)
    on_time = sum(r.on_time for r in discipline)
    nps = queries.nps(scope)
    alerts = queries.alerts(scope)
    network = business.network(scope)
    issues = business.newsletter_issues(scope, limit=1)
    retention_chart = retention_page(scope, data=retention).chart
    compared = sum(alerts.outcomes[k] for k in ("improved", "same", "worse"))
    context = {
        "form": form,
        "scope": scope,
        "period": period(scope),
        "reports": pages.REPORTS.values(),
        "query": urlencode(scope.as_query()),
        "retention_chart": retention_chart,
        "retention": [(h, percent(retention.overall.at(h))) for h in HORIZONS],
        "retention_placements": retention.overall.placements,
        "falls": falls,
        "fall_rate": percent(share(falls.inside, falls.placements)),
        "due": due,
        "on_time": percent(share(on_time, due)),
        "nps": [
            ("candidates", nps.overall[Audience.CANDIDATE]),
            ("clients", nps.overall[Audience.CLIENT]),
        ],
        "alerts_raised": alerts.total("raised"),
        "alerts_in_time": percent(share(alerts.total("in_time"), alerts.total("raised"))),
        "alerts_overdue": alerts.total("overdue"),
        "improved": alerts.outcomes["improved"],
        "compared": compared,
        "referrals": sum(r["received"] for r in network.referrals),
        "referrals_won": sum(r["won"] for r in network.referrals),
        "referral_fees": sum((r["revenue"] for r in network.referrals), 0),
        "leads": network.leads,
        "last_issue": issues[0] if issues else None,
    }
    return render(request, "reports/dashboard.html", context)


@login_required
@require_POST
def rebate_paid(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what was paid back for one placement (its owner, managers and admins)."""
    user = user_of(request)
    placement = get_placement_for(user, pk)
    if not (user.sees_whole_team or placement.owner_id == user.pk):
        raise PermissionDenied("Only the placement's owner, managers and admins record rebates.")
    form = RebatePaidForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None) or not back.startswith("/"):
        back = reverse("report", args=["fall-offs"])
    if form.is_valid():
        try:
            services.record_rebate_payment(placement=placement, by=user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(_messages(exc)))
        else:
            messages.success(request, f"Rebate paid recorded for {placement.person}.")
    else:
        errors: dict[str, Any] = form.errors
        messages.error(
            request, " ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in errors.items())
        )
    return redirect(back)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for errors in exc.message_dict.values() for m in errors]
    return [str(m) for m in exc.messages]
