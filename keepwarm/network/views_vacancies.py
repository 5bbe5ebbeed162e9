"""Vacancies (list, page, add, edit) and the people the agency placed who now hire."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from keepwarm.accounts.access import user_of
from keepwarm.accounts.models import User
from keepwarm.audit.recording import record_read
from keepwarm.care.queries import visible_people
from keepwarm.lib.ids import parse_id
from keepwarm.network import queries
from keepwarm.network.forms import VacancyForm, company_names
from keepwarm.network.models import Lead, Vacancy
from keepwarm.people.models import Company, Role

PAGE_SIZE = 50


def get_vacancy_for(user: User, pk: int) -> Vacancy:
    # Vacancies are the agency's, like the companies they belong to.
    return get_object_or_404(Vacancy.objects.select_related("company", "owner"), pk=pk)


@login_required
def vacancies(request: HttpRequest) -> HttpResponse:
    qs = Vacancy.objects.select_related("company", "owner")
    status = request.GET.get("status", Vacancy.Status.OPEN)
    if status in Vacancy.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if query:
        about = Q(company__name__icontains=query) | Q(sector__icontains=query)
        qs = qs.filter(about | Q(title__icontains=query))
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "status": status, "statuses": Vacancy.Status.choices, "q": query}
    return render(request, "network/vacancies.html", context)


@login_required
def vacancy(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = get_vacancy_for(user, pk)
    context = {
        "vacancy": found,
        # A colleague's lead is mentioned, not linked, and its source is not named.
        "lead": queries.visible_leads(user).filter(vacancy=found).select_related("source").first(),
        "from_lead": Lead.objects.filter(vacancy=found).exists(),
        "sees_money": found.shows_money_to(user),
    }
    return render(request, "network/vacancy.html", context)


@login_required
def vacancy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = user_of(request)
    instance = get_vacancy_for(user, pk) if pk else None
    if request.method == "POST":
        form = VacancyForm(request.POST, instance=instance, user=user)
        if form.is_valid():
            saved = form.save()
            messages.success(request, f"Saved the vacancy {saved.title}.")
            return redirect(saved)
    else:
        initial: dict[str, object] = {} if instance else {"owner": user}
        company_id = parse_id(request.GET.get("company", ""))
        if instance is None and company_id is not None:
            company = Company.objects.filter(pk=company_id).first()
            if company:
                initial.update(
                    company=company.name, sector=company.sector, location=company.location
                )
        form = VacancyForm(instance=instance, initial=initial, user=user)
    context = {"form": form, "vacancy": instance, "company_names": company_names()}
    return render(request, "network/vacancy_form.html", context, status=400 if form.errors else 200)


@login_required
def placed_who_hire(request: HttpRequest) -> HttpResponse:
    """People the agency placed who are now hiring managers: its warmest clients."""
    people = (
        queries.placed_who_now_hire()
        .filter(pk__in=visible_people(user_of(request)).values("pk"))
        .prefetch_related("roles__company")
        .order_by("last_name", "first_name", "id")
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    record_read(page)
    rows = []
    for person in page:
        roles = list(person.roles.all())
        hiring = [r for r in roles if r.kind == Role.Kind.CLIENT_CONTACT and r.is_current]
        rows.append(
            {
                "person": person,
                "hiring_at": hiring,
                "placed_at": [r for r in roles if r.kind == Role.Kind.PLACED],
            }
        )
    return render(request, "network/placed_who_hire.html", {"page_obj": page, "rows": rows})
