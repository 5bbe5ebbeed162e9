"""The named cast every test can use: build objects explicitly from these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from keepwarm.accounts.models import User
from keepwarm.people.models import Company, Person, Role
from keepwarm.placements.models import Placement, Target

# Stable dates keep tests readable; tests that need "today" freeze the clock.
START = dt.date(2026, 3, 2)  # a Monday


@dataclass
class Cast:
    owner: User  # Olivia, the consultant who made the placement
    colleague: User  # Colin, who covers for Olivia
    manager: User  # Maggie, sees the whole team
    admin: User  # Ada, edits plans and settings
    outsider: User  # Oscar, a consultant with none of this work
    company: Company  # Acme Widgets, the client
    candidate: Person  # Priya, placed at Acme
    client_contact: Person  # Harry, Acme's hiring manager
    placement: Placement  # Priya's placement at Acme, not yet laid out with a plan


def make_user(username: str, role: str = User.Role.CONSULTANT, **extra: object) -> User:
    first, last = username.split("_") if "_" in username else (username, "Tester")
    return User.objects.create_user(
        username=username,
        password="correct-horse-battery",
        email=f"{username}@agency.example",
        first_name=first.title(),
        last_name=last.title(),
        role=role,
        **extra,
    )


@pytest.fixture
def cast(db: None) -> Cast:
    owner = make_user("olivia_owner")
    colleague = make_user("colin_cover")
    manager = make_user("maggie_manager", User.Role.MANAGER)
    admin = make_user("ada_admin", User.Role.ADMIN)
    outsider = make_user("oscar_other")
    company = Company.objects.create(
        name="Acme Widgets",
        sector="Manufacturing",
        location="Leeds",
        guarantee_length=90,
        rebate_scale=[
            {"up_to_day": 30, "percent": 100},
            {"up_to_day": 60, "percent": 50},
            {"up_to_day": 90, "percent": 25},
        ],
    )
    candidate = Person.objects.create(
        first_name="Priya",
        last_name="Patel",
        email="priya@example.net",
        phone="07700 900123",
        owner=owner,
    )
    client_contact = Person.objects.create(
        first_name="Harry", last_name="Hughes", email="harry@acme.example", owner=owner
    )
    Role.objects.create(person=candidate, kind=Role.Kind.PLACED, company=company, started_on=START)
    Role.objects.create(
        person=client_contact, kind=Role.Kind.CLIENT_CONTACT, company=company, started_on=START
    )
    placement = Placement.objects.create(
        person=candidate,
        company=company,
        hiring_manager=client_contact,
        owner=owner,
        role_title="Account Manager",
        start_date=START,
        salary=Decimal("38000"),
        fee=Decimal("7600"),
        hours_per_week=Decimal("37.5"),
        guarantee_length=company.guarantee_length,
        rebate_scale=company.rebate_scale,
    )
    Target.objects.create(
        placement=placement,
        name="New business",
        target_value=Decimal("40000"),
        unit="GBP",
        period=Target.Period.QUARTER,
    )
    return Cast(
        owner=owner,
        colleague=colleague,
        manager=manager,
        admin=admin,
        outsider=outsider,
        company=company,
        candidate=candidate,
        client_contact=client_contact,
        placement=placement,
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The cast's passwords are hashed on every test; PBKDF2 would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
