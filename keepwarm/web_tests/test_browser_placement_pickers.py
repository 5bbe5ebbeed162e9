"""In a real browser, at desktop and phone width: a consultant records a placement by typing
part of the candidate's name, picks the client, sees only its contacts as hiring manager,
and saves."""

from __future__ import annotations

from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.placements.tests.test_pickers import contact_elsewhere
from keepwarm.web_tests.browser import MARKS, phone_page, serious_violations, sign_in

pytestmark = MARKS


def _choose(page: Any, label: str, typed: str, option: str) -> Any:
    field = page.get_by_role("combobox", name=label)
    field.fill("")
    field.press_sequentially(typed, delay=40)
    listbox = page.get_by_role("listbox")
    listbox.get_by_role("option", name=option).wait_for()
    return listbox


def _record_placement(page: Any, url: str, candidate: str, role_title: str) -> None:
    sign_in(page, url, "olivia_owner")
    page.goto(f"{url}/placements/new/")

    _choose(page, "Placed candidate", "jon", candidate).get_by_role(
        "option", name=candidate
    ).click()
    _choose(page, "Company", "acm", "Acme Widgets").get_by_role(
        "option", name="Acme Widgets"
    ).click()
    managers = _choose(page, "Hiring manager", "hu", "Hughes, Harry (harry@acme.example)")
    # Hazel Hunt hires for another client: the list offers Acme's contacts only.
    assert managers.get_by_role("option").all_inner_texts() == [
        "Hughes, Harry (harry@acme.example)"
    ]
    assert serious_violations(page) == []
    managers.get_by_role("option").first.click()

    page.get_by_label("Role title").fill(role_title)
    page.get_by_label("Start date").fill("2026-06-01")
    page.get_by_role("button", name="Save placement").click()
    page.get_by_text("Their care plan is laid out below").wait_for()


@pytest.mark.django_db(transaction=True)
def test_a_placement_is_recorded_by_typing_names_at_desktop_and_phone_width(
    cast: Cast, live_server: Any, browser_page: Any, chromium: Any
) -> None:
    contact_elsewhere(cast)
    for first in ("Amelia", "Anna"):
        Person.objects.create(first_name=first, last_name="Jones", owner=cast.owner)

    _record_placement(browser_page, live_server.url, "Jones, Amelia", "Sales Lead")
    _record_placement(phone_page(chromium), live_server.url, "Jones, Anna", "Field Engineer")

    made = {p.role_title: p for p in Placement.objects.select_related("person", "hiring_manager")}
    assert made["Sales Lead"].person.first_name == "Amelia"
    assert made["Field Engineer"].person.first_name == "Anna"
    assert {made[t].hiring_manager for t in ("Sales Lead", "Field Engineer")} == {
        cast.client_contact
    }
    assert all(made[t].company == cast.company for t in ("Sales Lead", "Field Engineer"))
