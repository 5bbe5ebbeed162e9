"""Links to a person's personal page, for emails. They live with the person, below mail and
surveys, so the emails that carry them can make them; the page itself (portal) reads them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

from keepwarm.people.models import Person

SALT = "keepwarm.portal.signin"
SIGNIN = "signin"  # asked for on the public page: works for minutes
EMAIL = "email"  # the "your page" link in a check-in or questionnaire email: works for days


def signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(*, person: Person, kind: str = SIGNIN) -> str:
    nonce = secrets.token_urlsafe(12)
    return signer().sign_object({"p": person.pk, "n": nonce, "k": kind}, compress=False)


def link_url(*, person: Person, kind: str = SIGNIN) -> str:
    return settings.BASE_URL + reverse("portal_link", args=[make_token(person=person, kind=kind)])


def personal_page_url(person: Person) -> str:
    """The "your page" link for an email to `person`; works for days, opens the page once."""
    return link_url(person=person, kind=EMAIL)


def public_page_url() -> str:
    """Where anyone asks for a sign-in link: for emails made once for many readers."""
    return settings.BASE_URL + reverse("portal_sign_in")
