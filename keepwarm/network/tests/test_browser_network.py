"""In real Chromium: settle a doubtful referral and convert a lead; axe finds nothing serious."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.network.models import Lead, Vacancy
from keepwarm.network.services import receive_lead, receive_referral
from keepwarm.web_tests.browser import MARKS, serious_violations

pytestmark = MARKS


@pytest.mark.django_db(transaction=True)
def test_consultant_settles_a_referral_and_converts_a_lead_in_the_browser(
    cast: Cast, live_server: Any, browser_page: Any
) -> None:
    referral = receive_referral(
        referrer=cast.client_contact, kind="candidate", name="Pat Smith", phone="07700 900123"
    )
    lead = receive_lead(
        source=cast.candidate, company_name="Globex", contact_name="Gina Gold", role_hint="Buyer"
    )
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olivia_owner")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()

    page.get_by_role("link", name="Network").click()
    page.get_by_role("link", name="Pat Smith").click()
    page.get_by_role("heading", name="Who is it?").wait_for()
    assert serious_violations(page) == []
    page.get_by_label("Priya Patel", exact=False).check()
    page.get_by_role("button", name="Link").click()
    page.get_by_text("Linked the referral to Priya Patel.").wait_for()
    referral.refresh_from_db()
    assert referral.referred == cast.candidate

    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    assert serious_violations(page) == []
    page.get_by_label("Vacancy title").fill("Senior Buyer")
    page.get_by_role("button", name="Convert to company and vacancy").click()
    page.get_by_role("heading", name="Senior Buyer").wait_for()
    assert serious_violations(page) == []
    assert Lead.objects.get().status == "converted"
    assert Vacancy.objects.get().company.name == "Globex"
