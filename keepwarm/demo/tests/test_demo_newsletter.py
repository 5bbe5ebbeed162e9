from __future__ import annotations

import datetime as dt
import re

from django.test import Client

from keepwarm.accounts.models import User
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.demo import agency, newsletter
from keepwarm.mail.models import OutboxMessage
from keepwarm.newsletters.models import Engagement, Issue
from keepwarm.newsletters.queries import issue_engagement, issue_messages


def test_demo_issue_is_scheduled_days_ahead_to_people_with_a_basis(cast: Cast) -> None:
    today = dt.date(2026, 6, 10)
    issue = newsletter.load(today=today)
    assert issue.state == Issue.State.SCHEDULED
    assert issue.scheduled_for == dt.datetime(2026, 6, 14, 8, 0, tzinfo=dt.UTC)  # 09:00 BST
    assert issue.blocks.count() == 7
    members = set(issue.newsletter.audience.members(today))
    assert members <= {cast.candidate, cast.client_contact}


# --- The demo agency's past issues ---------------------------------------------------------

APRIL = dt.datetime(2026, 4, 14, 8, 0, tzinfo=dt.UTC)  # 09:00 BST, two months before the next
MAY = dt.datetime(2026, 5, 14, 8, 0, tzinfo=dt.UTC)
DEMO_NOW = dt.datetime(2026, 6, 10, 11, 0, tzinfo=dt.UTC)  # the demo's noon, as of its today


def load_agency() -> None:
    agency.load(today=dt.date(2026, 6, 10), people=60, placements=30)


def sent_issues() -> list[Issue]:
    return list(Issue.objects.filter(state=Issue.State.SENT).order_by("scheduled_for"))


def test_demo_sent_the_last_two_monthly_issues_and_still_schedules_the_next(
    db: None, smtp_server: SmtpSink
) -> None:
    load_agency()

    april, may = sent_issues()
    assert (april.scheduled_for, may.scheduled_for) == (APRIL, MAY)
    assert may.subject == "Fernbrook Monthly: May's jobs market"
    upcoming = Issue.objects.get(state=Issue.State.SCHEDULED).scheduled_for
    assert upcoming and upcoming > DEMO_NOW
    for issue in (april, may):
        copies = issue_messages(issue)
        assert issue.recipients == copies.count() > 0
        assert set(copies.values_list("state", flat=True)) == {OutboxMessage.State.SENT}
        # Sent mail and timelines show them on the day they went, not the day of the build.
        assert set(copies.values_list("sent_at", flat=True)) == {issue.scheduled_for}
        assert set(copies.values_list("created_at", flat=True)) == {issue.scheduled_for}
        assert issue.tracked and issue.links
        html = copies.order_by("id")[0].html
        assert "/newsletters/open/" in html and "/newsletters/click/" in html
    assert smtp_server.messages == []  # captured: a configured mail server hears nothing


def test_demos_last_issue_was_opened_then_clicked_after_it_went_out(db: None) -> None:
    load_agency()

    may = sent_issues()[-1]
    figures = issue_engagement(may, sent=issue_messages(may).count())
    assert figures is not None
    assert figures["opened"] > figures["clicked"] > 0
    assert 30 <= figures["open_percent"] <= 50 and 3 <= figures["click_percent"] <= 15
    opened = {e.person_id: e.first_at for e in may.engagements.filter(kind="open")}
    clicks = may.engagements.filter(kind="click")
    assert set(clicks.values_list("person_id", flat=True)) <= set(opened)
    for row in may.engagements.all():
        assert MAY < row.first_at <= row.last_at < DEMO_NOW
    for row in clicks:
        assert row.first_at > opened[row.person_id]
        assert may.link(row.link or 0) is not None


def test_a_few_demo_readers_unsubscribed_and_the_next_issue_leaves_them_out(db: None) -> None:
    load_agency()

    next_issue = Issue.objects.get(state=Issue.State.SCHEDULED)
    members = set(next_issue.newsletter.audience.members(dt.date(2026, 6, 10)))
    for issue in sent_issues():
        left = issue_messages(issue).filter(outcome=OutboxMessage.Outcome.UNSUBSCRIBED)
        assert 0 < left.count() < 5
        for message in left.select_related("person"):
            opened = issue.engagements.get(person=message.person, kind="open")
            assert message.outcome_at and opened.first_at < message.outcome_at < DEMO_NOW
            assert message.person not in members


def test_demo_newsletter_figures_are_the_same_every_time(db: None) -> None:
    def figures() -> list[tuple[object, ...]]:
        return list(
            Engagement.objects.order_by(
                "issue__scheduled_for", "person__email", "kind", "link"
            ).values_list("issue__subject", "person__email", "kind", "link", "first_at", "count")
        )

    load_agency()
    first = figures()
    agency.wipe()
    load_agency()
    assert figures() == first


def test_issue_page_shows_the_demo_issues_opens_and_clicks_per_link(
    db: None, client: Client
) -> None:
    load_agency()
    client.force_login(User.objects.get(username="demo"))

    may = sent_issues()[-1]
    html = client.get(may.get_absolute_url()).content.decode()
    opened = re.search(r"<dt>Opened</dt><dd>(\d+) \(([\d.]+)% of copies sent\)", html)
    clicked = re.search(r"<dt>Clicked</dt><dd>(\d+) \(([\d.]+)% of copies sent\)", html)
    assert opened and clicked
    assert int(opened[1]) > int(clicked[1]) > 0 and float(clicked[2]) > 0
    assert "Clicks per link" in html and f"{agency.DOMAIN}/jobs" in html
