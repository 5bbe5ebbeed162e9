from __future__ import annotations

import datetime as dt

from keepwarm.conftest import Cast
from keepwarm.newsletters import demo
from keepwarm.newsletters.models import Issue


def test_demo_issue_is_scheduled_days_ahead_to_people_with_a_basis(cast: Cast) -> None:
    today = dt.date(2026, 6, 10)
    issue = demo.load(today=today)
    assert issue.state == Issue.State.SCHEDULED
    assert issue.scheduled_for == dt.datetime(2026, 6, 14, 8, 0, tzinfo=dt.UTC)  # 09:00 BST
    assert issue.blocks.count() == 7
    members = set(issue.newsletter.audience.members(today))
    assert members <= {cast.candidate, cast.client_contact}
