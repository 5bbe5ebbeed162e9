"""Pages for people without an account: sign up, confirm, preferences, unsubscribe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=501)


def preferences(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=501)


def signup(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=501)
