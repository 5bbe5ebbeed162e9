"""Who is acting during a request, and a "viewed" or "exported" entry for personal data read."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    Actor,
    acting_as,
    current_actor,
    record,
    recorded_in_this_request,
    shown,
)
from keepwarm.lib.net import client_address
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement

# (URL namespace, URL name) of pages and API reads that show one record's personal data.
RECORD_VIEWS: dict[tuple[str, str], type[Person | Company | Placement]] = {
    ("", "person"): Person,
    ("", "person_edit"): Person,
    ("", "company"): Company,
    ("", "company_edit"): Company,
    ("", "placement"): Placement,
    ("", "placement_edit"): Placement,
    ("", "person_matches"): Person,
    ("api", "person"): Person,
    ("api", "company"): Company,
    ("api", "placement"): Placement,
    ("api", "person_matches"): Person,
}


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        staff = user if isinstance(user, User) and user.is_authenticated else None
        with acting_as(Actor(user=staff, path=request.get_full_path(), ip=client_address(request))):
            response = self.get_response(request)
            if request.method == "GET" and response.status_code == 200:
                self._record_read(request, response)
        return response

    def _record_read(self, request: HttpRequest, response: HttpResponse) -> None:
        # An API token's owner was made the actor when the token was checked (identify).
        if current_actor().user is None:
            return  # outsiders' own pages are not staff access to personal data
        self._record(request, response)

    def _record(self, request: HttpRequest, response: HttpResponse) -> None:
        match = request.resolver_match
        if match is None or recorded_in_this_request():
            return
        if "attachment" in response.get("Content-Disposition", ""):
            record(AuditEntry.Action.EXPORTED, object_type=match.view_name)
            return
        model = RECORD_VIEWS.get((match.namespace, match.url_name or ""))
        if model is None:
            return
        pk = match.kwargs.get("pk", match.kwargs.get("id"))
        if pk is None:
            return
        found = shown(model, pk) or model._base_manager.filter(pk=pk).first()
        if found is None:
            return
        record(
            AuditEntry.Action.VIEWED,
            object_type=model._meta.label_lower,
            object_id=pk,
            object_repr=str(found),
            person_id=found.pk if model is Person else getattr(found, "person_id", None),
        )
