"""The demo agency shows the network at every stage, and --reset clears it again."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.network.models import IntelNote, Lead, Referral, Vacancy
from keepwarm.network.queries import placed_who_now_hire
from keepwarm.people.models import Person

pytestmark = pytest.mark.django_db


def load_small_demo(*extra: str) -> str:
    out = io.StringIO()
    call_command("demo_data", "--people", "60", "--placements", "30", *extra, stdout=out)
    return out.getvalue()


def test_demo_has_referrals_and_leads_at_every_stage_without_duplicate_people() -> None:
    output = load_small_demo()

    assert Person.objects.count() == 60  # referrals name people already known
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert {"received", "contacted", "placed", "won", "reward_due", "paid"} <= statuses
    assert Referral.objects.filter(referred__isnull=True, candidates__isnull=False).exists()
    assert set(Lead.objects.values_list("status", flat=True)) == {"new", "converted", "discarded"}
    assert Vacancy.objects.filter(status="open").count() >= 5
    assert IntelNote.objects.filter(company__isnull=False).exists()
    assert IntelNote.objects.filter(company__isnull=True).exists()
    assert placed_who_now_hire().exists()
    assert "referrals" in output and "vacancies" in output


def test_demo_user_sees_rewards_due_and_reset_starts_afresh() -> None:
    load_small_demo()
    client = Client()
    client.force_login(User.objects.get(username="demo"))
    assert "Mark paid today" in client.get(reverse("rewards_due")).content.decode()

    load_small_demo("--reset")
    assert Referral.objects.count() > 0
    assert Person.objects.count() == 60
