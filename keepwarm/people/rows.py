"""The people list's rows, read as plain values and written out here, not by the template
engine.

Measured at agency size (bench/bench_lists.py --profile): the list's 50 rows through the
template engine (a dozen variable lookups, a URL, a date and a phone filter each) and 100
model instances (each person and their owner) were the largest part of the page, several
times what the list50 anchor spends on its whole table. Here a row is a tuple of the
columns shown, and its HTML one escaped string; the people/tests hold it to what the
template wrote (link, headline, email, phone, owner or "—", last contact or "never")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape  # what django.utils.html.escape calls, without its lazy-text wrapper

from django.db import connection
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from keepwarm.accounts.models import User
from keepwarm.lib.bulk import fetch_all
from keepwarm.lib.humane import short_day
from keepwarm.lib.phones import agency_region, display_phone
from keepwarm.lib.urls import pk_url
from keepwarm.people.models import Person


@dataclass(frozen=True, slots=True)
class PersonBrief:
    """A person as a list names them (the search page's); `pk`, `full_name` and
    `get_absolute_url` as a Person's."""

    pk: int
    first_name: str
    last_name: str
    headline: str
    email: str
    phone: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_absolute_url(self) -> str:
        return pk_url(self.pk, "person")


@dataclass(frozen=True, slots=True)
class PersonRow(PersonBrief):
    """One person as the people list shows them."""

    last_contacted_at: dt.datetime | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None

    @property
    def owner_name(self) -> str:
        """The owner's display name (full name, else username); "" without an owner."""
        if self.owner_username is None:
            return ""
        full = f"{self.owner_first_name} {self.owner_last_name}".strip()
        return full or self.owner_username


# The page's people with their owner's name, read on every view of the list: written
# once, it skips the ORM's building and compiling and is prepared on PostgreSQL.
_ROWS_SQL = (
    "SELECT p.id, p.first_name, p.last_name, p.headline, p.email, p.phone,"
    " p.last_contacted_at, u.first_name, u.last_name, u.username"
    " FROM {person} p LEFT JOIN {user} u ON u.id = p.owner_id"
    " WHERE p.id IN ({ids})"
)


def person_rows(ids: list[int]) -> list[PersonRow]:
    """The people `ids` as rows (in no particular order): who may see them was settled
    finding the page."""
    if not ids:
        return []
    sql = _ROWS_SQL.format(
        person=connection.ops.quote_name(Person._meta.db_table),
        user=connection.ops.quote_name(User._meta.db_table),
        ids=", ".join(["%s"] * len(ids)),
    )
    found = fetch_all(sql, ids)
    # Looked up once a page, not per row: each is a lookup through a per-thread proxy.
    stored_in = connection.timezone
    return [
        PersonRow(pk, first, last, headline, email, phone, _aware(contacted, stored_in), *owner)
        for pk, first, last, headline, email, phone, contacted, *owner in found
    ]


def _aware(moment: dt.datetime | None, stored_in: dt.tzinfo | None) -> dt.datetime | None:
    # SQLite returns the stored UTC time without its zone; the ORM adds it the same way.
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, stored_in)


def rows_html(rows: Iterable[PersonRow]) -> SafeString:
    """The list's table rows, as people/people.html wrote them."""
    home, here = agency_region(), timezone.get_current_timezone()
    return mark_safe("".join(_row(row, home, here) for row in rows))  # noqa: S308 (every value escaped)


def _row(row: PersonRow, home: str, here: dt.tzinfo) -> str:
    headline = f'<div class="muted small">{escape(row.headline)}</div>' if row.headline else ""
    phone = f"<div>{escape(display_phone(row.phone, region=home))}</div>" if row.phone else ""
    contacted = (
        short_day(timezone.localtime(row.last_contacted_at, here))
        if row.last_contacted_at is not None
        else '<span class="muted">never</span>'
    )
    return (
        f'<tr><td><a href="{pk_url(row.pk, "person")}"><strong>{escape(row.full_name)}'
        f"</strong></a>{headline}</td>"
        f'<td class="small">{escape(row.email)}{phone}</td>'
        f'<td data-label="Owner">{escape(row.owner_name or "—")}</td>'
        f'<td data-label="Last contact">{contacted}</td></tr>\n'
    )
