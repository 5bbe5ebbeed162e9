"""Who may do what with an issue: change it once scheduled, send tests, see who is in."""

from __future__ import annotations

from django.test import Client

from keepwarm.api.tests.conftest import Api
from keepwarm.mail.models import OutboxMessage, Suppression, email_hash
from keepwarm.newsletters.models import Issue, Kind
from keepwarm.newsletters.services import TESTS_PER_WINDOW, schedule_issue
from keepwarm.newsletters.tests.conftest import NOW, Setup, editor_data


def _schedule(setup: Setup) -> Issue:
    return schedule_issue(issue=setup.issue, now=NOW)


def _tests_sent() -> int:
    return OutboxMessage.objects.filter(key__startswith="newsletter-test:").count()


# --- A scheduled issue is the managers' -----------------------------------------------------


def test_a_consultant_cannot_change_an_issue_a_manager_scheduled(
    setup: Setup, client: Client
) -> None:
    issue = _schedule(setup)
    block = issue.blocks.get()
    client.force_login(setup.cast.owner)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert "only managers and admins can change it now" in page
    assert 'id="issue-editor"' not in page

    url = issue.get_absolute_url()
    client.post(url, editor_data(issue, subject="Changed", blocks={block.pk: ("Changed", "")}))
    client.post(url, {**editor_data(issue, action="blank"), "new-kind": "cv_tips"})
    refused = client.post(url, editor_data(issue, action=f"remove:{block.pk}"), follow=True)
    assert "only managers and admins can change it now" in refused.content.decode()

    issue.refresh_from_db()
    block.refresh_from_db()
    assert issue.subject == "June news" and issue.state == Issue.State.SCHEDULED
    assert (block.title, issue.blocks.count()) == ("Three CV tips", 1)


def test_a_manager_changes_a_scheduled_issue_and_a_consultant_a_draft(
    setup: Setup, client: Client
) -> None:
    client.force_login(setup.cast.owner)
    client.post(setup.issue.get_absolute_url(), editor_data(setup.issue, subject="Draft by Olivia"))
    setup.issue.refresh_from_db()
    assert setup.issue.subject == "Draft by Olivia"

    issue = _schedule(setup)
    client.force_login(setup.cast.manager)
    client.post(
        issue.get_absolute_url(),
        {**editor_data(issue, subject="Final", action="blank"), "new-kind": "cv_tips"},
    )
    issue.refresh_from_db()
    assert issue.subject == "Final" and issue.state == Issue.State.SCHEDULED
    assert issue.blocks.filter(kind=Kind.CV_TIPS).count() == 2


# --- Test sends -----------------------------------------------------------------------------


def test_a_test_goes_only_to_a_staff_address(setup: Setup, client: Client) -> None:
    client.force_login(setup.cast.owner)
    action = f"/newsletters/issues/{setup.issue.pk}/action/"
    refused = client.post(action, {"action": "test", "to_email": "anyone@example.org"}, follow=True)
    assert "anyone@example.org is not one" in refused.content.decode()
    assert _tests_sent() == 0

    client.post(action, {"action": "test", "to_email": "MAGGIE_manager@agency.example"})
    client.post(action, {"action": "test"})
    sent = OutboxMessage.objects.filter(key__startswith="newsletter-test:")
    assert sorted(sent.values_list("to_email", flat=True)) == [
        "MAGGIE_manager@agency.example",
        "olivia_owner@agency.example",
    ]
    assert {m.purpose for m in sent} == {OutboxMessage.Purpose.MARKETING}

    api = Api(setup.cast.owner)
    answer = api.post(f"/newsletters/issues/{setup.issue.pk}/test", {"to_email": "x@example.org"})
    assert answer.status_code == 422 and "x@example.org is not one" in answer.json()["detail"]
    assert _tests_sent() == 2


def test_test_sends_are_rate_limited_per_user(setup: Setup, client: Client) -> None:
    client.force_login(setup.cast.owner)
    action = f"/newsletters/issues/{setup.issue.pk}/action/"
    for _ in range(TESTS_PER_WINDOW):
        client.post(action, {"action": "test"})
    assert _tests_sent() == TESTS_PER_WINDOW
    refused = client.post(action, {"action": "test"}, follow=True)
    assert "try again in ten minutes" in refused.content.decode()
    answer = Api(setup.cast.owner).post(f"/newsletters/issues/{setup.issue.pk}/test", {})
    assert answer.status_code == 429
    assert _tests_sent() == TESTS_PER_WINDOW

    client.force_login(setup.cast.manager)  # a colleague's own allowance
    client.post(action, {"action": "test"})
    assert _tests_sent() == TESTS_PER_WINDOW + 1


def test_a_test_never_goes_to_a_suppressed_address(setup: Setup, client: Client) -> None:
    address = setup.cast.owner.email
    Suppression.objects.create(email=address, email_hash=email_hash(address), reason="complaint")
    client.force_login(setup.cast.owner)
    refused = client.post(
        f"/newsletters/issues/{setup.issue.pk}/action/", {"action": "test"}, follow=True
    )
    assert "is on the suppression list" in refused.content.decode()
    answer = Api(setup.cast.owner).post(f"/newsletters/issues/{setup.issue.pk}/test", {})
    assert answer.status_code == 422 and "suppression list" in answer.json()["detail"]
    assert _tests_sent() == 0


# --- Who is in an audience ------------------------------------------------------------------


def test_the_audience_preview_is_for_managers_and_admins(setup: Setup, client: Client) -> None:
    client.force_login(setup.cast.outsider)
    refused = client.post("/newsletters/audiences/preview/", {"roles": ["placed"]})
    assert refused.status_code == 403 and b"Priya" not in refused.content
    client.force_login(setup.cast.admin)
    shown = client.post("/newsletters/audiences/preview/", {"roles": ["placed"]})
    assert shown.status_code == 200 and b"Priya Patel" in shown.content


def test_the_issue_preview_shows_only_a_recipient_the_user_may_see(
    setup: Setup, client: Client
) -> None:
    client.force_login(setup.cast.outsider)
    page = client.get(setup.issue.get_absolute_url()).content.decode()
    assert "Hi Sam," in page
    assert "Priya" not in page and "Harry" not in page and "Olivia" not in page

    client.force_login(setup.cast.owner)  # she looks after both of them
    assert "Hi Priya," in client.get(setup.issue.get_absolute_url()).content.decode()
