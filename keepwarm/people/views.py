"""People and companies: lists, pages, forms, logging a call and adding a note."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import user_of
from keepwarm.accounts.models import User
from keepwarm.audit.concurrency import (
    EditConflict,
    conflict_message,
    with_current_version,
)
from keepwarm.audit.recording import record_people_read, record_read, showing
from keepwarm.care import queries, services
from keepwarm.care.forms import LogCallForm
from keepwarm.care.models import Touchpoint
from keepwarm.care.rows import upcoming_rows_html
from keepwarm.care.views import covering_ids, logged_message
from keepwarm.lib.bulk import read_together
from keepwarm.lib.paginator import COUNT_CAP, keyset_page
from keepwarm.network import cards
from keepwarm.people import services as people_services
from keepwarm.people.forms import (
    ClientContactForm,
    CompanyForm,
    NewPersonForm,
    NoteForm,
    PersonForm,
    RoleForm,
    role_companies_reading,
)
from keepwarm.people.models import Company, Person, Role
from keepwarm.people.rows import person_rows, rows_html
from keepwarm.placements.models import Placement
from keepwarm.signals import queries as signals_queries

PAGE_SIZE = 50
# People with a personal page (keepwarm.portal): those we placed, and client contacts.
OUTSIDER_ROLES = (Role.Kind.PLACED, Role.Kind.CLIENT_CONTACT)


def get_company_for(user: User, pk: int) -> Company:
    # Clients are the agency's, not one consultant's: every signed-in user sees them.
    return get_object_or_404(Company.objects.select_related("owner"), pk=pk)


# --- People ----------------------------------------------------------------------------

# By name; the id last, so people of the same name keep one order and a page ends exactly.
PEOPLE_ORDER = ("last_name", "first_name", "id")


# How long a role tab remembers that it holds more than COUNT_CAP people, rather than
# walking past that many to say so again on every page: a tab that long does not fall
# under the cap between two looks a few minutes apart.
TAB_BEYOND_CAP_SECONDS = 300


class _RoleTabReads:
    """A role tab's pages and its count, for KeysetPaginator's `find` and `count_of`. The
    count is the tab's first rows up to the cap, read along the same indexes in the same
    order as its pages, so reading no more of the agency than they do; on the first page
    that one read gives the page too (reading it apart was a quarter of a role tab's
    buffers on PostgreSQL at agency size). That a tab goes beyond the cap is remembered
    for a while (`TAB_BEYOND_CAP_SECONDS`, in the cache of the process): finding it out
    meant walking ~2,100 of a large book's people to count 1,001 placed."""

    def __init__(
        self, find: Callable[[list[Any] | None, bool, int], list[Any]], *, tab: str
    ) -> None:
        self._find = find
        self._first: list[Any] = []
        self._first_read = 0  # how many first rows were asked for
        self._beyond_cap_key = f"people:role-tab-beyond-cap:{tab}"
        self._beyond_cap: bool | None = None  # None until looked up

    def find(self, cursor: list[Any] | None, ascending: bool, limit: int) -> list[Any]:
        if cursor is None and ascending:
            return self._first_rows(limit)
        return self._find(cursor, ascending, limit)

    def count(self, up_to: int) -> int:
        if up_to > COUNT_CAP and self._known_beyond_cap():
            return up_to
        return len(self._first_rows(up_to))

    def _first_rows(self, limit: int) -> list[Any]:
        if self._first_read < limit:
            # The first page, and as far as the count needs unless it is known.
            self._first_read = limit if self._known_beyond_cap() else max(limit, COUNT_CAP + 1)
            self._first = self._find(None, True, self._first_read)
            if len(self._first) > COUNT_CAP:
                cache.set(self._beyond_cap_key, True, TAB_BEYOND_CAP_SECONDS)
        return self._first[:limit]

    def _known_beyond_cap(self) -> bool:
        if self._beyond_cap is None:
            self._beyond_cap = bool(cache.get(self._beyond_cap_key))
        return self._beyond_cap


@login_required
def people(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    role = request.GET.get("role", "")
    if role not in Role.Kind.values:
        role = ""
    mine = bool(request.GET.get("mine"))
    count_of: Callable[[int], int] | None = None
    find: Callable[[list[Any] | None, bool, int], list[Any]] | None = None
    if mine or user.sees_whole_team:
        # Only their own people (the owner's index), or a manager's everyone.
        qs = queries.visible_people_listed(user)
        if role:
            current = Role.objects.filter(kind=role, ended_on__isnull=True)
            qs = qs.filter(id__in=current.values("person_id"))
        if mine:
            qs = qs.filter(owner=user)
    else:
        # A consultant's whole list, the view opened most, and its role tabs are found and
        # counted by statements written once (care.queries.visible_people_names): the
        # rule's ORM form, which they would never run, cost 1-1.7 ms of CPU a view to
        # build, and for a tab PostgreSQL walked the whole agency's name index to fill a
        # page. The paginator reads only the model of `qs` (to read a cursor), so it shows
        # nobody.
        qs = Person.objects.none()
        owners = [user.pk, *queries.covered_owner_ids(user)]
        find = partial(queries.visible_people_names, owners, role=role)
        count_of = partial(queries.count_visible_people, owners)
        if role:
            tab = _RoleTabReads(find, tab=f"{role}:{','.join(map(str, owners))}")
            find, count_of = tab.find, tab.count
    page = keyset_page(
        request,
        qs,
        PAGE_SIZE,
        order=PEOPLE_ORDER,
        load=person_rows,
        count_of=count_of,
        find=find,
    )
    record_people_read((row.pk, row.full_name) for row in page)
    context = {
        "page_obj": page,
        "rows": rows_html(page),
        "role": role,
        "roles": Role.Kind.choices,
        "mine": mine,
        "today": timezone.localdate(),
    }
    return render(request, "people/people.html", context)


def _person_context(request: HttpRequest, person: Person, **forms: Any) -> dict[str, Any]:
    user = user_of(request)
    day = timezone.localdate()
    # Every part of the page from the apps that know it, in one round trip on PostgreSQL.
    listed, timeline, readings, risk_panels, role_companies, network_card, record = read_together(
        queries.person_page_reading(user, person, today=day, upcoming=8),
        queries.timeline_reading(person, user=user),
        signals_queries.readings_about(person),
        signals_queries.live_risk_panels(person),
        role_companies_reading(person),
        cards.person_network(user, person),
        cards.performance_record(person),
    )
    placements, upcoming, roles = listed.placements, listed.upcoming, listed.roles
    covering = covering_ids(user, day)
    return {
        "person": person,
        "who": listed.who,
        "who_does_what": listed.who_does_what,
        "off_limits_until": listed.off_limits_until,
        "roles": roles,
        "consents": listed.consents,
        "has_personal_page": any(
            r.kind in (Role.Kind.PLACED, Role.Kind.CLIENT_CONTACT) for r in roles
        ),
        "placements": placements,
        "upcoming": upcoming,
        "timeline": timeline,
        "readings": readings,  # the tone of what they said, beside it
        "risk_panels": risk_panels,
        "today": day,
        "rag": person.contact_rag(day),
        "covering_ids": covering,
        # Written as Today writes its rows (care.rows): the same row template's HTML.
        "upcoming_rows": upcoming_rows_html(
            upcoming,
            user_pk=user.pk,
            today=day,
            covering_ids=covering,
            next_param=quote(request.get_full_path(), safe="/"),
        ),
        "days_since_contact": person.days_since_contact(day),
        "log_form": forms.get("log_form")
        or LogCallForm(
            placements=[p for p in placements if p.person_id == person.pk],
            # What it shows of each call it completes; a POST reads them whole, to complete one.
            due=listed.due_calls,
            today=day,
        ),
        "note_form": forms.get("note_form") or NoteForm(),
        "role_form": forms.get("role_form") or RoleForm(initial={"started_on": day}),
        "client_form": None
        if person.erased_at
        else forms.get("client_form") or _client_form(person, roles, placements),
        "role_companies": role_companies,
        "network_card": network_card,
        "performance_record": record,
    }


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.get_person_for(user_of(request), pk)
    showing(found)  # the audit trail's "viewed" entry names them without reading them again
    return render(request, "people/person.html", _person_context(request, found))


@login_required
@require_POST
def log_call(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call (or meeting) from the person's page, and plan the next one. A call due
    with them (chosen by default) is completed rather than logged beside it."""
    user = user_of(request)
    found = queries.get_person_for(user, pk)
    day = timezone.localdate()
    own_placements = queries.visible_placements(user).filter(person=found)
    due = queries.due_calls_for(user, found, today=day)
    form = LogCallForm(request.POST, placements=own_placements, due=due, today=day)
    if form.is_valid():
        data = form.cleaned_data
        completes: Touchpoint | None = data["complete"]
        try:
            logged = services.log_touchpoint(
                person=found,
                by=user,
                kind=data["kind"],
                outcome=data["outcome"],
                notes=data["notes"],
                placement=data["placement"] or (completes.placement if completes else None),
                touchpoint=completes,
                next_action_on=data["next_action_on"],
                # A try at a planned call goes on the timeline under that call's title.
                title="" if completes else form.title(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, logged_message(logged, data["kind"], found, completes))
            return redirect(found)
    context = _person_context(request, found, log_form=form)
    return render(request, "people/person.html", context)


@login_required
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = queries.get_person_for(user, pk)
    found.refuse_if_erased()
    form = NoteForm(request.POST)
    if form.is_valid():
        note = form.save(commit=False)
        note.person = found
        note.author = user
        note.save()
        messages.success(request, "Note added.")
        return redirect(found)
    context = _person_context(request, found, note_form=form)
    return render(request, "people/person.html", context)


@login_required
@require_POST
def add_role(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.get_person_for(user_of(request), pk)
    found.refuse_if_erased()
    form = RoleForm(request.POST)
    if form.is_valid():
        role = form.save(commit=False)
        role.person = found
        role.save()
        messages.success(request, f"Added the role: {role.get_kind_display()}.")
        return redirect(found)
    context = _person_context(request, found, role_form=form)
    return render(request, "people/person.html", context)


def _client_form(
    person: Person, roles: list[Role], placements: list[Placement]
) -> ClientContactForm | None:
    """Offered to people the agency placed; the company of their latest placement first."""
    if not any(role.kind == Role.Kind.PLACED for role in roles):
        return None
    latest = next((p for p in placements if p.person_id == person.pk), None)
    return ClientContactForm(initial={"company": latest.company.name if latest else ""})


@login_required
@require_POST
def make_client_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """Candidate becomes client: one action adds the client-contact role to the same record."""
    user = user_of(request)
    found = queries.get_person_for(user, pk)
    form = ClientContactForm(request.POST)
    if form.is_valid():
        company = form.cleaned_data["company"]
        try:
            people_services.make_client_contact(
                person=found, company=company, by=user, title=form.cleaned_data["title"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{found.full_name} is now a client contact at {company}.")
            return redirect(found)
    context = _person_context(request, found, client_form=form)
    return render(request, "people/person.html", context, status=400)


@login_required
def person_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = user_of(request)
    instance = queries.get_person_for(user, pk) if pk else None
    if instance is not None:
        instance.refuse_if_erased()
    form_class = PersonForm if instance else NewPersonForm
    conflict: EditConflict | None = None
    if request.method == "POST":
        form = form_class(request.POST, instance=instance)
        if form.is_valid():
            try:
                saved = _save_person(form, instance, user)
            except EditConflict as found:
                assert pk is not None  # only an edit of an existing person can conflict
                conflict = found
                form = form_class(
                    with_current_version(request.POST, found),
                    instance=queries.get_person_for(user, pk),
                )
                form.is_valid()
                form.add_error(None, conflict_message(found))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Saved {saved.full_name}.")
                return redirect(saved)
    else:
        initial = {} if instance else {"owner": user, "obtained_on": timezone.localdate()}
        form = form_class(instance=instance, initial=initial)
    return render(
        request,
        "people/person_form.html",
        {"form": form, "person": instance, "conflict": conflict},
    )


def _save_person(form: PersonForm, instance: Person | None, user: User) -> Person:
    if instance is None:
        data = form.cleaned_data
        return people_services.create_person(
            by=user,
            role=data["role"],
            company=data.get("company"),
            title=data.get("title", ""),
            **{name: data[name] for name in PersonForm.Meta.fields},
        )
    # The form has set its values on `instance` already (ModelForm validation does).
    return people_services.update_person(
        person=instance, expected_version=form.cleaned_data.get("version")
    )


# --- Companies ---------------------------------------------------------------------------


@login_required
def companies(request: HttpRequest) -> HttpResponse:
    qs: QuerySet[Company] = Company.objects.select_related("owner").order_by("name", "id")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(sector__icontains=query))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/companies.html", {"page_obj": page, "q": query})


@login_required
def company(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = get_company_for(user, pk)
    contact_ids = Role.objects.filter(company=found, kind=Role.Kind.CLIENT_CONTACT).values(
        "person_id"
    )
    contacts = list(queries.visible_people(user).filter(id__in=contact_ids).order_by("last_name"))
    placements = list(
        queries.visible_placements(user)
        .filter(company=found)
        .select_related("person", "company", "owner")
        .order_by("-start_date")[:100]
    )
    # The page lists its contacts and placed people: all of them are on the trail, with
    # the company itself (recording here stands in for the middleware's one entry).
    record_read([found, *contacts, *placements])
    context = {
        "company": found,
        "contacts": contacts,
        "placements": placements,
        "active": Placement.ACTIVE,
        "today": timezone.localdate(),
    }
    return render(request, "people/company.html", context)


@login_required
def company_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = user_of(request)
    instance = get_company_for(user, pk) if pk else None
    if request.method == "POST":
        form = CompanyForm(request.POST, instance=instance)
        if form.is_valid():
            saved = _save_company(form, instance)
            messages.success(
                request,
                f"Saved {saved.name}. New placements take these terms; existing ones keep theirs.",
            )
            return redirect(saved)
    else:
        form = CompanyForm(instance=instance, initial={} if instance else {"owner": user})
    return render(request, "people/company_form.html", {"form": form, "company": instance})


def _save_company(form: CompanyForm, instance: Company | None) -> Company:
    if instance is None:
        return people_services.create_company(
            **{name: form.cleaned_data[name] for name in CompanyForm.Meta.fields}
        )
    # The form has set its values on `instance` already (ModelForm validation does).
    return people_services.update_company(company=instance)
