"""The demo agency's consultants have available hours, so personal pages show them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from keepwarm.accounts.models import User
from keepwarm.placements.models import Placement
from keepwarm.portal.tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_demo_consultants_show_their_hours_on_a_placed_persons_page() -> None:
    call_command("demo_data", "--people", "60", "--placements", "30", stdout=io.StringIO())
    consultants = User.objects.filter(role=User.Role.CONSULTANT)
    assert consultants.exists() and not consultants.filter(available_hours="").exists()
    placement = Placement.objects.filter(status__in=Placement.ACTIVE).select_related("person")[0]
    page = sign_in(Client(), placement.person).get("/me/")
    assert "Available " in page.text
