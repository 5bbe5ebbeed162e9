import datetime as dt
import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import timeline_for, today_for
from keepwarm.care.services import lay_out_care_plan, log_touchpoint
from keepwarm.care.services.placements import PLACEMENT_ENDED, record_placement_outcome
from keepwarm.conftest import START, Cast
from keepwarm.people.models import Role
from keepwarm.placements.models import Placement

LEFT_ON = START + dt.timedelta(days=40)


@pytest.fixture
def laid_out(cast: Cast) -> Placement:
    lay_out_care_plan(placement=cast.placement, today=START - dt.timedelta(days=7))
    return cast.placement


def test_leaving_early_computes_the_rebate_from_the_scale(cast: Cast, laid_out: Placement) -> None:
    placement = record_placement_outcome(
        placement=laid_out,
        status="left",
        left_on=LEFT_ON,
        reason="counter_offer",
        notes="Took a counter-offer",
        by=cast.owner,
    )
    placement.refresh_from_db()
    assert placement.status == Placement.Status.LEFT
    assert placement.rebate_owed == Decimal("3800.00")  # day 41: 50% of 7,600
    assert placement.leave_reason == "counter_offer"
    assert placement.left_on == LEFT_ON


def test_ended_placement_stops_future_contact_but_keeps_history(
    cast: Cast, laid_out: Placement
) -> None:
    week_one = laid_out.touchpoints.get(title="Week-one call")
    log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind="call",
        outcome="reached",
        touchpoint=week_one,
    )
    record_placement_outcome(
        placement=laid_out, status="fell_off", left_on=LEFT_ON, reason="manager", by=cast.owner
    )
    assert not laid_out.touchpoints.filter(state="planned").exists()
    assert laid_out.touchpoints.filter(state="skipped", skip_reason=PLACEMENT_ENDED).count() == (
        laid_out.touchpoints.count() - 1
    )
    week_one.refresh_from_db()
    assert week_one.state == Touchpoint.State.DONE
    assert today_for(cast.owner, today=LEFT_ON + dt.timedelta(days=60)).due == []


def test_placed_role_ends_on_the_leaving_date(cast: Cast, laid_out: Placement) -> None:
    record_placement_outcome(
        placement=laid_out, status="left", left_on=LEFT_ON, reason="pay", by=cast.owner
    )
    role = cast.candidate.roles.get(kind=Role.Kind.PLACED)
    assert role.ended_on == LEFT_ON


def test_leaving_after_the_guarantee_owes_nothing(cast: Cast, laid_out: Placement) -> None:
    placement = record_placement_outcome(
        placement=laid_out,
        status="left",
        left_on=START + dt.timedelta(days=200),
        reason="relocation",
        by=cast.owner,
    )
    assert placement.rebate_owed == Decimal("0.00")


@pytest.mark.parametrize(("status", "reason"), [("settled", "pay"), ("left", "bored")])
def test_outcome_must_be_an_ending_with_a_known_reason(
    cast: Cast, status: str, reason: str
) -> None:
    with pytest.raises(ValidationError):
        record_placement_outcome(
            placement=cast.placement,
            status=status,
            left_on=LEFT_ON,
            reason=reason,
            by=cast.owner,
        )
    cast.placement.refresh_from_db()
    assert cast.placement.status == Placement.Status.OFFER_ACCEPTED


def test_the_steps_called_off_show_on_the_timeline_when_the_placement_ended(
    cast: Cast, laid_out: Placement
) -> None:
    """Not at their due dates, months and years ahead, above everything that happened."""
    record_placement_outcome(
        placement=laid_out, status="left", left_on=LEFT_ON, reason="pay", by=cast.owner
    )
    ended = timezone.now()
    called_off = [
        entry
        for entry in timeline_for(cast.candidate, user=cast.owner)
        if entry.kind == "touchpoint" and entry.text == PLACEMENT_ENDED
    ]
    theirs = laid_out.touchpoints.filter(person=cast.candidate, skip_reason=PLACEMENT_ENDED)
    assert len(called_off) == theirs.count() > 3
    assert all(ended - dt.timedelta(minutes=1) <= entry.at <= ended for entry in called_off)
    assert {entry.by for entry in called_off} == {cast.owner}


def test_steps_called_off_before_they_were_dated_take_the_day_the_placement_ended(
    cast: Cast, laid_out: Placement
) -> None:
    migration = importlib.import_module("keepwarm.care.migrations.0013_placement_ended_skips_dated")
    record_placement_outcome(
        placement=laid_out, status="left", left_on=LEFT_ON, reason="pay", by=cast.owner
    )
    laid_out.touchpoints.update(done_at=None, done_by=None)  # as stored before
    skipped_by_hand = laid_out.touchpoints.order_by("due_on").last()
    assert skipped_by_hand is not None
    Touchpoint.objects.filter(pk=skipped_by_hand.pk).update(skip_reason="Moved abroad")

    migration.date_the_called_off_steps(apps, None)

    on_the_day = timezone.make_aware(dt.datetime.combine(LEFT_ON, dt.time(9)))
    dated = laid_out.touchpoints.filter(skip_reason=PLACEMENT_ENDED)
    assert dated.count() > 3
    assert set(dated.values_list("done_at", flat=True)) == {on_the_day}
    assert laid_out.touchpoints.get(pk=skipped_by_hand.pk).done_at is None


def test_the_placement_page_folds_the_steps_called_off_into_one_line_under_its_history(
    client: Client, cast: Cast, laid_out: Placement
) -> None:
    """Its history began with "September 2030: Quarterly keep-in-touch call, skipped"."""
    week_one = laid_out.touchpoints.get(title="Week-one call")
    log_touchpoint(
        person=cast.candidate, by=cast.owner, kind="call", outcome="reached", touchpoint=week_one
    )
    record_placement_outcome(
        placement=laid_out, status="left", left_on=LEFT_ON, reason="pay", by=cast.owner
    )
    client.force_login(cast.owner)

    page = client.get(reverse("placement", args=[laid_out.pk]))

    called_off = laid_out.touchpoints.filter(skip_reason=PLACEMENT_ENDED).count()
    assert called_off > 3
    assert page.context["called_off"] and len(page.context["called_off"]) == called_off
    assert [t.title for t in page.context["history"]] == ["Week-one call"]
    html = page.content.decode()
    assert f"{called_off} planned steps called off when the placement ended" in html
    months = re.findall(r'<th scope="rowgroup" colspan="4">([^<]+)</th>', html)
    assert months == [f"{timezone.localdate():%B %Y}"]  # the call, logged today
