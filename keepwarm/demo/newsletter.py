"""The demo agency's newsletter: the two monthly issues before the demo's today, sent, with
their opens and clicks, and the next one scheduled a few days after today.

The sent issues go through the worker's own steps as of their send day (rendered once
with tracking, a copy queued per member, the send-time checks, then captured: never
mailed). `keepwarm worker --once --now <scheduled time>` sends the scheduled one to the
demo people with a lawful basis. Called by keepwarm/demo/agency.py after the people and
placements exist.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Exists, OuterRef

from keepwarm.demo.words import DOMAIN
from keepwarm.lib.bulk import insert_rows
from keepwarm.lib.dates import add_months, agency_zone, local_time
from keepwarm.mail.backends import CaptureBackend
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.sending import send_now
from keepwarm.newsletters.models import (
    Audience,
    Engagement,
    Issue,
    Kind,
    LibraryBlock,
    Newsletter,
    PublicStatistic,
)
from keepwarm.newsletters.queries import issue_messages
from keepwarm.newsletters.services import (
    add_block,
    add_generated_block,
    add_library_block,
    close_finished_issues,
    create_issue,
    run_due_issues,
    schedule_issue,
)
from keepwarm.people.models import Consent, Person, Role
from keepwarm.placements.models import Placement
from keepwarm.portal.services import unsubscribe

DAYS_AHEAD = 4
SEND_HOUR = 9
SITE = f"https://www.{DOMAIN}"

LIBRARY = [
    (
        Kind.TRAINING_COURSES,
        "Courses worth a look this quarter",
        "- **[CIPD Level 3 in People Practice](https://www.cipd.org/)**: evenings, 9 months, "
        "online.\n"
        "- **[AAT Level 2 Certificate in Bookkeeping](https://www.aat.org.uk/)**: the first "
        "step into finance.\n"
        "- **[AWS Certified Cloud Practitioner](https://aws.amazon.com/certification/)**: a "
        "weekend's study for a recognised badge.\n\n"
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

# The issues already sent, oldest first: months before the scheduled one, the opening
# block's title and body, and the library blocks (by title) that followed the numbers.
SENT = (
    (
        2,
        "Roles we are filling now",
        "Finance, IT and operations teams are hiring again after a quiet winter. "
        f"[See every open role]({SITE}/jobs) or, if you are hiring, "
        f"[tell us what you need]({SITE}/hire).",
        ("Three CV fixes that take ten minutes", "Courses worth a look this quarter"),
    ),
    (
        1,
        "This month at Fernbrook",
        "More permanent roles than at any time this year, and salaries creeping up. "
        f"[See every open role]({SITE}/jobs), or read our [salary guide]({SITE}/salaries).",
        ("Thinking about a move?", "Courses worth a look this quarter"),
    ),
)
# Shares of the copies sent: who opened (unique), and who clicked. Indicative, as the
# tracking help text says; each issue draws its own within these ranges.
OPENED = (0.36, 0.44)
CLICKED = (0.06, 0.10)
UNSUBSCRIBED = 0.01


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
        # Before the sent issues went out, so their copies say when the person signed up.
        given = now - dt.timedelta(days=rng.randint(90, 700))
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
    scheduled = local_time(today + dt.timedelta(days=DAYS_AHEAD), SEND_HOUR)
    now = local_time(today, 8)
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
        # The demo agency's readers agreed to it (PECR): the reports have opens and clicks.
        track_engagement=True,
    )
    first = add_months(scheduled.date(), -SENT[0][0])
    Newsletter.objects.filter(pk=newsletter.pk).update(
        created_at=local_time(first - dt.timedelta(days=30), 11)
    )
    for months, title, body, extras in SENT:
        sent = local_time(add_months(scheduled.date(), -months), SEND_HOUR)
        blocks = [item for name in extras for item in library if item.title == name]
        past = _sent_issue(newsletter, when=sent, title=title, body=body, library=blocks)
        _engage(past, rng=rng, sent=sent, now=now)
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


def _sent_issue(
    newsletter: Newsletter, *, when: dt.datetime, title: str, body: str, library: list[LibraryBlock]
) -> Issue:
    """An issue written a few days before `when` and sent then by the worker's own steps,
    its copies captured, never mailed."""
    day = when.astimezone(agency_zone()).date()
    written = when - dt.timedelta(days=3)
    issue = create_issue(
        newsletter=newsletter,
        subject=f"{newsletter.name}: {day:%B}'s jobs market",
        preheader="Who is hiring, where the jobs market is heading, and who started new roles.",
        by=None,
    )
    add_block(issue=issue, kind=Kind.OPEN_ROLES, title=title, body=body)
    for kind in (Kind.EMPLOYMENT_TRENDS, Kind.JOB_FORECASTS, Kind.SUCCESS_STORIES):
        add_generated_block(issue=issue, kind=kind, today=day)
    for item in library:
        add_library_block(issue=issue, item=item)
    schedule_issue(issue=issue, when=when, now=written)
    run_due_issues(now=when)  # rendered once with tracking; a copy queued per member
    queued = list(issue_messages(issue).values_list("pk", flat=True))
    send_now(queued, now=when, backend=CaptureBackend())
    close_finished_issues()  # nothing left to send: the issue is sent
    # Captured, so nothing left this machine; but in the demo's story they went out through
    # the agency's mail server, as its check-ins did (demo/history.py). Queued when they went,
    # not when the demo was built: Sent mail and timelines agree.
    # (Each UPDATE rewrites ~25 KB rows: one for nearly all of them, not two.)
    copies = issue_messages(issue)
    copies.filter(state=OutboxMessage.State.CAPTURED).update(
        state=OutboxMessage.State.SENT, created_at=when
    )
    copies.exclude(state=OutboxMessage.State.SENT).update(created_at=when)  # any stopped
    Issue.objects.filter(pk=issue.pk).update(created_at=written)
    issue.refresh_from_db()
    return issue


def _engage(issue: Issue, *, rng: random.Random, sent: dt.datetime, now: dt.datetime) -> None:
    """Opens and clicks as readers leave them: most opens within hours of the send, some
    opened again later, a click a few minutes after its open, the first links clicked
    most; a few readers unsubscribe from their copy."""
    readers = list(
        issue_messages(issue)
        .filter(state=OutboxMessage.State.SENT, person__isnull=False)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    if not readers:
        return
    openers = rng.sample(readers, max(1, round(rng.uniform(*OPENED) * len(readers))))
    clickers = set(openers[: max(1, round(rng.uniform(*CLICKED) * len(readers)))])
    leaving = openers[len(clickers) : len(clickers) + max(1, round(UNSUBSCRIBED * len(readers)))]
    weights = [1 / (index + 1) for index in range(len(issue.links))]
    rows: list[dict[str, object]] = []  # Engagement rows; nothing reads them back here
    opened_at: dict[int, dt.datetime] = {}
    for person_id in openers:
        # Minutes after the send: half within about three hours, a long tail over days.
        first = min(sent + dt.timedelta(minutes=1 + rng.expovariate(1 / 240)), now)
        count = rng.choice((1, 1, 1, 2, 3))  # some open it again later
        last = min(first + dt.timedelta(hours=rng.uniform(1, 72)), now) if count > 1 else first
        opened_at[person_id] = first
        rows.append({"person_id": person_id, "kind": Engagement.Kind.OPEN, "link": None,
                     "first_at": first, "last_at": last, "count": count})  # fmt: skip
        if person_id not in clickers or not weights:
            continue
        for link in sorted(set(rng.choices(range(len(weights)), weights, k=rng.randint(1, 2)))):
            at = min(first + dt.timedelta(minutes=rng.uniform(0.5, 15)), now)
            rows.append({"person_id": person_id, "kind": Engagement.Kind.CLICK, "link": link,
                         "first_at": at, "last_at": at, "count": 1})  # fmt: skip
    insert_rows(Engagement, ({**row, "issue_id": issue.pk} for row in rows))
    for person in Person.objects.filter(pk__in=leaving).order_by("pk"):
        when = min(opened_at[person.pk] + dt.timedelta(minutes=rng.uniform(1, 10)), now)
        unsubscribe(person=person, purpose="newsletter", how="Unsubscribe link", now=when)
