from __future__ import annotations

from keepwarm.api.tests.conftest import Api
from keepwarm.mail.models import Suppression, email_hash
from keepwarm.newsletters.models import Issue
from keepwarm.newsletters.tests.conftest import Setup


def test_audiences_issues_and_suppressions_through_the_api(setup: Setup) -> None:
    manager = Api(setup.cast.manager)
    audiences = manager.get("/newsletters/audiences").json()
    assert audiences["count"] == 1 and audiences["items"][0]["members"] == 2

    created = manager.post(
        "/newsletters/issues",
        {
            "newsletter": setup.newsletter.pk,
            "subject": "July news",
            "blocks": [
                {"kind": "cv_tips", "title": "Tips", "body": "Be brief."},
                {"kind": "employment_trends", "generate": True},
            ],
        },
    )
    assert created.status_code == 201, created.content
    issue = created.json()
    assert issue["state"] == "draft" and [b["kind"] for b in issue["blocks"]] == [
        "cv_tips",
        "employment_trends",
    ]
    assert manager.get(f"/newsletters/issues/{issue['id']}").json()["subject"] == "July news"

    consultant = Api(setup.cast.owner)
    assert consultant.post(f"/newsletters/issues/{issue['id']}/schedule", {}).status_code == 403
    scheduled = manager.post(f"/newsletters/issues/{issue['id']}/schedule", {})
    assert scheduled.status_code == 200 and scheduled.json()["state"] == "scheduled"
    assert Issue.objects.get(pk=issue["id"]).state == Issue.State.SCHEDULED

    colleague = setup.cast.manager.email
    test = consultant.post(f"/newsletters/issues/{issue['id']}/test", {"to_email": colleague})
    assert test.status_code == 200 and test.json()["to_email"] == colleague

    Suppression.objects.create(
        email="gone@example.net", email_hash=email_hash("gone@example.net"), reason="complaint"
    )
    listed = manager.get("/newsletters/suppressions", reason="complaint").json()
    assert [s["email"] for s in listed["items"]] == ["gone@example.net"]
    assert (
        manager.post("/newsletters/issues", {"newsletter": 999, "subject": "x"}).status_code == 422
    )
