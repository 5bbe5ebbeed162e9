"""In real Chromium: a placed candidate asks for a sign-in link on a phone, opens her page,
reports a problem, and her consultant sees the alert on Today. axe-core finds no serious
accessibility issue on any page on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.signals.models import Alert
from keepwarm.web_tests.browser import DESKTOP, MARKS, phone_page, serious_violations

pytestmark = MARKS


@pytest.fixture
def browser(chromium: Any) -> Any:
    return chromium


@pytest.mark.django_db(transaction=True)
def test_a_candidate_reports_a_problem_from_her_phone_and_it_is_on_todays_list(
    cast: Cast, live_server: Any, browser: Any
) -> None:
    cast.owner.phone = "0113 496 0000"
    cast.owner.available_hours = "Mon–Fri 8:30–18:00"
    cast.owner.save()
    phone = phone_page(browser)

    phone.goto(live_server.url + "/me/sign-in/")
    phone.get_by_role("heading", name="Your personal page").wait_for()
    assert serious_violations(phone) == []
    phone.get_by_label("Your email address").fill("priya@example.net")
    phone.get_by_role("button", name="Email me a sign-in link").click()
    phone.get_by_role("heading", name="Check your email").wait_for()
    assert serious_violations(phone) == []

    body = OutboxMessage.objects.get(to_email="priya@example.net").body_text
    found = re.search(r"https?://\S+(/me/link/\S+/)", body)
    assert found
    phone.goto(live_server.url + found.group(1))
    phone.get_by_role("heading", name="Hello Priya").wait_for()
    assert serious_violations(phone) == []
    phone.get_by_role("button", name="Open my page").click()

    phone.get_by_role("heading", name="Your job").wait_for()
    assert phone.get_by_role("link", name=re.compile("Call Olivia")).get_attribute("href") == (
        "tel:01134960000"
    )
    assert "Available Mon–Fri 8:30–18:00" in phone.content()
    assert serious_violations(phone) == []

    # Sent empty first: the page explains, and nothing is opened.
    phone.get_by_text("Something not right at work?").click()
    phone.get_by_role("button", name="Tell Olivia").click()
    phone.get_by_text("This field is required").wait_for()
    assert serious_violations(phone) == []
    assert not Alert.objects.exists()

    phone.get_by_label("What is the problem?").fill("My hours are not what we agreed")
    phone.get_by_role("button", name="Tell Olivia").click()
    phone.get_by_text("Olivia has been told").wait_for()
    assert Alert.objects.get().owner == cast.owner
    assert serious_violations(phone) == []
    phone.get_by_role("link", name="Back to your page").click()
    phone.get_by_role("heading", name="How are things?").wait_for()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.goto(f"{live_server.url}/login/")
    desk.get_by_label("Username").fill("olivia_owner")
    desk.get_by_label("Password").fill("correct-horse-battery")
    desk.get_by_role("button", name="Log in").click()
    desk.get_by_role("heading", name="Today", exact=True).wait_for()
    assert "My hours are not what we agreed" in desk.content()
    assert "Priya Patel reported a problem" in desk.content()


@pytest.mark.django_db(transaction=True)
def test_a_client_contacts_page_and_a_used_link_are_accessible(
    cast: Cast, live_server: Any, browser: Any
) -> None:
    from keepwarm.people.links import make_token

    page = phone_page(browser)
    link = f"{live_server.url}/me/link/{make_token(person=cast.client_contact)}/"
    page.goto(link)
    page.get_by_role("button", name="Open my page").click()
    page.get_by_text("Raise a concern about a placement").wait_for()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out").wait_for()
    used = page.goto(link)
    assert used.status == 410
    page.get_by_role("heading", name="This link has already been used").wait_for()
    assert serious_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_a_candidate_refers_a_friend_on_a_calm_page_at_phone_and_desktop_width(
    cast: Cast, live_server: Any, browser: Any
) -> None:
    from keepwarm.network.models import Referral, RewardRule
    from keepwarm.people.links import make_token

    RewardRule.objects.create(
        name="Friends", kind="candidate", amount=250, due_when="after_guarantee"
    )
    for page, width in ((phone_page(browser), 390), (browser.new_page(viewport=DESKTOP), 1280)):
        page.goto(f"{live_server.url}/me/link/{make_token(person=cast.candidate)}/")
        page.get_by_role("button", name="Open my page").click()
        page.get_by_role("heading", name="Your job").wait_for()
        assert page.get_by_role("heading", name="How are things?").count() == 1
        assert "we thank you with £250" in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []

        # Without their agreement: a clear message, and what was typed is still there.
        page.get_by_text("Refer someone").click()
        form = page.locator("form[action='/me/refer/']")
        form.get_by_label("Their name").fill(f"Sam Jones {width}")
        form.get_by_label("Their email").fill(f"sam{width}@example.org")
        form.get_by_role("button", name="Send the referral").click()
        page.get_by_text("Tick this once they have agreed").wait_for()
        assert form.get_by_label("Their name").input_value() == f"Sam Jones {width}"
        assert serious_violations(page) == []

        form.get_by_label("They agreed that we may contact them").check()
        form.get_by_role("button", name="Send the referral").click()
        page.get_by_role("heading", name="What happens next").wait_for()
        assert f"We will contact Sam Jones {width}" in page.locator("main").inner_text()
        assert serious_violations(page) == []
        page.get_by_role("link", name="Back to your page").click()
        page.get_by_text(f"Sam Jones {width}").wait_for()
        page.context.close()
    assert Referral.objects.count() == 2
