"""The demo agency has people ready to move, with reasons and calls on Today."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

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
