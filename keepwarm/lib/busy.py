"""A "busy, try again in a minute" answer instead of a crash when SQLite stays locked.

SQLite lets one writer at a time hold the database, and an import holds it for its whole
run, since a failure must roll all of it back (about a minute for 150k rows). A request
that needs to write meanwhile (saving a call, even the audit entry of viewing a person)
waits the connection's timeout (20 s, settings) and then fails with "database is locked".
Neither the user nor the code did anything wrong, so the answer is a 503 that says what
is happening, with Retry-After, rather than "Something went wrong". PostgreSQL locks
rows, not the database, and never gets here.
"""

from __future__ import annotations

import sys

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 60
MESSAGE = (
    "Keepwarm is busy writing a large change (usually an import) and could not save yours. "
    "Nothing was half-saved: try again in a minute."
)


def database_busy(exc: BaseException | None) -> bool:
    """Whether `exc` is SQLite giving up on a write lock another connection holds."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500, which runs inside the failed request's `except` block: a busy
    database gets a 503 (JSON for the API), anything else the usual error page."""
    if not database_busy(sys.exc_info()[1]):
        return defaults.server_error(request)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE, "errors": []}, status=503)
    else:
        # Rendered without the request's context processors, as Django's own 500 page is:
        # they may need the database this request could not use.
        context = {
            "message": MESSAGE,
            "sent_form": request.method == "POST",
            "path": request.get_full_path(),
        }
        page = loader.get_template("503.html").render(context)
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
