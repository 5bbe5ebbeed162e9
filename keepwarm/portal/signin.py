"""Signing outsiders in to their personal page: emailed links and the session they open.

A link carries the person's id, a random nonce and its kind, signed with a salt used for
nothing else. "signin" links (asked for on the public page) work for minutes; "email"
links (the "your page" link in a check-in or questionnaire email) for days. Either opens
the page once: the POST that confirms it inserts the nonce into UsedLink, and a second
POST fails on the UNIQUE constraint. A GET only shows a button (mail scanners open links).

The session is a random cookie value whose SHA-256 is stored with the Person it may
show; it is separate from staff sign-in, so an outsider can never reach a staff page and
a consultant signing out does not sign anyone else out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.agency.models import agency_settings
from keepwarm.mail.compose import compose
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.checkins import agency_from, personal_from, personal_reply_to
from keepwarm.mail.services.outbox import queue_email
from keepwarm.people.links import EMAIL, SIGNIN, link_url, signer
from keepwarm.people.models import Person, Role
from keepwarm.portal.models import PortalSession, UsedLink

MAX_TOKEN = 300
COOKIE = "keepwarm_portal"
# Who has a personal page: people who were placed, and clients' contacts.
OUTSIDER_ROLES = (Role.Kind.PLACED, Role.Kind.CLIENT_CONTACT)


class LinkProblem(Exception):
    status = 400
    title = "This link does not work"
    message = (
        "The link may have been cut short or changed when it was copied. Please open it "
        "again from the email, or ask for a new sign-in link."
    )


class LinkExpired(LinkProblem):
    status = 410
    title = "This link has expired"
    message = (
        "Sign-in links work for a short time only, to keep your page private. "
        "We can email you a new one."
    )


class LinkUsed(LinkProblem):
    status = 410
    title = "This link has already been used"
    message = (
        "Each sign-in link opens your page once, to keep it private. We can email you a new one."
    )


@dataclass(frozen=True)
class Link:
    person: Person
    nonce: str
    kind: str


def link_minutes() -> int:
    return int(settings.KEEPWARM_PORTAL_LINK_MINUTES)


def _max_age(kind: str) -> dt.timedelta:
    if kind == EMAIL:
        return dt.timedelta(days=agency_settings().personal_link_days)
    return dt.timedelta(minutes=link_minutes())


def _payload(token: str, *, max_age: dt.timedelta | None) -> dict[str, object]:
    if not token or len(token) > MAX_TOKEN:
        raise LinkProblem()
    try:
        payload = signer().unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkExpired() from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise LinkProblem() from None
    if not isinstance(payload, dict):
        raise LinkProblem()
    if (
        not isinstance(payload.get("p"), int)
        or not isinstance(payload.get("n"), str)
        or payload.get("k") not in (SIGNIN, EMAIL)
    ):
        raise LinkProblem()
    return payload


def open_link(token: str) -> Link:
    """The link a token stands for, or a LinkProblem saying what is wrong with it.

    Reads only: the link is used up by use_link().
    """
    # First without an age limit, to learn the kind (and so the age limit) it was made with.
    payload = _payload(token, max_age=None)
    kind = str(payload["k"])
    _payload(token, max_age=_max_age(kind))
    person = outsiders().filter(pk=int(str(payload["p"]))).first()
    if person is None:
        raise LinkProblem()
    nonce = str(payload["n"])
    if UsedLink.objects.filter(nonce=nonce).exists():
        raise LinkUsed()
    return Link(person=person, nonce=nonce, kind=kind)


def person_of_old_link(token: str) -> Person | None:
    """The person a genuine but expired or used link was made for: they may ask for a new
    link, which goes to the address on their record, never to one given here."""
    try:
        payload = _payload(token, max_age=None)
    except LinkProblem:
        return None
    return outsiders().filter(pk=int(str(payload["p"]))).first()


def outsiders() -> QuerySet[Person]:
    return Person.objects.filter(
        id__in=Role.objects.filter(kind__in=OUTSIDER_ROLES).values("person_id")
    )


def use_link(link: Link, *, now: dt.datetime | None = None) -> str:
    """Use the link up and open a session for its person; returns the cookie's value."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            UsedLink.objects.create(nonce=link.nonce, person=link.person, used_at=now)
            return open_session(person=link.person, now=now)
    except IntegrityError:
        raise LinkUsed() from None


# --- Asking for a link ------------------------------------------------------------------


def find_outsider(email: str) -> Person | None:
    email = email.strip()
    if not email:
        return None
    return outsiders().filter(email__iexact=email).order_by("id").first()


def send_sign_in_link(
    *, person: Person, by: User | None = None, now: dt.datetime | None = None
) -> OutboxMessage | None:
    """Email a sign-in link to the address on the person's record.

    Asked for on the public page, it works for minutes. Sent by a consultant (`by`, say
    during a call), it comes from them and works for days, like the link in a check-in.
    """
    now = now or timezone.now()
    if not person.email:
        return None
    kind = SIGNIN if by is None else EMAIL
    context = {
        "person": person,
        "url": link_url(person=person, kind=kind),
        "minutes": link_minutes(),
        "days": agency_settings().personal_link_days if by is not None else None,
        "by": by,
    }
    subject, text, html = compose("portal-signin", context)
    return queue_email(
        key=f"portal-signin:{person.pk}:{secrets.token_hex(8)}",
        to_email=person.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=personal_from(by) if by is not None else agency_from(),
        reply_to=personal_reply_to(by) if by is not None else "",
        send_after=now,
        person=person,
        purpose=OutboxMessage.Purpose.SERVICE,
    )


# --- Sessions ---------------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def open_session(*, person: Person, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    raw = secrets.token_urlsafe(32)
    PortalSession.objects.create(
        digest=_digest(raw),
        person=person,
        created_at=now,
        expires_at=now + dt.timedelta(hours=int(settings.KEEPWARM_PORTAL_SESSION_HOURS)),
    )
    return raw


def session_for(request: HttpRequest, *, now: dt.datetime | None = None) -> PortalSession | None:
    raw = request.COOKIES.get(COOKIE, "")
    if not raw or len(raw) > 100:
        return None
    now = now or timezone.now()
    # Someone erased on request has no personal page: an open session ends with them.
    return (
        PortalSession.objects.filter(digest=_digest(raw), ended_at__isnull=True, expires_at__gt=now)
        .filter(person__erased_at__isnull=True)
        .select_related("person")
        .first()
    )


def end_session(request: HttpRequest, *, now: dt.datetime | None = None) -> int:
    raw = request.COOKIES.get(COOKIE, "")
    if not raw:
        return 0
    return PortalSession.objects.filter(digest=_digest(raw), ended_at__isnull=True).update(
        ended_at=now or timezone.now()
    )


def end_all_sessions(person: Person, *, now: dt.datetime | None = None) -> int:
    return PortalSession.objects.filter(person=person, ended_at__isnull=True).update(
        ended_at=now or timezone.now()
    )


def set_cookie(response: HttpResponse, raw: str) -> None:
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(settings.KEEPWARM_PORTAL_SESSION_HOURS) * 3600,
        httponly=True,
        samesite="Lax",
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
        path="/",
    )


def clear_cookie(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE, path="/", samesite="Lax")


def forget_old_sign_ins(*, now: dt.datetime | None = None) -> int:
    """Delete ended sessions and used links nobody can use any more (the worker's tick).

    A used link is remembered until the longest-lived link would have expired anyway, so
    a replay is refused by its signature's age instead.
    """
    now = now or timezone.now()
    sessions, _ = PortalSession.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
    longest = max(_max_age(EMAIL), _max_age(SIGNIN)) + dt.timedelta(days=1)
    links, _ = UsedLink.objects.filter(used_at__lt=now - longest).delete()
    return sessions + links
