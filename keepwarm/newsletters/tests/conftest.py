"""Newsletter fixtures: an audience of the cast with a lawful basis, and a monthly newsletter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from keepwarm.conftest import Cast
from keepwarm.mail.services.consent import record_consent
from keepwarm.newsletters.models import Audience, Issue, Kind, Newsletter
from keepwarm.newsletters.services import add_block, create_issue
from keepwarm.people.models import Consent, Person, Role

TODAY = dt.date(2026, 6, 10)
NOW = dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.UTC)


def subscribe(
    person: Person, *, topics: tuple[str, ...] = (), frequency: str = "monthly"
) -> Consent:
    return record_consent(
        person=person,
        basis=Consent.Basis.CONSENT,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Sign-up form",
        wording="Send me the monthly newsletter.",
        wording_version="v1",
        topics=topics,
        frequency=frequency,
        now=NOW - dt.timedelta(days=30),
    )


@dataclass
class Setup:
    cast: Cast
    audience: Audience
    newsletter: Newsletter
    issue: Issue


@pytest.fixture
def setup(cast: Cast) -> Setup:
    # The placed candidate was rung last week: a quiet placement would open a risk alert on
    # the tick, and its email would mix with the newsletter's copies these tests count.
    Person.objects.filter(pk=cast.candidate.pk).update(last_contacted_at=NOW - dt.timedelta(days=7))
    record_consent(
        person=cast.candidate,
        basis=Consent.Basis.SOFT_OPT_IN,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Placed by us; opt-out offered at placement",
        now=NOW - dt.timedelta(days=60),
    )
    record_consent(
        person=cast.client_contact,
        basis=Consent.Basis.LEGITIMATE_INTEREST,
        subscriber_type=Consent.SubscriberType.CORPORATE,
        method="Client contact, work address",
        now=NOW - dt.timedelta(days=60),
    )
    audience = Audience.objects.create(name="Everyone")
    newsletter = Newsletter.objects.create(
        name="Acme Recruitment Monthly",
        from_name="Acme Recruitment",
        audience=audience,
        postal_address="1 High Street, Leeds LS1 1AA",
        send_time=dt.time(9, 30),
    )
    issue = create_issue(
        newsletter=newsletter, subject="June news", preheader="Jobs", by=cast.owner
    )
    add_block(
        issue=issue,
        kind=Kind.CV_TIPS,
        title="Three CV tips",
        body="Hi {{ first_name }}, keep it to **two pages**. See [our guide](https://agency.example/cv).",
    )
    return Setup(cast=cast, audience=audience, newsletter=newsletter, issue=issue)


def make_person(
    first: str, *, email: str = "", role: str = Role.Kind.PLACED, **fields: object
) -> Person:
    person = Person.objects.create(
        first_name=first,
        last_name="Tester",
        email=email or f"{first.lower()}@example.net",
        **fields,
    )
    Role.objects.create(person=person, kind=role, started_on=dt.date(2025, 1, 6))
    return person


def editor_data(
    issue: Issue,
    *,
    action: str = "save",
    subject: str | None = None,
    blocks: dict[int, tuple[str, str]] | None = None,
    version: int | None = None,
) -> dict[str, str]:
    """The editor form as the page sends it: every block as stored unless `blocks` gives
    its (title, body), at the version the page was opened (the stored one unless given)."""
    issue.refresh_from_db()
    data = {
        "subject": issue.subject if subject is None else subject,
        "preheader": issue.preheader,
        "version": str(issue.version if version is None else version),
        "action": action,
    }
    for block in issue.blocks.all():
        title, body = (blocks or {}).get(block.pk, (block.title, block.body))
        data[f"b{block.pk}-title"] = title
        data[f"b{block.pk}-body"] = body
    return data
