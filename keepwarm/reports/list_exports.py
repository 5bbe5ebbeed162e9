"""CSV, XLSX and JSON downloads of the staff lists, with the same filters and access as the
page; the same rows feed `keepwarm export` (reports/management/commands/export.py).

Each export reads the list's own access helper (`visible_people_listed`, `visible_placements`,
`due_work`, `visible_alerts`) and the same filters as the page (its GET parameters, or
the command's `--filter`), so a download never holds a row the page would not show. Rows
are read with `values_list` in chunks and streamed, so exporting 100k placements does not
load 100k model instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone

from keepwarm.accounts.access import user_of
from keepwarm.accounts.models import User
from keepwarm.care import queries as care_queries
from keepwarm.care.services import covering_for
from keepwarm.lib.exports import FORMATS, export_response
from keepwarm.lib.ids import parse_id
from keepwarm.lib.paginator import keyset_chunks
from keepwarm.network.models import Lead, Referral
from keepwarm.people.models import Company, Role
from keepwarm.placements.models import Placement
from keepwarm.signals import queries as signal_queries

CHUNK = 2000
# A list's filters: the page's GET parameters, or `keepwarm export --filter NAME=VALUE`.
Params = Mapping[str, str]


def _stream(
    qs: QuerySet[Any], fields: list[str], order: tuple[str, ...] | None = None
) -> Iterator[tuple[Any, ...]]:
    if order is not None:
        # A keyset order (unique, one direction): chunk after chunk from where the last
        # ended, each a short query through the list's own index.
        yield from keyset_chunks(qs, fields, order=order, chunk=CHUNK)
    else:
        yield from qs.values_list(*fields).iterator(chunk_size=CHUNK)


def _choices(field: Any) -> Callable[[Any], str]:
    labels = dict(field.choices)
    return lambda value: str(labels.get(value, value))


def people_rows(user: User, params: Params) -> tuple[list[str], Iterator[Any]]:
    qs = care_queries.visible_people_listed(user)
    role = params.get("role", "")
    if role in Role.Kind.values:
        current = Role.objects.filter(kind=role, ended_on__isnull=True)
        qs = qs.filter(id__in=current.values("person_id"))
    if params.get("mine"):
        qs = qs.filter(owner=user)
    order = ("last_name", "first_name", "id")
    header = [
        "First name",
        "Last name",
        "Email",
        "Phone",
        "Location",
        "Sector",
        "Headline",
        "Owner",
        "Last contacted",
        "Added",
    ]
    fields = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "location",
        "sector",
        "headline",
        "owner__username",
        "last_contacted_at",
        "created_at",
    ]
    return header, _stream(qs, fields, order)


def companies_rows(user: User, params: Params) -> tuple[list[str], Iterator[Any]]:
    qs: QuerySet[Company] = Company.objects.order_by("name", "id")
    query = params.get("q", "").strip()[:100]
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(sector__icontains=query))
    header = [
        "Name",
        "Sector",
        "Location",
        "Website",
        "Phone",
        "Email",
        "Guarantee length",
        "Guarantee unit",
        "Remedy",
        "Owner",
        "What we have learnt",
    ]
    fields = [
        "name",
        "sector",
        "location",
        "website",
        "phone",
        "email",
        "guarantee_length",
        "guarantee_unit",
        "guarantee_remedy",
        "owner__username",
        "learnt",
    ]
    return header, _stream(qs, fields)


def placements_rows(user: User, params: Params) -> tuple[list[str], Iterator[Any]]:
    qs = care_queries.visible_placements(user)
    status = params.get("status", "")
    if status == "active":
        qs = qs.filter(status__in=Placement.ACTIVE)
    elif status in Placement.Status.values:
        qs = qs.filter(status=status)
    owner = params.get("owner", "")
    owner_id = parse_id(owner)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    order = ("-start_date", "-id")
    header = [
        "Person",
        "Client",
        "Role",
        "Kind",
        "Start",
        "End",
        "Status",
        "Owner",
        "Left on",
        "Reason",
        "Salary",
        "Fee",
        "Currency",
        "Rebate owed",
    ]
    fields = [
        "person__first_name",
        "person__last_name",
        "company__name",
        "role_title",
        "kind",
        "start_date",
        "end_date",
        "status",
        "owner__username",
        "left_on",
        "leave_reason",
        "salary",
        "fee",
        "currency",
        "rebate_owed",
        "owner_id",
    ]
    status_label = _choices(Placement._meta.get_field("status"))
    reason_label = _choices(Placement._meta.get_field("leave_reason"))
    sees_money = user.sees_whole_team

    def rows() -> Iterator[list[Any]]:
        for first, last, *rest, owner_id in _stream(qs, fields, order):
            (
                company,
                role_title,
                kind,
                start,
                end,
                state,
                username,
                left_on,
                reason,
                salary,
                fee,
                currency,
                rebate,
            ) = rest
            # Salaries and fees: the owner, managers and admins only (not a covering colleague).
            money = sees_money or owner_id == user.pk
            yield [
                f"{first} {last}".strip(),
                company,
                role_title,
                kind,
                start,
                end,
                status_label(state),
                username,
                left_on,
                reason_label(reason) if reason else "",
                salary if money else None,
                fee if money else None,
                currency,
                rebate if money else None,
            ]

    return header, rows()


def due_rows(user: User, params: Params) -> tuple[list[str], Iterator[Any]]:
    day = timezone.localdate()
    owners = [user.pk, *(u.pk for u in covering_for(user, day=day))]
    emails = params.get("emails") == "1"
    qs = care_queries.due_work(owners, today=day, sent_by_worker=emails)
    header = ["Due", "Kind", "What", "Person", "Phone", "Email", "Client", "Owner"]
    fields = [
        "due_on",
        "kind",
        "title",
        "person__first_name",
        "person__last_name",
        "person__phone",
        "person__email",
        "placement__company__name",
        "owner__username",
    ]

    def rows() -> Iterator[list[Any]]:
        for due, kind, title, first, last, *rest in _stream(qs, fields):
            yield [due, kind, title, f"{first} {last}".strip(), *rest]

    return header, rows()


def alerts_rows(user: User, params: Params) -> tuple[list[str], Iterator[Any]]:
    state = params.get("state", "open")
    if state not in ("open", "overdue", "closed", "all"):
        state = "open"
    owner = params.get("owner", "")
    qs = signal_queries.filter_alerts(
        signal_queries.visible_alerts(user),
        now=timezone.now(),
        state="" if state == "all" else state,
        owner_id=parse_id(owner),
    )
    order = ("-closed_at", "-id") if state == "closed" else ("due_at", "id")
    qs = qs.order_by(*order)
    header = [
        "Person",
        "Client",
        "Reason",
        "Risk",
        "Owner",
        "Opened",
        "Due",
        "State",
        "Closed",
        "What was done",
    ]
    fields = [
        "placement__person__first_name",
        "placement__person__last_name",
        "placement__company__name",
        "reason",
        "risk_score",
        "owner__username",
        "opened_at",
        "due_at",
        "state",
        "closed_at",
        "close_note",
    ]

    def rows() -> Iterator[list[Any]]:
        for first, last, *rest in _stream(qs, fields):
            yield [f"{first} {last}".strip(), *rest]

    return header, rows()


def _own_unless_team(qs: QuerySet[Any], user: User) -> QuerySet[Any]:
    # Until the network pages set their own rule: managers see all, consultants what they own.
    return qs if user.sees_whole_team else qs.filter(owner=user)


def referrals_rows(user: User, params: Params) -> tuple[list[str], Iterator[Any]]:
    qs = _own_unless_team(Referral.objects.all(), user)
    status = params.get("status", "")
    if status in Referral.Status.values:
        qs = qs.filter(status=status)
    order = ("-received_at", "-id")
    header = [
        "Received",
        "Referred by",
        "Kind",
        "Name",
        "Email",
        "Phone",
        "Company",
        "Status",
        "Reward",
        "Reward due on",
        "Paid on",
        "Owner",
    ]
    fields = [
        "received_at",
        "referrer__first_name",
        "referrer__last_name",
        "kind",
        "name",
        "email",
        "phone",
        "company_name",
        "status",
        "reward_amount",
        "reward_due_on",
        "paid_on",
        "owner__username",
    ]
    kind_label = _choices(Referral._meta.get_field("kind"))
    status_label = _choices(Referral._meta.get_field("status"))

    def rows() -> Iterator[list[Any]]:
        for received, first, last, kind, name, email, phone, company, state, *rest in _stream(
            qs, fields, order
        ):
            yield [
                received,
                f"{first} {last}".strip(),
                kind_label(kind),
                name,
                email,
                phone,
                company,
                status_label(state),
                *rest,
            ]

    return header, rows()


def leads_rows(user: User, params: Params) -> tuple[list[str], Iterator[Any]]:
    qs = _own_unless_team(Lead.objects.all(), user)
    status = params.get("status", "")
    if status in Lead.Status.values:
        qs = qs.filter(status=status)
    order = ("-received_at", "-id")
    header = [
        "Received",
        "Passed on by",
        "Company",
        "Contact",
        "Email",
        "Phone",
        "Role",
        "Status",
        "Owner",
    ]
    fields = [
        "received_at",
        "source__first_name",
        "source__last_name",
        "company_name",
        "contact_name",
        "contact_email",
        "contact_phone",
        "role_hint",
        "status",
        "owner__username",
    ]
    status_label = _choices(Lead._meta.get_field("status"))

    def rows() -> Iterator[list[Any]]:
        for received, first, last, *rest, state, owner in _stream(qs, fields, order):
            yield [received, f"{first} {last}".strip(), *rest, status_label(state), owner]

    return header, rows()


LISTS: dict[str, Callable[[User, Params], tuple[list[str], Iterator[Any]]]] = {
    "people": people_rows,
    "companies": companies_rows,
    "placements": placements_rows,
    "due": due_rows,
    "alerts": alerts_rows,
    "referrals": referrals_rows,
    "leads": leads_rows,
}


@login_required
def list_export(request: HttpRequest, name: str) -> HttpResponseBase:
    build = LISTS.get(name)
    fmt = request.GET.get("format", "csv")
    if build is None or fmt not in FORMATS:
        raise Http404
    header, rows = build(user_of(request), request.GET)
    return export_response(fmt, name=name, header=header, rows=rows)
