"""Saving the agency's settings: one audited write, seen by every process within a minute."""

from __future__ import annotations

from django.db import transaction

from keepwarm.agency.models import AgencySettings, Logo, agency_settings, forget_agency_settings
from keepwarm.audit.recording import record_changed, stored_values


@transaction.atomic
def save_agency_settings(
    *, changed: AgencySettings, logo: tuple[bytes, str] | None = None, drop_logo: bool = False
) -> AgencySettings:
    """Store the settings an admin saved, with one audit entry naming each change.

    `changed` holds the new values (a bound form's instance); `logo` is a new logo's bytes and
    type, already checked; `drop_logo` removes the logo. The process that saved forgets its
    cached copy, so its next page or tick already works with the new values.
    """
    agency_settings()  # the row exists from its first read
    before = stored_values(changed)
    if logo is not None:
        data, content_type = logo
        digest = Logo.digest_of(data)
        Logo.objects.get_or_create(
            digest=digest, defaults={"content_type": content_type, "data": data}
        )
        changed.logo_digest = digest
    elif drop_logo:
        changed.logo_digest = ""
    changed.save()
    # Logos no longer in use are not kept: one row is the agency's logo.
    Logo.objects.exclude(digest=changed.logo_digest).delete()
    record_changed(changed, before)
    transaction.on_commit(forget_agency_settings)
    forget_agency_settings()
    return changed
