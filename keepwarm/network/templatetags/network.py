"""The network's parts of the person and company pages, as includes that fetch their data."""

from __future__ import annotations

from typing import Any

from django import template

from keepwarm.network import queries
from keepwarm.network.forms import StatementForm
from keepwarm.network.models import Lead, Referral, Vacancy

register = template.Library()


@register.simple_tag
def person_network(person: Any) -> dict[str, Any]:
    """Referrals made and received (attribution both ways), leads given, latest statement."""
    referrals = Referral.objects.select_related("referrer", "referred").order_by("-received_at")
    return {
        "referred_by": list(referrals.filter(referred=person)),
        "referrals_made": list(referrals.filter(referrer=person)[:20]),
        "leads_given": list(
            Lead.objects.filter(source=person)
            .select_related("company")
            .order_by("-received_at")[:20]
        ),
        "statement": queries.latest_statement(person),
        "statement_form": StatementForm(prefix="statement"),
    }


@register.simple_tag
def company_network(company: Any) -> dict[str, Any]:
    """What we know about the company, hiring managers once placed, open vacancies."""
    return {
        "intel": list(queries.what_we_know(company)[:20]),
        "once_placed": list(queries.hiring_managers_once_placed(company).order_by("last_name")),
        "vacancies": list(
            Vacancy.objects.filter(company=company, status=Vacancy.Status.OPEN).order_by(
                "-created_at"
            )[:20]
        ),
        "leads": list(Lead.objects.filter(company=company).select_related("source")[:10]),
    }
