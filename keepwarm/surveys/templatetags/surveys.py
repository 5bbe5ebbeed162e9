"""Answers on the placement and company pages, as includes that fetch their own data."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from keepwarm.surveys.models import Invitation, Response
from keepwarm.surveys.services import score_summary, target_record

register = template.Library()


@register.simple_tag
def placement_answers(placement: Any) -> dict[str, Any]:
    invitations = (
        Invitation.objects.filter(placement=placement)
        .select_related("questionnaire", "person", "response")
        .order_by("-created_at", "-id")
    )
    return {
        "targets": target_record(placement),
        "invitations": list(invitations),
        "now": timezone.now(),
    }


@register.simple_tag
def company_answers(company: Any) -> dict[str, Any]:
    responses = Response.objects.filter(placement__company=company)
    return {"scores": score_summary(responses), "responses": responses.count()}
