"""Receiving referrals, leads and statements, and recognising people already known.

The personal page (portal), staff pages and the API all come through here, so a referral
is de-duplicated, attributed and announced the same way wherever it was made.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from keepwarm.audit.recording import record_created
from keepwarm.care.queries import looks_after
from keepwarm.lib import events
from keepwarm.network.models import Lead, Referral, RewardRule, StatusStatement, Vacancy
from keepwarm.people.models import Company, Person, Role

if TYPE_CHECKING:
    from keepwarm.accounts.models import User

# How alike two names must be (difflib ratio on folded full names) to count as "close":
# catches "Jon Smith"/"John Smith" and "Priya Patel"/"Priya Patil", not "Sam Jones"/"Tom Jones".
CLOSE_NAME_RATIO = 0.85
# Phones compare on their last digits: "+44 7700 900123" and "07700900123" are one number.
PHONE_DIGITS_COMPARED = 9
MAX_CANDIDATES = 10
# Notes written for a new record never name who referred them or passed the lead on:
# everyone who may open the record reads its notes, and the referrer or source may be a
# colleague's contact. The referral or lead keeps the link, shown by its own rule.
REFERRED_NOTE = "Came to us through a referral."
LEAD_CONTACT_NOTE = "Came to us as the contact on a lead."


def fold_name(name: str) -> str:
    """Lower case, no accents, single spaces: "  José  O'Neil" -> "jose o'neil"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


def phone_key(phone: str) -> str:
    """The digits that identify a number whatever its formatting ("" if too short)."""
    digits = re.sub(r"\D", "", phone)
    return digits[-PHONE_DIGITS_COMPARED:] if len(digits) >= PHONE_DIGITS_COMPARED else ""


def names_are_close(a: str, b: str) -> bool:
    a, b = fold_name(a), fold_name(b)
    if not a or not b:
        return False
    if a == b:
        return True
    a_parts, b_parts = a.split(), b.split()
    # "Sam Jones" / "Samantha Jones": same surname, one first name starts the other.
    same_surname = len(a_parts) > 1 and len(b_parts) > 1 and a_parts[-1] == b_parts[-1]
    if same_surname and (a_parts[0].startswith(b_parts[0]) or b_parts[0].startswith(a_parts[0])):
        return True
    # "Patel Priya" written surname first.
    if sorted(a_parts) == sorted(b_parts):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= CLOSE_NAME_RATIO


def _people_with_phone(key: str) -> list[Person]:
    """People whose number ends in the same digits as `key`, however it was written.

    Normalising every number in SQL (nested REPLACEs) took over a second on 200k people,
    and so did reading the tenth that end in the same digit. Numbers end in a group of two
    or more digits however they are spaced ("0113 496 0000", "+44 7700-900-123"), so
    those ending in the same two digits (a hundredth) are read and normalised in Python.
    """
    two = key[-2:]
    ends = Q(phone__endswith=two) | Q(phone__endswith=two + " ")
    ids = [
        pk
        for pk, phone in Person.objects.filter(ends).order_by().values_list("pk", "phone")
        if phone_key(phone) == key
    ]
    return list(Person.objects.filter(pk__in=ids[: MAX_CANDIDATES * 5]).order_by("id"))


def _spellings(word: str) -> set[str]:
    return {word, word.lower(), word.upper(), word.title(), word.capitalize()}


def find_existing_person(
    *, name: str, email: str = "", phone: str = ""
) -> tuple[Person | None, list[Person]]:
    """The person already known by these details, or the candidates when in doubt.

    Same email (ignoring case) is the same person. Otherwise, the same phone number and a
    close name is the same person. Anything less certain — several people sharing the email,
    several close names on one number, the number known under another name, or the exact
    name known with other details — links no one and returns the candidates, for a
    consultant to decide.
    """
    email = email.strip()
    if email:
        by_email = list(Person.objects.filter(email__iexact=email).order_by("id")[:MAX_CANDIDATES])
        if len(by_email) == 1:
            return by_email[0], []
        if by_email:
            return None, by_email
    candidates: dict[int, Person] = {}
    key = phone_key(phone)
    if key:
        same_phone = _people_with_phone(key)
        close = [p for p in same_phone if names_are_close(p.full_name, name)]
        if len(close) == 1:
            return close[0], []
        for person in close or same_phone:
            candidates[person.pk] = person
    folded = fold_name(name)
    parts = folded.split()
    if len(parts) > 1:
        # The same name with no email or phone in common: perhaps them, perhaps a namesake.
        # Exact spellings use the surname index; case-insensitive matching would scan.
        first, last = name.split()[0], " ".join(name.split()[1:])
        namesakes = Person.objects.filter(
            first_name__in=_spellings(first), last_name__in=_spellings(last)
        ).order_by("id")[:MAX_CANDIDATES]
        for person in namesakes:
            if fold_name(person.full_name) == folded:
                candidates.setdefault(person.pk, person)
    return None, list(candidates.values())[:MAX_CANDIDATES]


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if not parts:
        return "", ""
    return parts[0][:100], " ".join(parts[1:])[:100]


def _required(value: str, message: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValidationError(message)
    return value


def active_rule(kind: str) -> RewardRule | None:
    return RewardRule.objects.filter(kind=kind, active=True).order_by("id").first()


def receive_referral(
    *,
    referrer: Person,
    kind: str,
    name: str,
    email: str = "",
    phone: str = "",
    company_name: str = "",
    notes: str = "",
    by: User | None = None,
) -> Referral:
    """Record that `referrer` pointed the agency at someone, linked to them if known.

    A clearly new candidate gets a record of their own (owned by the referrer's
    consultant), so they can be called; a doubtful match links no one and keeps the
    candidates for a consultant to resolve. Announces `referral.received`.
    """
    referrer.refuse_if_erased()
    if kind not in Referral.Kind.values:
        raise ValidationError("Say whether you are referring a candidate or a client.")
    name = _required(name, "Give the name of the person you are referring.")[:200]
    email, phone = email.strip()[:254], phone.strip()[:40]
    company_name = " ".join(company_name.split())[:200]
    if kind == Referral.Kind.CLIENT and not company_name:
        raise ValidationError("For a client referral, give the company's name.")
    # Whoever looks after the referrer now (their live placement's owner) thanks them.
    owner = looks_after(referrer).owner or by
    with transaction.atomic():
        match, candidates = find_existing_person(name=name, email=email, phone=phone)
        if match is None and not candidates and kind == Referral.Kind.CANDIDATE:
            first, last = split_name(name)
            match = Person.objects.create(
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                owner=owner,
                notes=REFERRED_NOTE,
            )
            record_created(match)
            Role.objects.create(
                person=match, kind=Role.Kind.CANDIDATE, started_on=timezone.localdate()
            )
        rule = active_rule(kind)
        referral = Referral.objects.create(
            referrer=referrer,
            referred=match,
            kind=kind,
            name=name,
            email=email,
            phone=phone,
            company_name=company_name,
            notes=notes,
            rule=rule,
            reward_amount=rule.amount if rule else None,
            owner=owner,
        )
        if candidates:
            referral.candidates.set(candidates)
        events.emit(
            events.REFERRAL_RECEIVED,
            {
                "referral_id": referral.pk,
                "referrer_id": referrer.pk,
                "referred_id": match.pk if match else None,
                "kind": kind,
                "summary": f"{referrer.full_name} referred {name}",
            },
        )
    return referral


def receive_lead(
    *,
    source: Person,
    company_name: str,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    role_hint: str = "",
    notes: str = "",
    by: User | None = None,
) -> Lead:
    """Record a lead passed on by `source`; the contact is linked if already known.

    Nothing else is created until a consultant converts the lead (see `convert_lead`).
    """
    source.refuse_if_erased()
    company_name = _required(company_name, "Give the company's name.")[:200]
    contact_name = " ".join(contact_name.split())[:200]
    contact_email, contact_phone = contact_email.strip()[:254], contact_phone.strip()[:40]
    with transaction.atomic():
        contact: Person | None = None
        candidates: list[Person] = []
        if contact_name or contact_email:
            contact, candidates = find_existing_person(
                name=contact_name, email=contact_email, phone=contact_phone
            )
        lead = Lead.objects.create(
            source=source,
            company_name=company_name,
            contact_name=contact_name,
            contact_email=contact_email,
            contact_phone=contact_phone,
            role_hint=" ".join(role_hint.split())[:200],
            notes=notes,
            contact=contact,
            owner=looks_after(source).owner or by,
        )
        if candidates:
            lead.contact_candidates.set(candidates)
        events.emit(
            events.LEAD_RECEIVED,
            {"lead_id": lead.pk, "source_id": source.pk, "contact_id": lead.contact_id},
        )
    return lead


def _lead_status_changed(lead: Lead) -> None:
    payload = {"lead_id": lead.pk, "status": lead.status, "vacancy_id": lead.vacancy_id}
    events.emit(events.LEAD_STATUS_CHANGED, payload)


def _referral_status_changed(referral: Referral) -> None:
    payload = {"referral_id": referral.pk, "status": referral.status}
    events.emit(events.REFERRAL_STATUS_CHANGED, payload)


def record_statement(
    *, person: Person, status: str, contract_end_on: dt.date | None, source: str
) -> StatusStatement:
    """A person saying how things are ("happy", "open", "actively looking")."""
    person.refuse_if_erased()
    if status not in StatusStatement.Status.values:
        raise ValidationError("Choose how things are: happy, open to roles, or actively looking.")
    if source not in StatusStatement.Source.values:
        raise ValidationError(f"Unknown source {source!r}.")
    return StatusStatement.objects.create(
        person=person, status=status, contract_end_on=contract_end_on, source=source
    )


def referrals_involving(person: Person) -> QuerySet[Referral]:
    return Referral.objects.filter(Q(referrer=person) | Q(referred=person))


# --- The referral's life: received → contacted → placed/won → reward due → paid ----------

S = Referral.Status


def advance_referral(
    *,
    referral: Referral,
    to: str,
    by: User | None = None,
    placement_id: int | None = None,
    rule: RewardRule | None = None,
    paid_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Referral:
    """Move a referral on one step, working out its reward when it is placed or won."""
    today = today or timezone.localdate()
    if to not in referral.next_statuses():
        raise ValidationError(
            f"A referral that is “{referral.get_status_display()}” cannot become "
            f"“{S(to).label if to in S.values else to}”."
        )
    fields = ["status", "updated_at"]
    if to in (S.PLACED, S.WON):
        if rule is not None:
            referral.rule = rule
            referral.reward_amount = rule.amount
            fields += ["rule", "reward_amount"]
        if placement_id is not None:
            if referral.referred is None:
                raise ValidationError("Link the referred person before choosing a placement.")
            placement = referral.referred.placements.filter(pk=placement_id).first()
            if placement is None:
                raise ValidationError("Choose one of the referred person's placements.")
            referral.placement = placement
            fields.append("placement")
        referral.reward_due_on = referral.reward_date(today=today)
        fields.append("reward_due_on")
    elif to == S.REWARD_DUE and not referral.reward_is_due(today=today):
        if referral.reward_due_on is None:
            raise ValidationError("There is no reward for this referral under its rule.")
        raise ValidationError(
            f"The reward is not due until {_day(referral.reward_due_on)}, "
            "or the placement fell through before then."
        )
    elif to == S.PAID:
        if referral.status != S.REWARD_DUE and not referral.reward_is_due(today=today):
            raise ValidationError("Only a reward that is due can be paid.")
        referral.paid_on = paid_on or today
        fields.append("paid_on")
    referral.status = to
    if referral.owner_id is None and by is not None:
        referral.owner = by
        fields.append("owner")
    referral.save(update_fields=fields)
    _referral_status_changed(referral)
    return referral


def mark_rewards_due(*, today: dt.date) -> int:
    """Placed or won referrals whose reward date has come become "reward due".

    Meant for the worker's daily tick; the rewards-due list shows them either way.
    """
    moved = 0
    waiting = Referral.objects.filter(
        status__in=(S.PLACED, S.WON), reward_due_on__lte=today
    ).select_related("placement")
    for referral in waiting:
        if referral.reward_is_due(today=today):
            changed = Referral.objects.filter(pk=referral.pk, status=referral.status).update(
                status=S.REWARD_DUE, updated_at=timezone.now()
            )
            if changed:
                referral.status = S.REWARD_DUE
                _referral_status_changed(referral)
            moved += changed
    return moved


def resolve_referral(
    *, referral: Referral, person: Person | None, by: User | None = None
) -> Referral:
    """A consultant settles a doubtful referral: it is this known person, or someone new."""
    with transaction.atomic():
        if person is None:
            first, last = split_name(referral.name)
            person = Person.objects.create(
                first_name=first,
                last_name=last,
                email=referral.email,
                phone=referral.phone,
                owner=referral.owner or by,
                notes=REFERRED_NOTE,
            )
            record_created(person)
            company = None
            if referral.kind == Referral.Kind.CLIENT and referral.company_name:
                company = Company.objects.filter(name__iexact=referral.company_name).first()
            if referral.kind == Referral.Kind.CANDIDATE or company is not None:
                kind = Role.Kind.CANDIDATE if company is None else Role.Kind.CLIENT_CONTACT
                Role.objects.create(
                    person=person, kind=kind, company=company, started_on=timezone.localdate()
                )
        referral.referred = person
        referral.save(update_fields=["referred", "updated_at"])
        referral.candidates.clear()
    return referral


def resolve_lead_contact(*, lead: Lead, person: Person | None) -> Lead:
    """The lead's contact is this known person, or (None) someone new made on conversion."""
    lead.contact = person
    lead.save(update_fields=["contact"])
    lead.contact_candidates.clear()
    return lead


def convert_lead(
    *,
    lead: Lead,
    by: User,
    company_name: str,
    title: str,
    sector: str = "",
    location: str = "",
    add_contact: bool = True,
) -> Lead:
    """Turn a lead into a company (reused when the name is known), a vacancy and, if named,
    its contact as a client contact there. The lead keeps pointing at all three, so the
    business always shows where it came from."""
    company_name = _required(company_name, "Give the company's name.")[:200]
    title = _required(title, "Give the vacancy a title.")[:200]
    with transaction.atomic():
        # Lock the lead so two consultants converting at once make one company, not two.
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status != Lead.Status.NEW:
            raise ValidationError(f"This lead is already {lead.get_status_display().lower()}.")
        if add_contact and lead.contact is None and lead.contact_candidates.exists():
            raise ValidationError(
                "Several people could be this lead's contact: say who it is first."
            )
        company = Company.objects.filter(name__iexact=company_name).order_by("id").first()
        if company is None:
            company = Company.objects.create(
                name=company_name, sector=sector, location=location, owner=by
            )
            record_created(company)
        vacancy = Vacancy.objects.create(
            company=company,
            title=title,
            sector=sector or company.sector,
            location=location or company.location,
            notes=_lead_note(lead),
            owner=by,
        )
        contact = lead.contact
        if add_contact and contact is None and lead.contact_name:
            first, last = split_name(lead.contact_name)
            contact = Person.objects.create(
                first_name=first,
                last_name=last,
                email=lead.contact_email,
                phone=lead.contact_phone,
                owner=by,
                notes=LEAD_CONTACT_NOTE,
            )
            record_created(contact)
        if add_contact and contact is not None:
            has_role = contact.roles.filter(
                kind=Role.Kind.CLIENT_CONTACT, company=company, ended_on__isnull=True
            ).exists()
            if not has_role:
                Role.objects.create(
                    person=contact,
                    kind=Role.Kind.CLIENT_CONTACT,
                    company=company,
                    started_on=timezone.localdate(),
                )
        lead.company, lead.vacancy, lead.contact = company, vacancy, contact
        lead.status = Lead.Status.CONVERTED
        if lead.owner_id is None:
            lead.owner = by
        lead.save(update_fields=["company", "vacancy", "contact", "status", "owner"])
        _lead_status_changed(lead)
        lead.contact_candidates.clear()
    return lead


def _lead_note(lead: Lead) -> str:
    received = timezone.localtime(lead.received_at).date()
    parts = [f"From a lead received on {_day(received)}."]
    if lead.role_hint:
        parts.append(f"Role hint: {lead.role_hint}")
    if lead.notes:
        parts.append(lead.notes)
    return "\n".join(parts)


def discard_lead(*, lead: Lead) -> Lead:
    if lead.status != Lead.Status.NEW:
        raise ValidationError(f"This lead is already {lead.get_status_display().lower()}.")
    lead.status = Lead.Status.DISCARDED
    lead.save(update_fields=["status"])
    _lead_status_changed(lead)
    return lead
