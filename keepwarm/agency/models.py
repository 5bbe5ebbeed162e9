"""The agency's own settings: one row an admin edits in the app, read by every part that
sends, schedules or shows the agency to outsiders.

The KEEPWARM_* environment variables give the row its first values only; from then on the
row is the truth, so a change takes effect without a restart. Each process keeps the row it
read for a minute (as lib.working_days keeps closures), so a tick or a page reads it once,
not once per email or date, and a worker on another machine picks an edit up within that
minute; saving through the service forgets it at once in the process that saved.
"""

from __future__ import annotations

import hashlib
import threading
import time
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.urls import reverse

from keepwarm.lib.working_days import AgencyCalendar

# How long one process trusts the settings it read (seconds).
_TTL = 60.0
DEFAULT_COLOUR = "#0d6b5f"
# How much of the brand colour its soft tint holds (the rest white): the background of
# chosen options and notes on public pages.
SOFT_SHARE = 0.1


class Logo(models.Model):
    """An uploaded logo, named by its SHA-256 so a new one gets a new address (caches)."""

    digest = models.CharField(max_length=64, primary_key=True)
    content_type = models.CharField(max_length=20)
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"Logo {self.digest[:12]}"

    @staticmethod
    def digest_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class AgencySettings(models.Model):
    """What a manager tunes and how the agency shows itself: one row (pk 1), edited by
    admins on the Agency settings page, each change on the audit trail."""

    class ReplyTo(models.TextChoices):
        CONSULTANT = "consultant", "The consultant who looks after the person"
        SHARED = "shared", "One shared address"

    # Branding: every public page and email.
    name = models.CharField("Agency name", max_length=100)
    logo_digest = models.CharField(max_length=64, blank=True, editable=False)
    colour = models.CharField(
        "Brand colour",
        max_length=7,
        default=DEFAULT_COLOUR,
        help_text="Used behind white text (banner, buttons) and for links, so it must be dark "
        "enough to read.",
    )
    postal_address = models.TextField(
        blank=True, help_text="In every email's footer and the privacy notices."
    )
    sender_name = models.CharField(
        max_length=100, blank=True, help_text="The name emails come from. Empty: the agency name."
    )
    reply_to = models.CharField(
        "Replies go to", max_length=12, choices=ReplyTo.choices, default=ReplyTo.CONSULTANT
    )
    reply_to_address = models.EmailField(
        "Shared reply address", blank=True, help_text="Used when replies go to one shared address."
    )
    signature = models.TextField(
        blank=True, help_text="A line or two under every email, after the consultant's details."
    )
    # Working days and hours.
    send_hour = models.PositiveSmallIntegerField(help_text="Local hour check-in emails go out.")
    holidays_country = models.CharField("Bank holidays of (country code)", max_length=2, blank=True)
    holidays_subdivision = models.CharField("Region code", max_length=10, blank=True)
    # Today and the person pages.
    amber_days = models.PositiveSmallIntegerField(
        help_text="Days without contact after which a person shows amber."
    )
    red_days = models.PositiveSmallIntegerField(
        help_text="Days without contact after which a person shows red."
    )
    # Links and reminders.
    invitation_days = models.PositiveSmallIntegerField(
        "Questionnaire links last (days)", help_text="How long a questionnaire link works."
    )
    reminder_days = models.PositiveSmallIntegerField(
        "Remind after (days)", help_text="Days without an answer before one polite reminder."
    )
    personal_link_days = models.PositiveSmallIntegerField(
        "Personal-page links in emails last (days)"
    )

    class Meta:
        verbose_name_plural = "agency settings"

    def __str__(self) -> str:
        return "Agency settings"

    @classmethod
    def initial(cls) -> AgencySettings:
        """The first values: whatever the KEEPWARM_* environment variables say."""
        return cls(
            pk=1,
            name=_name_from_address(settings.DEFAULT_FROM_EMAIL),
            postal_address=settings.KEEPWARM_POSTAL_ADDRESS,
            send_hour=settings.KEEPWARM_SEND_HOUR,
            holidays_country=settings.KEEPWARM_HOLIDAYS_COUNTRY,
            holidays_subdivision=settings.KEEPWARM_HOLIDAYS_SUBDIVISION,
            amber_days=settings.KEEPWARM_AMBER_DAYS,
            red_days=settings.KEEPWARM_RED_DAYS,
            invitation_days=settings.KEEPWARM_INVITATION_DAYS,
            reminder_days=settings.KEEPWARM_REMINDER_DAYS,
            personal_link_days=settings.KEEPWARM_PORTAL_EMAIL_LINK_DAYS,
        )

    @property
    def from_name(self) -> str:
        """The display name emails come from."""
        return self.sender_name.strip() or self.name

    @property
    def logo_url(self) -> str:
        """The logo's address on this server ("" without one); it changes with the logo."""
        return reverse("agency_logo", args=[self.logo_digest]) if self.logo_digest else ""

    @property
    def logo_absolute_url(self) -> str:
        """The logo's full address, for emails."""
        return f"{settings.BASE_URL}{self.logo_url}" if self.logo_digest else ""

    @property
    def replies_to_consultant(self) -> bool:
        return self.reply_to != self.ReplyTo.SHARED or not self.reply_to_address


def _name_from_address(address: str) -> str:
    return parseaddr(address)[0].strip() or "Our agency"


_lock = threading.Lock()
_current: AgencySettings | None = None
_read_at = 0.0
# Counts forgettings: a read that began before the latest one must not be kept, or a page
# served while a save commits would keep the old values for a minute.
_generation = 0


def agency_settings() -> AgencySettings:
    """The agency's settings as this process last read them (at most a minute ago)."""
    global _current, _read_at
    found = _current
    if found is not None and time.monotonic() - _read_at < _TTL:
        return found
    began = _generation
    found = AgencySettings.objects.filter(pk=1).first()
    if found is None:
        found, _ = AgencySettings.objects.get_or_create(
            pk=1, defaults=_field_values(AgencySettings.initial())
        )
    with _lock:
        if began == _generation:
            _current, _read_at = found, time.monotonic()
    return found


def forget_agency_settings() -> None:
    """Make the next read fetch the row again (after a save, or between tests)."""
    global _current, _generation
    with _lock:
        _current = None
        _generation += 1


def calendar_from_settings() -> AgencyCalendar:
    row = agency_settings()
    return AgencyCalendar(row.holidays_country, row.holidays_subdivision, row.send_hour)


def _field_values(row: AgencySettings) -> dict[str, object]:
    return {
        f.attname: getattr(row, f.attname)
        for f in AgencySettings._meta.concrete_fields
        if not f.primary_key
    }
