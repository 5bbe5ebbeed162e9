"""Referrals: the list, a referral's page and its steps, rewards due and reward rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import admin_required, user_of
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.queries import get_person_for, visible_people
from keepwarm.lib.ids import parse_id
from keepwarm.lib.paginator import keyset_page
from keepwarm.network import queries, services
from keepwarm.network.forms import (
    AdvanceReferralForm,
    ReferralForm,
    ResolveForm,
    RewardRuleForm,
    StatementForm,
)
from keepwarm.network.models import Referral, RewardRule, StatusStatement

PAGE_SIZE = 50


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    qs = queries.visible_referrals(user).select_related("referrer", "referred", "owner")
    status = request.GET.get("status", "")
    if status in Referral.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    unsure = bool(request.GET.get("unsure"))
    if unsure:
        qs = qs.filter(referred__isnull=True)
    page = keyset_page(request, qs, PAGE_SIZE, order=("-received_at", "-id"))
    record_read(page, label=brief_label, people=queries.referral_people_shown)
    context = {
        "page_obj": page,
        "status": status,
        "statuses": Referral.Status.choices,
        "unsure": unsure,
    }
    return render(request, "network/referrals.html", context)


def _referral_context(request: HttpRequest, referral: Referral, **forms: Any) -> dict[str, Any]:
    user = user_of(request)
    today = timezone.localdate()
    candidates = list(queries.visible_people_among(user, referral.candidates.all()))
    hidden = referral.candidates.count() - len(candidates)
    new_label = (
        "Someone new: add them as a candidate"
        if referral.kind == Referral.Kind.CANDIDATE
        else "Someone new: add their record"
    )
    return {
        "referral": referral,
        "today": today,
        "reward_is_due": referral.reward_is_due(today=today),
        "advance_form": forms.get("advance_form")
        or AdvanceReferralForm(referral=referral, user=user),
        "candidates": candidates,
        "hidden_candidates": hidden,
        "resolve_form": forms.get("resolve_form")
        or ResolveForm(candidates=candidates, new_label=new_label),
    }


@login_required
def referral(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.get_referral_for(user_of(request), pk)
    return render(request, "network/referral.html", _referral_context(request, found))


@login_required
def referral_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        form = ReferralForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.receive_referral(
                    referrer=data["referrer"],
                    kind=data["kind"],
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    company_name=data["company_name"],
                    notes=data["notes"],
                    by=user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if created.referred_id is None and created.candidates.exists():
                    messages.warning(
                        request, "Saved. Keepwarm is not sure who this is: please say below."
                    )
                else:
                    messages.success(request, f"Saved the referral of {created.name}.")
                return redirect(created)
    else:
        initial: dict[str, Any] = {"kind": Referral.Kind.CANDIDATE}
        referrer_id = parse_id(request.GET.get("referrer", ""))
        if referrer_id is not None:
            person = visible_people(user).filter(pk=referrer_id).first()
            if person:
                initial["referrer"] = person.email or person.full_name
        form = ReferralForm(initial=initial, user=user)
    return render(request, "network/referral_form.html", {"form": form})


@login_required
@require_POST
def referral_advance(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_referral_for(user, pk)
    form = AdvanceReferralForm(request.POST, referral=found, user=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                placement = data.get("placement")
                services.advance_referral(
                    referral=found,
                    to=data["to"],
                    by=user,
                    placement_id=placement.pk if placement else None,
                    rule=data.get("rule"),
                    paid_on=data.get("paid_on"),
                )
        except ValidationError as exc:
            form.add_error(None, exc)
            found.refresh_from_db()
        else:
            messages.success(request, f"The referral is now “{found.get_status_display()}”.")
            return redirect(found)
    context = _referral_context(request, found, advance_form=form)
    return render(request, "network/referral.html", context, status=400)


@login_required
@require_POST
def referral_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_referral_for(user, pk)
    candidates = list(queries.visible_people_among(user, found.candidates.all()))
    form = ResolveForm(request.POST, candidates=candidates, new_label="Someone new")
    if form.is_valid():
        choice = form.cleaned_data["choice"]
        person = None if choice == "new" else next(p for p in candidates if str(p.pk) == choice)
        services.resolve_referral(referral=found, person=person, by=user)
        assert found.referred is not None
        messages.success(request, f"Linked the referral to {found.referred.full_name}.")
        return redirect(found)
    context = _referral_context(request, found, resolve_form=form)
    return render(request, "network/referral.html", context, status=400)


@login_required
def rewards_due(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    due = list(queries.rewards_due(user_of(request), today=today))
    record_read(due, label=brief_label, people=queries.referral_people_shown)
    return render(request, "network/rewards_due.html", {"due": due, "today": today})


@login_required
@require_POST
def person_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """Note what someone told a consultant about moving on, from their page."""
    found = get_person_for(user_of(request), pk)
    form = StatementForm(request.POST, prefix="statement")
    if form.is_valid():
        services.record_statement(
            person=found,
            status=form.cleaned_data["status"],
            contract_end_on=form.cleaned_data["contract_end_on"],
            source=StatusStatement.Source.CONSULTANT,
        )
        messages.success(request, f"Noted how things are for {found.full_name}.")
    else:
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, f"Not saved: {problems}")
    return redirect(found)


# --- Reward rules (admins) -----------------------------------------------------------------


admins_only = admin_required("Only admins set reward rules.")


@login_required
def reward_rules(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    rules = RewardRule.objects.order_by("kind", "name", "id")
    return render(request, "network/reward_rules.html", {"rules": rules, "can_edit": user.is_admin})


@admins_only
def reward_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_object_or_404(RewardRule, pk=pk) if pk else None
    if request.method == "POST":
        form = RewardRuleForm(request.POST, instance=instance)
        if form.is_valid():
            saved = form.save()
            messages.success(
                request,
                f"Saved the rule “{saved.name}”. Referrals already placed keep their reward.",
            )
            return redirect("reward_rules")
    else:
        form = RewardRuleForm(instance=instance)
    return render(request, "network/reward_rule_form.html", {"form": form, "rule": instance})
