"""A newsletter set to go on a day nobody works is accepted, with a warning that says so."""

from __future__ import annotations

from django.test import Client

from keepwarm.newsletters.models import Issue, Newsletter
from keepwarm.newsletters.tests.conftest import Setup


def _messages(response: object) -> str:
    return " ".join(str(m) for m in response.context["messages"])  # type: ignore[attr-defined]


def test_issue_scheduled_for_a_sunday_warns(setup: Setup, client: Client) -> None:
    client.force_login(setup.cast.manager)

    response = client.post(
        f"/newsletters/issues/{setup.issue.pk}/action/",
        {"action": "schedule", "when": "2030-06-09T09:30"},
        follow=True,
    )

    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.SCHEDULED
    assert "Sunday 9 Jun is not a working day (Sunday)" in _messages(response)


def test_issue_scheduled_for_a_monday_does_not_warn(setup: Setup, client: Client) -> None:
    client.force_login(setup.cast.manager)

    response = client.post(
        f"/newsletters/issues/{setup.issue.pk}/action/",
        {"action": "schedule", "when": "2030-06-10T09:30"},
        follow=True,
    )

    assert "not a working day" not in _messages(response)


def test_weekly_newsletter_on_saturdays_warns(setup: Setup, client: Client) -> None:
    client.force_login(setup.cast.manager)
    newsletter = setup.newsletter

    response = client.post(
        f"/newsletters/{newsletter.pk}/edit/",
        {
            "name": newsletter.name,
            "from_name": newsletter.from_name,
            "audience": newsletter.audience_id,
            "frequency": "weekly",
            "send_weekday": 5,
            "send_day": 1,
            "send_time": "09:30",
            "postal_address": newsletter.postal_address,
            "active": "on",
        },
        follow=True,
    )

    assert Newsletter.objects.get().send_weekday == 5
    assert "goes out on a weekend" in _messages(response)
