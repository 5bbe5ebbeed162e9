"""On a phone a list reads one card a row, or a wide table scrolls inside its box; the page
itself never scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.mail.tests.test_sent_mail_page import message
from keepwarm.web_tests.browser import MARKS, launched, phone_page, sign_in

pytestmark = MARKS

TABLE_WIDTH = "document.querySelector('.table-wrap table').scrollWidth"


def cell_heading(page: Any, label: str) -> str:
    """What a stacked cell shows before its value: its column's name, as CSS writes it."""
    return str(
        page.evaluate(
            f"getComputedStyle(document.querySelector('td[data-label={label}]'), '::before')"
            ".content"
        )
    )


def on_a_phone(browser: Any, url: str, username: str) -> Any:
    """A phone-sized page, signed in as one of the cast."""
    page = phone_page(browser)
    sign_in(page, url, username)
    return page


@pytest.mark.django_db(transaction=True)
def test_an_admin_on_a_phone_reads_the_team_one_card_a_row_without_the_page_scrolling_sideways(
    cast: Cast, live_server: Any
) -> None:
    # The last column of an admin's team table has a visually-hidden header (position:
    # absolute): it used to escape the table's scroll box and widen the page by 300 px.
    # The team now reads one card a row, its actions column included.
    with launched() as browser:
        page = on_a_phone(browser, live_server.url, "ada_admin")

        page.goto(f"{live_server.url}/team/")
        page.get_by_role("heading", name="Team").first.wait_for()

        table_width = page.evaluate(TABLE_WIDTH)
        page_width = page.evaluate("document.documentElement.scrollWidth")
    assert table_width <= 390
    assert page_width <= 390


@pytest.mark.django_db(transaction=True)
def test_a_consultant_on_a_phone_reads_sent_mail_one_card_a_row(
    cast: Cast, live_server: Any
) -> None:
    # Squeezed into five columns, a subject took a line per word and the address was cut
    # off at the screen's edge; each message now reads as one card, nothing off screen.
    subject = "How is your new team member getting on at Robertson Components?"
    message(cast.candidate, "touchpoint:1", "captured", subject=subject)
    with launched() as browser:
        page = on_a_phone(browser, live_server.url, cast.owner.username)
        page.goto(f"{live_server.url}/mail/")
        link = page.get_by_role("link", name=subject)
        box = link.bounding_box()
        table_width = page.evaluate(TABLE_WIDTH)
        address = page.get_by_text(cast.candidate.email).bounding_box()
    assert table_width <= 390
    assert box["height"] < 60  # two lines at most, not one a word
    assert address["x"] + address["width"] <= 390


# Lists that read one card a row on a phone.
LISTS = (
    "/people/",
    "/placements/",
    "/companies/",
    "/at-risk/",
    "/ready-to-move/",
    "/network/referrals/",
    "/alerts/",
    "/network/leads/",
    "/network/vacancies/",
    "/network/rewards-due/",
    "/network/placed-who-hire/",
    "/newsletters/",
)


@pytest.mark.django_db(transaction=True)
def test_a_consultant_on_a_phone_reads_the_lists_without_scrolling_sideways(
    cast: Cast, live_server: Any
) -> None:
    with launched() as browser:
        page = on_a_phone(browser, live_server.url, cast.owner.username)
        widths = {}
        for path in LISTS:
            page.goto(f"{live_server.url}{path}")
            widths[path] = page.evaluate(TABLE_WIDTH)
        # A bare name would not say whose it is: the cell is headed by its column's name.
        page.goto(f"{live_server.url}/placements/")
        owner = cell_heading(page, "Owner")
    assert {path: width for path, width in widths.items() if width > 390} == {}
    assert owner == '"Owner: "'


@pytest.mark.django_db(transaction=True)
def test_a_manager_on_a_phone_reads_the_audit_trail_one_card_a_row(
    cast: Cast, live_server: Any
) -> None:
    # Its five columns scrolled inside a box that a keyboard could not reach (axe:
    # scrollable-region-focusable); each entry now reads as one card, each value named.
    with launched() as browser:
        page = on_a_phone(browser, live_server.url, cast.manager.username)
        page.goto(f"{live_server.url}/people/")  # leaves "viewed" entries on the trail
        page.goto(f"{live_server.url}/audit/")
        page.get_by_role("heading", name="Audit trail").wait_for()
        table_width = page.evaluate(TABLE_WIDTH)
        page_width = page.evaluate("document.documentElement.scrollWidth")
        who = cell_heading(page, "Who")
    assert table_width <= 390 and page_width <= 390
    assert who == '"Who: "'
