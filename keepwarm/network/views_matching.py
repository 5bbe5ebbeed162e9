"""Ready to move, a vacancy's matches and a person's matching vacancies."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from keepwarm.accounts.access import user_of
from keepwarm.audit.recording import record_people_read, record_read
from keepwarm.care.forms import team
from keepwarm.care.queries import get_person_for, visible_people
from keepwarm.lib.ids import parse_id
from keepwarm.network import matching, readiness
from keepwarm.network.models import Readiness, Vacancy

PAGE_SIZE = 50
MATCHES_SHOWN = 25


@login_required
def ready_to_move(request: HttpRequest) -> HttpResponse:
    """People past the readiness threshold: a consultant's own (and those they cover);
    managers see everyone and may pick a consultant."""
    user = user_of(request)
    ready = Readiness.objects.filter(
        score__gte=readiness.THRESHOLD, person__in=visible_people(user).values("pk")
    )
    owner = request.GET.get("owner", "")
    owner_id = parse_id(owner) if user.sees_whole_team else None
    if owner_id is not None:
        ready = ready.filter(person__owner_id=owner_id)
    ready = ready.select_related("person", "person__owner").order_by("-score", "person_id")
    page = Paginator(ready, PAGE_SIZE).get_page(request.GET.get("page"))
    record_read(r.person for r in page)
    context = {
        "page_obj": page,
        "owner": str(owner_id) if owner_id is not None else "",
        "owners": team() if user.sees_whole_team else [],
        "threshold": round(readiness.THRESHOLD * 100),
    }
    return render(request, "network/ready.html", context)


@login_required
def vacancy_matches(request: HttpRequest, pk: int) -> HttpResponse:
    """The people best fitted to a vacancy, among those the user may see."""
    user = user_of(request)
    # Vacancies are the agency's, like clients: every signed-in user may read them.
    vacancy = get_object_or_404(Vacancy.objects.select_related("company"), pk=pk)
    matches = matching.match_people(vacancy, user=user, limit=MATCHES_SHOWN)
    record_people_read((m.person_id, m.person_name) for m in matches)
    context = {
        "vacancy": vacancy,
        "matches": matches,
        "client_record": matching.client_record(vacancy),
        "whole_team": user.sees_whole_team,
    }
    return render(request, "network/matches.html", context)


@login_required
def person_matches(request: HttpRequest, pk: int) -> HttpResponse:
    """Open vacancies that fit a person the user may see."""
    person = get_person_for(user_of(request), pk)
    context = {
        "person": person,
        "matches": matching.match_vacancies(person, limit=MATCHES_SHOWN),
        "readiness": Readiness.objects.filter(person=person).first(),
    }
    return render(request, "network/matches_person.html", context)
