"""Newsletter sign-up with double opt-in, and leaving, for people without an account.

Nothing about a sign-up is stored until the person confirms: the pending details travel
inside the signed confirmation link, so a form filled in with someone else's address
leaves no record and sends one plain confirmation email (rate-limited), no marketing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from keepwarm.audit.recording import record_created
from keepwarm.mail.compose import compose
from keepwarm.mail.models import OutboxMessage, Suppression, email_hash
from keepwarm.mail.services.checkins import agency_from
from keepwarm.mail.services.consent import current_consent, record_consent, withdraw_consent
from keepwarm.mail.services.outbox import queue_email
from keepwarm.people.models import Consent, Person

SIGNUP_SALT = "keepwarm.signup"
CONFIRM_DAYS = 7
MAX_TOKEN = 1000

# What the person agrees to, stored with their consent. Change the words, change the version.
SIGNUP_WORDING = (
    "Yes, please email me the newsletter with the topics and at the frequency I chose. "
    "I can change what I get, pause it or leave at any time from the link in every email."
)
SIGNUP_WORDING_VERSION = "signup-2026-05"
SIGNUP_METHOD = "Signup form on the website, confirmed from the emailed link"


class SignupLinkProblem(Exception):
    status = 400
    title = "This link does not work"
    message = (
        "The link may have been cut short or changed when it was copied. Please open it "
        "again from the email, or sign up again."
    )


class SignupLinkExpired(SignupLinkProblem):
    status = 410
    title = "This link has expired"
    message = (
        f"Confirmation links work for {CONFIRM_DAYS} days. Please sign up again and "
        "confirm from the new email."
    )


class SignupWithdrawn(SignupLinkProblem):
    status = 409
    title = "You left after this link was sent"
    message = (
        "You unsubscribed after asking for this link, so it no longer signs you up and you "
        "stay unsubscribed. To get the newsletter again, sign up again and confirm from the "
        "new email."
    )


# Reasons that say the address itself asked to stop (or must be forgotten).
LEFT_REASONS = (
    Suppression.Reason.COMPLAINT,
    Suppression.Reason.UNSUBSCRIBE,
    Suppression.Reason.ERASURE,
    Suppression.Reason.MANUAL,
)


@dataclass(frozen=True)
class Signup:
    name: str
    email: str
    frequency: str
    topics: list[str]
    wording_version: str
    requested_at: dt.datetime

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        parts = self.name.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SIGNUP_SALT)


def signup_token(signup: Signup) -> str:
    payload = {
        "n": signup.name,
        "e": signup.email,
        "f": signup.frequency,
        "t": signup.topics,
        "v": signup.wording_version,
        "at": signup.requested_at.isoformat(),
    }
    return _signer().sign_object(payload, compress=True)


def open_signup_token(token: str) -> Signup:
    if not token or len(token) > MAX_TOKEN:
        raise SignupLinkProblem()
    try:
        payload = _signer().unsign_object(token, max_age=dt.timedelta(days=CONFIRM_DAYS))
    except signing.SignatureExpired:
        raise SignupLinkExpired() from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise SignupLinkProblem() from None
    try:
        return Signup(
            name=str(payload["n"]),
            email=str(payload["e"]),
            frequency=str(payload["f"]),
            topics=[str(t) for t in payload["t"]],
            wording_version=str(payload["v"]),
            requested_at=dt.datetime.fromisoformat(payload["at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise SignupLinkProblem() from None


def request_signup(
    *, name: str, email: str, frequency: str, topics: list[str], now: dt.datetime | None = None
) -> OutboxMessage | None:
    """Email a confirmation link; the sign-up counts only once it is confirmed by POST."""
    now = now or timezone.now()
    signup = Signup(
        name=" ".join(name.split())[:200],
        email=email.strip(),
        frequency=frequency,
        topics=topics,
        wording_version=SIGNUP_WORDING_VERSION,
        requested_at=now,
    )
    url = settings.BASE_URL + reverse("newsletter_confirm", args=[signup_token(signup)])
    context = {"signup": signup, "url": url, "days": CONFIRM_DAYS}
    subject, text, html = compose("signup-confirm", context)
    # Service mail with no advertising in it: a confirmation request is not marketing.
    return queue_email(
        key=f"signup:{email_hash(signup.email)[:32]}:{now.timestamp():.0f}",
        to_email=signup.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=agency_from(),
        send_after=now,
        purpose=OutboxMessage.Purpose.SERVICE,
    )


def check_not_left_since(signup: Signup) -> None:
    """Raise SignupWithdrawn when the address unsubscribed, complained or was erased after
    the link was sent: the link carries the old wish, and the newer one wins."""
    withdrawn = Consent.objects.filter(
        person__email__iexact=signup.email, withdrawn_at__gte=signup.requested_at
    )
    suppressed = Suppression.objects.filter(
        email_hash=email_hash(signup.email),
        reason__in=LEFT_REASONS,
        created_at__gte=signup.requested_at,
    )
    if withdrawn.exists() or suppressed.exists():
        raise SignupWithdrawn()


def confirm_signup(signup: Signup, *, now: dt.datetime | None = None) -> Consent:
    """Record the confirmed sign-up as consent, on the person with that address (a new
    person if the agency has never met them). Confirming twice records it once.

    Raises SignupWithdrawn, changing nothing, if the address left after the link was sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        check_not_left_since(signup)
        person = Person.objects.filter(email__iexact=signup.email).order_by("id").first()
        if person is None:
            person = Person.objects.create(
                first_name=signup.first_name[:100],
                last_name=signup.last_name[:100],
                email=signup.email,
                notes="Signed up for the newsletter on the website.",
            )
            record_created(person)
        consent = current_consent(person)
        if (
            consent is not None
            and consent.method == SIGNUP_METHOD
            and consent.given_at >= signup.requested_at
        ):
            return consent
        consent = record_consent(
            person=person,
            basis=Consent.Basis.CONSENT,
            subscriber_type=Consent.SubscriberType.INDIVIDUAL,
            method=SIGNUP_METHOD,
            wording=SIGNUP_WORDING,
            wording_version=signup.wording_version,
            frequency=signup.frequency,
            topics=signup.topics,
            now=now,
        )
        # Confirmed by the mailbox's owner just now: an old spam complaint no longer stands.
        Suppression.objects.filter(
            email_hash=email_hash(signup.email), reason=Suppression.Reason.COMPLAINT
        ).delete()
    return consent


def unsubscribe(
    *, person: Person, purpose: str | None, how: str, now: dt.datetime | None = None
) -> int:
    """Stop marketing for `purpose` (None: all of it) at once; returns consents closed.

    The newest marketing message to the person is marked "unsubscribed", so the issue
    it belonged to counts it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        closed = withdraw_consent(person=person, purpose=purpose, how=how, now=now)
        latest = (
            OutboxMessage.objects.filter(person=person, purpose=OutboxMessage.Purpose.MARKETING)
            .exclude(outcome__in=(OutboxMessage.Outcome.COMPLAINED, OutboxMessage.Outcome.BOUNCED))
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)
            .first()
        )
        if latest is not None and closed:
            OutboxMessage.objects.filter(id=latest).update(
                outcome=OutboxMessage.Outcome.UNSUBSCRIBED, outcome_at=now, outcome_detail=how
            )
    return closed
