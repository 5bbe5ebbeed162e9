"""Signed unsubscribe and preference links, and the RFC 8058 headers that carry them.

The token is the authentication: it names the person and the purpose and is signed
with the site's secret, so a link works without a login and nobody can make one for
someone else. Links work for over a year: an opt-out must work long after the send.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from keepwarm.people.models import Person

UNSUBSCRIBE_SALT = "keepwarm.unsubscribe"
PREFERENCES_SALT = "keepwarm.preferences"
LINK_DAYS = 400
MAX_TOKEN = 300


class BadLink(Exception):
    """A link that was changed, cut short or has expired; `status` for the page."""

    status = 400
    title = "This link does not work"
    message = (
        "The link may have been cut short or changed when it was copied. Please open it "
        "again from the email. You can also reply to any of our emails and ask us to stop."
    )


class ExpiredLink(BadLink):
    status = 410
    title = "This link has expired"
    message = (
        "Links in our emails work for a year. Please use the link in a more recent email, "
        "or reply to any of our emails and ask us to stop; we will do it straight away."
    )


@dataclass(frozen=True)
class Link:
    person_id: int
    purpose: str


def _sign(salt: str, person: Person, purpose: str) -> str:
    return signing.TimestampSigner(salt=salt).sign_object(
        {"p": person.pk, "u": purpose}, compress=False
    )


def _open(salt: str, token: str) -> Link:
    if not token or len(token) > MAX_TOKEN:
        raise BadLink()
    try:
        payload = signing.TimestampSigner(salt=salt).unsign_object(
            token, max_age=dt.timedelta(days=LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise ExpiredLink() from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise BadLink() from None
    if not isinstance(payload, dict):
        raise BadLink()
    person_id, purpose = payload.get("p"), payload.get("u")
    if not isinstance(person_id, int) or not isinstance(purpose, str):
        raise BadLink()
    return Link(person_id=person_id, purpose=purpose)


def unsubscribe_token(*, person: Person, purpose: str) -> str:
    return _sign(UNSUBSCRIBE_SALT, person, purpose)


def open_unsubscribe_token(token: str) -> Link:
    return _open(UNSUBSCRIBE_SALT, token)


def preferences_token(*, person: Person, purpose: str = "newsletter") -> str:
    return _sign(PREFERENCES_SALT, person, purpose)


def open_preferences_token(token: str) -> Link:
    return _open(PREFERENCES_SALT, token)


def unsubscribe_url(*, person: Person, purpose: str) -> str:
    return settings.BASE_URL + reverse(
        "unsubscribe", args=[unsubscribe_token(person=person, purpose=purpose)]
    )


def preferences_url(*, person: Person, purpose: str = "newsletter") -> str:
    return settings.BASE_URL + reverse(
        "email_preferences", args=[preferences_token(person=person, purpose=purpose)]
    )


def list_unsubscribe_headers(*, person: Person, purpose: str) -> dict[str, str]:
    """List-Unsubscribe with the one-click URL, and the RFC 8058 marker that lets a
    mailbox provider POST to it on the reader's behalf."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(person=person, purpose=purpose)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
