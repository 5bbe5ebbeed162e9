"""Opens and clicks: counted only for a newsletter that turns tracking on (off by default)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from django.test import Client
from django.urls import reverse

from keepwarm.mail.models import OutboxMessage
from keepwarm.newsletters.models import Engagement, Issue, Kind
from keepwarm.newsletters.queries import issue_engagement
from keepwarm.newsletters.render import compose
from keepwarm.newsletters.services import (
    _start,
    add_block,
    expand_issue,
    personalise,
    record_engagement,
    schedule_issue,
    send_test,
)
from keepwarm.newsletters.tests.conftest import NOW, Setup
from keepwarm.newsletters.tests.test_rendering import parse
from keepwarm.privacy.erasure import erase_person

CLICK = re.compile(r'href="http://127\.0\.0\.1:8000(/newsletters/click/[^"]+)"')
PIXEL = re.compile(r'<img src="http://127\.0\.0\.1:8000(/newsletters/open/[^"]+\.gif)"')


def send(setup: Setup, *, track: bool) -> dict[str, OutboxMessage]:
    setup.newsletter.track_engagement = track
    setup.newsletter.save()
    schedule_issue(issue=setup.issue, when=NOW, now=NOW)
    assert _start(setup.issue.pk, now=NOW)
    assert expand_issue(setup.issue.pk, now=NOW) == 2
    setup.issue.refresh_from_db()
    return {m.to_email: m for m in OutboxMessage.objects.filter(key__startswith="newsletter:")}


def clicks_in(html: str) -> list[str]:
    return CLICK.findall(html)


def test_untracked_copies_have_no_pixel_and_their_links_go_straight_to_the_page(
    setup: Setup,
) -> None:
    before = compose(setup.issue)
    priya = send(setup, track=False)["priya@example.net"]
    assert setup.issue.html_template == before.html  # byte for byte what it always was
    assert setup.issue.links == [] and not setup.issue.tracked
    assert "/newsletters/click/" not in priya.html
    assert "/newsletters/open/" not in priya.html
    assert 'href="https://agency.example/cv"' in priya.html


def test_tracked_copies_send_links_through_keepwarm_but_not_the_personal_ones(
    setup: Setup,
) -> None:
    priya = send(setup, track=True)["priya@example.net"]
    tags = parse(priya.html)
    hrefs = [str(attrs["href"]) for tag, attrs in tags if tag == "a" and attrs.get("href")]
    assert 'href="https://agency.example/cv"' not in priya.html
    assert "https://agency.example/cv" in setup.issue.links
    # Unsubscribe, preferences and view in browser stay direct, like the header.
    unsubscribe = priya.headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in hrefs
    assert any("/email-preferences/" in h for h in hrefs)
    assert any("/newsletters/view/" in h for h in hrefs)
    tracked = [h for h in hrefs if "/newsletters/click/" in h]
    assert len(tracked) == len(setup.issue.links) >= 1
    pixels = [a for tag, a in tags if tag == "img" and "/newsletters/open/" in str(a["src"])]
    assert len(pixels) == 1
    assert pixels[0]["alt"] == "" and pixels[0]["width"] == pixels[0]["height"] == "1"
    assert "style" not in pixels[0]
    # The text part stays untracked, and still carries every link the HTML leads to.
    assert "/newsletters/click/" not in priya.text
    for url in setup.issue.links:
        assert url in priya.text, url


def test_view_in_browser_counts_for_the_same_reader_as_the_email(setup: Setup) -> None:
    priya = send(setup, track=True)["priya@example.net"]
    html, _ = personalise(setup.issue, setup.cast.candidate)
    # The slow path fills the same tracking token as the bulk one (the unsubscribe links'
    # timestamps may differ by a second, so only the tracked URLs are compared).
    assert clicks_in(html) == clicks_in(priya.html) != []
    assert PIXEL.findall(html) == PIXEL.findall(priya.html) != []


def test_a_click_is_counted_and_goes_on_to_the_original_page(setup: Setup, client: Client) -> None:
    jobs = "https://agency.example/jobs?sector=it&town=leeds"
    add_block(issue=setup.issue, kind=Kind.OPEN_ROLES, title="Roles", body=f"[Roles]({jobs})")
    priya = send(setup, track=True)["priya@example.net"]
    assert setup.issue.links[:2] == ["https://agency.example/cv", jobs]
    roles = next(p for p in clicks_in(priya.html) if p.endswith("/1/"))
    assert client.get(roles)["Location"] == jobs  # as written, not as escaped in the HTML
    Engagement.objects.all().delete()

    link = next(p for p in clicks_in(priya.html) if p.endswith("/0/"))
    first = client.get(link)
    assert first.status_code == 302
    assert first["Location"] == "https://agency.example/cv"
    assert first["Cache-Control"] == "no-store" and first["Referrer-Policy"] == "no-referrer"
    click = Engagement.objects.get(kind="click")
    assert (click.person_id, click.link, click.count) == (setup.cast.candidate.pk, 0, 1)

    again = client.get(link)
    assert again.status_code == 302 and again["Location"] == setup.issue.links[0]
    assert Engagement.objects.get(kind="click").count == 2


def test_opening_the_pixel_counts_an_open(setup: Setup, client: Client) -> None:
    priya = send(setup, track=True)["priya@example.net"]
    pixel = PIXEL.search(priya.html)
    assert pixel
    response = client.get(pixel.group(1))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and len(response.content) < 100
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    client.get(pixel.group(1))
    opened = Engagement.objects.get()
    assert (opened.kind, opened.person_id, opened.link, opened.count) == (
        "open",
        setup.cast.candidate.pk,
        None,
        2,
    )


def test_a_tampered_token_or_a_link_the_issue_lacks_is_404_and_counts_nothing(
    setup: Setup, client: Client
) -> None:
    priya = send(setup, track=True)["priya@example.net"]
    link = clicks_in(priya.html)[0]
    token = link.split("/")[3]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    out_of_range = reverse("newsletter_click", args=[token, len(setup.issue.links)])
    for url in (
        link.replace(token, forged),
        out_of_range,
        reverse("newsletter_click", args=["made-up", 0]),
        reverse("newsletter_open", args=[forged]),
    ):
        assert client.get(url).status_code == 404, url
    assert not Engagement.objects.exists()


def test_nothing_is_counted_once_tracking_is_off_or_for_someone_erased(
    setup: Setup, client: Client
) -> None:
    copies = send(setup, track=True)
    priya, harry = copies["priya@example.net"], copies["harry@acme.example"]
    erase_person(setup.cast.client_contact, by=setup.cast.manager, reason="Asked")
    harry_link = clicks_in(harry.html)[0]
    response = client.get(harry_link)
    assert response.status_code == 302  # the reader still gets where they were going
    assert not Engagement.objects.exists()

    setup.newsletter.track_engagement = False
    setup.newsletter.save()
    assert client.get(clicks_in(priya.html)[0]).status_code == 302
    pixel = PIXEL.search(priya.html)
    assert pixel and client.get(pixel.group(1)).status_code == 200
    assert not Engagement.objects.exists()


def test_erasure_deletes_who_opened_and_clicked(setup: Setup) -> None:
    send(setup, track=True)
    candidate = setup.cast.candidate
    assert record_engagement(issue=setup.issue, person_id=candidate.pk, kind="open")
    assert record_engagement(issue=setup.issue, person_id=candidate.pk, kind="click", link=0)
    from keepwarm.privacy.export import gather

    assert "newsletters.engagement" in gather(candidate).sections  # in a subject access export
    erase_person(candidate, by=setup.cast.manager, reason="Asked")
    assert not Engagement.objects.filter(person_id=candidate.pk).exists()


def test_test_sends_and_previews_are_never_tracked(setup: Setup, client: Client) -> None:
    setup.newsletter.track_engagement = True
    setup.newsletter.save()
    message = send_test(issue=setup.issue, by=setup.cast.manager, to_email=setup.cast.owner.email)
    assert "/newsletters/click/" not in message.html
    assert "/newsletters/open/" not in message.html
    client.force_login(setup.cast.manager)
    page = client.get(reverse("newsletter_issue", args=[setup.issue.pk]))
    assert page.status_code == 200
    assert "/newsletters/open/" not in page.content.decode()
    assert not Engagement.objects.exists()


def _engaged(setup: Setup, client: Client) -> None:
    copies = send(setup, track=True)
    OutboxMessage.objects.filter(key__startswith="newsletter:").update(
        state=OutboxMessage.State.SENT, sent_at=NOW
    )
    Issue.objects.filter(pk=setup.issue.pk).update(state=Issue.State.SENT)
    priya = copies["priya@example.net"]
    pixel = PIXEL.search(priya.html)
    assert pixel
    client.get(pixel.group(1))
    client.get(clicks_in(priya.html)[0])
    client.get(clicks_in(priya.html)[0])


def test_the_issue_page_shows_open_and_click_rates_and_clicks_per_link(
    setup: Setup, client: Client
) -> None:
    _engaged(setup, client)
    figures = issue_engagement(setup.issue, sent=2, per_link=True)
    assert figures is not None
    assert (figures["opened"], figures["clicked"]) == (1, 1)
    assert (figures["open_percent"], figures["click_percent"]) == (50.0, 50.0)
    assert figures["links"][0] == {"url": setup.issue.links[0], "people": 1, "clicks": 2}

    client.force_login(setup.cast.manager)
    page = client.get(reverse("newsletter_issue", args=[setup.issue.pk])).content.decode()
    assert "Opened</dt><dd>1 (50.0% of copies sent)" in page
    assert "Clicked</dt><dd>1 (50.0% of copies sent)" in page
    assert "Clicks per link" in page and setup.issue.links[0] in page

    setup.newsletter.track_engagement = False
    setup.newsletter.save()
    page = client.get(reverse("newsletter_issue", args=[setup.issue.pk])).content.decode()
    assert "Not tracked (turned off for this newsletter)" in page
    assert "Clicks per link" not in page


def test_the_engagement_report_shows_rates_for_tracked_issues_only(
    setup: Setup, client: Client
) -> None:
    _engaged(setup, client)
    client.force_login(setup.cast.manager)
    query: dict[str, Any] = {"start": "2026-01-01", "end": "2026-12-31"}
    page = client.get(reverse("report", args=["newsletters"]), query).content.decode()
    assert "Open rate" in page and "50%" in page
    response = client.get(
        reverse("report", args=["newsletters"]), {**query, "format": "csv", "table": "issues"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    header, row = list(csv.reader(io.StringIO(text)))[:2]
    assert header[-5:] == ["Opened", "Open rate", "Clicked", "Click rate", "Opens and clicks"]
    assert row[-5:] == ["1", "50%", "1", "50%", "Tracked (indicative)"]

    # The manager's dashboard card for the last issue says it too.
    dashboard = client.get(reverse("reports"), query).content.decode()
    assert "opened by 1 (50%), clicked by 1 (50%)" in dashboard

    setup.newsletter.track_engagement = False
    setup.newsletter.save()
    page = client.get(reverse("report", args=["newsletters"]), query).content.decode()
    assert "Not tracked (turned off for this newsletter)" in page
    assert "opened by" not in client.get(reverse("reports"), query).content.decode()


def test_the_api_gives_opens_and_clicks_of_tracked_issues(setup: Setup, client: Client) -> None:
    from keepwarm.api.tests.conftest import Api

    _engaged(setup, client)
    issue = Api(setup.cast.manager).get(f"/newsletters/issues/{setup.issue.pk}").json()
    assert issue["engagement"] == {
        "opened": 1,
        "clicked": 1,
        "open_percent": 50.0,
        "click_percent": 50.0,
    }
    setup.newsletter.track_engagement = False
    setup.newsletter.save()
    issue = Api(setup.cast.manager).get(f"/newsletters/issues/{setup.issue.pk}").json()
    assert issue["engagement"] is None


def test_the_newsletter_form_explains_the_consent_tracking_needs(
    setup: Setup, client: Client
) -> None:
    client.force_login(setup.cast.manager)
    page = client.get(reverse("newsletter_edit", args=[setup.newsletter.pk])).content.decode()
    assert "Track opens and clicks" in page and "PECR" in page and "Apple Mail" in page
    assert not setup.newsletter.track_engagement  # off by default


def test_a_repeat_open_adds_to_the_count_instead_of_a_row(setup: Setup) -> None:
    send(setup, track=True)
    later = NOW + dt.timedelta(hours=2)
    for now in (NOW, NOW + dt.timedelta(hours=1), later):
        record_engagement(
            issue=setup.issue, person_id=setup.cast.candidate.pk, kind="open", now=now
        )
    row = Engagement.objects.get()
    assert (row.count, row.first_at, row.last_at) == (3, NOW, later)
