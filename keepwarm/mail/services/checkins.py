"""Check-in emails: their text copied onto the touchpoint, rendered, from the owner."""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template import Context, Engine

from keepwarm.agency.models import agency_settings
from keepwarm.care.models import Touchpoint
from keepwarm.lib.working_days import on_or_after_working_day, weekend_comes_next
from keepwarm.mail.compose import Email, compose
from keepwarm.mail.services.outbox import one_line
from keepwarm.people.links import personal_page_url

if TYPE_CHECKING:
    from keepwarm.accounts.models import User

DEFAULT_CHECKIN_BODY = (
    "Hi {{ first_name }},\n\n"
    "I hope everything is going well{% if company %} at {{ company }}{% endif %}. "
    "If there is anything I can help with, just reply to this email or give me a call.\n\n"
    "Best wishes,\n{{ owner_first_name }}"
)


# Plan steps are written by admins: render them with an engine that has no template
# loaders, so `{% include %}` cannot reach files, and without autoescaping, because
# the result is plain text that the HTML wrapper escapes.
STEP_ENGINE = Engine(autoescape=False)


def personal_from(owner: User) -> str:
    """ "Olivia Owner at Fernbrook Recruitment <keepwarm@agency>": personal, the agency's
    name as its settings give it, and our own domain (so the mail passes SPF and DKIM)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    name = f"{owner.display_name} at {agency_settings().from_name}"
    return str(Address(display_name=one_line(name), addr_spec=address))


def agency_from() -> str:
    """ "Fernbrook Recruitment <keepwarm@agency>": for what the agency, not one consultant,
    sends to outsiders (privacy notices, sign-in links)."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return str(Address(display_name=one_line(agency_settings().from_name), addr_spec=address))


def personal_reply_to(owner: User | None) -> str:
    """Where a reply goes, by the agency's rule: the consultant who looks after the person,
    or the agency's shared address (also when the consultant has none)."""
    brand = agency_settings()
    if owner is not None and owner.email and brand.replies_to_consultant:
        return str(Address(display_name=one_line(owner.display_name), addr_spec=owner.email))
    if brand.reply_to_address:
        return str(
            Address(display_name=one_line(brand.from_name), addr_spec=brand.reply_to_address)
        )
    return ""


def checkin_context(touchpoint: Touchpoint, *, sent_on: dt.date | None = None) -> dict[str, Any]:
    """What a step's text may use. `weekend_next` is true when the email goes out on the last
    working day before a weekend (a week-one email on a Monday must not wish a good weekend);
    `sent_on` defaults to the first working day from the due date."""
    sent_on = sent_on or on_or_after_working_day(touchpoint.due_on)
    owner = touchpoint.owner
    person = touchpoint.person
    placement = touchpoint.placement
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "full_name": person.full_name,
        "owner_name": owner.display_name,
        "owner_first_name": owner.first_name or owner.display_name,
        "owner_phone": owner.phone,
        "owner_email": owner.email,
        "owner_hours": owner.available_hours,
        "company": placement.company.name if placement else "",
        "role": placement.role_title if placement else "",
        "candidate_name": placement.person.full_name if placement else "",
        "weekend_next": weekend_comes_next(sent_on),
    }


def render_checkin(touchpoint: Touchpoint, *, sent_on: dt.date | None = None) -> Email:
    """Subject, plain text and HTML of a check-in, from the text copied onto the touchpoint."""
    context = checkin_context(touchpoint, sent_on=sent_on)
    subject_source = touchpoint.email_subject or touchpoint.title
    subject = STEP_ENGINE.from_string(subject_source).render(Context(context, autoescape=False))
    body = (
        STEP_ENGINE.from_string(touchpoint.email_body or DEFAULT_CHECKIN_BODY)
        .render(Context(context, autoescape=False))
        .strip()
    )
    return compose(
        "checkin",
        {
            **context,
            "subject": subject,
            "body": body,
            "personal_page_url": personal_page_url(touchpoint.person),
        },
    )
