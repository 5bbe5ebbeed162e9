from __future__ import annotations

from django.test import Client

from keepwarm.newsletters.models import Audience, Issue, Kind, Newsletter
from keepwarm.newsletters.tests.conftest import Setup, editor_data


def login(client: Client, username: str) -> None:
    assert client.login(username=username, password="correct-horse-battery")


def test_manager_builds_an_audience_composes_and_schedules(setup: Setup, client: Client) -> None:
    login(client, "maggie_manager")
    assert b"Acme Recruitment Monthly" in client.get("/newsletters/").content
    preview = client.post("/newsletters/audiences/preview/", {"roles": ["placed"]})
    assert b'class="audience-count">1<' in preview.content and b"Priya Patel" in preview.content
    response = client.post(
        "/newsletters/audiences/new/", {"name": "Placed people", "roles": ["placed"]}
    )
    assert response.status_code == 302
    assert Audience.objects.get(name="Placed people").roles == ["placed"]

    issue = setup.issue
    page = client.get(f"/newsletters/issues/{issue.pk}/")
    assert page.status_code == 200 and b"sandbox srcdoc" in page.content
    client.post(
        issue.get_absolute_url(), editor_data(issue, action=f"generate:{Kind.JOB_FORECASTS}")
    )
    assert issue.blocks.filter(kind=Kind.JOB_FORECASTS).exists()
    block = issue.blocks.first()
    assert block is not None
    typed = editor_data(issue, blocks={block.pk: ("Tips", "**bold** <script>x</script>")})
    preview = client.post(f"/newsletters/issues/{issue.pk}/preview/", typed)
    assert b"&lt;strong&gt;bold&lt;/strong&gt;" in preview.content
    assert b"&lt;script&gt;" not in preview.content
    client.post(f"/newsletters/issues/{issue.pk}/action/", {"action": "schedule", "when": ""})
    issue.refresh_from_db()
    assert issue.state == Issue.State.SCHEDULED
    progress = client.get(f"/newsletters/issues/{issue.pk}/progress/")
    assert progress.status_code == 200


def test_consultants_compose_but_do_not_schedule(setup: Setup, client: Client) -> None:
    login(client, "olivia_owner")
    client.post(f"/newsletters/issues/{setup.issue.pk}/action/", {"action": "schedule"})
    setup.issue.refresh_from_db()
    assert setup.issue.state == Issue.State.DRAFT
    assert client.get("/newsletters/new/").status_code == 403
    assert Newsletter.objects.count() == 1


def test_pages_need_a_login(setup: Setup, client: Client) -> None:
    assert client.get("/newsletters/").status_code == 302
    assert client.get(f"/newsletters/issues/{setup.issue.pk}/").status_code == 302
