"""A newsletter with a broken placeholder never stops anyone: it is refused when saved,
shown literally wherever it got past, and failed (visibly) instead of breaking the worker."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from django.test import Client
from django.urls import reverse

from keepwarm.api.tests.conftest import Api
from keepwarm.conftest import SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.newsletters.models import Audience, Block, Issue, Kind, LibraryBlock, Newsletter
from keepwarm.newsletters.queries import issue_messages
from keepwarm.newsletters.render import Frozen, Personaliser, view_token
from keepwarm.newsletters.services import (
    ISSUE_ATTEMPTS,
    PAUSED_UNTIL,
    _start,
    add_block,
    content_problem,
    create_issue,
    expand_issue,
    fail_issue,
    schedule_issue,
)
from keepwarm.newsletters.tests.conftest import NOW, Setup, editor_data
from keepwarm.worker.tick import tick

SLOT = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)
BOGUS = "Hi %%KW_BOGUS%%, keep it to two pages."


def plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _break(block: Block, body: str = BOGUS) -> None:
    """What a row from before the check, or a direct database edit, looks like."""
    Block.objects.filter(pk=block.pk).update(body=body)


def _second_issue(setup: Setup) -> Issue:
    """A good issue of another newsletter, due at the same moment."""
    other = Newsletter.objects.create(
        name="Client Briefing", from_name="Acme Recruitment", audience=setup.audience
    )
    issue = create_issue(newsletter=other, subject="Client news", by=setup.cast.manager)
    add_block(issue=issue, kind=Kind.CV_TIPS, title="Hiring tips", body="Be quick.")
    return schedule_issue(issue=issue, when=SLOT, now=NOW)


# --- Refused when saved -------------------------------------------------------------------


def test_a_block_with_an_unknown_placeholder_is_refused_naming_it_and_the_valid_ones(
    setup: Setup, client: Client
) -> None:
    client.force_login(setup.cast.owner)
    block = setup.issue.blocks.get()
    page = client.post(
        setup.issue.get_absolute_url(),
        editor_data(setup.issue, blocks={block.pk: ("Tips", BOGUS)}),
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert "Unknown placeholder %%KW_BOGUS%%" in text
    assert "{{ first_name }} and {{ consultant }}" in text
    assert BOGUS in text  # what was typed is still there to correct
    block.refresh_from_db()
    assert block.title == "Three CV tips" and "%%KW_BOGUS%%" not in block.body

    library = client.post(
        "/newsletters/library/", {"kind": Kind.CV_TIPS, "title": "Tip", "body": "{{ frist_name }}"}
    )
    assert "Unknown placeholder {{ frist_name }}" in library.content.decode()
    assert not LibraryBlock.objects.exists()

    subject = client.post(
        f"/newsletters/issues/{setup.issue.pk}/",
        {"subject": "June news", "preheader": "For {{ first_name }}"},
    )
    # Only a block's text is filled per person: anywhere else it would go out as typed.
    assert "{{ first_name }} would show as written here" in subject.content.decode()
    setup.issue.refresh_from_db()
    assert setup.issue.preheader == "Jobs"


def test_the_api_refuses_a_block_with_an_unknown_placeholder_and_makes_no_draft(
    setup: Setup,
) -> None:
    answer = Api(setup.cast.owner).post(
        "/newsletters/issues",
        {
            "newsletter": setup.newsletter.pk,
            "subject": "July news",
            "blocks": [
                {"kind": "cv_tips", "title": "Fine", "body": "Hi {{ first_name }}"},
                {"kind": "cv_tips", "title": "Broken", "body": BOGUS},
            ],
        },
    )
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["field"] == "blocks.1.body" and "%%KW_BOGUS%%" in error["message"]
    assert "{{ first_name }}" in error["message"]
    assert not Issue.objects.filter(subject="July news").exists()


def test_an_issue_with_a_broken_block_from_before_cannot_be_scheduled(
    setup: Setup, client: Client
) -> None:
    _break(setup.issue.blocks.get())
    client.force_login(setup.cast.manager)
    client.post(f"/newsletters/issues/{setup.issue.pk}/action/", {"action": "schedule"})
    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.DRAFT
    answer = Api(setup.cast.manager).post(f"/newsletters/issues/{setup.issue.pk}/schedule", {})
    assert answer.status_code == 422 and "%%KW_BOGUS%%" in answer.json()["detail"]


# --- Shown literally where it got past ----------------------------------------------------


def test_a_copy_shows_an_unknown_placeholder_as_written() -> None:
    frozen = Frozen("<p>%%KW_BOGUS%% and %%KW_FIRST_NAME%%</p>", "%%KW_BOGUS%% %%KW_FIRST_NAME%%")
    values = {"first_name": "Priya"}
    assert Personaliser.of(frozen).fill(values) == (
        "<p>%%KW_BOGUS%% and Priya</p>",
        "%%KW_BOGUS%% Priya",
    )


def test_the_issue_page_preview_and_test_send_show_a_broken_placeholder_literally(
    setup: Setup, client: Client, smtp_server: SmtpSink
) -> None:
    _break(setup.issue.blocks.get())
    client.force_login(setup.cast.manager)
    page = client.get(f"/newsletters/issues/{setup.issue.pk}/")
    assert page.status_code == 200
    assert b"%%KW_BOGUS%%" in page.content
    assert b'value="pause"' not in page.content and b'value="cancel"' in page.content

    client.post(f"/newsletters/issues/{setup.issue.pk}/action/", {"action": "test"})
    [received] = smtp_server.messages
    assert "Hi %%KW_BOGUS%%" in plain(received)


def test_view_in_browser_of_a_broken_copy_shows_it_literally(setup: Setup, client: Client) -> None:
    schedule_issue(issue=setup.issue, when=NOW, now=NOW)
    assert _start(setup.issue.pk, now=NOW)
    _break(setup.issue.blocks.get())
    Issue.objects.filter(pk=setup.issue.pk).update(html_template="", text_template="")
    token = view_token(issue_id=setup.issue.pk, person_id=setup.cast.candidate.pk)
    page = client.get(reverse("newsletter_view", args=[token]))
    assert page.status_code == 200 and b"%%KW_BOGUS%%" in page.content


# --- The worker: failed, not stuck --------------------------------------------------------


def test_a_broken_issue_fails_with_the_reason_and_the_tick_goes_on(
    setup: Setup, smtp_server: SmtpSink
) -> None:
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    good = _second_issue(setup)
    _break(setup.issue.blocks.get())

    report = tick(now=SLOT)

    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.FAILED
    assert setup.issue.failure == (
        "Block 1 (“Three CV tips”) uses an unknown placeholder %%KW_BOGUS%%."
    )
    good.refresh_from_db()
    assert good.state == Issue.State.SENT and report.mail.sent == 2
    assert {str(m["Subject"]) for m in smtp_server.messages} == {"Client news"}
    assert not issue_messages(setup.issue).exists()
    read = Api(setup.cast.manager).get(f"/newsletters/issues/{setup.issue.pk}").json()
    assert read["state"] == "failed" and read["failure"] == setup.issue.failure


def test_an_issue_that_keeps_raising_fails_after_a_few_ticks(
    setup: Setup, smtp_server: SmtpSink
) -> None:
    broken_audience = Audience.objects.create(name="Broken")
    # A value no form can save: the audience's query raises each time it is built.
    Audience.objects.filter(pk=broken_audience.pk).update(roles=5)
    Newsletter.objects.filter(pk=setup.newsletter.pk).update(audience=broken_audience)
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    good = _second_issue(setup)

    for attempt in range(1, ISSUE_ATTEMPTS):
        tick(now=SLOT + dt.timedelta(minutes=attempt))
        setup.issue.refresh_from_db()
        assert setup.issue.state == Issue.State.SENDING
        assert setup.issue.failed_attempts == attempt
        assert "could not queue its copies (TypeError" in setup.issue.failure
    tick(now=SLOT + dt.timedelta(minutes=ISSUE_ATTEMPTS))

    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.FAILED
    assert setup.issue.failure.endswith(f"{ISSUE_ATTEMPTS} times in a row.")
    good.refresh_from_db()
    assert good.state == Issue.State.SENT and len(smtp_server.messages) == 2


def test_managers_see_a_failed_issue_on_its_page_the_list_and_today(
    setup: Setup, client: Client
) -> None:
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    _break(setup.issue.blocks.get())
    tick(now=SLOT)
    reason = "uses an unknown placeholder %%KW_BOGUS%%"

    client.force_login(setup.cast.manager)
    page = client.get(f"/newsletters/issues/{setup.issue.pk}/").content.decode()
    assert 'id="failure"' in page and reason in page and "schedule it again" in page
    assert 'value="schedule"' in page
    listing = client.get("/newsletters/").content.decode()
    assert 'id="failed-issues"' in listing and reason in listing
    today = client.get("/").content.decode()
    assert 'id="failed-newsletters"' in today and setup.issue.get_absolute_url() in today

    client.force_login(setup.cast.owner)
    assert 'id="failed-newsletters"' not in client.get("/").content.decode()


def test_a_failed_issue_is_corrected_scheduled_again_and_goes_out(
    setup: Setup, client: Client, smtp_server: SmtpSink
) -> None:
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    block = setup.issue.blocks.get()
    _break(block)
    tick(now=SLOT)

    client.force_login(setup.cast.manager)
    client.post(
        setup.issue.get_absolute_url(),
        editor_data(setup.issue, blocks={block.pk: ("Tips", "Hi {{ first_name }}")}),
    )
    # Pages schedule against the real clock: a time safely ahead of it (GMT, so UTC too).
    later = dt.datetime(2036, 1, 10, 10, 30, tzinfo=dt.UTC)
    client.post(
        f"/newsletters/issues/{setup.issue.pk}/action/",
        {"action": "schedule", "when": "2036-01-10T10:30"},
    )
    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.SCHEDULED and setup.issue.failure == ""
    assert setup.issue.scheduled_for == later

    tick(now=later)
    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.SENT
    assert {str(m["To"]) for m in smtp_server.messages} == {
        "priya@example.net",
        "harry@acme.example",
    }
    texts = [plain(m) for m in smtp_server.messages]
    assert any("Hi Priya" in text for text in texts)


def test_copies_queued_before_an_issue_failed_wait_then_go_once_when_rescheduled(
    setup: Setup, smtp_server: SmtpSink
) -> None:
    schedule_issue(issue=setup.issue, when=SLOT, now=NOW)
    assert _start(setup.issue.pk, now=SLOT)
    assert expand_issue(setup.issue.pk, now=SLOT) == 2
    fail_issue(issue_id=setup.issue.pk, reason="The audience could not be read.")
    copies = issue_messages(setup.issue)
    assert set(copies.values_list("send_after", flat=True)) == {PAUSED_UNTIL}

    tick(now=SLOT)
    assert smtp_server.messages == []

    later = SLOT + dt.timedelta(hours=1)
    schedule_issue(issue=setup.issue, when=later, now=SLOT)
    tick(now=later)
    assert len(smtp_server.messages) == 2
    assert copies.filter(state=OutboxMessage.State.SENT).count() == 2
    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.SENT


def test_a_placeholder_where_copies_do_not_fill_it_is_named_with_where_it_is(
    setup: Setup,
) -> None:
    block = setup.issue.blocks.get()
    Block.objects.filter(pk=block.pk).update(title="Tips for {{ first_name }}")
    assert content_problem(setup.issue) == (
        "Block 1’s title (“Tips for {{ first_name }}”) has {{ first_name }}, which would show "
        "as written."
    )
    answer = Api(setup.cast.owner).post(
        "/newsletters/issues",
        {"newsletter": setup.newsletter.pk, "subject": "News for %%KW_FIRST_NAME%%"},
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "subject"
