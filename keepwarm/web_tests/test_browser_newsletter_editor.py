"""In a real browser, at desktop and phone width: a consultant edits two blocks of a
newsletter, sees the preview follow the unsaved text, saves once, and both edits are kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from keepwarm.conftest import Cast
from keepwarm.newsletters.models import Audience, Block, Kind, Newsletter
from keepwarm.newsletters.services import add_block, create_issue
from keepwarm.web_tests.browser import MARKS, phone_page, serious_violations

pytestmark = MARKS


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today", exact=True).wait_for()


def _preview_shows(page: Any, text: str) -> None:
    # The preview is a sandboxed srcdoc frame: its document is the attribute's text.
    page.wait_for_function(
        "text => document.querySelector('#preview-frames iframe').srcdoc.includes(text)",
        arg=text,
        timeout=10_000,
    )


def _edit_two_blocks_and_save(page: Any, url: str, blocks: list[Block], words: str) -> None:
    page.goto(url)
    for number, block in enumerate(blocks, start=1):
        page.locator(f"#id_b{block.pk}-body").fill(f"{words} in block {number}")
    _preview_shows(page, f"{words} in block 1")
    _preview_shows(page, f"{words} in block 2")
    page.get_by_role("button", name="Save the issue").click()
    page.get_by_text("Saved.").wait_for()


@pytest.mark.django_db(transaction=True)
def test_two_block_edits_are_previewed_live_and_saved_together(
    cast: Cast, live_server: Any, chromium: Any, browser_page: Any
) -> None:
    newsletter = Newsletter.objects.create(
        name="Acme Monthly",
        from_name="Acme Recruitment",
        audience=Audience.objects.create(name="Everyone"),
        postal_address="1 High Street, Leeds LS1 1AA",
        send_time=dt.time(9, 30),
    )
    issue = create_issue(newsletter=newsletter, subject="June news", by=cast.owner)
    blocks = [
        add_block(issue=issue, kind=Kind.CV_TIPS, title="CV tips", body="Old tips"),
        add_block(issue=issue, kind=Kind.JOB_HUNTING_TIPS, title="Interviews", body="Old"),
    ]
    url = f"{live_server.url}{issue.get_absolute_url()}"

    desktop = browser_page
    _sign_in(desktop, live_server.url, "olivia_owner")
    desktop.goto(url)
    editor = desktop.locator("#issue-editor").bounding_box()
    preview = desktop.locator(".editor-preview").bounding_box()
    assert preview["x"] >= editor["x"] + editor["width"]  # beside the form, not below it
    assert preview["y"] < editor["y"] + 200
    _edit_two_blocks_and_save(desktop, url, blocks, "Desktop words")
    assert [Block.objects.get(pk=b.pk).body for b in blocks] == [
        "Desktop words in block 1",
        "Desktop words in block 2",
    ]
    assert serious_violations(desktop) == []

    phone = phone_page(chromium)
    _sign_in(phone, live_server.url, "olivia_owner")
    _edit_two_blocks_and_save(phone, url, blocks, "Phone words")
    assert [Block.objects.get(pk=b.pk).body for b in blocks] == [
        "Phone words in block 1",
        "Phone words in block 2",
    ]
    editor = phone.locator("#issue-editor").bounding_box()
    preview = phone.locator(".editor-preview").bounding_box()
    assert preview["y"] >= editor["y"] + editor["height"]  # below the form on a phone
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
