"""Keepwarm API v1: people, companies, placements and touchpoints.

Mounted at /api/v1/ (schema at /api/v1/openapi.json, docs at /api/v1/docs).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, ValidationError

from keepwarm.api import (
    companies,
    imports,
    newsletters,
    people,
    placements,
    signals,
    surveys,
    touchpoints,
    webhooks,
)
from keepwarm.api import matching as matches
from keepwarm.api import network as network_api
from keepwarm.api import reports as reports_api
from keepwarm.api.auth import auth
from keepwarm.api.docs import LocalSwagger
from keepwarm.api.errors import (
    Invalid,
    error_body,
    problems_from_django,
    problems_from_ninja,
)
from keepwarm.api.openapi import KeepwarmAPI
from keepwarm.people.models import PersonErased

api = KeepwarmAPI(
    title="Keepwarm API",
    version="1",
    description=(
        "Aftercare CRM API. Send a personal token as `Authorization: Bearer <token>` "
        "(create one with `keepwarm api-token USERNAME`). Lists take `limit` (at most 200) "
        "and `offset` and return `count`. Dates are ISO 8601; money and other decimals "
        "are strings. Errors are JSON: `detail` plus `errors` naming each field."
    ),
    urls_namespace="api",
    auth=auth,
    docs=LocalSwagger(),
)

api.add_router("/people", people.router, tags=["people"])
api.add_router("/companies", companies.router, tags=["companies"])
api.add_router("/placements", placements.router, tags=["placements"])
api.add_router("/touchpoints", touchpoints.router, tags=["touchpoints"])
api.add_router("/questionnaires", surveys.questionnaires_router, tags=["questionnaires"])
api.add_router("/invitations", surveys.invitations_router, tags=["invitations"])
api.add_router("/responses", surveys.responses_router, tags=["responses"])
api.add_router("/risk", signals.risk_router, tags=["risk"])
api.add_router("/alerts", signals.alerts_router, tags=["alerts"])
api.add_router("/newsletters", newsletters.router, tags=["newsletters"])
api.add_router("/reports", reports_api.router, tags=["reports"])
api.add_router("/imports", imports.router, tags=["imports"])
api.add_router("/referrals", network_api.referrals_router, tags=["referrals"])
api.add_router("/leads", network_api.leads_router, tags=["leads"])
api.add_router("/intel", network_api.intel_router, tags=["intel"])
api.add_router("/vacancies", network_api.vacancies_router, tags=["vacancies"])
api.add_router("/matches", matches.router, tags=["matches"])
api.add_router("/webhooks", webhooks.router, tags=["webhooks"])
api.add_router("/deletions", webhooks.deletions_router, tags=["sync"])


@api.exception_handler(ValidationError)
def ninja_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, error_body(problems_from_ninja(exc.errors)), status=422)


@api.exception_handler(Invalid)
def invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
    body = error_body([{"field": exc.field, "message": exc.message}])
    return api.create_response(request, body, status=422)


@api.exception_handler(PersonErased)
def person_erased(request: HttpRequest, exc: PersonErased) -> HttpResponse:
    # A conflict with the record's state, not bad input: erased people are read-only.
    return api.create_response(request, error_body(problems_from_django(exc)), status=409)


@api.exception_handler(DjangoValidationError)
def django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, error_body(problems_from_django(exc)), status=422)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Deliberately the same answer for "does not exist" and "not yours".
    return api.create_response(request, {"detail": "Not found", "errors": []}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = str(exc) if str(exc) != "Unauthorized" else "Authentication required"
    response = api.create_response(
        request,
        {"detail": f"{message}: send 'Authorization: Bearer <token>'", "errors": []},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="keepwarm"'
    return response
