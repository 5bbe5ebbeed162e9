from __future__ import annotations

import re
from html.parser import HTMLParser

from django.template import engines
from django.test import Client
from django.test.signals import template_rendered

from keepwarm.mail.models import OutboxMessage, OutboxTemplate
from keepwarm.newsletters.models import Issue, Kind
from keepwarm.newsletters.render import Frozen, Personaliser, compose
from keepwarm.newsletters.services import add_generated_block, expand_issue, schedule_issue
from keepwarm.newsletters.tests.conftest import NOW, TODAY, Setup


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def queued_copies(setup: Setup) -> dict[str, OutboxMessage]:
    add_generated_block(issue=setup.issue, kind=Kind.EMPLOYMENT_TRENDS, today=TODAY)
    schedule_issue(issue=setup.issue, when=NOW, now=NOW)
    from keepwarm.newsletters.services import _start

    assert _start(setup.issue.pk, now=NOW)
    assert expand_issue(setup.issue.pk, now=NOW) == 2
    return {m.to_email: m for m in OutboxMessage.objects.filter(key__startswith="newsletter:")}


def test_copies_are_personal_safe_html_with_every_link_in_the_text(setup: Setup) -> None:
    copies = queued_copies(setup)
    priya = copies["priya@example.net"]
    assert priya.purpose == "marketing"
    assert priya.key == f"newsletter:{setup.issue.pk}:{setup.cast.candidate.pk}"
    assert "Hi Priya," in priya.html and "Hi Priya," in priya.text
    assert "Hi Priya, keep it to" in priya.text  # {{ first_name }} inside a block
    assert "Olivia Owner" in priya.html  # her consultant
    assert "<script" not in priya.html.lower()
    assert "%%KW_" not in priya.html + priya.text
    tags = parse(priya.html)
    # The chart is bars drawn by cells: nothing for a mail client to fetch.
    assert [attrs for tag, attrs in tags if tag == "img"] == []
    links = [str(attrs["href"]) for tag, attrs in tags if tag == "a" and attrs.get("href")]
    assert "https://agency.example/cv" in links
    for link in links:
        assert link in priya.text, link
    # CSS was inlined (once, into the frozen template): no <style> left, styles on elements.
    assert "<style" not in priya.html and 'style="' in priya.html


def test_each_copy_stores_only_its_values_and_reads_as_the_issue_filled_for_them(
    setup: Setup,
) -> None:
    copies = queued_copies(setup)
    priya, harry = copies["priya@example.net"], copies["harry@acme.example"]
    # The issue's body is stored once, for every copy.
    assert OutboxTemplate.objects.count() == 1
    assert priya.template_id == harry.template_id
    assert priya.body_html == priya.body_text == harry.body_html == ""
    # Each copy is what filling the issue for its recipient gave when each copy stored it.
    issue = Issue.objects.get(pk=setup.issue.pk)
    personaliser = Personaliser.of(Frozen(issue.html_template, issue.text_template))
    for copy in (priya, harry):
        assert copy.fills is not None
        assert (copy.html, copy.text) == personaliser.fill(copy.fills)
    assert priya.html != harry.html


def test_footer_has_address_reason_unsubscribe_and_headers(setup: Setup) -> None:
    copies = queued_copies(setup)
    priya, harry = copies["priya@example.net"], copies["harry@acme.example"]
    for copy in (priya, harry):
        assert "1 High Street, Leeds LS1 1AA" in copy.html
        assert "1 High Street, Leeds LS1 1AA" in copy.text
        unsubscribe = copy.headers["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith("http") and unsubscribe in copy.text
        assert copy.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Unsubscribe" in copy.html and "View this email in your browser" in copy.html
    assert "because you have worked with Acme Recruitment" in priya.text
    assert "at your work address" in harry.text
    assert priya.headers["List-Unsubscribe"] != harry.headers["List-Unsubscribe"]
    assert "Acme Recruitment" in priya.from_email
    assert "olivia_owner@agency.example" in priya.reply_to


def test_view_in_browser_shows_the_issue_with_its_chart(setup: Setup, client: Client) -> None:
    copies = queued_copies(setup)
    html = copies["priya@example.net"].html
    view = re.search(r'href="(http[^"]*/newsletters/view/[^"]+)"', html)
    assert view
    page = client.get(view.group(1).split("8000", 1)[1])
    assert page.status_code == 200 and b"Hi Priya," in page.content
    # The chart is part of the page itself (the cast's placement is in Manufacturing).
    assert "<strong>Manufacturing</strong> — last 12 months: 1".encode() in page.content
    assert b'bgcolor="#1f6f8b"' in page.content
    assert client.get(view.group(1).split("8000", 1)[1][:-3] + "xx/").status_code == 404


def test_markdown_cannot_smuggle_html_or_scripts(setup: Setup) -> None:
    from keepwarm.newsletters.render import markdown_html

    html = markdown_html("<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>")
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, harmless


def test_filling_a_copy_renders_no_template_and_escapes_what_it_places(setup: Setup) -> None:
    """Per-recipient work is string joins, not template rendering: the issue is rendered
    once, and each copy only has its placeholders filled (so 100k copies cost 100k joins)."""
    frozen = compose(setup.issue)
    personaliser = Personaliser.of(frozen)
    values = {
        "first_name": "Priya <b>", "consultant": "Olivia", "view_url": "https://x/v", "reason": "r",
        "unsubscribe_url": "https://x/u?a=1&b=2", "preferences_url": "https://x/p",
    }  # fmt: skip
    rendered: list[object] = []

    def count(sender: object, **kwargs: object) -> None:
        rendered.append(sender)

    template_rendered.connect(count)
    try:
        html_copy, text_copy = personaliser.fill(values)
        assert rendered == []
        engines["django"].from_string("{{ x }}").render({"x": 1})  # the count does count
        assert len(rendered) == 1
    finally:
        template_rendered.disconnect(count)
    assert "Priya &lt;b&gt;" in html_copy and "Priya <b>" not in html_copy
    assert "Priya <b>" in text_copy  # the text part is plain text: nothing to escape
    assert "%%KW_" not in html_copy and "%%KW_" not in text_copy


def test_bulk_copies_carry_the_same_headers_as_the_mail_module_makes(setup: Setup) -> None:
    from keepwarm.mail.unsubscribe import list_unsubscribe_headers, open_unsubscribe_token

    copies = queued_copies(setup)
    ours = copies["priya@example.net"].headers
    theirs = list_unsubscribe_headers(person=setup.cast.candidate, purpose="newsletter")
    assert ours.keys() == theirs.keys()
    assert ours["List-Unsubscribe-Post"] == theirs["List-Unsubscribe-Post"]
    # Same URL apart from the signature's timestamp; the token opens to the same person.
    url, their_url = ours["List-Unsubscribe"].strip("<>"), theirs["List-Unsubscribe"].strip("<>")
    assert url.rsplit("/", 2)[0] == their_url.rsplit("/", 2)[0]
    link = open_unsubscribe_token(url.rstrip("/").rsplit("/", 1)[1])
    assert (link.person_id, link.purpose) == (setup.cast.candidate.pk, "newsletter")


def test_bulk_copies_carry_the_view_in_browser_link_render_makes(setup: Setup) -> None:
    from keepwarm.newsletters.render import open_view_token, view_url

    priya = queued_copies(setup)["priya@example.net"]
    link = view_url(issue_id=setup.issue.pk, person_id=setup.cast.candidate.pk)
    assert link in priya.text
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert open_view_token(token) == (setup.issue.pk, setup.cast.candidate.pk)


def test_the_text_part_shows_tables_as_columns_not_markdown(setup: Setup) -> None:
    add_generated_block(issue=setup.issue, kind=Kind.EMPLOYMENT_TRENDS, today=TODAY)
    text = compose(setup.issue).text
    assert "Sector" in text and "Last 12 months" in text
    assert "|" not in text and "---|" not in text and "**" not in text
