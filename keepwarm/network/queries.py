"""Reads for the network pages: who may see what, rewards due, placed people who now hire."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.queries import (
    covered_owner_ids,
    seen_among,
    visible_ids,
    visible_people,
    visible_placements,
)
from keepwarm.lib.bulk import Ids, Reading
from keepwarm.network import readiness
from keepwarm.network.models import (
    FALLEN_THROUGH,
    IntelNote,
    Lead,
    Readiness,
    Referral,
)
from keepwarm.people.models import Company, Person, Role
from keepwarm.placements.queries import off_limits

# The people and the placements a consultant may open, as a network list matches them: the
# ids themselves (Ids), or on PostgreSQL the statement that finds them (see _readable).
Readable = Ids | QuerySet[Any]


def _among(field: str, ids: Readable | None) -> ExpressionWrapper[Any]:
    """Whether the row's `field` names one of `ids` (None: anyone, for managers), as a
    column of the row."""
    named = Q(**{f"{field}__isnull": False})
    if ids is not None:
        named &= Q(**{f"{field}__any_of": ids})
    return ExpressionWrapper(named, output_field=BooleanField())


def _readable(user: User) -> tuple[Readable | None, Readable | None]:
    """The people and placements `user` may open, for _among and the lists' filters; (None,
    None) for managers, who may open everyone. SQLite is given the ids, read once
    (`visible_ids`): asked as a subquery, each column and the filter worked the whole book
    out again (10 ms a statement at agency size). PostgreSQL is given the subqueries: it
    works the book out inside the statement as one hashed subplan, where 4,469 ids read
    back and sent as arrays cost it more to plan than the list costs to read (referrals
    0.30x list50 against 0.40x)."""
    if user.sees_whole_team:
        return None, None
    if connection.vendor == "postgresql":
        return visible_people(user).values("pk"), visible_placements(user).values("pk")
    return visible_ids(user)


def visible_referrals(user: User) -> QuerySet[Referral]:
    """Everything for managers; else referrals a consultant (or whom they cover) handles,
    or that were made by or about people they may see.

    A referral seen through one person may name another the user may not open (a
    colleague's candidate referred someone of theirs): each row says which of its people
    and its placement the user may open (`sees_referrer`, `sees_referred`,
    `sees_placement`), and pages and the API show nothing of the others."""
    people, placements = _readable(user)
    referrals = Referral.objects.annotate(
        sees_referrer=_among("referrer_id", people),
        sees_referred=_among("referred_id", people),
        sees_placement=_among("placement_id", placements),
    )
    if people is None:
        return referrals
    return referrals.filter(
        Q(owner=user)
        | Q(owner_id__in=covered_owner_ids(user))
        | Q(referrer_id__any_of=people)
        | Q(referred_id__any_of=people)
    )


# What the person page's network card writes of every referral (its link, status, date).
REFERRAL_CARD_FIELDS = ("id", "status", "received_at")


def referrals_about(user: User, person: Person) -> tuple[list[Referral], list[Referral]]:
    """Referrals of a person `user` may open (the person page): who referred them, each
    saying whether the user may open that referrer too (`sees_referrer`), and the latest
    20 they made. Every referral made by or about a visible person is visible
    (`visible_referrals`' rule), so only the referrers are asked about, by id."""
    # Only the columns the card writes: the referrer's full row is ~25 columns to compile.
    referred_by = list(
        Referral.objects.filter(referred=person)
        .select_related("referrer")
        .only(*REFERRAL_CARD_FIELDS, "referrer", "referrer__first_name", "referrer__last_name")
        .order_by("-received_at")
    )
    seen = seen_among(user, list({r.referrer_id for r in referred_by}))
    for referral in referred_by:
        referral.sees_referrer = referral.referrer_id in seen  # type: ignore[attr-defined]
    made = (
        Referral.objects.filter(referrer=person)
        .only(*REFERRAL_CARD_FIELDS, "name", "kind")
        .order_by("-received_at")[:20]
    )
    return referred_by, list(made)


def visible_leads(user: User) -> QuerySet[Lead]:
    """As for referrals, each lead says whether the user may open the person who passed it
    on and its contact (`sees_source`, `sees_contact`)."""
    people, _ = _readable(user)
    leads = Lead.objects.annotate(
        sees_source=_among("source_id", people),
        sees_contact=_among("contact_id", people),
    )
    if people is None:
        return leads
    return leads.filter(
        Q(owner=user) | Q(owner_id__in=covered_owner_ids(user)) | Q(source_id__any_of=people)
    )


# One object by id: a 404 outside the user's reach. The API keeps its own lookups, whose
# prefetches limit the candidates it lists to people the caller may see.


def get_referral_for(user: User, pk: int) -> Referral:
    found = visible_referrals(user).select_related(
        "referrer", "referred", "rule", "placement", "placement__company", "owner"
    )
    return get_object_or_404(found, pk=pk)


def get_lead_for(user: User, pk: int) -> Lead:
    found = visible_leads(user).select_related("source", "company", "contact", "vacancy", "owner")
    return get_object_or_404(found, pk=pk)


def referral_people_shown(referral: Referral) -> tuple[int | None, int | None]:
    """Who a row of visible_referrals shows (who referred, who was referred): the people
    the audit trail says were read with it."""
    return (
        referral.referrer_id if getattr(referral, "sees_referrer", False) else None,
        referral.referred_id if getattr(referral, "sees_referred", False) else None,
    )


def lead_people_shown(lead: Lead) -> tuple[int | None, int | None]:
    """As referral_people_shown, for a row of visible_leads (who passed it on, its contact)."""
    return (
        lead.source_id if getattr(lead, "sees_source", False) else None,
        lead.contact_id if getattr(lead, "sees_contact", False) else None,
    )


def intel_people_shown(note: IntelNote) -> tuple[int | None]:
    """As referral_people_shown, for a row of intel_notes (the person it came from)."""
    return (note.source_person_id if getattr(note, "sees_source_person", False) else None,)


def rewards_due(user: User, *, today: dt.date) -> QuerySet[Referral]:
    """Rewards to pay: marked due, or placed/won with the date come and the placement held."""
    fell_through = Q(placement__status__in=FALLEN_THROUGH) & (
        Q(placement__left_on__isnull=True) | Q(placement__left_on__lt=F("reward_due_on"))
    )
    waiting = Q(status__in=(Referral.Status.PLACED, Referral.Status.WON), reward_due_on__lte=today)
    return (
        visible_referrals(user)
        .filter(Q(status=Referral.Status.REWARD_DUE) | (waiting & ~fell_through))
        .select_related("referrer", "referred", "rule", "placement", "owner")
        .order_by("reward_due_on", "id")
    )


def placed_who_now_hire() -> QuerySet[Person]:
    """People the agency placed (a placed role, now or before) who are client contacts now."""
    placed = Role.objects.filter(person=OuterRef("pk"), kind=Role.Kind.PLACED)
    hiring = Role.objects.filter(
        person=OuterRef("pk"), kind=Role.Kind.CLIENT_CONTACT, ended_on__isnull=True
    )
    return Person.objects.filter(Exists(placed), Exists(hiring))


def hiring_managers_once_placed(company: Company) -> QuerySet[Person]:
    return (
        placed_who_now_hire()
        .filter(
            roles__kind=Role.Kind.CLIENT_CONTACT,
            roles__company=company,
            roles__ended_on__isnull=True,
        )
        .distinct()
    )


def intel_notes(user: User) -> QuerySet[IntelNote]:
    """Every note (intelligence is the agency's), each saying whether the user may open the
    person it came from (`sees_source_person`): pages and the API name nobody else."""
    people, _ = _readable(user)
    return IntelNote.objects.annotate(sees_source_person=_among("source_person_id", people))


def what_we_know(company: Company, *, user: User) -> QuerySet[IntelNote]:
    """Intel about the company itself, and about its sector (untagged to any company)."""
    about = Q(company=company)
    if company.sector:
        about |= Q(company__isnull=True, sector__iexact=company.sector)
    return intel_notes(user).filter(about).select_related("source_person", "author", "company")


@dataclass(frozen=True)
class NetworkOf:
    """What the person page's network card has to read about someone, if anything."""

    referred: bool  # someone referred them
    referring: bool  # they referred someone
    leads: bool  # they passed on a lead
    statement_id: int | None  # their latest status statement


# Asked on every view of a person's page, whose network card reads referrals both ways,
# leads and the latest statement: for most people there are none, so one statement written
# once (each part an index lookup) says which of those reads to make.
_NETWORK_OF = (
    "SELECT EXISTS(SELECT 1 FROM network_referral WHERE referred_id = %s),"
    " EXISTS(SELECT 1 FROM network_referral WHERE referrer_id = %s),"
    " EXISTS(SELECT 1 FROM network_lead WHERE source_id = %s),"
    " (SELECT id FROM network_statusstatement WHERE person_id = %s"
    " ORDER BY created_at DESC, id DESC LIMIT 1)"
)


def network_of(person: Person) -> Reading[NetworkOf]:
    """Whether `person` was referred, referred anyone or passed on a lead, and their latest
    statement: what the person page's network card reads further."""
    return Reading([(_NETWORK_OF, [person.pk] * 4)], _network_of)


def _network_of(rows: list[list[tuple[Any, ...]]]) -> NetworkOf:
    [[(referred, referring, leads, statement_id)]] = rows
    return NetworkOf(bool(referred), bool(referring), bool(leads), statement_id)


def visible_people_among(user: User, people: QuerySet[Person]) -> QuerySet[Person]:
    """Only those of `people` the user may open (candidates shown to resolve a doubt)."""
    return visible_people(user).filter(pk__in=people.values("pk")).order_by("last_name", "id")


def ready_to_move(user: User) -> tuple[QuerySet[Readiness], dict[int, dt.date]]:
    """People `user` may see past the readiness threshold, and apart from them those who
    would be but are off-limits (person id -> the last day they are). A score worked out
    before their placement was made is held back as well."""
    visible = Readiness.objects.filter(person__in=visible_people(user).values("pk"))
    ready = visible.filter(score__gte=readiness.THRESHOLD)
    held = visible.filter(
        reasons__0__code=readiness.OFF_LIMITS, reasons__0__held_score__gte=readiness.THRESHOLD
    )
    people = {*ready.values_list("person_id", flat=True), *held.values_list("person_id", flat=True)}
    barred = off_limits(people, today=timezone.localdate())
    return ready.exclude(person_id__in=list(barred)), barred


def ready_among(person_ids: list[int]) -> dict[int, int]:
    """Readiness (0–100) of those of `person_ids` past the threshold and not off-limits:
    At risk says who may be open to another role if they cannot be kept."""
    scores = dict(
        Readiness.objects.filter(
            person_id__in=person_ids, score__gte=readiness.THRESHOLD
        ).values_list("person_id", "score")
    )
    barred = off_limits(set(scores), today=timezone.localdate())
    return {pk: round(score * 100) for pk, score in scores.items() if pk not in barred}
