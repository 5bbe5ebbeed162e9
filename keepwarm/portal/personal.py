"""What an outsider does on their personal page: reach their consultant, report a problem,
say how things are, refer someone, pass on a lead, raise a concern about a placement.

Each action goes through the service that owns the thing it makes (signals' alerts,
network's referrals, leads and statements), so what an outsider says here shows where a
consultant would look for it anyway: on Today, on the person's page, in the network lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Audience, Kind, Touchpoint
from keepwarm.care.queries import looks_after
from keepwarm.network.models import Lead, Referral, RewardRule, StatusStatement
from keepwarm.network.services import (
    active_rule,
    receive_lead,
    receive_referral,
    record_statement,
)
from keepwarm.people.models import Consent, Person, Role
from keepwarm.people.services import record_contact
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, SignalKind
from keepwarm.signals.services.alerts import open_alert
from keepwarm.signals.services.concerns import record_reported
from keepwarm.surveys.models import Response

MAX_TEXT = 2000
# The latest questionnaires answered, shown on the page; older ones are with the consultant.
ANSWERS_SHOWN = 5
AGREED_NOTE = "They agreed to be contacted (the referrer said so on their personal page)."


@dataclass(frozen=True)
class Consultant:
    """Who an outsider should contact, and who stands in for them today."""

    user: User
    cover: User | None

    @property
    def reach(self) -> User:
        return self.cover or self.user


def _active_first(placements: QuerySet[Placement]) -> QuerySet[Placement]:
    active = Case(
        When(status__in=Placement.ACTIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return placements.annotate(_inactive=active).order_by("_inactive", "-start_date", "-id")


def own_placements(person: Person) -> QuerySet[Placement]:
    """The person's own placements, the current ones first."""
    return _active_first(Placement.objects.filter(person=person).select_related("company", "owner"))


def hired_placements(person: Person) -> QuerySet[Placement]:
    """Current placements where the person is the client's hiring manager."""
    return (
        Placement.objects.filter(hiring_manager=person, status__in=Placement.ACTIVE)
        .select_related("company", "person", "owner")
        .order_by("-start_date", "-id")
    )


def is_placed(person: Person) -> bool:
    return Role.objects.filter(person=person, kind=Role.Kind.PLACED).exists()


def client_companies(person: Person) -> list[int]:
    return list(
        Role.objects.filter(
            person=person,
            kind=Role.Kind.CLIENT_CONTACT,
            ended_on__isnull=True,
            company__isnull=False,
        ).values_list("company_id", flat=True)
    )


def past_answers(person: Person, *, shown: int = ANSWERS_SHOWN) -> list[Response]:
    """The questionnaires `person` answered themselves, newest first, with their answers:
    never anyone else's, not even about the same placement."""
    return list(
        Response.objects.filter(person=person)
        .select_related("questionnaire", "placement__company", "placement__person")
        .prefetch_related("answers__question")
        .order_by("-submitted_at", "-id")[:shown]
    )


def newsletter_consent(person: Person) -> Consent | None:
    """The newsletter basis in force for `person` (its frequency, topics and pause), if any."""
    return person.consents.filter(
        purpose=Consent.Purpose.NEWSLETTER, withdrawn_at__isnull=True
    ).first()


def reward_rules() -> list[RewardRule]:
    """The referral rewards in force, candidate first; empty when the agency pays none.
    The page puts them in words (portal/_reward_rule.html) on the terms that
    Referral.reward_date and reward_is_due apply."""
    rules = (active_rule(kind) for kind in (RewardRule.Kind.CANDIDATE, RewardRule.Kind.CLIENT))
    return [rule for rule in rules if rule is not None]


def consultant_for(person: Person, *, today: dt.date | None = None) -> Consultant | None:
    """The consultant who looks after `person` (care.queries.looks_after), with whoever
    stands in for them today."""
    who = looks_after(person, day=today)
    if who.owner is None:
        return None
    return Consultant(user=who.owner, cover=who.stand_in)


def _text(text: str, field: str, missing: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({field: missing})
    return text[:MAX_TEXT]


def _note_on_placement(
    *, person: Person, placement: Placement, text: str, now: dt.datetime
) -> None:
    """Noted on `person`'s timeline as part of `placement`, so that only those who may
    open the placement read it: a hiring manager may manage colleagues' placements too,
    and a placed candidate may since have become a hiring manager for a colleague."""
    Touchpoint.objects.create(
        person=person,
        placement=placement,
        kind=Kind.NOTE,
        audience=Audience.CANDIDATE if placement.person_id == person.pk else Audience.CLIENT,
        title="Note from their personal page",
        notes=text,
        owner=placement.owner,
        due_on=timezone.localdate(now),
        state=Touchpoint.State.DONE,
        done_at=now,
    )


def report_problem(*, person: Person, text: str, now: dt.datetime | None = None) -> Alert | None:
    """A placed candidate reports a problem: an alert for their consultant (or the colleague
    covering), due in one working day, on their latest placement; noted on their timeline
    as part of that placement (it is about the job, like a client's concern).

    Returns the new alert, or None when the placement already had one open (the problem
    is added to it).
    """
    text = _text(text, "text", "Tell us what the problem is.")
    placement = own_placements(person).first()
    if placement is None:
        raise ValidationError("We have no placement of yours on record; please call us instead.")
    return _report(
        person=person,
        placement=placement,
        note=f"Reported a problem on their personal page: {text}",
        alert=f"{person.full_name} reported a problem on their personal page: {text}",
        kind=SignalKind.REPORTED_PROBLEM,
        signal=f"Reported a problem on their personal page: {text}",
        now=now,
    )


def raise_concern(
    *, person: Person, placement: Placement, text: str, now: dt.datetime | None = None
) -> Alert | None:
    """A client contact raises a concern about a placement they manage: an alert for the
    placement's consultant, noted on the contact's timeline."""
    text = _text(text, "text", "Tell us what concerns you.")
    if placement.hiring_manager_id != person.pk:
        raise ValidationError({"placement": "Choose one of the placements you manage."})
    return _report(
        person=person,
        placement=placement,
        note=f"Raised a concern about {placement.person.full_name}: {text}",
        alert=(
            f"{person.full_name} (client) raised a concern about "
            f"{placement.person.full_name} on their personal page: {text}"
        ),
        kind=SignalKind.CLIENT_CONCERN,
        signal=f"Client raised a concern on their personal page: {text}",
        now=now,
    )


def _report(
    *,
    person: Person,
    placement: Placement,
    note: str,
    alert: str,
    kind: str,
    signal: str,
    now: dt.datetime | None,
) -> Alert | None:
    """Noted on the person's timeline as part of the placement it is about, an alert for
    the consultant, and a sign in the placement's risk until that alert is closed: all or
    nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        _note_on_placement(person=person, placement=placement, text=note, now=now)
        record_contact(person=person, at=now)
        opened = open_alert(placement=placement, reason=alert, now=now)
        record_reported(placement=placement, kind=kind, reason=signal, now=now)
        return opened


def say_how_things_are(
    *, person: Person, status: str, contract_end_on: dt.date | None
) -> StatusStatement:
    statement = record_statement(
        person=person, status=status, contract_end_on=contract_end_on, source="personal_page"
    )
    record_contact(person=person, at=timezone.now())
    return statement


def refer(
    *,
    person: Person,
    kind: str,
    name: str,
    agreed_to_contact: bool,
    email: str = "",
    phone: str = "",
    company_name: str = "",
    notes: str = "",
) -> Referral:
    """A referral from the personal page: only of someone who agreed to hear from us, and
    the referral says so for the consultant who calls them."""
    if not agreed_to_contact:
        raise ValidationError(
            {"agreed_to_contact": "Please ask them first: we only contact people who agreed."}
        )
    received = receive_referral(
        referrer=person,
        kind=kind,
        name=name,
        email=email,
        phone=phone,
        company_name=company_name,
        notes="\n\n".join(part for part in (notes.strip(), AGREED_NOTE) if part),
    )
    record_contact(person=person, at=timezone.now())
    return received


def pass_on_lead(
    *,
    person: Person,
    company_name: str,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    role_hint: str = "",
    notes: str = "",
) -> Lead:
    received = receive_lead(
        source=person,
        company_name=company_name,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        role_hint=role_hint,
        notes=notes,
    )
    record_contact(person=person, at=timezone.now())
    return received


def tell_about_role(*, person: Person, company_name: str, title: str, notes: str = "") -> Lead:
    """A client contact has a new role to fill: a lead from them, about their own company,
    with them as the contact, for the consultant to turn into a vacancy."""
    return pass_on_lead(
        person=person,
        company_name=company_name,
        contact_name=person.full_name,
        contact_email=person.email,
        contact_phone=person.phone,
        role_hint=title,
        notes=notes,
    )
