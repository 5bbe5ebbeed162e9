"""Composing, scheduling and sending newsletter issues.

An issue goes draft -> scheduled -> sending -> sent (or paused, or cancelled). When it is
due, the worker renders it once (CSS inlined once), then walks the audience by person id
in chunks and queues one outbox row per recipient with the UNIQUE key
"newsletter:<issue>:<person>": a crash, a second worker or a second tick re-queues
nothing. The outbox does the sending, and checks consent and suppressions at that
moment, so an unsubscribe between queueing and sending still stops the copy.

One broken issue never stops the tick: an issue whose content has an unknown placeholder,
or whose preparing or queueing keeps raising, goes to "failed" with the reason in words,
its queued copies held, until a manager edits it and schedules it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any, NamedTuple

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.audit.concurrency import claim_version
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import changes_from, record_for, stored_values
from keepwarm.lib.dates import add_months, agency_zone, local_time
from keepwarm.lib.ratelimit import over_limit
from keepwarm.lib.signing import ManySigner, encoded
from keepwarm.mail.models import OutboxMessage, OutboxTemplate
from keepwarm.mail.services.outbox import outbox_grew, queue_email, queue_emails
from keepwarm.mail.services.sending import send_now
from keepwarm.mail.suppressions import is_suppressed
from keepwarm.mail.unsubscribe import (
    PREFERENCES_SALT,
    UNSUBSCRIBE_SALT,
    list_unsubscribe_headers,
    preferences_url,
)
from keepwarm.newsletters import generate
from keepwarm.newsletters.models import (
    Block,
    Engagement,
    Frequency,
    Issue,
    LibraryBlock,
    Newsletter,
    PublicStatistic,
)
from keepwarm.newsletters.queries import issue_messages
from keepwarm.newsletters.render import (
    FIELDS,
    VIEW_SALT,
    Frozen,
    Personaliser,
    compose,
    placeholder_error,
    unknown_placeholders,
    view_token,
)
from keepwarm.people.models import Consent, Person

logger = logging.getLogger(__name__)

State = Issue.State
CHUNK = 500
# Pending copies of a paused issue wait with this send_after, far beyond any tick.
PAUSED_UNTIL = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
PURPOSE = "newsletter"
# Failing attempts in a row (one a tick) before an issue is failed: a passing database
# hiccup is retried, a real fault stops within a couple of minutes.
ISSUE_ATTEMPTS = 3
# Test sends per user in the rate-limit window (ten minutes).
TESTS_PER_WINDOW = 10


# --- Composing --------------------------------------------------------------------------


def _editable(issue: Issue) -> None:
    if not issue.editable:
        raise ValidationError("This issue is already going out; it can no longer be edited.")


# Where copies fill placeholders: a block's text only; titles and the subject go as written.
FILLED_FIELDS = ("body",)


def check_placeholders(**texts: str) -> None:
    """Refuse text with a placeholder no copy would fill, naming it and the valid ones;
    the keywords are the fields (title, body, subject, preheader), as a form names them."""
    errors = {}
    for field, text in texts.items():
        error = placeholder_error(text, fills=field in FILLED_FIELDS)
        if error:
            errors[field] = error
    if errors:
        raise ValidationError(errors)


def content_problem(issue: Issue) -> str:
    """The first place in the issue with an unknown placeholder, in words; "" if none.

    Blocks are checked when saved; this catches what got past (rows from before the check,
    direct edits), so that an audience never gets a literal %%KW_...%%."""
    for field in ("subject", "preheader"):
        if unknown := unknown_placeholders(getattr(issue, field), fills=False):
            return f"The {field} has {', '.join(unknown)}, which would show as written."
    for number, block in enumerate(issue.blocks.all(), start=1):
        if unknown := unknown_placeholders(block.title, fills=False):
            where = f"Block {number}’s title (“{block.title}”)"
            return f"{where} has {', '.join(unknown)}, which would show as written."
        if unknown := unknown_placeholders(block.body):
            noun = "an unknown placeholder" if len(unknown) == 1 else "unknown placeholders"
            return f"Block {number} (“{block.title}”) uses {noun} {', '.join(unknown)}."
    return ""


def create_issue(
    *, newsletter: Newsletter, subject: str, preheader: str = "", by: User | None
) -> Issue:
    check_placeholders(subject=subject, preheader=preheader)
    return Issue.objects.create(
        newsletter=newsletter, subject=subject.strip(), preheader=preheader.strip(), created_by=by
    )


@dataclass(frozen=True)
class BlockText:
    """What the editor holds for one block."""

    title: str
    body: str


def _block_label(block: Block) -> str:
    return f"Block “{block.title}”"


@transaction.atomic
def save_issue(
    *,
    issue: Issue,
    expected_version: int | None,
    subject: str,
    preheader: str,
    blocks: Mapping[int, BlockText],
) -> Issue:
    """Save the subject, preheader and every block's text together, as the editor sends
    them: all of it or, when anything is refused, none of it.

    `expected_version` is the issue's version when the editor was opened; a save or a
    block added, moved or removed since raises EditConflict and nothing is written (see
    keepwarm.audit.concurrency), so one person's edit never silently replaces another's.
    The change is on the audit trail, each block's old and new text."""
    before = stored_values(issue)
    if before["state"] not in (State.DRAFT, State.SCHEDULED, State.FAILED):
        raise ValidationError("This issue is already going out; it can no longer be edited.")
    claim_version(issue, expected_version, stored=before["version"])
    check_placeholders(subject=subject, preheader=preheader)
    stored = {block.pk: block for block in Block.objects.select_for_update().filter(issue=issue)}
    block_changes: dict[str, list[Any]] = {}
    for pk, text in blocks.items():
        block = stored.get(pk)
        if block is None:
            continue  # removed meanwhile: that moved the version on, so we never get here
        check_placeholders(title=text.title, body=text.body)
        if (block.title, block.body) == (text.title, text.body):
            continue
        label = _block_label(block)
        if block.title != text.title:
            block_changes[f"{label} title"] = [block.title, text.title]
        if block.body != text.body:
            block_changes[label] = [block.body, text.body]
        block.title, block.body = text.title, text.body
        block.save(update_fields=["title", "body"])
    issue.subject, issue.preheader = subject.strip(), preheader.strip()
    issue.save()
    record_for(
        AuditEntry.Action.CHANGED, issue, changes=changes_from(before, issue) | block_changes
    )
    return issue


def _moved_on(issue: Issue, what: str) -> None:
    """A block added, moved or removed: the issue's version moves on, so an editor open
    elsewhere with the old blocks is warned before it saves over them."""
    with transaction.atomic():
        before = stored_values(issue)
        issue.version = before["version"] + 1
        Issue.objects.filter(pk=issue.pk).update(version=issue.version)
        record_for(
            AuditEntry.Action.CHANGED,
            issue,
            changes={"version": [before["version"], issue.version], "Blocks": [None, what]},
        )


def _next_order(issue: Issue) -> int:
    highest = issue.blocks.aggregate(m=Max("order"))["m"]
    return 0 if highest is None else highest + 1


def add_block(
    *, issue: Issue, kind: str, title: str, body: str = "", data: dict[str, Any] | None = None
) -> Block:
    check_placeholders(title=title, body=body)
    return _add_block(issue=issue, kind=kind, title=title, body=body, data=data)


def _add_block(
    *, issue: Issue, kind: str, title: str, body: str, data: dict[str, Any] | None = None
) -> Block:
    _editable(issue)
    with transaction.atomic():
        block = Block.objects.create(
            issue=issue,
            kind=kind,
            title=title,
            body=body,
            data=data or {},
            order=_next_order(issue),
        )
        _moved_on(issue, f"added “{title}”")
    return block


def add_generated_block(*, issue: Issue, kind: str, today: dt.date) -> Block:
    """A block written from the agency's data; the recruiter edits it before sending.

    Not refused for a placeholder-like text that came from the records (a company called
    "{{ x }}"): it shows literally, and scheduling names it for the recruiter to edit."""
    made = generate.GENERATORS[kind](today=today)
    return _add_block(issue=issue, kind=kind, title=made.title, body=made.body, data=made.data)


def add_library_block(*, issue: Issue, item: LibraryBlock) -> Block:
    return add_block(issue=issue, kind=item.kind, title=item.title, body=item.body)


@transaction.atomic
def move_block(*, block: Block, up: bool) -> None:
    _editable(block.issue)
    blocks = list(block.issue.blocks.all())
    index = next(i for i, b in enumerate(blocks) if b.pk == block.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(blocks):
        return
    blocks[index], blocks[other] = blocks[other], blocks[index]
    for order, item in enumerate(blocks):
        if item.order != order:
            Block.objects.filter(pk=item.pk).update(order=order)
    _moved_on(block.issue, f"moved “{block.title}” {'up' if up else 'down'}")


@transaction.atomic
def remove_block(*, block: Block) -> None:
    _editable(block.issue)
    block.delete()
    _moved_on(block.issue, f"removed “{block.title}”")


# --- Scheduling -------------------------------------------------------------------------


def next_slot(newsletter: Newsletter, *, after: dt.datetime) -> dt.datetime:
    """The newsletter's next weekly or monthly send time after `after`, on the agency's
    wall clock (so 09:00 stays 09:00 across a DST change)."""
    at = newsletter.send_time
    day = after.astimezone(agency_zone()).date()
    if newsletter.frequency == Frequency.WEEKLY:
        day += dt.timedelta(days=(newsletter.send_weekday - day.weekday()) % 7)
        while (when := local_time(day, at.hour, at.minute)) <= after:
            day += dt.timedelta(days=7)
        return when
    day = day.replace(day=min(max(newsletter.send_day, 1), 28))
    while (when := local_time(day, at.hour, at.minute)) <= after:
        day = add_months(day, 1)
    return when


def schedule_issue(
    *, issue: Issue, when: dt.datetime | None = None, now: dt.datetime | None = None
) -> Issue:
    """Schedule for `when`, or for the newsletter's next slot. A failed issue scheduled
    again carries on where it stopped: copies it had queued go at `when`, not twice."""
    now = now or timezone.now()
    _editable(issue)
    if not issue.blocks.exists():
        raise ValidationError("Add at least one block before scheduling.")
    problem = content_problem(issue)
    if problem:
        raise ValidationError(f"{problem} Correct it before scheduling.")
    when = when or next_slot(issue.newsletter, after=now)
    if when < now - dt.timedelta(minutes=5):
        raise ValidationError("Pick a time in the future.")
    with transaction.atomic():
        Issue.objects.filter(
            pk=issue.pk, state__in=(State.DRAFT, State.SCHEDULED, State.FAILED)
        ).update(state=State.SCHEDULED, scheduled_for=when, failure="", failed_attempts=0)
        issue_messages(issue).filter(
            state=OutboxMessage.State.PENDING, send_after=PAUSED_UNTIL
        ).update(send_after=when)
    issue.refresh_from_db()
    return issue


def unschedule_issue(*, issue: Issue) -> Issue:
    Issue.objects.filter(pk=issue.pk, state=State.SCHEDULED).update(state=State.DRAFT)
    issue.refresh_from_db()
    return issue


def pause_issue(*, issue: Issue) -> Issue:
    """Stop queueing and sending; copies not yet sent wait until resumed."""
    with transaction.atomic():
        if Issue.objects.filter(pk=issue.pk, state__in=(State.SCHEDULED, State.SENDING)).update(
            state=State.PAUSED
        ):
            issue_messages(issue).filter(state=OutboxMessage.State.PENDING).update(
                send_after=PAUSED_UNTIL
            )
    issue.refresh_from_db()
    return issue


def resume_issue(*, issue: Issue, now: dt.datetime | None = None) -> Issue:
    now = now or timezone.now()
    started = bool(issue.html_template)
    with transaction.atomic():
        if Issue.objects.filter(pk=issue.pk, state=State.PAUSED).update(
            state=State.SENDING if started else State.SCHEDULED
        ):
            issue_messages(issue).filter(
                state=OutboxMessage.State.PENDING, send_after=PAUSED_UNTIL
            ).update(send_after=max(now, issue.scheduled_for or now))
    issue.refresh_from_db()
    return issue


def cancel_issue(*, issue: Issue, by: User | None = None) -> Issue:
    """No further copies: pending ones are cancelled; sent ones stay as the record."""
    who = f" by {by.display_name}" if by else ""
    with transaction.atomic():
        Issue.objects.filter(
            pk=issue.pk,
            state__in=(State.DRAFT, State.SCHEDULED, State.SENDING, State.PAUSED, State.FAILED),
        ).update(state=State.CANCELLED)
        issue_messages(issue).filter(state=OutboxMessage.State.PENDING).update(
            state=OutboxMessage.State.CANCELLED, last_error=f"Newsletter issue cancelled{who}."
        )
    issue.refresh_from_db()
    return issue


# --- Per-recipient values ---------------------------------------------------------------


def newsletter_from(newsletter: Newsletter) -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    name = " ".join(newsletter.from_name.split())
    return str(Address(display_name=name, addr_spec=address))


def reason_text(newsletter: Newsletter, basis: str, given_at: dt.datetime | None) -> str:
    agency = newsletter.from_name
    if basis == Consent.Basis.CONSENT and given_at is not None:
        local = given_at.astimezone(agency_zone())
        return f"You receive {newsletter.name} because you signed up on {local:%-d %B %Y}."
    if basis == Consent.Basis.SOFT_OPT_IN:
        return (
            f"You receive {newsletter.name} because you have worked with {agency}; "
            "you can stop it at any time."
        )
    if basis == Consent.Basis.LEGITIMATE_INTEREST:
        return (
            f"You receive {newsletter.name} at your work address because your company works "
            f"with {agency}; you can stop it at any time."
        )
    return f"You receive {newsletter.name} from {agency}."


class _Links:
    """Each recipient's signed links, with `reverse` done once per chunk, not per copy:
    the URL around the token never changes, and resolving it three times per copy was a
    visible share of the per-recipient cost."""

    def __init__(self, issue_id: int) -> None:
        marker = "TOKEN-9f3c"
        self.issue_id = issue_id
        self.unsubscribe = settings.BASE_URL + reverse("unsubscribe", args=[marker])
        self.preferences = settings.BASE_URL + reverse("email_preferences", args=[marker])
        self.view = settings.BASE_URL + reverse("newsletter_view", args=[marker])
        self.view_signer = ManySigner(signing.Signer(salt=VIEW_SALT))
        # The signers unsubscribe_token() and preferences_token() make, made once.
        self.unsubscribe_signer = ManySigner(signing.TimestampSigner(salt=UNSUBSCRIBE_SALT))
        self.preferences_signer = ManySigner(signing.TimestampSigner(salt=PREFERENCES_SALT))
        self.marker = marker

    def values(
        self, *, person: Recipient, consultant: str, reason: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        # Both links carry the same payload, each signed with its own salt.
        payload = encoded({"p": person.pk, "u": PURPOSE})
        unsubscribe = self.unsubscribe.replace(self.marker, self.unsubscribe_signer.sign(payload))
        view = self.view_signer.sign(f"{self.issue_id}.{person.pk}")
        values = {
            "first_name": person.first_name.strip() or "there",
            "consultant": consultant,
            # The same link render.view_url() gives (a test holds them equal).
            "view_url": self.view.replace(self.marker, view),
            "unsubscribe_url": unsubscribe,
            "preferences_url": self.preferences.replace(
                self.marker, self.preferences_signer.sign(payload)
            ),
            "reason": reason,
            "track": view,
        }
        # The same headers list_unsubscribe_headers() gives (a test holds them equal).
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        return values, headers


def _values(
    *,
    issue_id: int,
    person: Person,
    consultant: str,
    reason: str,
) -> tuple[dict[str, str], dict[str, str]]:
    headers = list_unsubscribe_headers(person=person, purpose=PURPOSE)
    view = view_token(issue_id=issue_id, person_id=person.pk)
    values = {
        "first_name": person.first_name.strip() or "there",
        "consultant": consultant,
        "view_url": settings.BASE_URL + reverse("newsletter_view", args=[view]),
        "unsubscribe_url": headers["List-Unsubscribe"].strip("<>"),
        "preferences_url": preferences_url(person=person, purpose=PURPOSE),
        "reason": reason,
        "track": view,
    }
    return values, headers


def personalise(
    issue: Issue, person: Person, *, personaliser: Personaliser | None = None
) -> tuple[str, str]:
    """HTML and text of `person`'s copy (view in browser, previews)."""
    if personaliser is None:
        frozen = (
            Frozen(issue.html_template, issue.text_template)
            if issue.html_template
            else compose(issue)
        )
        personaliser = Personaliser.of(frozen)
    consent = (
        Consent.objects.filter(person=person, purpose=PURPOSE, withdrawn_at__isnull=True)
        .values_list("basis", "given_at")
        .first()
    )
    basis, given_at = consent or ("", None)
    owner = person.owner
    values, _ = _values(
        issue_id=issue.pk,
        person=person,
        consultant=owner.display_name if owner else issue.newsletter.from_name,
        reason=reason_text(issue.newsletter, basis, given_at),
    )
    return personaliser.fill(values)


# --- Sending ------------------------------------------------------------------------------


class TooManyTests(ValidationError):
    """More test sends than TESTS_PER_WINDOW from one user in the window."""


def _test_recipient(*, by: User, to_email: str) -> str:
    """`to_email` (or the user's own address) if a test may go there: it must be a staff
    account's address, so the button cannot mail an issue to anyone outside the agency,
    and not on the suppression list, which a test obeys like any marketing mail."""
    to_email = (to_email or by.email).strip()
    if not to_email:
        raise ValidationError("Add an email address to your account to receive test sends.")
    if not User.objects.filter(is_active=True, email__iexact=to_email).exists():
        raise ValidationError(
            f"Tests go only to the address of a Keepwarm account; {to_email} is not one."
        )
    if is_suppressed(to_email, purpose=OutboxMessage.Purpose.MARKETING):
        raise ValidationError(
            f"{to_email} is on the suppression list, so no newsletter goes there, tests included."
        )
    return to_email


def send_test(
    *, issue: Issue, by: User, to_email: str = "", now: dt.datetime | None = None
) -> OutboxMessage:
    """Send the issue as it stands to the user (or a colleague's `to_email`), now, through
    the outbox as marketing mail, so suppressions apply; TESTS_PER_WINDOW per user.

    Never tracked, even when the newsletter is: its links go straight to their pages."""
    now = now or timezone.now()
    to_email = _test_recipient(by=by, to_email=to_email)
    if over_limit(key=f"newsletter-test:{by.pk}", limit=TESTS_PER_WINDOW, now=now):
        raise TooManyTests(
            f"You have sent {TESTS_PER_WINDOW} tests in the last few minutes; "
            "try again in ten minutes."
        )
    page = settings.BASE_URL + reverse("newsletter_issue", args=[issue.pk])
    html, text = Personaliser.of(compose(issue)).fill(
        {
            "first_name": by.first_name or by.username,
            "consultant": by.display_name,
            "view_url": page,
            "unsubscribe_url": page + "#test-unsubscribe",
            "preferences_url": page + "#test-preferences",
            "reason": "This is a test copy: recipients see why they receive it here.",
            "track": "",
        }
    )
    message = queue_email(
        key=f"newsletter-test:{issue.pk}:{uuid.uuid4().hex}",
        to_email=to_email,
        subject=f"[Test] {issue.subject}",
        body_text=text,
        body_html=html,
        from_email=newsletter_from(issue.newsletter),
        send_after=now,
        purpose=OutboxMessage.Purpose.MARKETING,
    )
    assert message is not None  # a fresh random key
    send_now([message.pk], now=now)
    message.refresh_from_db()
    return message


def _start(issue_id: int, *, now: dt.datetime) -> bool:
    """Scheduled -> sending, rendering the issue once. False if another worker did it, or
    if its content has an unknown placeholder: then it is failed at once, since trying
    again cannot help."""
    issue = Issue.objects.select_related("newsletter").get(pk=issue_id)
    problem = content_problem(issue)
    if problem:
        fail_issue(issue_id=issue_id, reason=problem)
        return False
    track = issue.newsletter.track_engagement
    frozen = compose(issue, track=track)
    return bool(
        Issue.objects.filter(pk=issue_id, state=State.SCHEDULED, scheduled_for__lte=now).update(
            state=State.SENDING,
            html_template=frozen.html,
            text_template=frozen.text,
            tracked=track,
            links=frozen.links,
        )
    )


class _Stopped(Exception):
    """The issue was paused or cancelled (or another worker moved on) mid-chunk."""


class Recipient(NamedTuple):
    """What a copy needs of its person and their consultant, read as plain values: model
    instances for a chunk's people and owners cost more than personalising their copies."""

    pk: int
    first_name: str
    email: str
    owner_id: int | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    owner_email: str | None

    @property
    def owner_name(self) -> str:
        """The owner's User.display_name."""
        full = f"{self.owner_first_name or ''} {self.owner_last_name or ''}".strip()
        return full or self.owner_username or ""


def _chunk_messages(
    issue: Issue, people: list[Recipient], *, template: OutboxTemplate, send_after: dt.datetime
) -> list[OutboxMessage]:
    newsletter = issue.newsletter
    sender = newsletter_from(newsletter)
    consents = dict(
        (pk, (basis, given))
        for pk, basis, given in Consent.objects.filter(
            person_id__in=[p.pk for p in people], purpose=PURPOSE, withdrawn_at__isnull=True
        ).values_list("person_id", "basis", "given_at")
    )
    reasons: dict[tuple[str, Any], str] = {}
    reply_tos: dict[int | None, str] = {}
    links = _Links(issue.pk)
    messages = []
    for person in people:
        basis, given_at = consents.get(person.pk, ("", None))
        key = (basis, given_at.date() if given_at else None)
        if key not in reasons:
            reasons[key] = reason_text(newsletter, basis, given_at)
        owner = person.owner_name if person.owner_id else ""
        values, headers = links.values(
            person=person, consultant=owner or newsletter.from_name, reason=reasons[key]
        )
        if person.owner_id not in reply_tos:
            reply_tos[person.owner_id] = (
                str(Address(display_name=owner, addr_spec=person.owner_email))
                if person.owner_id and person.owner_email
                else ""
            )
        reply_to = reply_tos[person.owner_id]
        # The copy is the issue's body filled with these values when it is sent (and
        # shown): only they are stored with it, not ~13 KB of body per recipient.
        messages.append(
            OutboxMessage(
                key=f"{issue.key_prefix}{person.pk}",
                person_id=person.pk,
                to_email=person.email.strip(),
                from_email=sender,
                reply_to=reply_to,
                subject=issue.subject,
                template=template,
                fills=values,
                headers=headers,
                purpose=OutboxMessage.Purpose.MARKETING,
                send_after=send_after,
            )
        )
    return messages


def _outbox_template(issue: Issue) -> OutboxTemplate:
    """The issue's body as rendered when it started sending, stored once for all its
    copies. Keyed by its content too: an issue failed, edited and scheduled again gets a
    new one, while the copies queued before keep theirs."""
    text, html = issue.text_template, issue.html_template
    digest = hashlib.sha256(f"{text}\0{html}".encode()).hexdigest()[:32]
    template, _ = OutboxTemplate.objects.get_or_create(
        key=f"{issue.key_prefix}{digest}",
        defaults={"body_text": text, "body_html": html, "fields": list(FIELDS)},
    )
    return template


class _Audience:
    """The audience's member ids after a cursor, a chunk at a time, from one statement
    compiled once per expansion: compiling the audience's query (segment, basis,
    suppressions) again for each chunk cost more than the database took to run it."""

    def __init__(self, members: QuerySet[Person]) -> None:
        sql, params = members.order_by().values_list("pk").query.sql_with_params()
        self.sql = f"SELECT m.pk FROM ({sql}) AS m WHERE m.pk > %s ORDER BY m.pk LIMIT %s"  # noqa: S608
        self.params = tuple(params)

    def after(self, cursor: int) -> list[int]:
        with connection.cursor() as db:
            db.execute(self.sql, [*self.params, cursor, CHUNK])
            return [pk for (pk,) in db.fetchall()]


def _claim_chunk(issue_id: int, members: _Audience) -> list[int] | None:
    """The next CHUNK member ids for this worker alone: the issue's cursor moves past them
    in a short transaction, so a second worker takes the chunk after, not the same one.
    None when the issue stopped sending (paused, cancelled) or is fully queued."""
    with transaction.atomic():
        # Held until commit on PostgreSQL; SQLite's IMMEDIATE transaction is the lock there.
        cursor = (
            Issue.objects.select_for_update()
            .filter(pk=issue_id, state=State.SENDING, expanded_at__isnull=True)
            .values_list("expanded_through", flat=True)
            .first()
        )
        if cursor is None:
            return None
        ids = members.after(cursor)
        if ids:
            Issue.objects.filter(pk=issue_id).update(expanded_through=ids[-1])
        return ids


def _queue_chunk(
    issue: Issue, ids: list[int], *, template: OutboxTemplate, send_after: dt.datetime
) -> int:
    """Queue the copies for these people; raises _Stopped if the issue stopped meanwhile."""
    people = [
        Recipient._make(row)
        for row in Person.objects.filter(pk__in=ids).order_by("id").values_list(*_RECIPIENT_FIELDS)
    ]
    messages = _chunk_messages(issue, people, template=template, send_after=send_after)
    with transaction.atomic():
        new = queue_emails(messages)
        if not Issue.objects.filter(pk=issue.pk, state=State.SENDING).update(
            recipients=F("recipients") + new
        ):
            raise _Stopped()
    return new


_RECIPIENT_FIELDS = (
    *("id", "first_name", "email", "owner_id", "owner__first_name", "owner__last_name"),
    *("owner__username", "owner__email"),
)


def expand_issue(issue_id: int, *, now: dt.datetime, today: dt.date | None = None) -> int:
    """Queue the issue's copies a chunk at a time; returns how many were new.

    Workers share the work: each claims the next chunk of the audience (by person id) by
    moving the issue's cursor, then renders and queues it, so two workers expand an issue
    twice as fast and memory holds one chunk whatever the audience's size. A chunk whose
    worker died (or that a pause interrupted) is behind the cursor but not in the outbox:
    whoever reaches the end of the audience queues every member still without a copy
    before marking the issue expanded. The UNIQUE key makes a copy queued twice a no-op.
    """
    issue = Issue.objects.select_related("newsletter__audience").get(pk=issue_id)
    today = today or now.astimezone(agency_zone()).date()
    template = _outbox_template(issue)
    members = issue.newsletter.audience.members(
        today, frequency=issue.newsletter.frequency
    ).order_by("id")
    send_after = issue.scheduled_for or now
    queued = 0
    try:
        audience = _Audience(members)
        while ids := _claim_chunk(issue_id, audience):
            queued += _queue_chunk(issue, ids, template=template, send_after=send_after)
        if ids is None:
            return queued
        # The end of the audience: queue whatever a dead or interrupted worker left.
        missing = members.exclude(
            pk__in=issue_messages(issue).filter(person__isnull=False).values("person_id")
        ).order_by("id")
        last = 0
        while ids := list(missing.filter(pk__gt=last).values_list("pk", flat=True)[:CHUNK]):
            queued += _queue_chunk(issue, ids, template=template, send_after=send_after)
            last = ids[-1]
    except _Stopped:
        return queued
    Issue.objects.filter(pk=issue_id, state=State.SENDING, expanded_at__isnull=True).update(
        expanded_at=now
    )
    outbox_grew()  # so the copies are claimed in index order, not sorted for every claim
    return queued


def close_finished_issues() -> None:
    """Mark sent the issues whose copies have all been handled (sent, failed, cancelled)."""
    for issue in Issue.objects.filter(state=State.SENDING, expanded_at__isnull=False):
        waiting = issue_messages(issue).filter(
            state__in=(OutboxMessage.State.PENDING, OutboxMessage.State.SENDING)
        )
        if not waiting.exists():
            Issue.objects.filter(pk=issue.pk, state=State.SENDING).update(state=State.SENT)


def fail_issue(*, issue_id: int, reason: str) -> None:
    """Stop a scheduled or sending issue with `reason`, for a manager to act on; copies it
    had queued wait (as when paused) until it is scheduled again or cancelled."""
    with transaction.atomic():
        if Issue.objects.filter(pk=issue_id, state__in=(State.SCHEDULED, State.SENDING)).update(
            state=State.FAILED, failure=reason
        ):
            issue_messages(Issue(pk=issue_id)).filter(state=OutboxMessage.State.PENDING).update(
                send_after=PAUSED_UNTIL
            )
    logger.warning("Newsletter issue %s failed: %s", issue_id, reason)


def _attempt_failed(issue_id: int, *, doing: str, exc: Exception) -> None:
    """Count a failed attempt at the issue; the ISSUE_ATTEMPTS-th in a row fails it."""
    logger.exception("Newsletter issue %s: %s failed", issue_id, doing)
    reason = f"Keepwarm could not {doing} ({type(exc).__name__}: {exc})."[:1000]
    Issue.objects.filter(pk=issue_id).update(
        failed_attempts=F("failed_attempts") + 1, failure=reason
    )
    if Issue.objects.filter(pk=issue_id, failed_attempts__gte=ISSUE_ATTEMPTS).exists():
        fail_issue(
            issue_id=issue_id,
            reason=f"{reason[:-1]}, {ISSUE_ATTEMPTS} times in a row.",
        )


def _attempt(
    issue_id: int, *, doing: str, step: Callable[..., int | bool], now: dt.datetime
) -> int:
    """`step(issue_id, now=now)`; whatever it raises stays with this issue, so the other
    issues and the rest of the tick go on."""
    try:
        result = int(step(issue_id, now=now))
    except Exception as exc:
        _attempt_failed(issue_id, doing=doing, exc=exc)
        return 0
    Issue.objects.filter(pk=issue_id, failed_attempts__gt=0).exclude(state=State.FAILED).update(
        failed_attempts=0, failure=""
    )
    return result


def run_due_issues(*, now: dt.datetime | None = None) -> int:
    """The worker's step: start due issues, queue their copies, close finished ones.
    Returns how many copies were queued."""
    now = now or timezone.now()
    due = Issue.objects.filter(state=State.SCHEDULED, scheduled_for__lte=now)
    for issue_id in list(due.values_list("pk", flat=True)):
        _attempt(issue_id, doing="prepare it for sending", step=_start, now=now)
    queued = 0
    expanding = Issue.objects.filter(state=State.SENDING, expanded_at__isnull=True)
    for issue_id in list(expanding.values_list("pk", flat=True)):
        queued += _attempt(issue_id, doing="queue its copies", step=expand_issue, now=now)
    close_finished_issues()
    return queued


# --- Opens and clicks ---------------------------------------------------------------------


def record_engagement(
    *,
    issue: Issue,
    person_id: int,
    kind: str,
    link: int | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Count `person_id` opening the issue or clicking its link number `link`; a repeat adds
    to the count. Nothing is recorded (False) unless the newsletter tracks, nor for someone
    erased or gone."""
    if issue.untracked_because:
        return False
    if not Person.objects.filter(pk=person_id, erased_at__isnull=True).exists():
        return False
    now = now or timezone.now()
    lookup = {"issue": issue, "person_id": person_id, "kind": kind, "link": link}
    try:
        with transaction.atomic():
            _, created = Engagement.objects.get_or_create(
                **lookup, defaults={"first_at": now, "last_at": now}
            )
    except IntegrityError:
        created = False  # a simultaneous first open or click made the row: count this one
    if not created:
        Engagement.objects.filter(**lookup).update(count=F("count") + 1, last_at=now)
    return True


def import_statistics(*, rows: Iterable[tuple[str, str, float]], source: str = "") -> int:
    """Public figures by quarter and sector; a row for a known (period, sector) replaces it."""
    count = 0
    with transaction.atomic():
        for period, sector, value in rows:
            PublicStatistic.objects.update_or_create(
                period=period, sector=sector, defaults={"value": value, "source": source}
            )
            count += 1
    return count
