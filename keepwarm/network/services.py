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
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone

from keepwarm.lib import events
from keepwarm.network.models import Lead, Referral, RewardRule, StatusStatement
from keepwarm.people.models import Person, Role

if TYPE_CHECKING:
    from keepwarm.accounts.models import User

# How alike two names must be (difflib ratio on folded full names) to count as "close":
# catches "Jon Smith"/"John Smith" and "Priya Patel"/"Priya Patil", not "Sam Jones"/"Tom Jones".
CLOSE_NAME_RATIO = 0.85
# Phones compare on their last digits: "+44 7700 900123" and "07700900123" are one number.
PHONE_DIGITS_COMPARED = 9
MAX_CANDIDATES = 10


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


def _people_with_phone(key: str) -> QuerySet[Person]:
    # Strip the usual separators in the database so both engines compare digits; a
    # referral is rare enough that scanning the phone column is fine.
    cleaned = Replace("phone", Value(" "), Value(""))
    for sep in ("-", "(", ")", ".", "+"):
        cleaned = Replace(cleaned, Value(sep), Value(""))
    return (
        Person.objects.exclude(phone="")
        .annotate(phone_digits=cleaned)
        .filter(phone_digits__endswith=key)
    )


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
        same_phone = list(_people_with_phone(key).order_by("id")[: MAX_CANDIDATES * 5])
        same_phone = [p for p in same_phone if phone_key(p.phone) == key]
        close = [p for p in same_phone if names_are_close(p.full_name, name)]
        if len(close) == 1:
            return close[0], []
        for person in close or same_phone:
            candidates[person.pk] = person
    folded = fold_name(name)
    parts = folded.split()
    if len(parts) > 1:
        # The same name with no email or phone in common: perhaps them, perhaps a namesake.
        namesakes = Person.objects.filter(
            first_name__iexact=name.split()[0], last_name__iexact=" ".join(name.split()[1:])
        ).order_by("id")[:MAX_CANDIDATES]
        for person in namesakes:
            if fold_name(person.full_name) == folded:
                candidates.setdefault(person.pk, person)
    return None, list(candidates.values())[:MAX_CANDIDATES]


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
    if kind not in Referral.Kind.values:
        raise ValidationError("Say whether you are referring a candidate or a client.")
    name = _required(name, "Give the name of the person you are referring.")[:200]
    email, phone = email.strip()[:254], phone.strip()[:40]
    company_name = " ".join(company_name.split())[:200]
    if kind == Referral.Kind.CLIENT and not company_name:
        raise ValidationError("For a client referral, give the company's name.")
    owner = referrer.owner or by
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
                notes=f"Referred by {referrer.full_name}.",
            )
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
            owner=source.owner or by,
        )
        if candidates:
            lead.contact_candidates.set(candidates)
    return lead


def record_statement(
    *, person: Person, status: str, contract_end_on: dt.date | None, source: str
) -> StatusStatement:
    """A person saying how things are ("happy", "open", "actively looking")."""
    if status not in StatusStatement.Status.values:
        raise ValidationError("Choose how things are: happy, open to roles, or actively looking.")
    if source not in StatusStatement.Source.values:
        raise ValidationError(f"Unknown source {source!r}.")
    return StatusStatement.objects.create(
        person=person, status=status, contract_end_on=contract_end_on, source=source
    )


def referrals_involving(person: Person) -> QuerySet[Referral]:
    return Referral.objects.filter(Q(referrer=person) | Q(referred=person))
