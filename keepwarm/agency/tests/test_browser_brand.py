"""In a real browser: an admin brands the agency with a live preview, and the questionnaire
page (on a phone) and a sent email show it; a setting takes effect without a restart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.services.checkins import personal_from, personal_reply_to
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.services.sending import send_pending
from keepwarm.surveys.services import create_invitation, render_invitation
from keepwarm.surveys.tests.conftest import link, make_checkin
from keepwarm.web_tests.browser import MARKS, phone_page, serious_violations

pytestmark = MARKS

NAME = "O'Brien & Daughters"
PLUM = "#7a1f5c"
PLUM_RGB = "rgb(122, 31, 92)"
LAPTOP: Any = {"width": 1366, "height": 768}


def _sign_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill("ada_admin")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()


@pytest.mark.django_db(transaction=True)
def test_admin_brands_the_agency_and_candidates_see_it_on_the_page_and_in_the_mail(
    cast: Cast, live_server: Any, chromium: Any, smtp_server: SmtpSink
) -> None:
    cast.candidate.last_contacted_at = timezone.now() - dt.timedelta(days=7)
    cast.candidate.save(update_fields=["last_contacted_at"])
    page = chromium.new_page(viewport=LAPTOP)
    page.set_default_timeout(30_000)
    _sign_in(page, live_server.url)
    # The whole menu fits one row of the bar on a laptop.
    assert page.locator("header.topbar").bounding_box()["height"] < 70
    page.goto(f"{live_server.url}/people/{cast.candidate.pk}/")
    assert page.locator(".badge-green", has_text="last contact 7 days ago").count() == 1

    page.get_by_role("navigation").get_by_text("Admin", exact=True).click()
    page.get_by_role("link", name="Agency settings").click()
    page.get_by_role("heading", name="Agency settings").wait_for()
    assert serious_violations(page) == []
    page.get_by_label("Agency name").fill(NAME)
    page.get_by_label("Brand colour").fill(PLUM)
    page.get_by_label("Amber days").fill("5")
    # The preview follows the typing, before anything is saved.
    email = page.frame_locator("iframe[title='Preview of an email']")
    email.locator(".masthead", has_text=NAME).wait_for()
    public = page.frame_locator("iframe[title='Preview of a questionnaire page']")
    banner = public.locator(".brand-banner", has_text=NAME)
    # Typing the name and the colour are two previews: the banner may show the name before
    # the colour's preview arrives, so the colour is waited for, not read at once.
    expect(banner).to_have_css("background-color", PLUM_RGB)
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Agency settings saved").wait_for()
    assert serious_violations(page) == []

    # Amber after five days now, with no restart.
    page.goto(f"{live_server.url}/people/{cast.candidate.pk}/")
    assert page.locator(".badge-amber", has_text="last contact 7 days ago").count() == 1

    invitation = create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=make_checkin().questionnaire,
        sender=cast.owner,
        now=timezone.now(),
    )
    phone = phone_page(chromium)
    phone.goto(live_server.url + link(invitation))
    banner = phone.locator(".brand-banner")
    assert banner.inner_text().strip() == NAME
    assert banner.evaluate("b => getComputedStyle(b).backgroundColor") == PLUM_RGB
    assert phone.title() == f"How are things going? · {NAME}"
    # Content first on a phone: the heading is in the first screenful, under a slim banner.
    assert phone.get_by_role("heading", level=1).bounding_box()["y"] < 120
    assert serious_violations(phone) == []

    subject, text, html = render_invitation(invitation)
    queue_email(
        key="brand-test",
        to_email=cast.candidate.email,
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=personal_from(cast.owner),
        reply_to=personal_reply_to(cast.owner),
        send_after=timezone.now(),
        person=cast.candidate,
    )
    send_pending()
    [received] = smtp_server.messages
    assert received["From"].startswith(f"Olivia Owner at {NAME} <")
    html_part, text_part = received.get_body(("html",)), received.get_body(("plain",))
    assert html_part is not None and text_part is not None
    body = html_part.get_content()
    assert f"background: {PLUM}" in body
    assert "O'Brien &amp; Daughters" in body
    assert text_part.get_content().rstrip().endswith(NAME)


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_staff_menu_folds_behind_one_button(
    cast: Cast, live_server: Any, chromium: Any
) -> None:
    page = phone_page(chromium)
    page.set_default_timeout(30_000)
    _sign_in(page, live_server.url)

    menu = page.get_by_role("button", name="Menu")
    assert page.get_by_role("heading", name="Today", exact=True).bounding_box()["y"] < 150
    assert not page.get_by_role("link", name="People").is_visible()
    menu.click()
    page.get_by_role("link", name="People").wait_for()
    assert menu.get_attribute("aria-expanded") == "true"
    assert serious_violations(page) == []
