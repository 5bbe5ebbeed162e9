"""In a real browser: a check-in refused with a 550 shows as failed, not done, and the
consultant finds a call in its place, the dead address on the person page and no claim
that the monthly newsletter still reaches them."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.services.consent import record_consent
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.people.models import Consent
from keepwarm.web_tests.browser import MARKS
from keepwarm.worker.tick import tick

pytestmark = MARKS

MONDAY = at("2026-03-09T09:05+00:00")


@pytest.mark.django_db(transaction=True)
def test_bounced_check_in_shows_as_a_call_and_a_dead_address(
    cast: Cast, live_server: Any, browser_page: Any, smtp_server: SmtpSink
) -> None:
    record_consent(
        person=cast.candidate,
        basis=Consent.Basis.CONSENT,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Sign-up form",
        wording="Send me the monthly newsletter.",
        frequency="monthly",
    )
    checkin = make_checkin(
        cast,
        due_on=MONDAY.date(),
        title="Client check-in before the guarantee ends",
    )
    smtp_server.rcpt_replies.append("550 5.1.1 No such user here")
    tick(now=MONDAY, worker_id="test")

    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olivia_owner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()

    today = page.locator("main").inner_text()
    assert "Call instead: Client check-in before the guarantee ends" in today

    page.goto(f"{live_server.url}/people/{cast.candidate.pk}/")
    details = page.locator("#details-heading").locator("..").inner_text()
    assert "Address not working" in details and "550 5.1.1 No such user here" in details
    assert "9 Mar 2026" in details
    consent = page.locator("#consent").inner_text()
    assert "Nothing: their address is not working" in consent
    timeline = page.locator("main").inner_text()
    assert "Email failed" in timeline

    page.goto(f"{live_server.url}/mail/")
    row = page.locator("tr", has_text="priya@example.net").first.inner_text()
    assert "Failed" in row and "a call takes its place" in row

    checkin.refresh_from_db()
    assert checkin.state != Touchpoint.State.DONE
