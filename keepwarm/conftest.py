"""The named cast every test can use: build objects explicitly from these."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from keepwarm.accounts.models import User
from keepwarm.agency.models import AgencySettings, agency_settings, forget_agency_settings
from keepwarm.agency.services import save_agency_settings
from keepwarm.care.services import set_cover
from keepwarm.lib.working_days import forget_closures
from keepwarm.people.models import Company, Person, Role
from keepwarm.placements.models import Placement, Target
from keepwarm.surveys.page import forget_pages

# The property tests run the same generated inputs on every run, so the suite (and CI) is
# repeatable; `HYPOTHESIS_PROFILE=explore make test` looks for new failures with fresh ones.
# Neither has a deadline: an example that takes 250 ms on a busy machine is not a failure
# (the suite holds no timed assertions; speed is bench/'s to measure).
hypothesis_settings.register_profile("repeatable", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", derandomize=False, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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


def set_agency(**values: object) -> AgencySettings:
    """Change the agency's settings as an admin saving the settings page would."""
    agency_settings()
    row = AgencySettings.objects.get(pk=1)
    for name, value in values.items():
        setattr(row, name, value)
    return save_agency_settings(changed=row)


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


def olivia_away(cast: Cast, days: int) -> None:
    """Olivia is away from START for `days` days, and Colin covers for her."""
    set_cover(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=START,
        ends_on=START + dt.timedelta(days=days),
        by=cast.manager,
    )


def oscar_places_sam(cast: Cast, hiring_manager: Person | None = None) -> Placement:
    """Oscar places Sam at Acme under `hiring_manager`, by default Harry, the hiring manager
    of Olivia's placement too: someone of Olivia's that Oscar may then open."""
    sam = Person.objects.create(first_name="Sam", last_name="Stone", owner=cast.outsider)
    return Placement.objects.create(
        person=sam,
        company=cast.company,
        hiring_manager=hiring_manager or cast.client_contact,
        owner=cast.outsider,
        role_title="Buyer",
        start_date=START,
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


@pytest.fixture(autouse=True)
def _closures_read_afresh() -> Iterator[None]:
    # Each process keeps the agency's closures and settings for a minute, and the answer
    # page's questions per questionnaire version; one test's must not be seen by the next,
    # whose database no longer has them (and may reuse their ids and clock).
    forget_closures()
    forget_agency_settings()
    forget_pages()
    yield
    forget_closures()
    forget_agency_settings()
    forget_pages()


@pytest.fixture(autouse=True)
def _process_cache_empty() -> Iterator[None]:
    # What a web worker remembers for a few minutes (a role tab past the count's cap): the
    # next test's database may reuse the same ids for other people.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _erasure_journal_in_tmp(settings: Any, tmp_path: Path) -> None:
    # Never read or append to a real installation's journal of erasures.
    settings.KEEPWARM_ERASURE_JOURNAL = str(tmp_path / "erasures.jsonl")


@pytest.fixture(autouse=True)
def _second_factor_off(settings: Any) -> None:
    # Tests sign in with client.force_login; the second factor's own tests
    # (keepwarm/accounts/tests/test_second_factor.py) turn the requirement back on.
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = False


def pass_second_factor(client: Any, user: User) -> None:
    """Sign `client` in as `user` with both factors, for tests that require the second."""
    from keepwarm.accounts.middleware import SECOND_FACTOR

    client.force_login(user)
    session = client.session
    session[SECOND_FACTOR] = user.pk
    session.save()


# --- Headless Chromium (browser tests; keepwarm.web_tests.browser) ---------------------


@pytest.fixture
def chromium() -> Iterator[Any]:
    from keepwarm.web_tests.browser import launched

    with launched() as browser:
        yield browser


@pytest.fixture
def browser_page(chromium: Any) -> Any:
    from keepwarm.web_tests.browser import DESKTOP

    return chromium.new_page(viewport=DESKTOP)


# --- A real S3 API on loopback (uploads in a bucket) -----------------------------------


@pytest.fixture
def bucket(settings: Any) -> Iterator[Any]:
    """Uploaded files go to a private bucket of moto's S3 server on 127.0.0.1."""
    from keepwarm.lib.tests.s3_bucket import serving_bucket

    with serving_bucket(settings) as served:
        yield served


# --- A real SMTP server on loopback (mail and worker tests) ----------------------------


class SmtpSink:
    """An aiosmtpd handler that keeps what it receives and can be told to misbehave.

    Push a reply onto `rcpt_replies` or `data_replies` ("451 4.7.1 Try again later",
    "550 5.1.1 No such user") to answer the next RCPT or DATA with it; set `stall` to make
    DATA hang after the message arrived, as a server does when it is slow to say 250.
    `hang_up_at_mail` closes the connection instead of answering the next that many MAIL
    commands; `hang_up_after_data` does so for that many messages after they arrived, before
    the 250. It offers PIPELINING unless `pipelining` is turned off. `delay` seconds pass
    before each 250, as with a server that takes its time (several clients meanwhile are
    served at once); `received_at` keeps when each message arrived (time.monotonic()).
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.rcpt_replies: deque[str] = deque()
        self.data_replies: deque[str] = deque()
        self.stall = False
        self.hang_up_at_mail = 0
        self.hang_up_after_data = 0
        self.pipelining = True
        self.delay = 0.0
        self.received_at: list[float] = []
        self.data_received = threading.Event()
        self.connections = 0
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        if self.pipelining:  # as Postfix and the providers' relays say
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.hang_up_at_mail:
            self.hang_up_at_mail -= 1
            await _hang_up(server)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_replies:
            return self.rcpt_replies.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.popleft()
        content = envelope.original_content or envelope.content
        self.messages.append(message_from_bytes(content, policy=email_policy.default))
        self.received_at.append(time.monotonic())
        self.data_received.set()
        if self.hang_up_after_data:
            self.hang_up_after_data -= 1
            await _hang_up(server)
        while self.stall:
            await asyncio.sleep(0.05)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Message accepted"


async def _hang_up(server: Any) -> None:
    server.transport.close()
    # The closed connection cancels this handler; until then it answers nothing.
    await asyncio.sleep(60)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1; Django's SMTP backend is pointed at it."""
    sink = SmtpSink()
    sink.port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "keepwarm.mail.backends.SmtpBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        sink.stall = False
        controller.stop()
