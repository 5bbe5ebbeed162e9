"""Ready to move, a vacancy's matches and a person's matching vacancies."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from keepwarm.accounts.access import user_of
from keepwarm.accounts.models import User
from keepwarm.audit.recording import record_people_read, record_read
from keepwarm.care.forms import team
from keepwarm.care.queries import get_person_for, looked_after_by
from keepwarm.lib.ids import parse_id
from keepwarm.network import matching, readiness
from keepwarm.network.models import Readiness, Vacancy
from keepwarm.network.queries import ready_to_move as ready_to_move_for
from keepwarm.people.models import Person
from keepwarm.placements.queries import off_limits
from keepwarm.signals.queries import open_alert_by_person

PAGE_SIZE = 50
MATCHES_SHOWN = 25


@login_required
def ready_to_move(request: HttpRequest) -> HttpResponse:
    """People past the readiness threshold: a consultant's own (and those they cover);
    managers see everyone and may pick a consultant."""
    user = user_of(request)
    ready, barred = ready_to_move_for(user)
    owner = request.GET.get("owner", "")
    owner_id = parse_id(owner) if user.sees_whole_team else None
    if owner_id is not None:
        # The consultant who looks after them (their current placement's owner first).
        by = looked_after_by(list(ready.values_list("person_id", flat=True)))
        ready = ready.filter(person_id__in=[p for p, u in by.items() if u == owner_id])
    ready = ready.select_related("person").order_by("-score", "person_id")
    page = Paginator(ready, PAGE_SIZE).get_page(request.GET.get("page"))
    record_read(r.person for r in page)
    _name_consultants(list(page))
    _mark_open_alerts(list(page))
    context = {
        "page_obj": page,
        "owner": str(owner_id) if owner_id is not None else "",
        "owners": team() if user.sees_whole_team else [],
        "threshold": round(readiness.THRESHOLD * 100),
        "off_limits": _off_limits_people(barred),
    }
    return render(request, "network/ready.html", context)


def _name_consultants(rows: list[Readiness]) -> None:
    by = looked_after_by([r.person_id for r in rows])
    users = User.objects.in_bulk(set(by.values()))
    for r in rows:
        r.consultant = users.get(by.get(r.person_id, 0))  # type: ignore[attr-defined]


def _mark_open_alerts(rows: list[Readiness]) -> None:
    """Someone with an open fall-off alert is retention work first: the row says so and
    links the alert, so a consultant does not offer them a role while a colleague is
    trying to keep them."""
    alerts = open_alert_by_person([r.person_id for r in rows])
    for r in rows:
        r.open_alert = alerts.get(r.person_id)  # type: ignore[attr-defined]


def _off_limits_people(barred: dict[int, dt.date]) -> list[tuple[Person, dt.date]]:
    people = Person.objects.filter(pk__in=list(barred)).order_by("last_name", "first_name")
    return [(p, barred[p.pk]) for p in people]


@login_required
def vacancy_matches(request: HttpRequest, pk: int) -> HttpResponse:
    """The people best fitted to a vacancy, among those the user may see."""
    user = user_of(request)
    # Vacancies are the agency's, like clients: every signed-in user may read them.
    vacancy = get_object_or_404(Vacancy.objects.select_related("company"), pk=pk)
    ranking = matching.rank_people(vacancy, user=user, limit=MATCHES_SHOWN)
    record_people_read((m.person_id, m.person_name) for m in ranking.matches)
    record_people_read((h.person_id, h.person_name) for h in ranking.held_back)
    context = {
        "vacancy": vacancy,
        "matches": ranking.matches,
        "held_back": ranking.held_back,
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
        "off_limits_until": off_limits([person.pk], today=timezone.localdate()).get(person.pk),
        "matches": matching.match_vacancies(person, limit=MATCHES_SHOWN),
        "readiness": Readiness.objects.filter(person=person).first(),
    }
    return render(request, "network/matches_person.html", context)
