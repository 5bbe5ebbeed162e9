"""The placement page reads for a human (what is next first, years where they matter,
history by month) and shows the money at stake: guarantee day, rebate tier, refund or
free replacement owed, on the placement, At risk, alerts and the manager's Today."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keepwarm.care.models import Touchpoint
from keepwarm.care.services import lay_out_care_plan, set_cover
from keepwarm.care.services.placements import record_placement_outcome
from keepwarm.conftest import Cast
from keepwarm.people.models import Remedy
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk

DAY_19 = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)  # day 19 of Priya's 90-day guarantee


@pytest.fixture
def on_day_19() -> Iterator[None]:
    with time_machine.travel(DAY_19, tick=False):
        yield


def _page(client: Client, placement: Placement) -> str:
    return client.get(f"/placements/{placement.pk}/").content.decode()


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


def test_placement_page_shows_what_is_next_first_and_the_rest_behind_show_all(
    cast: Cast, client: Client, on_day_19: None
) -> None:
    lay_out_care_plan(placement=cast.placement, today=timezone.localdate())
    planned = cast.placement.touchpoints.filter(state=Touchpoint.State.PLANNED).count()
    client.force_login(cast.owner)

    nxt = _section(_page(client, cast.placement), "planned-heading")

    first, _, rest = nxt.partition("<details")
    assert first.count('<li id="tp-') == 5
    assert f"Show all {planned} planned calls and check-ins" in rest
    assert rest.count('<li id="tp-') == planned - 5
    # The placed person's name, the placement's link and phone are not on every row.
    assert "Priya Patel" not in first
    assert "07700 900123" not in nxt


def test_dates_in_another_year_say_which_year(cast: Cast, client: Client, on_day_19: None) -> None:
    lay_out_care_plan(placement=cast.placement, today=timezone.localdate())
    client.force_login(cast.owner)

    later = _section(_page(client, cast.placement), "planned-heading").partition("<details")[2]

    assert re.search(r"\b\d{1,2} [A-Z][a-z]{2} 2031\b", later)
    assert re.search(r"class=\"badge\">\d{1,2} [A-Z][a-z]{2}<", later)  # this year: no year


def test_history_is_grouped_by_month_newest_first(
    cast: Cast, client: Client, on_day_19: None
) -> None:
    lay_out_care_plan(placement=cast.placement, today=timezone.localdate())
    client.force_login(cast.owner)

    history = _section(_page(client, cast.placement), "done-heading")

    assert history.index("March 2026") < history.index("February 2026")


def test_placement_shows_guarantee_day_rebate_tier_and_money_at_stake(
    cast: Cast, client: Client, on_day_19: None
) -> None:
    client.force_login(cast.owner)

    guarantee = _section(_page(client, cast.placement), "guarantee-heading")

    assert "Guarantee day 19 of 90" in guarantee
    assert "rebate 100%: <strong>£7,600</strong> at stake until 31 Mar, then 50%" in guarantee


def test_a_covering_colleague_sees_the_tier_but_not_the_money(
    cast: Cast, client: Client, on_day_19: None
) -> None:
    client.force_login(cast.colleague)
    set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=DAY_19.date(),
        ends_on=DAY_19.date(),
        by=cast.manager,
    )

    guarantee = _section(_page(client, cast.placement), "guarantee-heading")

    assert "rebate 100% until 31 Mar" in guarantee
    assert "£" not in guarantee


def _at_risk(cast: Cast) -> Alert:
    now = timezone.now()
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    Risk.objects.create(
        placement=cast.placement, score=85, reasons=["Said they might leave"], computed_at=now
    )
    return Alert.objects.create(
        placement=cast.placement,
        owner=cast.owner,
        reason="Said they might leave",
        opened_at=now,
        due_at=now + dt.timedelta(days=1),
    )


def test_at_risk_alerts_and_alert_pages_show_the_money_at_stake(
    cast: Cast, client: Client, on_day_19: None
) -> None:
    alert = _at_risk(cast)
    client.force_login(cast.owner)

    for url in ("/at-risk/", "/alerts/", f"/alerts/{alert.pk}/"):
        html = client.get(url).content.decode()
        assert "Guarantee day 19 of 90" in html, url
        assert "£7,600" in html, url


def test_manager_sees_fees_at_risk_this_week_on_today(
    cast: Cast, client: Client, on_day_19: None
) -> None:
    _at_risk(cast)
    client.force_login(cast.manager)

    card = _section(client.get("/").content.decode(), "fees-heading")

    assert "Fees at risk this week" in card and "£7,600" in card
    assert "Priya Patel" in card and "risk 85" in card
    client.force_login(cast.owner)
    assert 'id="fees-heading"' not in client.get("/").content.decode()


def test_failed_free_replacement_guarantee_is_owed_by_a_date_and_linked_when_made(
    cast: Cast, client: Client, on_day_19: None
) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(guarantee_remedy=Remedy.REPLACEMENT)
    cast.placement.refresh_from_db()
    record_placement_outcome(
        placement=cast.placement,
        status=Placement.Status.FELL_OFF,
        left_on=DAY_19.date(),
        reason=Placement.LeaveReason.COUNTER_OFFER,
        by=cast.owner,
    )
    client.force_login(cast.manager)

    page = _page(client, cast.placement)
    assert "A free replacement</strong> for Acme Widgets by 18 Jun 2026" in page
    today = _section(client.get("/").content.decode(), "fees-heading")
    assert "Free replacements owed" in today and "Owed by 18 Jun" in today

    replacement = Placement.objects.create(
        person=cast.client_contact,
        company=cast.company,
        owner=cast.owner,
        role_title="Account Manager",
        start_date=DAY_19.date() + dt.timedelta(days=30),
    )
    assert f'value="{replacement.pk}"' in _page(client, cast.placement)
    client.post(f"/placements/{cast.placement.pk}/replacement/", {"replacement": replacement.pk})

    cast.placement.refresh_from_db()
    assert cast.placement.replaced_by == replacement
    assert "Free replacement made" in _page(client, cast.placement)
    assert "Free replacement for" in _page(client, replacement)
    assert "Free replacements owed" not in client.get("/").content.decode()
