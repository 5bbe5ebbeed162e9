"""The network's parts of the company page, as includes that fetch their data (the person
page's are read with the page: network.cards)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import Context

from keepwarm.care.queries import visible_people
from keepwarm.network import queries
from keepwarm.network.models import Vacancy
from keepwarm.network.performance import ClientKnowledge, client_knowledge

register = template.Library()


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
def client_insight(company: Any) -> ClientKnowledge:
    """What the company's successful hires had in common, for the company page."""
    return client_knowledge(company.pk)
