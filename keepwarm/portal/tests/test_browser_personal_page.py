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
from keepwarm.web_tests.browser import MARKS, phone_page, serious_violations

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

    phone.get_by_role("heading", name="Your consultant").wait_for()
    assert phone.get_by_role("link", name=re.compile("Call Olivia")).get_attribute("href") == (
        "tel:01134960000"
    )
    assert "Available Mon–Fri 8:30–18:00" in phone.content()
    assert serious_violations(phone) == []

    # Sent empty first: the page explains, and nothing is opened.
    phone.get_by_role("button", name="Tell Olivia").click()
    phone.get_by_text("This field is required").wait_for()
    assert serious_violations(phone) == []
    assert not Alert.objects.exists()

    phone.get_by_label("What is the problem?").fill("My hours are not what we agreed")
    phone.get_by_role("button", name="Tell Olivia").click()
    phone.get_by_text("Olivia has been told").wait_for()
    assert Alert.objects.get().owner == cast.owner

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
    page.get_by_role("heading", name="Raise a concern about a placement").wait_for()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out").wait_for()
    used = page.goto(link)
    assert used.status == 410
    page.get_by_role("heading", name="This link has already been used").wait_for()
    assert serious_violations(page) == []
