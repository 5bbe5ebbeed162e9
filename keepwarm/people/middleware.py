"""An erased person is read-only on every page: a change that reaches the record answers
with a message on the page the user came from, never an error page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from keepwarm.people.models import PersonErased


class ErasedPersonMiddleware:
    """Turns PersonErased, raised by any service or view changing an erased person, into
    the reason on the page the user came from (the API answers 409 by its own handler)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PersonErased):
            return None
        messages.error(request, " ".join(exception.messages))
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = "/"
        return HttpResponseRedirect(back, status=303)
