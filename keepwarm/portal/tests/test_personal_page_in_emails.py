"""Every email from Keepwarm leads to the personal page, and shows the consultant's hours."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.utils import timezone

from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.services.checkins import render_checkin
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.surveys.services import create_invitation, render_invitation
from keepwarm.surveys.tests.conftest import make_checkin as make_questionnaire
from keepwarm.worker.tick import tick

DUE = dt.date(2026, 3, 9)


def _page_link(text: str) -> str:
    found = re.search(r"https?://[^/\s]+(/me/link/[^\s]+/)", text)
    assert found, text
    return found.group(1)


def test_a_check_in_shows_the_hours_and_a_link_that_opens_the_page_once(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    cast.owner.available_hours = "Mon–Fri 8:30–18:00"
    cast.owner.save(update_fields=["available_hours"])
    make_checkin(cast, due_on=DUE)
    tick(now=at("2026-03-09T09:05+00:00"), worker_id="test")
    [received] = smtp_server.messages
    text_part = received.get_body(preferencelist=("plain",))
    html_part = received.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content(), html_part.get_content()
    assert "Available: Mon–Fri 8:30–18:00" in text
    assert "Available: Mon–Fri 8:30–18:00" in html
    assert ">Your personal page</a>" in html
    path = _page_link(text)
    client = Client()
    assert client.get(path).status_code == 200  # days later is fine: it is an email link
    assert client.post(path).status_code == 302
    assert "Hello Priya" in client.get("/me/").text
    assert Client().post(path).status_code == 410  # once only


def test_no_hours_no_line(cast: Cast) -> None:
    _, text, html = render_checkin(make_checkin(cast, due_on=DUE))
    assert "Available:" not in text and "Available:" not in html
    assert "/me/link/" in text


def test_a_questionnaire_email_leads_to_the_page_of_the_person_it_went_to(cast: Cast) -> None:
    cast.owner.available_hours = "Weekdays 9–5"
    cast.owner.save(update_fields=["available_hours"])
    invitation = create_invitation(
        placement=cast.placement,
        person=cast.client_contact,
        questionnaire=make_questionnaire().questionnaire,
        sender=cast.owner,
        now=timezone.now(),
    )
    _, text, html = render_invitation(invitation)
    assert "Available: Weekdays 9–5" in text and "Available: Weekdays 9–5" in html
    client = Client()
    client.post(_page_link(text))
    assert "Hello Harry" in client.get("/me/").text


def test_the_newsletter_footer_links_to_the_sign_in_page() -> None:
    from django.template.loader import render_to_string

    from keepwarm.newsletters.render import TOKENS

    context = {**{name: token for name, token in TOKENS.items()}, "blocks": []}
    for name in ("emails/newsletter-body.txt", "emails/newsletter-body.html"):
        assert "/me/sign-in/" in render_to_string(name, context)
