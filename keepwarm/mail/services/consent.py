"""Consent to marketing: who may be sent a newsletter, on what basis, and the evidence.

It lives with the mail, not the person: whether marketing may go out depends on the
address's suppressions too, and a new consent lifts an unsubscribe.

PECR in one paragraph: an *individual* subscriber (personal address, sole trader,
partnership) needs consent, or the soft opt-in when the agency got the details in a sale
or negotiation (people it placed; its client contacts) and offered an opt-out then and in
every mail. A *corporate* subscriber needs no consent, only identification and an opt-out
(recorded here as legitimate interest). No basis, no send. Check-ins are service mail and
are not governed by any of this.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    jsonable,
    record_created,
    record_entries,
    record_for,
    recorded_update,
    update_with_entries,
)
from keepwarm.lib import events
from keepwarm.mail.models import Suppression
from keepwarm.people.models import Consent, Person, Role

if TYPE_CHECKING:
    from keepwarm.accounts.models import User

Basis = Consent.Basis
SubscriberType = Consent.SubscriberType

# The soft opt-in covers people whose details came from a sale or a negotiation for one:
# those the agency placed and its clients' contacts. A candidate who only registered has
# to give consent.
SOFT_OPT_IN_ROLES = (Role.Kind.PLACED, Role.Kind.CLIENT_CONTACT)

# Suppressions that stop marketing; hard bounces etc. stop everything (see Suppression).
MARKETING_BLOCKERS = (
    *Suppression.BLOCKS_ALL,
    Suppression.Reason.COMPLAINT,
    Suppression.Reason.UNSUBSCRIBE,
)


def _soft_opt_in_allowed() -> Exists:
    return Exists(Role.objects.filter(person=OuterRef("person"), kind__in=SOFT_OPT_IN_ROLES))


def _valid_consents(purpose: str, today: dt.date) -> QuerySet[Consent]:
    """Current, unpaused consents whose basis fits the subscriber (see the module doc)."""
    return (
        Consent.objects.alias(soft_opt_in_ok=_soft_opt_in_allowed())
        .filter(purpose=purpose, withdrawn_at__isnull=True)
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=today))
        .filter(
            Q(basis=Basis.CONSENT)
            | Q(
                basis=Basis.SOFT_OPT_IN,
                subscriber_type=SubscriberType.INDIVIDUAL,
                soft_opt_in_ok=True,
            )
            | Q(basis=Basis.LEGITIMATE_INTEREST, subscriber_type=SubscriberType.CORPORATE)
        )
    )


def marketable_people(purpose: str = "newsletter", *, today: dt.date) -> QuerySet[Person]:
    """Everyone who may be sent marketing for `purpose` today: a valid current basis,
    not paused, an email address, and the address not suppressed. One query."""
    return _marketable(Person.objects.all(), purpose, today=today)


def _marketable(people: QuerySet[Person], purpose: str, *, today: dt.date) -> QuerySet[Person]:
    """`people` narrowed as marketable_people narrows everyone: each person's own row is
    tested, so a query that pages through `people` by id reads one page's worth."""
    consents = _valid_consents(purpose, today).filter(person=OuterRef("pk"))
    suppressed = Suppression.objects.filter(
        email=OuterRef("email_lower"), reason__in=MARKETING_BLOCKERS
    )
    return (
        people.exclude(email="")
        .filter(erased_at__isnull=True)
        .alias(email_lower=Lower("email"))
        .filter(Exists(consents))
        .exclude(Exists(suppressed))
    )


def may_market_to(person: Person, *, purpose: str = "newsletter", today: dt.date) -> bool:
    return marketable_people(purpose, today=today).filter(pk=person.pk).exists()


def lawful(
    people: QuerySet[Person],
    *,
    today: dt.date,
    topics: Sequence[str] = (),
    frequency: str = "",
) -> QuerySet[Person]:
    """`people` narrowed to those we may market to today: no basis, no send.

    The basis check is `marketable_people`; on top of it, someone who
    chose topics only gets newsletters about one of them, and a weekly newsletter only
    reaches people who asked for weekly mail.
    """
    # The person's own row, not `pk IN (everyone marketable)`: a newsletter pages through
    # its audience by id, and SQLite built the whole IN list again for every page of 500,
    # so queueing 100,000 copies grew with the square of the audience.
    people = _marketable(people, Consent.Purpose.NEWSLETTER, today=today)
    current = Consent.objects.filter(
        person=OuterRef("pk"), purpose=Consent.Purpose.NEWSLETTER, withdrawn_at__isnull=True
    )
    if topics:
        # JSON text match: works the same on SQLite (no JSON contains) and PostgreSQL.
        wanted = reduce(operator.or_, (Q(topics__icontains=f'"{topic}"') for topic in topics))
        people = people.filter(Exists(current.filter(Q(topics=[]) | wanted)))
    if frequency == Consent.Frequency.WEEKLY:
        people = people.filter(Exists(current.filter(frequency=Consent.Frequency.WEEKLY)))
    return people


def check_basis(*, person: Person, basis: str, subscriber_type: str) -> None:
    """Raise ValidationError when `basis` cannot apply to this person and address."""
    if basis == Basis.SOFT_OPT_IN:
        if subscriber_type != SubscriberType.INDIVIDUAL:
            raise ValidationError(
                "The soft opt-in is for individual subscribers; a corporate address needs "
                "legitimate interest (or consent)."
            )
        if not person.roles.filter(kind__in=SOFT_OPT_IN_ROLES).exists():
            raise ValidationError(
                "The soft opt-in needs a placement or a negotiation with this person; "
                "ask for their consent instead."
            )
    elif basis == Basis.LEGITIMATE_INTEREST:
        if subscriber_type != SubscriberType.CORPORATE:
            raise ValidationError(
                "Legitimate interest without consent is only for corporate addresses; "
                "an individual needs consent or the soft opt-in."
            )
    elif basis != Basis.CONSENT:
        raise ValidationError(f"Unknown basis {basis!r}.")


def _clean_topics(topics: Iterable[str]) -> list[str]:
    known = set(Consent.Topic.values)
    return [t for t in dict.fromkeys(topics) if t in known]


def record_consent(
    *,
    person: Person,
    basis: str,
    subscriber_type: str,
    method: str,
    wording: str = "",
    wording_version: str = "",
    purpose: str = Consent.Purpose.NEWSLETTER,
    frequency: str = Consent.Frequency.MONTHLY,
    topics: Iterable[str] = (),
    by: User | None = None,
    now: dt.datetime | None = None,
) -> Consent:
    """Record a basis with its evidence; the person's previous one for `purpose` closes.

    An unsubscribe that the provider recorded for the address is lifted: the person has
    just said yes again, which is newer and more specific.
    """
    person.refuse_if_erased()
    now = now or timezone.now()
    check_basis(person=person, basis=basis, subscriber_type=subscriber_type)
    if basis == Basis.CONSENT and not (method and wording):
        raise ValidationError("Consent needs how it was given and the words the person agreed to.")
    with transaction.atomic():
        recorded_update(
            Consent.objects.filter(person=person, purpose=purpose, withdrawn_at__isnull=True),
            withdrawn_at=now,
            withdrawn_how="Replaced by a newer record",
        )
        consent = Consent.objects.create(
            person=person,
            purpose=purpose,
            basis=basis,
            subscriber_type=subscriber_type,
            frequency=frequency,
            topics=_clean_topics(topics),
            given_at=now,
            method=method[:200],
            wording=wording,
            wording_version=wording_version[:50],
            recorded_by=by,
        )
        record_created(consent)
        if person.email:
            Suppression.objects.filter(
                email=person.email.strip().lower(), reason=Suppression.Reason.UNSUBSCRIBE
            ).delete()
    payload = {"person_id": person.pk, "purpose": purpose, "basis": basis, "withdrawn": False}
    events.emit(events.CONSENT_CHANGED, payload)
    return consent


def withdraw_consent(
    *,
    person: Person,
    how: str,
    purpose: str | None = Consent.Purpose.NEWSLETTER,
    now: dt.datetime | None = None,
) -> int:
    """Withdraw marketing consent for `purpose` (None: every purpose) from this person
    and from any other record with the same address: it is the address that asked.
    Returns how many current consents closed."""
    now = now or timezone.now()
    people = Q(person=person)
    if person.email.strip():
        people |= Q(person__email__iexact=person.email.strip())
    current = Consent.objects.filter(people, withdrawn_at__isnull=True)
    if purpose is not None:
        current = current.filter(purpose=purpose)
    return _withdraw(current, withdrawn_at=now, withdrawn_how=how[:200])


def withdraw_consent_for_address(email: str, *, how: str, now: dt.datetime | None = None) -> int:
    """Withdraw every marketing consent of every record with this address (a complaint,
    a provider's unsubscribe: the address is all we know)."""
    if not email.strip():
        return 0
    return _withdraw(
        Consent.objects.filter(person__email__iexact=email.strip(), withdrawn_at__isnull=True),
        withdrawn_at=now or timezone.now(),
        withdrawn_how=how[:200],
    )


def _withdraw(current: QuerySet[Consent], **values: Any) -> int:
    """Close `current` consents on the audit trail, and announce each (webhooks)."""
    entries = update_with_entries(current, **values)
    record_entries(AuditEntry.Action.CHANGED, entries)
    for purpose, person_id in current.model.objects.filter(
        pk__in=[entry.object_id for entry in entries]
    ).values_list("purpose", "person_id"):
        payload = {"person_id": person_id, "purpose": purpose, "basis": "", "withdrawn": True}
        events.emit(events.CONSENT_CHANGED, payload)
    return len(entries)


def current_consent(person: Person, purpose: str = Consent.Purpose.NEWSLETTER) -> Consent | None:
    return Consent.objects.filter(person=person, purpose=purpose, withdrawn_at__isnull=True).first()


PREFERENCES = ("frequency", "topics", "paused_until")


def update_preferences(
    *,
    consent: Consent,
    frequency: str,
    topics: Iterable[str],
    paused_until: dt.date | None,
) -> Consent:
    """Frequency, topics and pause are preferences, not evidence: they change in place."""
    consent.person.refuse_if_erased()
    if frequency not in Consent.Frequency.values:
        raise ValidationError("Choose weekly or monthly.")
    before = {f: jsonable(getattr(consent, f)) for f in PREFERENCES}
    consent.frequency = frequency
    consent.topics = _clean_topics(topics)
    consent.paused_until = paused_until
    consent.save(update_fields=list(PREFERENCES))
    changes = {
        f: [old, jsonable(getattr(consent, f))]
        for f, old in before.items()
        if old != jsonable(getattr(consent, f))
    }
    if changes:
        record_for(AuditEntry.Action.CHANGED, consent, changes=changes)
    return consent
