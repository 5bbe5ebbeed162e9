"""Cover, handover and care plan pages: who may do what, and forms that explain themselves."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.care.models import CarePlan, Cover, Kind, PlanStep, Touchpoint
from keepwarm.conftest import Cast
from keepwarm.placements.models import Placement


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_consultant_sets_cover_for_themselves(cast: Cast) -> None:
    client = logged_in(cast.owner)
    page = client.get(reverse("cover")).content.decode()
    assert 'name="absent"' not in page  # consultants arrange their own cover only
    today = timezone.localdate()
    response = client.post(
        reverse("cover"),
        {
            "colleague": cast.colleague.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=4)).isoformat(),
            "note": "Annual leave",
        },
    )
    assert response.status_code == 302
    made = Cover.objects.get()
    assert (made.absent, made.colleague) == (cast.owner, cast.colleague)


def test_cover_form_explains_bad_dates_and_self_cover(cast: Cast) -> None:
    response = logged_in(cast.manager).post(
        reverse("cover"),
        {
            "absent": cast.owner.pk,
            "colleague": cast.owner.pk,
            "starts_on": "2026-06-10",
            "ends_on": "2026-06-01",
        },
    )
    page = response.content.decode()
    assert "other than the person who is away" in page
    assert "on or after the first" in page
    assert not Cover.objects.exists()


def test_cover_can_be_ended_but_not_by_an_outsider(cast: Cast) -> None:
    today = timezone.localdate()
    made = Cover.objects.create(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=today - dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=10),
    )
    assert logged_in(cast.outsider).post(reverse("cover_end", args=[made.pk])).status_code == 404
    logged_in(cast.owner).post(reverse("cover_end", args=[made.pk]))
    made.refresh_from_db()
    assert made.ends_on == today - dt.timedelta(days=1)


def test_handover_is_for_managers_and_moves_future_calls(cast: Cast) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    future = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Month 3 call",
        due_on=timezone.localdate() + dt.timedelta(days=20),
        owner=cast.owner,
    )
    assert logged_in(cast.owner).get(reverse("handover")).status_code == 403
    response = logged_in(cast.manager).post(
        reverse("handover"), {"from_user": cast.owner.pk, "to_user": cast.colleague.pk}
    )
    assert response.status_code == 302
    future.refresh_from_db()
    assert future.owner == cast.colleague


def test_plans_are_admin_only(cast: Cast) -> None:
    plan = CarePlan.objects.create(name="Test plan")
    for user in (cast.owner, cast.manager):
        client = logged_in(user)
        assert client.get(reverse("plans")).status_code == 403
        assert client.get(reverse("plan", args=[plan.pk])).status_code == 403
        assert client.post(reverse("plan_copy", args=[plan.pk])).status_code == 403
        assert "Plans</a>" not in client.get(reverse("today")).content.decode()
    admin = logged_in(cast.admin)
    assert admin.get(reverse("plans")).status_code == 200
    assert "Plans</a>" in admin.get(reverse("today")).content.decode()


def step_data(plan: CarePlan) -> dict[str, str]:
    data = {
        "name": plan.name,
        "placement_kind": "permanent",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "1",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    step = plan.steps.get()
    data.update(
        {
            "steps-0-id": str(step.pk),
            "steps-0-plan": str(plan.pk),
            "steps-0-order": "1",
            "steps-0-title": "Week one call",
            "steps-0-kind": "call",
            "steps-0-audience": "candidate",
            "steps-0-anchor": "start",
            "steps-0-offset_days": "7",
            "steps-0-offset_months": "0",
            "steps-1-plan": str(plan.pk),
            "steps-1-order": "0",
            "steps-1-kind": "",  # the empty row, as a browser sends it
            "steps-1-audience": "candidate",
            "steps-1-anchor": "start",
            "steps-1-offset_days": "0",
            "steps-1-offset_months": "0",
        }
    )
    return data


def test_admin_edits_plan_steps_with_clear_errors(cast: Cast) -> None:
    plan = CarePlan.objects.create(name="Test plan")
    PlanStep.objects.create(plan=plan, title="Call", kind=Kind.CALL, offset_days=3)
    client = logged_in(cast.admin)
    url = reverse("plan_edit", args=[plan.pk])
    assert "Week one" not in client.get(url).content.decode()

    bad = step_data(plan)
    bad.update(
        {
            "steps-1-title": "Keep in touch",
            "steps-1-kind": "email",
            "steps-1-repeat_every_months": "1",
        }
    )
    page = client.post(url, bad).content.decode()
    assert "Say when the repeating stops" in page
    assert "An email step needs a subject and a body" in page

    client.post(url, step_data(plan))
    assert list(plan.steps.values_list("title", "offset_days")) == [("Week one call", 7)]


def test_admin_creates_and_copies_a_plan(cast: Cast) -> None:
    client = logged_in(cast.admin)
    response = client.post(
        reverse("plan_new"),
        {
            "name": "Short contract",
            "placement_kind": "contract",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "1000",
            "steps-0-order": "0",
            "steps-0-title": "Mid-assignment call",
            "steps-0-kind": "call",
            "steps-0-audience": "candidate",
            "steps-0-anchor": "start",
            "steps-0-offset_days": "30",
            "steps-0-offset_months": "0",
        },
    )
    plan = CarePlan.objects.get(name="Short contract")
    assert response["Location"] == reverse("plan", args=[plan.pk])
    client.post(reverse("plan_copy", args=[plan.pk]))
    copy = CarePlan.objects.get(name="Copy of Short contract")
    assert list(copy.steps.values_list("title", flat=True)) == ["Mid-assignment call"]
    page = client.get(reverse("plan", args=[copy.pk])).content.decode()
    assert "Mid-assignment call" in page


def test_a_forged_step_count_gets_a_form_error_at_once(cast: Cast) -> None:
    plan = CarePlan.objects.create(name="Test plan")
    PlanStep.objects.create(plan=plan, title="Call", kind=Kind.CALL, offset_days=3)
    client = logged_in(cast.admin)
    response = client.post(
        reverse("plan_edit", args=[plan.pk]), {**step_data(plan), "steps-TOTAL_FORMS": "99999"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "A care plan has at most 100 steps." in page
    assert page.count('name="steps-') < 2_000  # at most 100 rows, not 99,999
    assert plan.steps.count() == 1
