"""The demo agency's newsletter: a monthly issue scheduled a few days after the demo's today.

`keepwarm worker --once --now <scheduled time>` sends it to the demo people with a lawful
basis. Called by keepwarm/lib/demo.py after the people and placements exist.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Exists, OuterRef

from keepwarm.care import worker
from keepwarm.newsletters.models import (
    Audience,
    Issue,
    Kind,
    LibraryBlock,
    Newsletter,
    PublicStatistic,
)
from keepwarm.newsletters.services import (
    add_block,
    add_generated_block,
    add_library_block,
    create_issue,
    schedule_issue,
)
from keepwarm.people.models import Consent, Person, Role
from keepwarm.placements.models import Placement

DAYS_AHEAD = 4
SEND_HOUR = 9

LIBRARY = [
    (
        Kind.TRAINING_COURSES,
        "Courses worth a look this quarter",
        "- **CIPD Level 3 in People Practice**: evenings, 9 months, online.\n"
        "- **AAT Level 2 Certificate in Bookkeeping**: the first step into finance.\n"
        "- **AWS Certified Cloud Practitioner**: a weekend's study for a recognised badge.\n\n"
        "Ask {{ consultant }} if you would like a view on which fits your next step.",
    ),
    (
        Kind.CV_TIPS,
        "Three CV fixes that take ten minutes",
        "1. Lead each role with a result, not a duty: *cut month-end close from 8 to 5 days*.\n"
        "2. Two pages is plenty; drop anything older than 15 years to a single line.\n"
        "3. Match the words of the advert: screening software and busy readers look for them.",
    ),
    (
        Kind.JOB_HUNTING_TIPS,
        "Thinking about a move?",
        "Tell us before you tell anyone else: we hear about roles weeks before they are "
        "advertised, and we already know what you are good at. Reply to this email and "
        "{{ consultant }} will call you back.",
    ),
]


def _give_bases(*, today: dt.date, rng: random.Random, now: dt.datetime) -> None:
    """Most placed people on the soft opt-in, client contacts on legitimate interest, a few
    sign-ups by consent; some say no. People who already have a basis keep it."""
    has_basis = Exists(
        Consent.objects.filter(
            person=OuterRef("pk"), purpose="newsletter", withdrawn_at__isnull=True
        )
    )
    people = (
        Person.objects.exclude(email="")
        .annotate(has_basis=has_basis)
        .filter(has_basis=False)
        .prefetch_related("roles")
        .order_by("pk")
    )
    consents = []
    for person in people:
        kinds = {role.kind for role in person.roles.all()}
        given = now - dt.timedelta(days=rng.randint(30, 700))
        if Role.Kind.CLIENT_CONTACT in kinds:
            basis, kind, method = "legitimate_interest", "corporate", "Client contact, work address"
        elif Role.Kind.PLACED in kinds:
            basis, kind, method = "soft_opt_in", "individual", "Placed by us; opt-out offered"
        else:
            basis, kind, method = "consent", "individual", "Registration form tick box"
        if rng.random() < 0.15:
            continue  # opted out when asked: no basis, no newsletter
        consents.append(
            Consent(
                person=person,
                basis=basis,
                subscriber_type=kind,
                method=method,
                wording="Send me the monthly newsletter." if basis == "consent" else "",
                wording_version="2025-01" if basis == "consent" else "",
                given_at=given,
                frequency="monthly",
            )
        )
    Consent.objects.bulk_create(consents)


def wipe() -> None:
    Issue.objects.all().delete()
    Newsletter.objects.all().delete()
    Audience.objects.all().delete()
    LibraryBlock.objects.all().delete()
    PublicStatistic.objects.all().delete()


def load(*, today: dt.date, seed: int = 7) -> Issue:
    rng = random.Random(seed)
    scheduled = worker.local_time(today + dt.timedelta(days=DAYS_AHEAD), SEND_HOUR)
    now = worker.local_time(today, 8)
    _give_bases(today=today, rng=rng, now=now)
    recent = Placement.objects.filter(
        start_date__gte=today - dt.timedelta(days=150), start_date__lte=today
    ).exclude(status__in=Placement.ENDED)
    featured = [pk for pk in recent.values_list("pk", flat=True) if rng.random() < 0.4]
    Placement.objects.filter(pk__in=featured).update(
        featured_consent=True, featured_consent_on=today - dt.timedelta(days=rng.randint(3, 60))
    )
    library = [LibraryBlock.objects.create(kind=k, title=t, body=b) for k, t, b in LIBRARY]
    audience = Audience.objects.create(
        name="Placed people and clients", roles=[Role.Kind.PLACED, Role.Kind.CLIENT_CONTACT]
    )
    newsletter = Newsletter.objects.create(
        name="Fernbrook Monthly",
        from_name="Fernbrook Recruitment",
        audience=audience,
        frequency="monthly",
        send_day=min((today + dt.timedelta(days=DAYS_AHEAD)).day, 28),
        send_time=dt.time(SEND_HOUR, 0),
        postal_address="Fernbrook Recruitment Ltd, 12 Park Row, Leeds LS1 5HD",
    )
    month = f"{today + dt.timedelta(days=DAYS_AHEAD):%B}"
    issue = create_issue(
        newsletter=newsletter,
        subject=f"Fernbrook Monthly: {month}'s jobs market",
        preheader="Where hiring is heading, who started new roles, and three CV fixes.",
        by=None,
    )
    add_block(
        issue=issue,
        kind=Kind.OPEN_ROLES,
        title="This month at Fernbrook",
        body="Here is what we have seen in the jobs market this month, and what we expect next.",
    )
    for kind in (Kind.EMPLOYMENT_TRENDS, Kind.JOB_FORECASTS, Kind.SUCCESS_STORIES):
        add_generated_block(issue=issue, kind=kind, today=today)
    for item in library:
        add_library_block(issue=issue, item=item)
    return schedule_issue(issue=issue, when=scheduled, now=now)
