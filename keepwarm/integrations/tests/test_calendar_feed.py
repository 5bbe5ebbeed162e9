"""A consultant's private calendar feed: their due calls, at the right times, for any app.

The feed is read by two independent parsers: Python's `icalendar` here, and Mozilla's
ical.js (Thunderbird's) through node, installed from tools/ical-check's package-lock by
`make test`; without node or that folder the ical.js test skips and says why.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zoneinfo
from pathlib import Path
from typing import Any

import icalendar
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.care.models import Cover, Kind, Touchpoint
from keepwarm.integrations import services
from keepwarm.integrations.models import CalendarFeed, hash_secret

TOOL = Path(__file__).resolve().parents[3] / "tools" / "ical-check"
LONDON = zoneinfo.ZoneInfo("Europe/London")
# The UK's clocks go forward on 29 March 2026 and back on 25 October 2026.
SPRING = dt.date(2026, 3, 29)
AUTUMN = dt.date(2026, 10, 25)


def call(cast: Any, due_on: dt.date, title: str = "Week one call", **extra: Any) -> Touchpoint:
    fields = {
        "person": cast.candidate,
        "placement": cast.placement,
        "kind": Kind.CALL,
        "title": title,
        "due_on": due_on,
        "owner": cast.owner,
        **extra,
    }
    return Touchpoint.objects.create(**fields)


def fetch(secret: str) -> Any:
    return Client().get(reverse("calendar_feed", args=[secret]))


def parse(text: str) -> list[Any]:
    calendar = icalendar.Calendar.from_ical(text)
    return list(calendar.walk("VEVENT"))


def utc_start(event: Any) -> dt.datetime:
    start: dt.datetime = event.decoded("DTSTART")
    return start.astimezone(dt.UTC)


@pytest.fixture
def feed(cast: Any) -> str:
    _, secret = services.issue_feed(user=cast.owner)
    return secret


def test_feed_lists_own_due_calls_with_phone_reason_and_link(cast: Any, feed: str) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)):
        mine = call(cast, dt.date(2026, 3, 23), title="Call before start")
        call(cast, dt.date(2026, 3, 23), title="Someone else's", owner=cast.colleague)
        call(cast, dt.date(2026, 3, 23), title="Sent by the worker", kind=Kind.EMAIL)
        call(cast, dt.date(2026, 3, 23), title="Already done", state=Touchpoint.State.DONE)
        response = fetch(feed)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    events = parse(response.content.decode())
    assert [str(e["SUMMARY"]) for e in events] == ["Call: Priya Patel – Call before start"]
    event = events[0]
    description = str(event["DESCRIPTION"])
    assert "Phone: 07700 900123" in description
    assert "Reason: Call before start" in description
    assert "Placement: Account Manager at Acme Widgets" in description
    person_url = f"http://127.0.0.1:8000/people/{cast.candidate.pk}/"
    assert str(event["URL"]) == person_url
    assert person_url in description
    assert str(event["LOCATION"]) == "07700 900123"
    assert str(event["UID"]).startswith(f"touchpoint-{mine.pk}@")


def test_calls_stay_at_nine_on_the_london_clock_either_side_of_both_clock_changes(
    cast: Any, feed: str
) -> None:
    days = [
        SPRING - dt.timedelta(days=1),
        SPRING,
        SPRING + dt.timedelta(days=1),
        AUTUMN - dt.timedelta(days=1),
        AUTUMN,
        AUTUMN + dt.timedelta(days=1),
    ]
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)):
        for day in days:
            call(cast, day)
        # Two calls due the same day follow each other, 15 minutes apart.
        call(cast, SPRING, title="Second call")
        events = parse(fetch(feed).content.decode())

    starts = [utc_start(e) for e in events]
    assert [s.isoformat() for s in starts] == [
        "2026-03-28T09:00:00+00:00",  # GMT
        "2026-03-29T08:00:00+00:00",  # BST from 01:00 UTC that morning
        "2026-03-29T08:15:00+00:00",
        "2026-03-30T08:00:00+00:00",
        "2026-10-24T08:00:00+00:00",  # still BST
        "2026-10-25T09:00:00+00:00",  # GMT again
        "2026-10-26T09:00:00+00:00",
    ]
    local = [s.astimezone(LONDON).strftime("%H:%M") for s in starts]
    assert local == ["09:00", "09:00", "09:15", "09:00", "09:00", "09:00", "09:00"]
    ends = [e.decoded("DTEND").astimezone(dt.UTC) - s for e, s in zip(events, starts, strict=True)]
    assert set(ends) == {dt.timedelta(minutes=15)}


def test_a_start_time_the_spring_change_skips_comes_out_an_hour_later(cast: Any, feed: str) -> None:
    services.set_day_start(user=cast.owner, day_starts_at=dt.time(1, 30))
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)):
        call(cast, SPRING)
        call(cast, AUTUMN)
        events = parse(fetch(feed).content.decode())

    # 01:30 does not exist in London on 29 March: the call is at 02:30 BST (01:30 UTC).
    # On 25 October 01:30 happens twice: the first, in BST (00:30 UTC).
    assert [utc_start(e).isoformat() for e in events] == [
        "2026-03-29T01:30:00+00:00",
        "2026-10-25T00:30:00+00:00",
    ]


def test_text_with_commas_semicolons_newlines_and_long_accented_names_round_trips(
    cast: Any, feed: str
) -> None:
    cast.candidate.first_name = "Zoë-Éléonore"
    cast.candidate.last_name = "Ødegård, Jr; the 3rd " + "é" * 60
    cast.candidate.save()
    reason = "Ask about: pay, hours; and\\the commute\nsecond line"
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)):
        call(cast, dt.date(2026, 3, 3), title=reason)
        text = fetch(feed).content.decode()

    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert text.endswith("END:VCALENDAR\r\n")
    event = parse(text)[0]
    assert str(event["SUMMARY"]) == (
        f"Call: Zoë-Éléonore Ødegård, Jr; the 3rd {'é' * 60} – {reason}"
    )
    assert f"Reason: {reason}" in str(event["DESCRIPTION"])


def test_overdue_calls_say_since_when_and_old_ones_drop_out(cast: Any, feed: str) -> None:
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)):
        call(cast, dt.date(2026, 4, 20), title="Overdue")
        call(cast, dt.date(2026, 3, 1), title="Long forgotten")
        events = parse(fetch(feed).content.decode())

    assert [str(e["SUMMARY"]) for e in events] == ["Call: Priya Patel – Overdue"]
    assert "Overdue since 20 Apr 2026" in str(events[0]["DESCRIPTION"])


def test_only_the_hash_of_the_address_is_stored(cast: Any, feed: str) -> None:
    stored = CalendarFeed.objects.get(user=cast.owner)

    assert feed not in (stored.digest, stored.prefix)
    assert stored.digest == hash_secret(feed)


def test_a_new_address_stops_the_old_one_and_revoking_stops_both(cast: Any, feed: str) -> None:
    _, newer = services.issue_feed(user=cast.owner)

    assert fetch(feed).status_code == 404
    assert fetch(newer).status_code == 200
    services.revoke_feed(user=cast.owner)
    assert fetch(newer).status_code == 404


def test_a_deactivated_consultants_feed_stops_working(cast: Any, feed: str) -> None:
    cast.owner.is_active = False
    cast.owner.save()

    assert fetch(feed).status_code == 404


def test_wrong_and_strange_addresses_are_a_plain_not_found(cast: Any, feed: str) -> None:
    for secret in ("cal_nope", feed[:-1] + "x", "x" * 500, "cal_" + "ü" * 10, feed.upper()):
        assert fetch(secret).status_code == 404


def test_calendar_page_shows_the_address_once_and_can_revoke_it(cast: Any) -> None:
    client = Client()
    client.force_login(cast.owner)

    assert client.get(reverse("calendar_new")).status_code == 405  # GET never makes one
    page = client.post(reverse("calendar_new"), {"day_starts_at": "08:30"}, follow=True)
    text = page.content.decode()
    start = text.index("/calendar/feed/")
    secret = text[start + len("/calendar/feed/") : text.index(".ics", start)]
    assert fetch(secret).status_code == 200
    assert CalendarFeed.objects.get(user=cast.owner).day_starts_at == dt.time(8, 30)
    again = client.get(reverse("calendar")).content.decode()
    assert secret not in again
    client.post(reverse("calendar_revoke"))
    assert fetch(secret).status_code == 404
    assert not CalendarFeed.objects.filter(user=cast.owner).exists()


def test_calendar_page_needs_sign_in(db: None) -> None:
    response = Client().get(reverse("calendar"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_mozilla_ical_js_reads_the_feed_with_the_same_times(cast: Any, feed: str) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so Mozilla's ical.js cannot check the feed")
    if not (TOOL / "node_modules" / "ical.js").is_dir():
        pytest.skip("run `npm ci --prefix tools/ical-check` (make test does) to install ical.js")
    cast.candidate.last_name = "Ødegård, Jr; the 3rd " + "é" * 60
    cast.candidate.save()
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)):
        for day in (SPRING - dt.timedelta(days=1), SPRING, AUTUMN - dt.timedelta(days=1), AUTUMN):
            call(cast, day, title="Pay, hours; commute\nand more")
        text = fetch(feed).content.decode()

    result = subprocess.run(
        [node, str(TOOL / "check.mjs")],
        input=text, capture_output=True, text=True, timeout=60, cwd=TOOL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["name"] == "Keepwarm calls – Olivia Owner"
    assert [e["start"] for e in parsed["events"]] == [
        "2026-03-28T09:00:00.000Z",
        "2026-03-29T08:00:00.000Z",
        "2026-10-24T08:00:00.000Z",
        "2026-10-25T09:00:00.000Z",
    ]
    first = parsed["events"][0]
    assert first["summary"] == (
        f"Call: Priya Ødegård, Jr; the 3rd {'é' * 60} – Pay, hours; commute\nand more"
    )
    assert "Phone: 07700 900123" in first["description"]
    assert first["url"] == f"http://127.0.0.1:8000/people/{cast.candidate.pk}/"
    # Both parsers agree on every event.
    python_starts = [utc_start(e).strftime("%Y-%m-%dT%H:%M:%S.000Z") for e in parse(text)]
    assert python_starts == [e["start"] for e in parsed["events"]]


def test_calendar_apps_may_ask_with_head(cast: Any, feed: str) -> None:
    response = Client().head(reverse("calendar_feed", args=[feed]))

    assert response.status_code == 200
    assert Client().post(reverse("calendar_feed", args=[feed])).status_code == 405


def test_calls_of_a_colleague_being_covered_are_in_the_feed_during_the_cover(cast: Any) -> None:
    _, secret = services.issue_feed(user=cast.colleague)
    Cover.objects.create(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=dt.date(2026, 3, 16),
        ends_on=dt.date(2026, 3, 20),
    )
    with time_machine.travel(dt.datetime(2026, 3, 17, 12, tzinfo=dt.UTC)):
        call(cast, dt.date(2026, 3, 10), title="Overdue before the cover")
        call(cast, dt.date(2026, 3, 18), title="During the cover")
        call(cast, dt.date(2026, 3, 25), title="After the cover")
        events = parse(fetch(secret).content.decode())

    assert [str(e["SUMMARY"]) for e in events] == [
        "Call: Priya Patel – Overdue before the cover (covering Olivia Owner)",
        "Call: Priya Patel – During the cover (covering Olivia Owner)",
    ]


def test_a_colleague_covering_the_cover_gets_the_calls_passed_on(cast: Any) -> None:
    # Olivia is covered by Colin, and Colin, away himself on the 18th-19th, by Oscar.
    _, secret = services.issue_feed(user=cast.outsider)
    Cover.objects.create(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=dt.date(2026, 3, 16),
        ends_on=dt.date(2026, 3, 20),
    )
    Cover.objects.create(
        absent=cast.colleague,
        colleague=cast.outsider,
        starts_on=dt.date(2026, 3, 18),
        ends_on=dt.date(2026, 3, 19),
    )
    with time_machine.travel(dt.datetime(2026, 3, 17, 12, tzinfo=dt.UTC)):
        call(cast, dt.date(2026, 3, 17), title="Before Colin left")
        call(cast, dt.date(2026, 3, 18), title="While Colin is away")
        events = parse(fetch(secret).content.decode())

    assert [str(e["SUMMARY"]) for e in events] == [
        "Call: Priya Patel – While Colin is away (covering Olivia Owner)",
    ]
