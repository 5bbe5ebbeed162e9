"""Who is calling: a personal token, or (for the docs page) a logged-in session.

Tokens are looked up by their SHA-256 digest through a unique index, so no
secret is ever compared character by character in Python. A browser session is
accepted only with Django's CSRF check (ninja's `django_auth`), so another site
cannot make a logged-in consultant's browser write through the API.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from keepwarm.accounts.models import ApiToken, User, hash_token
from keepwarm.audit.recording import identify

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        token = token.strip()
        if not token or len(token) > 200:
            raise AuthenticationError(message="Invalid API token")
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=hash_token(token), user__is_active=True)
            .first()
        )
        if found is None:
            # A wrong bearer token is an error even when a session cookie is also sent.
            raise AuthenticationError(message="Invalid API token")
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        # The audit trail names the token's owner for everything this request does.
        identify(found.user)
        return found.user


auth = [BearerToken(), django_auth]


def caller(request: HttpRequest) -> User:
    """The authenticated user of an API request (set by ninja from `auth`)."""
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    return user
