"""A demo agency for `keepwarm demo-data`, relative to today so there is always work due.

Five consultants (Sam Fletcher, user "demo", is also the team manager) and an admin,
companies with hiring managers and terms of business, candidates, and placements made
over the last two years through the real placement service. The history a real agency
would have is then filled in: calls logged with outcomes and notes, a few missed,
check-in emails sent (with their outbox rows, so Sent mail and timelines show them),
placements that fell off or ended early with their rebates, and cover for a colleague
on leave this week. en-GB Faker with a fixed seed makes the same agency every time.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from faker import Faker

from keepwarm.accounts.models import ApiToken, User
from keepwarm.agency.models import AgencySettings, agency_settings
from keepwarm.agency.services import save_agency_settings
from keepwarm.care.models import Cover, Touchpoint
from keepwarm.care.services.placements import (
    advance_statuses,
    create_placement,
)
from keepwarm.demo import (
    failures,
    integrations,
    network,
    newsletter,
    portal,
    readiness,
    reports,
    words,
)
from keepwarm.demo.answers import Feedback
from keepwarm.demo.history import History
from keepwarm.lib.dates import add_months
from keepwarm.mail.models import OutboxMessage
from keepwarm.people.models import Company, Note, Person, Role
from keepwarm.placements.models import Placement
from keepwarm.signals.models import Alert, Risk
from keepwarm.surveys.models import Response

AGENCY = "Fernbrook Recruitment"
DOMAIN = words.DOMAIN
USERNAME = "demo"
PASSWORD = "keepwarm-demo"  # noqa: S105 -- fake data on a local demo; printed on purpose
SEED = 2026

# username, first name, last name, role. The first is the demo login: a consultant who
# also manages the team, so Today is full and every page is open to them.
USERS = (
    (USERNAME, "Sam", "Fletcher", User.Role.MANAGER),
    ("amelia", "Amelia", "Hughes", User.Role.CONSULTANT),
    ("tom", "Tom", "Barker", User.Role.CONSULTANT),
    ("grace", "Grace", "Adeyemi", User.Role.CONSULTANT),
    ("rhys", "Rhys", "Morgan", User.Role.CONSULTANT),
)
ADMIN = ("admin", "Alex", "Carter", User.Role.ADMIN)  # runs the system, places no one


@dataclass
class DemoReport:
    today: dt.date
    users: list[User] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def is_demo_user(user: User) -> bool:
    return user.email.endswith("@" + DOMAIN)


def demo_loaded() -> bool:
    return User.objects.filter(username=USERNAME, email__endswith="@" + DOMAIN).exists()


def existing_data() -> dict[str, int]:
    """What is in the database already, by kind; empty when there is nothing."""
    counts = {
        "users": User.objects.count(),
        "people": Person.objects.count(),
        "companies": Company.objects.count(),
        "placements": Placement.objects.count(),
    }
    return {name: n for name, n in counts.items() if n}


def non_demo_users() -> list[str]:
    return [u.username for u in User.objects.exclude(email__endswith="@" + DOMAIN)]


@transaction.atomic
def wipe() -> None:
    """Delete every person, company, placement, touchpoint, message and the demo users.

    Only for a demo database: the caller checks that every user is a demo user.
    """
    OutboxMessage.objects.all().delete()
    network.wipe()
    # Answers protect their questions; the answers go first, then the rest cascades.
    Response.objects.all().delete()
    newsletter.wipe()
    integrations.wipe()
    Touchpoint.objects.all().delete()
    Cover.objects.all().delete()
    Placement.objects.all().delete()
    Note.objects.all().delete()
    Role.objects.all().delete()
    Person.objects.all().delete()
    Company.objects.all().delete()
    ApiToken.objects.filter(user__email__endswith="@" + DOMAIN).delete()
    User.objects.filter(email__endswith="@" + DOMAIN).delete()


def load(
    *,
    today: dt.date | None = None,
    people: int = 600,
    placements: int = 300,
    companies: int | None = None,
    password: str = PASSWORD,
    seed: int = SEED,
) -> DemoReport:
    """Create the demo agency as of `today`; the database should hold no people yet."""
    today = today or timezone.localdate()
    companies = companies or max(4, round(placements / 5))
    with transaction.atomic():
        return _Agency(today=today, seed=seed).build(
            people=people, placements=placements, companies=companies, password=password
        )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


class _Agency(History, Feedback):
    def __init__(self, *, today: dt.date, seed: int) -> None:
        self.today = today
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.now = timezone.now()
        if today != timezone.localdate():  # built as of another day: "now" is that noon
            self.now = dt.datetime.combine(today, dt.time(12), tzinfo=self.zone)
        self.rng = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.report = DemoReport(today=today)
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.left_on: dict[int, dt.date] = {}  # placement id -> day it ended
        self.cover_windows: list[tuple[int, int, dt.date, dt.date]] = []

    # --- small helpers ------------------------------------------------------------------

    def phone(self, prefix: str) -> str:
        for _ in range(50):
            number = prefix + f"{self.rng.randrange(1000):03d}"
            if number not in self.phones:
                break
        self.phones.add(number)
        return number

    def email(self, first: str, last: str, domain: str) -> str:
        base = f"{_ascii(first)}.{_ascii(last)}"
        address, n = f"{base}@{domain}", 1
        while address in self.emails:
            n += 1
            address = f"{base}{n}@{domain}"
        self.emails.add(address)
        return address

    # --- the agency ---------------------------------------------------------------------

    def brand_the_agency(self) -> None:
        """The demo agency's own name, colour and address on its emails and public pages."""
        agency_settings()
        row = AgencySettings.objects.get(pk=1)
        row.name = AGENCY
        row.postal_address = "Fernbrook Recruitment Ltd, 12 Park Row, Leeds LS1 5HD"
        row.signature = "Fernbrook Recruitment: people who stay."
        save_agency_settings(changed=row)

    def build(self, *, people: int, placements: int, companies: int, password: str) -> DemoReport:
        self.make_users(password)
        self.brand_the_agency()
        self.make_companies(companies)
        self.make_people(people - len(self.contacts_all), placements)
        self.make_placements(placements)
        self.fill_in_history()
        self.end_some_placements()
        advance_statuses(today=self.today)
        status = dict(Placement.objects.values_list("id", "status"))
        for placement in self.placements:
            placement.status = status[placement.pk]
        self.contact_clients()
        self.make_sure_everyone_has_work_today()
        self.make_covers()
        self.answer_questionnaires()
        self.set_last_contact()
        self.rescore_endings()
        self.score_and_alert()
        newsletter.load(today=self.today)
        integrations.load(now=timezone.now())
        reports.load(today=self.today)
        portal.load(domain=DOMAIN)
        # Before readiness: whoever has left is scored as having left.
        failures.bounce_into_calls(today=self.today, consultant=self.by_name(USERNAME))
        failures.free_replacement_owed(today=self.today)
        readiness.load(today=self.today)
        self.count()
        network.load(today=self.today, report=self.report)
        return self.report

    def make_users(self, password: str) -> None:
        hashed = make_password(password)  # hash once: PBKDF2 per user would dominate
        users = [
            User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username if username != USERNAME else 'sam'}@{DOMAIN}",
                phone=f"0113 496 0{100 + i:03d}",
                role=role,
                password=hashed,
            )
            for i, (username, first, last, role) in enumerate((*USERS, ADMIN))
        ]
        User.objects.bulk_create(users)
        self.users = list(User.objects.filter(email__endswith="@" + DOMAIN).order_by("id"))
        self.consultants = [u for u in self.users if u.role != User.Role.ADMIN]
        self.demo, self.tom, self.grace, self.rhys, self.amelia = (
            self.by_name(n) for n in (USERNAME, "tom", "grace", "rhys", "amelia")
        )
        self.report.users = self.users

    def by_name(self, username: str) -> User:
        return next(u for u in self.users if u.username == username)

    def make_companies(self, count: int) -> None:
        rng, names = self.rng, set()
        sectors = [s for s in words.SECTORS for _ in range(s.weight)]
        new: list[Company] = []
        self.sector_of: dict[str, words.Sector] = {}
        self.phone_prefix: dict[str, str] = {}
        while len(new) < count:
            sector = rng.choice(sectors)
            stem = rng.choice(
                (
                    self.fake.last_name(),
                    f"{self.fake.last_name()} & {self.fake.last_name()}",
                    rng.choice(words.PLACE_WORDS),
                )
            )
            name = f"{stem} {rng.choice(sector.words)}{rng.choice(('', ' Ltd', ' Ltd', ' Group'))}"
            if name in names:
                continue
            names.add(name)
            city, prefix = rng.choice(words.CITIES)
            length, unit, remedy, scale = rng.choice(words.TERMS)
            domain = _slug(name.removesuffix(" Ltd").removesuffix(" Group")) + ".example"
            self.sector_of[name] = sector
            self.phone_prefix[name] = prefix
            new.append(
                Company(
                    name=name,
                    sector=sector.name,
                    location=city,
                    website=f"https://www.{domain}",
                    phone=self.phone(prefix),
                    email=f"hello@{domain}",
                    guarantee_length=length,
                    guarantee_unit=unit,
                    guarantee_remedy=remedy,
                    rebate_scale=[{"up_to_day": d, "percent": p} for d, p in scale],
                    owner=rng.choice(self.consultants),
                )
            )
        self.companies = Company.objects.bulk_create(new)
        self.contacts_all: list[Person] = []
        self.contacts: dict[int, list[Person]] = defaultdict(list)
        roles: list[Role] = []
        for company in self.companies:
            sector = self.sector_of[company.name]
            domain = company.email.partition("@")[2]
            for _ in range(rng.choice((1, 2, 2, 2, 3))):
                first, last = self.fake.first_name(), self.fake.last_name()
                title = rng.choice(sector.contact_titles)
                person = Person(
                    first_name=first,
                    last_name=last,
                    email=self.email(first, last, domain),
                    phone=self.phone(self.phone_prefix[company.name]),
                    location=company.location,
                    sector=sector.name,
                    headline=f"{title}, {company.name}",
                    owner=company.owner,
                )
                self.contacts[company.pk].append(person)
                self.contacts_all.append(person)
        Person.objects.bulk_create(self.contacts_all)
        since = self.today - dt.timedelta(days=900)
        for company in self.companies:
            for person in self.contacts[company.pk]:
                roles.append(
                    Role(
                        person=person,
                        kind=Role.Kind.CLIENT_CONTACT,
                        company=company,
                        title=person.headline.partition(",")[0],
                        started_on=since - dt.timedelta(days=rng.randrange(0, 1500)),
                    )
                )
        Role.objects.bulk_create(roles)

    def make_people(self, count: int, placements: int) -> None:
        """Candidates: enough to place, the rest still on the books."""
        rng = self.rng
        if count < placements * 0.9:
            raise ValueError(
                f"{count + len(self.contacts_all)} people cannot hold {placements} placements "
                f"and {len(self.contacts_all)} client contacts; ask for more people."
            )
        sectors = [s for s in words.SECTORS for _ in range(s.weight)]
        new: list[Person] = []
        jobs: list[words.Job] = []
        for _ in range(count):
            first, last = self.fake.first_name(), self.fake.last_name()
            sector = rng.choice(sectors)
            job = rng.choice(sector.jobs)
            jobs.append(job)
            city, _ = rng.choice(words.CITIES)
            new.append(
                Person(
                    first_name=first,
                    last_name=last,
                    email=self.email(first, last, rng.choice(("example.com", "example.net"))),
                    phone=self.phone("07700 900"),
                    location=city,
                    sector=sector.name,
                    headline=words.headline(job, sector, rng.choice(words.HEADLINE_EXTRAS)),
                    skills=job.duties,
                    owner=rng.choice(self.consultants),
                    notes=rng.choice(words.PERSON_NOTES) if rng.random() < 0.15 else "",
                )
            )
        self.candidates = Person.objects.bulk_create(new)
        self.job_of = {p.pk: job for p, job in zip(self.candidates, jobs, strict=True)}
        Role.objects.bulk_create(
            Role(
                person=p,
                kind=Role.Kind.CANDIDATE,
                started_on=self.today - dt.timedelta(days=rng.randrange(60, 1100)),
            )
            for p in self.candidates
        )

    # --- placements ---------------------------------------------------------------------

    def start_dates(self, count: int) -> list[tuple[dt.date, User | None, str]]:
        """(start date, owner or None for anyone, what it shows) for each placement."""
        today, rng = self.today, self.rng
        showcase: list[tuple[dt.date, User | None, str]] = []
        for consultant in self.consultants:
            showcase += [
                (today + dt.timedelta(days=2), consultant, "starts soon"),  # call before start
                (today - dt.timedelta(days=3), consultant, "week one"),  # week-one call
                (today - dt.timedelta(days=80), consultant, "guarantee ending"),
            ]
        showcase = showcase[: count // 2]
        rest = []
        for _ in range(count - len(showcase)):
            if rng.random() < 0.07:
                rest.append((today + dt.timedelta(days=rng.randint(3, 28)), None, ""))
            else:
                # More recent placements than old ones: the agency has grown.
                ago = int(730 * rng.random() ** 1.2) + 1
                rest.append((today - dt.timedelta(days=ago), None, ""))
        return showcase + rest

    def make_placements(self, count: int) -> None:
        rng = self.rng
        refund_90 = [c for c in self.companies if c.guarantee_length == 90 and c.rebate_scale]
        in_sector: dict[str, list[Company]] = defaultdict(list)
        for company in self.companies:
            in_sector[company.sector].append(company)
        pool = list(self.candidates)
        rng.shuffle(pool)
        latest: dict[int, Placement] = {}  # person id -> their latest placement so far
        self.placements: list[Placement] = []
        self.endings: list[tuple[Placement, str, dt.date, str, str]] = []
        self.entered_on: dict[int, dt.date] = {}
        self.back_dated = 0
        # Each step draws from the one seeded generator, in this order: the same agency
        # every time.
        for index, (start, owner, purpose) in enumerate(self.start_dates(count)):
            person, moving = self._next_person(latest, pool, start, purpose)
            company, job = self._placed_where(person, purpose, moving, refund_90, in_sector)
            owner = owner or rng.choice(self.consultants)
            entered = self._entered(start, purpose)
            contract = not purpose and rng.random() < 0.08
            fields = self.placement_fields(job, company, start, contract)
            placement = create_placement(
                by=owner,
                person=person,
                company=company,
                owner=owner,
                role_title=job.title,
                start_date=start,
                targets=[
                    {"name": n, "target_value": Decimal(str(v)), "unit": u, "period": p}
                    for n, v, u, p in job.targets
                ],
                today=entered,
                **fields,
            )
            self.placements.append(placement)
            self.entered_on[placement.pk] = entered
            if moving:
                self._moved_on(latest[person.pk], start, job, company)
            latest[person.pk] = placement
            if index == 0:
                self.showcase_start = placement
        self._date_entries()

    def _next_person(
        self, latest: dict[int, Placement], pool: list[Person], start: dt.date, purpose: str
    ) -> tuple[Person, bool]:
        """A new candidate from the pool, or (now and then) someone placed a year or more
        ago who moves on through us again; True in the second case."""
        rng = self.rng
        movers = [
            p
            for p in latest.values()
            if p.start_date <= start - dt.timedelta(days=300) and p.kind == "permanent"
        ]
        moving = (
            not purpose and start <= self.today and movers and (not pool or rng.random() < 0.06)
        )
        if moving:
            return rng.choice(movers).person, True
        return pool.pop(), False

    def _placed_where(
        self,
        person: Person,
        purpose: str,
        moving: bool,
        refund_90: list[Company],
        in_sector: dict[str, list[Company]],
    ) -> tuple[Company, words.Job]:
        rng = self.rng
        job = self.job_of[person.pk]
        if purpose == "guarantee ending" and refund_90:
            company = rng.choice(refund_90)
        else:
            company = rng.choice(in_sector[person.sector] or self.companies)
        sector = self.sector_of[company.name]
        if job not in sector.jobs or moving:
            job = rng.choice(sector.jobs)
        return company, job

    def _entered(self, start: dt.date, purpose: str) -> dt.date:
        """When the placement was typed in: weeks before its start, or (at least once, so
        the demo shows old steps skipped rather than fired at once) long after it."""
        rng = self.rng
        back_dated = (
            not purpose
            and start < self.today - dt.timedelta(60)
            and (not self.back_dated or rng.random() < 0.04)
        )
        self.back_dated += back_dated
        if back_dated:  # typed in recently for a placement made long ago
            return self.today - dt.timedelta(days=rng.randint(1, 20))
        return min(self.today, start - dt.timedelta(days=rng.randint(7, 35)))

    def _moved_on(
        self, before: Placement, start: dt.date, job: words.Job, company: Company
    ) -> None:
        self.endings.append(
            (
                before,
                Placement.Status.LEFT,
                start - dt.timedelta(days=self.rng.randint(3, 20)),
                Placement.LeaveReason.OTHER,
                f"Moved on through us: {job.title} at {company.name}.",
            )
        )

    def _date_entries(self) -> None:
        by_entered: dict[dt.date, list[int]] = defaultdict(list)
        for p in self.placements:
            by_entered[self.entered_on[p.pk]].append(p.pk)
        for day, ids in by_entered.items():
            # Created "now" by the service; the demo's history says when they were entered.
            Placement.objects.filter(id__in=ids).update(created_at=self.at(day))

    def placement_fields(
        self, job: words.Job, company: Company, start: dt.date, contract: bool
    ) -> dict[str, Any]:
        rng = self.rng
        contacts = self.contacts[company.pk]
        fields: dict[str, Any] = {
            "hiring_manager": rng.choice(contacts) if contacts and rng.random() < 0.96 else None,
            "responsibilities": job.duties + ".",
            "hours_per_week": Decimal(str(rng.choice(words.HOURS))),
            "benefits": rng.choice(words.BENEFITS),
            "terms_notes": rng.choice(words.TERMS_NOTES),
        }
        if contract:
            rate = rng.randrange(250, 650, 25)
            months = rng.choice((3, 6, 6, 12))
            fields |= {
                "kind": Placement.Kind.CONTRACT,
                "end_date": add_months(start, months),
                "fee": Decimal(rate * 21 * months) * Decimal("0.18"),
                "terms_notes": f"£{rate} a day outside IR35; {months} months, extension likely.",
                "guarantee_length": 0,
                "rebate_scale": [],
            }
        else:
            salary = Decimal(rng.randrange(job.low, job.high + 1, 500))
            percent = Decimal(rng.choice(words.FEE_PERCENTS))
            fields |= {
                "salary": salary,
                "fee": (salary * percent / 100).quantize(Decimal("0.01")),
                "probation_weeks": rng.choice(words.PROBATION_WEEKS),
            }
        return fields

    def count(self) -> None:
        placements = Placement.objects.all()
        self.report.counts = {
            "consultants": len(self.consultants),
            "companies": len(self.companies),
            "client contacts": len(self.contacts_all),
            "people": Person.objects.count(),
            "placements": placements.count(),
            "ended early": placements.filter(status__in=Placement.ENDED).count(),
            "touchpoints": Touchpoint.objects.count(),
            "emails sent": OutboxMessage.objects.count(),
            "questionnaires answered": Response.objects.count(),
            "placements at risk": Risk.objects.filter(score__gt=0, in_first_year=True).count(),
            "open alerts": Alert.objects.filter(state=Alert.State.OPEN).count(),
            "due today or overdue": Touchpoint.objects.filter(
                state=Touchpoint.State.PLANNED, due_on__lte=self.today
            ).count(),
        }
