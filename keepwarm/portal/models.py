"""Signed-in personal pages for outsiders: which links were used, and open sessions.

An outsider (a placed candidate or a client contact) has no account and no password.
An emailed link signs them in once; the session it opens is theirs alone, kept apart
from staff sign-in, and names the Person it may show.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

from keepwarm.people.models import Person


class UsedLink(models.Model):
    """A sign-in link that has opened a page. The UNIQUE nonce makes each link single use:
    a second POST of the same link fails to insert, whichever process gets there first."""

    nonce = models.CharField(max_length=32, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.nonce[:6]}… used {self.used_at:%d %b %Y %H:%M}"


class PortalSession(models.Model):
    """One signed-in personal page. Only the SHA-256 of the cookie's value is stored."""

    digest = models.CharField(max_length=64, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="portal_sessions")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.person} since {self.created_at:%d %b %Y %H:%M}"

    def is_live(self, now: dt.datetime) -> bool:
        return self.ended_at is None and now < self.expires_at
