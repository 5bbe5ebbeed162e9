"""At risk, alerts (list, read, close) and the admin's risk weights."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import manager_required, user_of
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.forms import team
from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import due_calls_for, get_placement_for
from keepwarm.care.views import _next_url, logged_message
from keepwarm.lib.ids import parse_id
from keepwarm.network.queries import ready_among
from keepwarm.signals import features, queries
from keepwarm.signals.forms import (
    CallAndCloseForm,
    CloseAlertForm,
    ConcernForm,
    EscalationForm,
    RiskSettingsForm,
)
from keepwarm.signals.models import Alert, RiskSettings, Signal
from keepwarm.signals.services import actions, concerns
from keepwarm.signals.services.alerts import escalation_hours
from keepwarm.signals.services.fitting import fit_risk_model, quality
from keepwarm.signals.services.risk import (
    alert_cutoff,
    latest_fitted_model,
    model_in_use,
    save_risk_settings,
)

PAGE_SIZE = 50


@login_required
def at_risk(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    risks = queries.at_risk(user)
    page = Paginator(risks, PAGE_SIZE).get_page(request.GET.get("page"))
    record_read(risk.placement for risk in page)
    # Who may be open to another role if they cannot be kept (past their off-limits months).
    ready = ready_among([risk.placement.person_id for risk in page])
    for risk in page:
        risk.ready_score = ready.get(risk.placement.person_id)  # type: ignore[attr-defined]
    fitted = latest_fitted_model()
    context = {
        "page_obj": page,
        "fitted": fitted,
        "threshold": alert_cutoff(),
    }
    return render(request, "signals/at_risk.html", context)


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    now = timezone.now()
    state = request.GET.get("state", "open")
    if state not in ("open", "overdue", "closed", "all"):
        state = "open"
    owner = request.GET.get("owner", "")
    owner_id = parse_id(owner)
    found = queries.filter_alerts(
        queries.visible_alerts(user),
        now=now,
        state="" if state == "all" else state,
        owner_id=owner_id,
    )
    order = ("-closed_at", "-id") if state == "closed" else ("due_at", "id")
    page = Paginator(found.order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    record_read(page, label=brief_label, people=queries.alert_people_shown)
    open_alerts = queries.filter_alerts(queries.visible_alerts(user), now=now, state="open")
    context = {
        "escalation_form": EscalationForm(instance=RiskSettings.current())
        if user.sees_whole_team
        else None,
        "escalation_hours": escalation_hours(),
        "page_obj": page,
        "state": state,
        "owner": owner if owner_id is not None else "",
        "owners": team() if user.sees_whole_team else [],
        "now": now,
        "open_count": open_alerts.count(),
        "overdue_count": open_alerts.filter(due_at__lt=now).count(),
    }
    return render(request, "signals/alerts.html", context)


@login_required
def alert(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_alert_for(user, pk)
    return _alert_page(request, found)


def _alert_page(
    request: HttpRequest,
    found: Alert,
    *,
    form: CloseAlertForm | None = None,
    call_form: CallAndCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    risk = getattr(found.placement, "risk", None)
    person = found.placement.person
    day = timezone.localdate()
    context = {
        "alert": found,
        "form": form or CloseAlertForm(),
        "call_form": call_form or CallAndCloseForm(),
        "concern_form": ConcernForm(),
        "reasons": actions.CONCERN_REASONS,
        "person": person,
        # The call this one completes, when one is due with them.
        "due_call": due_calls_for(user_of(request), person, today=day).first(),
        "risk": risk,
        "now": timezone.now(),
        "signals": Signal.objects.filter(placement=found.placement, active=True).order_by(
            "-observed_on", "-id"
        )[:20],
    }
    return render(request, "signals/alert.html", context, status=status)


@login_required
@require_POST
def close_alert(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_alert_for(user, pk)
    form = CloseAlertForm(request.POST)
    if form.is_valid():
        try:
            concerns.close_alert(alert=found, by=user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, "Alert closed. If the next answers are still poor, it comes back."
            )
            return redirect("alerts")
    return _alert_page(request, found, form=form, status=422)


@login_required
@require_POST
def call_and_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Log call and close, in one step: the note is the call's, on the timeline."""
    user = user_of(request)
    found = queries.get_alert_for(user, pk)
    form = CallAndCloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            closed, call = actions.call_about_alert(
                alert=found, by=user, outcome=data["outcome"], note=data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            person = found.placement.person
            if not closed.is_open:
                messages.success(
                    request, f"Call with {person.full_name} logged and the alert closed."
                )
                return redirect("alerts")
            said = logged_message(call, "call", person)
            if call.state == Touchpoint.State.DONE:
                said = f"Logged: {call.get_outcome_display()}."
            messages.info(request, f"{said} The alert stays open until you reach them.")
            return redirect("alert", pk=found.pk)
    return _alert_page(request, found, call_form=form, status=422)


@login_required
@require_POST
def raise_concern(request: HttpRequest, pk: int) -> HttpResponse:
    """A concern raised about a placement (from Today, the person page or the alert)."""
    user = user_of(request)
    placement = get_placement_for(user, pk)
    form = ConcernForm(request.POST)
    back = _next_url(request, placement.person.get_absolute_url())
    if not form.is_valid():
        messages.error(request, "Choose what worries you.")
        return redirect(back)
    try:
        actions.raise_concern(
            placement=placement,
            by=user,
            reason=form.cleaned_data["reason"],
            detail=form.cleaned_data["detail"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    risk = queries.risk_for(user, placement.pk)
    score = f" Fall-off risk now {risk.score}." if risk is not None else ""
    messages.success(request, f"Concern about {placement.person.full_name} raised.{score}")
    return redirect(back)


@manager_required("Only managers set when alerts escalate.")
@require_POST
def escalation(request: HttpRequest) -> HttpResponse:
    form = EscalationForm(request.POST, instance=RiskSettings.current())
    if form.is_valid():
        save_risk_settings(form=form)  # on the audit trail like every settings change
        messages.success(
            request,
            f"Alerts now escalate to the managers {escalation_hours()} hours after they fall due.",
        )
    else:
        errors = form.errors.get("escalate_after_hours") or ["Choose a number of hours."]
        messages.error(request, " ".join(str(e) for e in errors))
    return redirect("alerts")


managers_only = manager_required("Only managers and admins set the alert level.")


@managers_only
def weights(request: HttpRequest) -> HttpResponse:
    """How the score is made (built-in priors and the fitted model, with its quality),
    and the alert level, with the precision to expect from the agency's own history."""
    settings_row = RiskSettings.current()
    if request.method == "POST":
        settings_form = RiskSettingsForm(request.POST, instance=settings_row)
        if settings_form.is_valid():
            save_risk_settings(form=settings_form)
            messages.success(request, "Alert level saved. Alerts open as new answers arrive.")
            return redirect("risk_weights")
        status = 422
    else:
        settings_form = RiskSettingsForm(instance=settings_row)
        status = 200
    fitted = latest_fitted_model()
    in_use = model_in_use()
    coefficients = fitted.coefficients if fitted else {}
    table = [
        {
            "name": name,
            "label": features.FACTOR_LABELS.get(name, name),
            "prior": prior,
            "coefficient": coefficients.get(name),
        }
        for name, prior in features.PRIORS.items()
    ]
    context = {
        "settings_form": settings_form,
        "table": table,
        "fitted": fitted,
        "in_use": in_use,
        "settings_row": settings_row,
        "quality": quality(in_use or fitted),
        "intercept": features.INTERCEPT,
    }
    return render(request, "signals/weights.html", context, status=status)


@managers_only
@require_POST
def fit_now(request: HttpRequest) -> HttpResponse:
    fitted = fit_risk_model()
    if fitted is None:
        need = RiskSettings.current().min_outcomes
        messages.warning(
            request,
            f"Not enough outcomes yet: a model needs {need} check-in points followed by a "
            f"fall-off and {need} followed by six more months in the job.",
        )
    else:
        messages.success(request, f"Fitted on {fitted.n_outcomes} outcomes (AUC {fitted.auc:.2f}).")
    return redirect("risk_weights")
