"""In a real browser, with the CSP enforced: set up the second factor, then use the app."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from keepwarm.conftest import Cast
from keepwarm.web_tests.browser import MARKS

pytestmark = MARKS


@pytest.mark.django_db(transaction=True)
def test_first_sign_in_sets_up_the_app_and_no_page_breaks_the_policy(
    cast: Cast,
    live_server: Any,
    browser_page: Any,
    settings: Any,
) -> None:
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True
    page = browser_page
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olivia_owner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("heading", name="Set up your second factor").wait_for()
    assert page.locator(".qr svg").count() == 1
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.locator(".recovery-codes li").count() == 10
    page.get_by_role("link", name="I have saved them").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()

    # htmx (loaded from this server, with the nonce) still works under the policy.
    page.get_by_label("Search people and companies").fill("Priya")
    page.locator("#live-results").get_by_text("Priya Patel").first.wait_for()
    page.goto(f"{live_server.url}/people/{cast.candidate.pk}/")
    page.goto(f"{live_server.url}/account/")
    page.get_by_role("heading", name="Second factor").wait_for()

    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
