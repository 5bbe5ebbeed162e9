"""The demo agency has people ready to move, with reasons and calls on Today."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.network import readiness
from keepwarm.network.models import Readiness, StatusStatement

pytestmark = pytest.mark.django_db


def test_demo_has_people_ready_to_move_with_calls() -> None:
    call_command("demo_data", "--people", "120", "--placements", "80", stdout=io.StringIO())
    assert StatusStatement.objects.exists()
    ready = Readiness.objects.filter(score__gte=readiness.THRESHOLD)
    assert ready.exists()
    assert all(r.reasons for r in ready)
    calls = Touchpoint.objects.filter(title__startswith="Ready to move: ")
    assert calls.count() == ready.exclude(person__owner__isnull=True).count()


def test_demo_shows_someone_in_their_guarantee_as_off_limits_not_ready(client: Client) -> None:
    call_command("demo_data", "--people", "120", "--placements", "80", stdout=io.StringIO())
    held = [
        r
        for r in Readiness.objects.all()
        if r.reasons
        and r.reasons[0]["code"] == readiness.OFF_LIMITS
        and r.reasons[0]["held_score"] >= readiness.THRESHOLD
    ]
    assert held, "someone who would be ready but is in their guarantee"
    client.force_login(User.objects.get(username="demo"))
    page = client.get(reverse("ready_to_move")).content.decode()
    listed, off_limits = page.split("Off-limits for now")
    assert held[0].person.full_name not in listed
    assert held[0].person.full_name in off_limits and "off-limits until" in off_limits
