"""The agency's settings on every page: `{{ brand }}` in templates (a context processor)."""

from __future__ import annotations

from django.http import HttpRequest

from keepwarm.agency.models import AgencySettings, agency_settings


def brand(request: HttpRequest) -> dict[str, AgencySettings]:
    return {"brand": agency_settings()}
