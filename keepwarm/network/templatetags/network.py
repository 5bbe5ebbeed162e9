"""The network's parts of the person and company pages, as includes that fetch their data."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import Context

from keepwarm.care.queries import visible_people
from keepwarm.network import queries
from keepwarm.network.forms import StatementForm
from keepwarm.network.models import Lead, StatusStatement, Vacancy
from keepwarm.network.performance import ClientKnowledge, Record, client_knowledge, records

register = template.Library()


@register.simple_tag(takes_context=True)
def person_network(context: Context, person: Any) -> dict[str, Any]:
    """Referrals made and received (attribution both ways), leads given, latest statement;
    who referred them is named only if the user may open that person too."""
    has = queries.network_of(person)
    referred_by, referrals_made = (
        queries.referrals_about(context["user"], person)
        if has.referred or has.referring
        else ([], [])
    )
    return {
        "referred_by": referred_by,
        "referrals_made": referrals_made,
        # Only what the card writes of each lead: its full row and its company's are ~30
        # columns to compile.
        "leads_given": list(
            Lead.objects.filter(source=person)
            .only("id", "source", "company_name", "role_hint", "status", "received_at")
            .order_by("-received_at")[:20]
        )
        if has.leads
        else [],
        "statement": StatusStatement.objects.filter(pk=has.statement_id).first()
        if has.statement_id is not None
        else None,
        "statement_form": StatementForm(prefix="statement"),
    }


@register.simple_tag(takes_context=True)
def company_network(context: Context, company: Any) -> dict[str, Any]:
    """What we know about the company, hiring managers once placed, open vacancies; the
    people among them only as far as the user may open them."""
    user = context["user"]
    once_placed = queries.hiring_managers_once_placed(company).filter(
        pk__in=visible_people(user).values("pk")
    )
    return {
        "intel": list(queries.what_we_know(company, user=user)[:20]),
        "once_placed": list(once_placed.order_by("last_name")),
        "vacancies": list(
            Vacancy.objects.filter(company=company, status=Vacancy.Status.OPEN).order_by(
                "-created_at"
            )[:20]
        ),
        "leads": list(
            queries.visible_leads(user).filter(company=company).select_related("source")[:10]
        ),
    }


@register.simple_tag
def performance_record(person: Any) -> Record | None:
    """The person's performance record (None if never placed), for the person page."""
    return records([person.pk]).get(person.pk)


@register.simple_tag
def client_insight(company: Any) -> ClientKnowledge:
    """What the company's successful hires had in common, for the company page."""
    return client_knowledge(company.pk)
