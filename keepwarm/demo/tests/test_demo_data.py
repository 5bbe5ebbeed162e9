"""`keepwarm demo-data`: a small demo agency loads and shows every part of the aftercare core."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Cover, Kind, Touchpoint
from keepwarm.care.queries import today_for
from keepwarm.care.services import ENTERED_LATE
from keepwarm.conftest import make_user
from keepwarm.demo import agency
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk
from keepwarm.signals.queries import open_alerts_for
from keepwarm.surveys.models import Answer, Invitation, Response

pytestmark = pytest.mark.django_db


def load_small_demo(*extra: str) -> str:
    out = io.StringIO()
    call_command("demo_data", "--people", "60", "--placements", "30", *extra, stdout=out)
    return out.getvalue()


def test_demo_prints_the_login_and_the_login_works() -> None:
    output = load_small_demo()

    assert "Log in as demo / keepwarm-demo" in output
    assert Client().login(username="demo", password="keepwarm-demo")
    assert User.objects.get(username="demo").role == User.Role.MANAGER
    assert User.objects.get(username="admin").role == User.Role.ADMIN
    assert User.objects.filter(role=User.Role.CONSULTANT).count() == 4
    assert Person.objects.count() == 60
    assert Placement.objects.count() == 30


def test_every_consultant_has_calls_due_today_and_overdue() -> None:
    load_small_demo()
    today = timezone.localdate()

    for user in User.objects.exclude(role=User.Role.ADMIN):
        due = Touchpoint.objects.filter(owner=user, state="planned", kind=Kind.CALL)
        assert due.filter(due_on=today).exists(), user
        assert due.filter(due_on__lt=today).exists(), user


def test_demo_user_covers_a_colleague_this_week_and_sees_their_calls() -> None:
    load_small_demo()
    today = timezone.localdate()
    sam, tom = User.objects.get(username="demo"), User.objects.get(username="tom")
    amelia = User.objects.get(username="amelia")

    cover = Cover.objects.get(absent=tom, colleague=sam)
    assert cover.is_active_on(today)
    # Amelia's cover is Tom, who is away himself: her work passes on to Sam.
    assert Cover.objects.get(absent=amelia, colleague=tom).is_active_on(today)
    page = today_for(sam, today=today)
    assert page.covering == [amelia, tom]
    assert {t.owner_id for t in page.due} == {sam.pk, tom.pk, amelia.pk}
    assert page.guarantee_ending, "a guarantee ending within 14 days"
    assert all(0 <= (p.guarantee_ends_on - today).days <= 14 for p in page.guarantee_ending)


def test_people_are_going_cold_somewhere() -> None:
    load_small_demo()
    today = timezone.localdate()

    cold = [c for u in User.objects.all() for c in today_for(u, today=today).going_cold]
    assert cold
    assert {c.rag for c in cold} <= {"amber", "red"}


def test_only_accountants_list_an_accountancy_qualification() -> None:
    load_small_demo("--people", "300", "--placements", "100")
    qualified = Person.objects.filter(headline__regex=r"\((CIMA|ACCA part-qualified)\)$")

    assert qualified.exists()
    assert set(qualified.values_list("sector", flat=True)) == {"Accountancy & finance"}


def test_history_has_logged_calls_missed_calls_and_sent_check_ins() -> None:
    load_small_demo()
    today = timezone.localdate()

    calls = Touchpoint.objects.filter(kind=Kind.CALL, state="done", due_on__lt=today)
    assert calls.exclude(notes="").filter(outcome="reached").exists()
    assert not calls.filter(done_at__isnull=True).exists()
    assert not calls.filter(done_by__isnull=True).exists()

    emailed = Touchpoint.objects.filter(state="done", outcome="emailed")
    assert emailed.exists()
    sent = OutboxMessage.objects.filter(
        state=OutboxMessage.State.SENT, purpose=OutboxMessage.Purpose.SERVICE
    )
    assert sent.count() == emailed.count()
    message = sent.select_related("touchpoint").first()
    assert message is not None and message.touchpoint is not None
    assert message.key == f"touchpoint:{message.touchpoint.pk}"
    assert message.created_at.date() < today  # Sent mail shows the past, not "just now"
    assert message.to_email == message.touchpoint.person.email
    assert message.to_email.endswith(".example") or "@example." in message.to_email
    # Nothing the worker would send again: every past check-in is done or skipped.
    assert not Touchpoint.objects.filter(
        state="planned", kind__in=(Kind.EMAIL, Kind.QUESTIONNAIRE), due_on__lt=today
    ).exists()


def test_some_placements_fell_off_with_a_rebate_and_stopped_their_cadence() -> None:
    load_small_demo()
    today = timezone.localdate()

    fell_off = Placement.objects.filter(status=Placement.Status.FELL_OFF, rebate_owed__gt=0)
    assert fell_off.exists()
    for placement in Placement.objects.filter(status__in=Placement.ENDED):
        assert placement.leave_reason and placement.left_on
        assert placement.rebate_owed == placement.rebate_for(placement.left_on)
        after = placement.touchpoints.filter(step__isnull=False, due_on__gt=placement.left_on)
        assert not after.exclude(state="skipped").exists()
        assert not OutboxMessage.objects.filter(touchpoint__in=after).exists()
    assert Placement.objects.filter(status=Placement.Status.IN_GUARANTEE).exists()
    assert Placement.objects.filter(status=Placement.Status.SETTLED).exists()
    assert Placement.objects.filter(
        status=Placement.Status.OFFER_ACCEPTED, start_date__gt=today
    ).exists()


def test_a_back_dated_placement_skipped_its_old_steps() -> None:
    load_small_demo()

    assert Touchpoint.objects.filter(state="skipped", skip_reason=ENTERED_LATE).exists()


def test_loading_twice_changes_nothing_and_reset_loads_afresh() -> None:
    load_small_demo()
    placements = set(Placement.objects.values_list("id", flat=True))

    assert "already loaded; nothing changed" in load_small_demo()
    assert set(Placement.objects.values_list("id", flat=True)) == placements

    load_small_demo("--reset")
    assert Placement.objects.count() == 30
    assert not set(Placement.objects.values_list("id", flat=True)) & placements
    assert User.objects.filter(username="demo").count() == 1


def test_refuses_a_database_with_data_of_its_own() -> None:
    make_user("olivia_owner")

    with pytest.raises(CommandError, match=r"already holds data \(1 users\)"):
        load_small_demo()
    with pytest.raises(CommandError, match="users of its own: olivia_owner"):
        load_small_demo("--reset")
    assert User.objects.count() == 1
    assert not agency.demo_loaded()


def test_refuses_too_few_people_for_the_placements() -> None:
    with pytest.raises(CommandError, match="ask for more people"):
        call_command("demo_data", "--people", "10", "--placements", "30", stdout=io.StringIO())


def test_demo_can_be_built_as_of_another_day() -> None:
    load_small_demo("--today", "2027-03-01")

    sam = User.objects.get(username="demo")
    page = today_for(sam, today=dt.date(2027, 3, 1))
    assert page.due and page.covering
    assert Touchpoint.objects.filter(done_at__date__gt=dt.date(2027, 3, 1)).count() == 0


def test_questionnaires_were_answered_and_the_risk_has_reasons() -> None:
    load_small_demo()
    now = timezone.now()

    answered = Response.objects.select_related("invitation")
    assert answered.exists()
    assert all(r.invitation.answered_at == r.submitted_at < now for r in answered)
    assert Answer.objects.filter(question__code="nps", value_number__gte=9).exists()
    assert Answer.objects.filter(question__code="expectations_met", value_text="no").exists()
    client = Answer.objects.filter(question__code__startswith="target:")
    assert client.exists() and {a.value_text for a in client} <= {"met", "on_track", "behind"}
    # Every invitation belongs to a questionnaire the worker emailed.
    assert not Invitation.objects.filter(touchpoint__isnull=True).exists()
    assert Invitation.objects.filter(answered_at__isnull=True, expires_at__lt=now).exists()

    at_risk = Risk.objects.filter(in_first_year=True, score__gt=0)
    assert at_risk.exists()
    assert all(r.reasons for r in at_risk)
    assert len({r.score for r in at_risk}) > 1


def test_sam_has_open_alerts_one_overdue_and_one_was_closed_with_a_note() -> None:
    load_small_demo()
    now = timezone.now()
    sam = User.objects.get(username="demo")

    mine = open_alerts_for(sam, now=now)
    assert mine
    assert any(a.due_at < now for a in mine)
    closed = Alert.objects.filter(state=Alert.State.CLOSED)
    assert closed.exists()
    assert all(a.close_note and a.closed_at and a.closed_at <= now for a in closed)


def test_demo_shows_a_bounce_turned_into_a_call_on_the_demo_users_today() -> None:
    load_small_demo()
    demo = User.objects.get(username=agency.USERNAME)

    failed = Person.objects.filter(email_failed_at__isnull=False)
    assert failed.exists()
    call = Touchpoint.objects.filter(
        owner=demo, kind=Kind.CALL, title__startswith="Call instead", state="planned"
    ).first()
    assert call is not None
    assert call.person.email_failed_reason.startswith("550")
    assert call.pk in [t.pk for t in today_for(demo, today=timezone.localdate()).due]
    # The check-in it replaces is not done, and no bounced check-in is anywhere "done".
    assert not Touchpoint.objects.filter(state="done", outcome="bounced").exists()


def test_demo_shows_a_free_replacement_owed() -> None:
    load_small_demo()

    owed = Placement.objects.filter(replacement_due_by__isnull=False, replaced_by__isnull=True)
    placement = owed.first()
    assert placement is not None and placement.guarantee_remedy == "replacement"
    assert placement.replacement_due_by is not None
    assert placement.replacement_due_by > timezone.localdate()


def test_a_call_that_reached_nobody_was_retried_and_an_overdue_alert_escalated() -> None:
    load_small_demo()

    retried = Touchpoint.objects.filter(attempts=1, state="done", outcome="reached")
    assert retried.exists()
    call = retried.first()
    assert call is not None and call.first_due_on is not None
    assert call.due_on > call.first_due_on
    # The try that reached nobody is on the same placement's history as the call.
    assert Touchpoint.objects.filter(
        person=call.person,
        placement=call.placement,
        title=call.title,
        due_on=call.first_due_on,
        outcome__in=(
            "voicemail",
            "no_answer",
        ),
    ).exists()

    escalated = Alert.objects.filter(state=Alert.State.OPEN, escalated_at__isnull=False)
    assert escalated.exists()
    manager = User.objects.filter(role=User.Role.MANAGER).first()
    assert manager is not None
    assert OutboxMessage.objects.filter(
        to_email=manager.email, subject__startswith="Escalated:"
    ).exists()
