"""A consultant on a phone: Today and the person page open on the next call, with the number
to tap and Log call in the first screen, then the timeline; the log-call page shows the
number and who the call is about. The same pages on a desktop; axe finds nothing serious.
An admin on a phone has the agency settings' Save on screen all the way down the form."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.people.models import Note
from keepwarm.signals.services.alerts import open_alert
from keepwarm.web_tests.browser import DESKTOP, MARKS, phone_page, serious_violations
from keepwarm.web_tests.browser import sign_in as sign_in_as
from keepwarm.web_tests.test_browser_calls_and_alerts import due_call, sign_in

pytestmark = MARKS

# Below this the thumb has to scroll: an 844 px tall phone, less the browser's own bars.
FIRST_SCREEN = 800
CALL = "Call 07700 900123"


def _bottom(locator: Any) -> float:
    box = locator.bounding_box()
    assert box is not None
    return float(box["y"] + box["height"])


def _top(locator: Any) -> float:
    box = locator.bounding_box()
    assert box is not None
    return float(box["y"])


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_next_call_and_log_call_come_first(
    cast: Cast, live_server: Any, chromium: Any
) -> None:
    call = due_call(cast)
    # What used to stand above the calls: an alert on Today, notes on the timeline.
    open_alert(placement=cast.placement, reason="Said she might leave")
    for n in range(3):
        Note.objects.create(person=cast.candidate, author=cast.owner, text=f"Note {n}")

    for page, phone in ((phone_page(chromium), True), (chromium.new_page(viewport=DESKTOP), False)):
        sign_in(page, live_server.url)
        card = page.locator(".next-call")
        assert "Priya Patel" in card.inner_text() and "Month-one call" in card.inner_text()
        tap = card.get_by_role("link", name=CALL)
        assert tap.get_attribute("href") == "tel:07700900123"
        log = card.get_by_role("link", name="Log call")
        if phone:
            assert _bottom(tap) < FIRST_SCREEN and _bottom(log) < FIRST_SCREEN
        assert serious_violations(page) == []

        page.goto(f"{live_server.url}/people/{cast.candidate.pk}/")
        calls = page.locator("#log")
        tap = calls.get_by_role("link", name=CALL)
        assert tap.get_attribute("href") == "tel:07700900123"
        outcomes = calls.get_by_role("group", name="Log call")
        assert "Month-one call" in calls.inner_text()
        timeline = page.get_by_role("heading", name="Timeline")
        details = page.get_by_role("heading", name="Details")
        if phone:
            assert _bottom(tap) < FIRST_SCREEN and _bottom(outcomes) < FIRST_SCREEN
            # Then the timeline, and the record's details after it.
            assert _top(timeline) < _top(details)
        else:
            # Beside the calls: the placement, its guarantee and its risk.
            placement = page.get_by_role("link", name="Account Manager at Acme Widgets").first
            assert _top(placement) < FIRST_SCREEN
        assert serious_violations(page) == []

        page.goto(f"{live_server.url}/")
        page.locator(".next-call").get_by_role("link", name="Log call").click()
        page.get_by_role("heading", name="Log call with Priya Patel").wait_for()
        assert page.get_by_role("link", name=CALL).get_attribute("href") == "tel:07700900123"
        facts = page.locator(".call-facts").inner_text()
        assert "Month-one call" in facts and "Account Manager at Acme Widgets" in facts
        assert serious_violations(page) == []
        page.context.close()
    call.refresh_from_db()
    assert call.state == "planned"  # looking logged nothing


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_agency_settings_save_button_stays_on_screen(
    cast: Cast, live_server: Any, chromium: Any
) -> None:
    # The form is several screens long on a phone: its Save used to be 2,400 px down, below
    # every field, so an admin changing the brand colour had to hunt for it.
    page = phone_page(chromium)
    sign_in_as(page, live_server.url, "ada_admin")
    page.goto(f"{live_server.url}/settings/agency/")
    save = page.get_by_role("button", name="Save settings")

    on_arrival = _bottom(save)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    halfway = _bottom(save)

    # Sticky at the foot of the screen: the browser's own bars are outside the viewport.
    screen = page.viewport_size["height"]
    assert on_arrival <= screen and halfway <= screen
    save.click()
    page.get_by_text("Agency settings saved").wait_for()
