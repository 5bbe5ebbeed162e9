"""Retention: records nobody has been in touch with for too long are reviewed or anonymised.

Once a day the worker applies each active rule. A person's clock starts at the latest of:
our last contact with them, when they were added, and when they (or a reviewer) asked to
keep their details. Before the period ends the person is asked, by email, whether we may
keep them (a signed link and a button); when it ends, the rule flags the record for a
manager or anonymises it. Everything it does is logged as a RetentionEvent.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db.models import DateTimeField, Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.mail.compose import compose
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.checkins import agency_from, personal_reply_to
from keepwarm.mail.services.outbox import queue_email
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.privacy.erasure import erase_person
from keepwarm.privacy.models import RetentionEvent, RetentionRule

RETENTION = "retention"
KEEP_SALT = "keepwarm.privacy.keep"
KEEP_LINK_DAYS = 60
DAYS_PER_YEAR = 365


def _with_last_activity(people: QuerySet[Person]) -> QuerySet[Person]:
    return people.annotate(
        last_activity=Greatest(
            "created_at",
            Coalesce("last_contacted_at", "created_at"),
            Coalesce("retention_renewed_at", "created_at"),
            output_field=DateTimeField(),
        )
    )


def people_under(rule: RetentionRule) -> QuerySet[Person]:
    people = Person.objects.filter(erased_at__isnull=True)
    if rule.category == RetentionRule.Category.UNPLACED:
        placed = Placement.objects.filter(person=OuterRef("pk"))
        people = people.exclude(Exists(placed))
    return _with_last_activity(people)


def period(rule: RetentionRule) -> dt.timedelta:
    return dt.timedelta(days=rule.years * DAYS_PER_YEAR)


def apply_rules(*, now: dt.datetime) -> str:
    """The worker's daily job."""
    flagged = anonymised = asked = 0
    for rule in RetentionRule.objects.filter(active=True):
        expired = people_under(rule).filter(last_activity__lt=now - period(rule))  # type: ignore[misc]
        if rule.action == RetentionRule.Action.ANONYMISE:
            anonymised += _anonymise(rule, expired, now=now)
        else:
            flagged += _flag(rule, expired, now=now)
        if rule.reask_days:
            asked += _ask_before_the_end(rule, now=now)
    return f"retention: flagged {flagged}, anonymised {anonymised}, asked {asked}"


def _anonymise(rule: RetentionRule, expired: QuerySet[Person], *, now: dt.datetime) -> int:
    done = 0
    for person in expired.iterator():
        erase_person(person, by=None, reason=f"Retention rule: {rule}")
        RetentionEvent.objects.create(
            person=person, rule=rule, kind=RetentionEvent.Kind.ANONYMISED, at=now
        )
        done += 1
    return done


def _flag(rule: RetentionRule, expired: QuerySet[Person], *, now: dt.datetime) -> int:
    """Flag everyone expired who has no open flag under this rule: one read, one write."""
    open_flag = RetentionEvent.objects.filter(
        person=OuterRef("pk"),
        rule=rule,
        kind=RetentionEvent.Kind.FLAGGED,
        resolved_at__isnull=True,
    )
    ids = list(expired.exclude(Exists(open_flag)).values_list("pk", flat=True))
    RetentionEvent.objects.bulk_create(
        [
            RetentionEvent(person_id=pk, rule=rule, kind=RetentionEvent.Kind.FLAGGED, at=now)
            for pk in ids
        ],
        batch_size=1000,
    )
    return len(ids)


def _ask_before_the_end(rule: RetentionRule, *, now: dt.datetime) -> int:
    window_starts = now - period(rule) + dt.timedelta(days=rule.reask_days)
    soon = people_under(rule).filter(  # type: ignore[misc]
        last_activity__lt=window_starts, last_activity__gte=now - period(rule)
    )
    asked = 0
    for person in soon.exclude(email="").select_related("owner").iterator():
        # One question per person per period: the key carries the activity it answers to.
        key = f"retention-ask:{person.pk}:{person.last_activity:%Y%m%d}"  # type: ignore[attr-defined]
        if queue_keep_question(person, key=key, now=now) is not None:
            RetentionEvent.objects.create(
                person=person, rule=rule, kind=RetentionEvent.Kind.ASKED, at=now
            )
            asked += 1
    return asked


def keep_token(person: Person) -> str:
    return signing.dumps({"p": person.pk}, salt=KEEP_SALT)


def person_from_keep_token(token: str) -> Person | None:
    try:
        data = signing.loads(token, salt=KEEP_SALT, max_age=dt.timedelta(days=KEEP_LINK_DAYS))
    except signing.BadSignature:
        return None
    return Person.objects.filter(pk=data.get("p"), erased_at__isnull=True).first()


def queue_keep_question(person: Person, *, key: str, now: dt.datetime) -> OutboxMessage | None:
    context = {
        "person": person,
        "url": settings.BASE_URL + reverse("keep_details", args=[keep_token(person)]),
        "days": KEEP_LINK_DAYS,
    }
    subject, text, html = compose("retention-ask", context)
    return queue_email(
        key=key,
        to_email=person.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=agency_from(),
        reply_to=personal_reply_to(person.owner),
        send_after=now,
        person=person,
        purpose=OutboxMessage.Purpose.SERVICE,
    )


def keep_for_another_period(
    person: Person, *, now: dt.datetime, by: User | None = None
) -> RetentionEvent:
    Person.objects.filter(pk=person.pk).update(retention_renewed_at=now)
    RetentionEvent.objects.filter(
        person=person, kind=RetentionEvent.Kind.FLAGGED, resolved_at__isnull=True
    ).update(resolved_at=now)
    return RetentionEvent.objects.create(
        person=person, kind=RetentionEvent.Kind.KEPT, at=now, by=by
    )


def open_reviews() -> QuerySet[RetentionEvent]:
    return RetentionEvent.objects.filter(
        kind=RetentionEvent.Kind.FLAGGED, resolved_at__isnull=True, person__erased_at__isnull=True
    ).select_related("person", "rule")
