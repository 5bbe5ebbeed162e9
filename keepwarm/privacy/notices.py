"""Privacy notices for people whose details came from somewhere other than themselves.

UK GDPR Art. 14: tell them who you are, where the data came from and their rights within a
month of obtaining it (or at first contact, if sooner). The worker emails the notice once a
day for everyone due; those without an email address are listed on the Privacy page so a
consultant can tell them by phone or letter and record it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from keepwarm.lib.dates import add_months
from keepwarm.mail.compose import compose
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.checkins import agency_from, personal_reply_to
from keepwarm.mail.services.outbox import queue_email
from keepwarm.people.models import Person
from keepwarm.privacy.models import RetentionRule

NOTICES = "privacy-notices"
NOTICE_BATCH = 1000
INDIRECT_SOURCES = (
    Person.Source.SOURCED,
    Person.Source.REFERRED,
    Person.Source.CLIENT,
    Person.Source.IMPORTED,
)


def notices_owed() -> QuerySet[Person]:
    """People told nothing yet about data we did not get from them."""
    return Person.objects.filter(
        source__in=INDIRECT_SOURCES, privacy_notice_sent_at__isnull=True, erased_at__isnull=True
    )


def notice_deadline(person: Person) -> dt.date:
    obtained = person.obtained_on or timezone.localdate(person.created_at)
    return add_months(obtained, 1)


def retention_years() -> int:
    """The longest the agency keeps anyone's details after the last contact, as its active
    retention rules say (the KEEPWARM_RETENTION_YEARS default when it has none)."""
    longest = RetentionRule.objects.filter(active=True).aggregate(most=Max("years"))["most"]
    return int(longest or settings.KEEPWARM_RETENTION_YEARS)


def queue_notice(person: Person, *, now: dt.datetime) -> OutboxMessage | None:
    context = {
        "person": person,
        "source": person.get_source_display().lower(),
        "basis": person.get_lawful_basis_display().lower(),
        "obtained": person.obtained_on or timezone.localdate(person.created_at),
        "owner": person.owner,
        "retention_years": retention_years(),
    }
    subject, text, html = compose("privacy-notice", context)
    return queue_email(
        key=f"privacy-notice:{person.pk}",
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


def send_privacy_notices(*, now: dt.datetime) -> str:
    """The worker's daily job: queue a notice for everyone owed one who has an address."""
    queued = 0
    told: list[int] = []
    for person in notices_owed().exclude(email="").select_related("owner").iterator():
        queue_notice(person, now=now)
        told.append(person.pk)
        if len(told) == NOTICE_BATCH:
            queued += _record_told(told, now=now)
    queued += _record_told(told, now=now)
    by_hand = notices_owed().filter(email="").count()
    return f"privacy notices queued {queued}, to give by hand {by_hand}"


def _record_told(told: list[int], *, now: dt.datetime) -> int:
    """Recorded as sent when queued: the outbox row (and Sent mail) is the evidence."""
    count = Person.objects.filter(pk__in=told).update(privacy_notice_sent_at=now)
    told.clear()
    return count


def mark_notice_given(person: Person, *, now: dt.datetime) -> None:
    """A consultant told them by phone or letter."""
    Person.objects.filter(pk=person.pk, privacy_notice_sent_at__isnull=True).update(
        privacy_notice_sent_at=now
    )
