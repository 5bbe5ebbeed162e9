"""Demo data for the network: vacancies, reward rules, referrals and leads at every stage,
intelligence notes and placed people who now hire. (What people say about moving comes
from demo/readiness.py, which works readiness out from it.)

Built on the demo agency (keepwarm.demo.agency) after its people and placements exist, and
through the network services where it matters (de-duplication, attribution), so the demo
shows what a real agency would see. It adds no people: referrals name people already known.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.demo import words
from keepwarm.network import services
from keepwarm.network.models import (
    FALLEN_THROUGH,
    IntelNote,
    Lead,
    Readiness,
    Referral,
    RewardRule,
    StatusStatement,
    Vacancy,
)
from keepwarm.people.models import Company, Person, Role
from keepwarm.placements.models import Placement

S = Referral.Status

INTEL = (
    (IntelNote.Kind.CLIENT_PLANS, "Opening a second site next spring; expect 10–15 hires."),
    (
        IntelNote.Kind.CLIENT_PLANS,
        "New finance director from April; likely to restructure the team.",
    ),
    (IntelNote.Kind.COMPETITOR, "A competitor agency has been offering them 15% fees."),
    (IntelNote.Kind.CLIENT_PLANS, "Hiring freeze lifted this quarter, budget for three roles."),
    (IntelNote.Kind.OTHER, "Moving offices in the summer; parking will be an issue for staff."),
)
SECTOR_NEWS = (
    "Salaries for experienced hires up around 6% on last year.",
    "Two large employers in the region announced redundancies.",
    "Counter-offers are becoming the norm for senior people.",
    "Demand for hybrid roles still outstrips supply.",
)
SOURCES = ("a call with the hiring manager", "the CIPD regional dinner", "LinkedIn", "a candidate")


def wipe() -> None:
    """Network rows point at people with PROTECT: they go before the people do."""
    Referral.objects.all().delete()
    Lead.objects.all().delete()
    Vacancy.objects.all().delete()
    RewardRule.objects.all().delete()
    IntelNote.objects.all().delete()
    StatusStatement.objects.all().delete()
    Readiness.objects.all().delete()


def load(*, today: dt.date, report: Any = None, seed: int = 11) -> dict[str, int]:
    """Add the network to the demo agency as of `today`; counts go into `report.counts`."""
    rng = random.Random(seed)
    consultants = list(User.objects.exclude(role=User.Role.ADMIN).order_by("id"))
    placements = list(
        Placement.objects.select_related("person", "company", "owner").order_by("start_date", "id")
    )
    if not placements or not consultants:
        return {}
    rules = _rules()
    _vacancies(rng, today, consultants)
    _intel(rng, today, consultants)
    now_hiring = _placed_who_now_hire(rng, today, placements)
    referrals = _referrals(rng, today, placements, rules)
    leads = _leads(rng, today, placements, consultants[0])
    counts = {
        "vacancies": Vacancy.objects.count(),
        "referrals": referrals,
        "leads": leads,
        "intel notes": IntelNote.objects.count(),
        "placed people now hiring": now_hiring,
    }
    if report is not None:
        report.counts.update(counts)
    return counts


def _rules() -> dict[str, RewardRule]:
    return {
        "candidate": RewardRule.objects.create(
            name="Refer a friend",
            kind=RewardRule.Kind.CANDIDATE,
            amount=Decimal("250"),
            due_when=RewardRule.DueWhen.AFTER_GUARANTEE,
        ),
        "client": RewardRule.objects.create(
            name="Introduce a client",
            kind=RewardRule.Kind.CLIENT,
            amount=Decimal("500"),
            due_when=RewardRule.DueWhen.AFTER_DAYS,
            days=60,
        ),
    }


def _jobs_for(sector: str) -> tuple[words.Job, ...]:
    for candidate in words.SECTORS:
        if candidate.name == sector:
            return candidate.jobs
    return words.SECTORS[0].jobs


def _vacancies(rng: random.Random, today: dt.date, consultants: list[User]) -> None:
    companies = list(Company.objects.order_by("id")[:12])
    statuses = [Vacancy.Status.OPEN] * 8 + [Vacancy.Status.FILLED, Vacancy.Status.CLOSED]
    for n, status in enumerate(statuses):
        company = companies[n % len(companies)]
        job = rng.choice(_jobs_for(company.sector))
        Vacancy.objects.create(
            company=company,
            title=job.title,
            skills=job.duties,
            sector=company.sector,
            location=company.location,
            salary_min=job.low,
            salary_max=job.high,
            notes="Client wants someone who can start within a month.",
            status=status,
            owner=company.owner or rng.choice(consultants),
        )


def _intel(rng: random.Random, today: dt.date, consultants: list[User]) -> None:
    companies = list(Company.objects.order_by("id")[:8])
    for n, (kind, body) in enumerate(INTEL):
        IntelNote.objects.create(
            kind=kind,
            company=companies[n % len(companies)],
            sector=companies[n % len(companies)].sector,
            body=body,
            source=rng.choice(SOURCES),
            noted_on=today - dt.timedelta(days=rng.randrange(2, 90)),
            author=rng.choice(consultants),
        )
    for n, body in enumerate(SECTOR_NEWS):
        IntelNote.objects.create(
            kind=IntelNote.Kind.INDUSTRY_NEWS,
            sector=words.SECTORS[n % len(words.SECTORS)].name,
            body=body,
            source="Industry press",
            noted_on=today - dt.timedelta(days=rng.randrange(2, 60)),
            author=rng.choice(consultants),
        )


def _placed_who_now_hire(rng: random.Random, today: dt.date, placements: list[Placement]) -> int:
    """A few people placed a year or more ago are now hiring managers (one record each)."""
    settled = [p for p in placements if p.status == Placement.Status.SETTLED]
    chosen = settled[:3]
    companies = list(Company.objects.order_by("-id")[:6])
    for n, placement in enumerate(chosen):
        company = placement.company if n == 0 else companies[n % len(companies)]
        Role.objects.create(
            person=placement.person,
            kind=Role.Kind.CLIENT_CONTACT,
            company=company,
            title="Hiring manager",
            started_on=today - dt.timedelta(days=30 * (n + 1)),
        )
    return len(chosen)


def _referrals(
    rng: random.Random, today: dt.date, placements: list[Placement], rules: dict[str, RewardRule]
) -> int:
    """Referrals at every stage; each named person is already known, so nothing is duplicated."""
    people = [p.person for p in placements]
    referrals = _Referrals(rng, people, rules)
    referrals.placed_ones(today, placements)
    referrals.fresh_ones()
    referrals.client_won(today)
    referrals.doubtful(people)
    return referrals.made


class _Referrals:
    """Who refers whom: referrals spread over different people, and how many were made."""

    def __init__(
        self, rng: random.Random, people: list[Person], rules: dict[str, RewardRule]
    ) -> None:
        self.rules = rules
        self.made = 0
        self.others = list(people)
        rng.shuffle(self.others)

    def someone_else(self, referred: Person) -> Person:
        return next(p for p in self.others if p.pk != referred.pk)

    def refer(self, referred: Person, days_ago: int) -> Referral:
        referrer = self.someone_else(referred)
        self.others.remove(referrer)
        self.others.append(referrer)  # spread referrals over different people
        referral = services.receive_referral(
            referrer=referrer,
            kind=Referral.Kind.CANDIDATE,
            name=referred.full_name,
            email=referred.email,
            phone=referred.phone,
            notes="Worked together before; says they would be great.",
        )
        Referral.objects.filter(pk=referral.pk).update(
            received_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        self.made += 1
        return referral

    def placed(self, referral: Referral, placement: Placement, status: str, **extra: Any) -> None:
        due = placement.guarantee_ends_on + dt.timedelta(days=1)
        Referral.objects.filter(pk=referral.pk).update(
            status=status,
            placement=placement,
            rule=self.rules["candidate"],
            reward_amount=self.rules["candidate"].amount,
            reward_due_on=due,
            **extra,
        )

    def placed_ones(self, today: dt.date, placements: list[Placement]) -> None:
        past_guarantee = [
            p for p in placements if p.guarantee_ends_on < today and p.status == "settled"
        ]
        in_guarantee = [p for p in placements if p.guarantee_ends_on >= today > p.start_date]
        fell = [p for p in placements if p.status in FALLEN_THROUGH]
        # Placed and the guarantee passed: reward due (two), paid (two).
        for n, placement in enumerate(past_guarantee[:4]):
            referral = self.refer(placement.person, 200 + n * 20)
            if n < 2:
                self.placed(referral, placement, S.REWARD_DUE)
            else:
                paid_on = placement.guarantee_ends_on + dt.timedelta(days=10)
                self.placed(referral, placement, S.PAID, paid_on=min(paid_on, today))
        # Placed, still in guarantee: the reward is not due yet.
        for n, placement in enumerate(in_guarantee[:2]):
            self.placed(self.refer(placement.person, 40 + n * 5), placement, S.PLACED)
        # The placement fell off: not eligible.
        for placement in fell[:1]:
            self.placed(self.refer(placement.person, 120), placement, S.NOT_ELIGIBLE)

    def fresh_ones(self) -> None:
        """Received and contacted, about candidates not placed yet."""
        candidates = list(
            Person.objects.filter(roles__kind=Role.Kind.CANDIDATE)
            .exclude(roles__kind=Role.Kind.PLACED)
            .order_by("id")[:4]
        )
        for n, person in enumerate(candidates):
            referral = self.refer(person, 2 + n * 3)
            if n >= 2:
                Referral.objects.filter(pk=referral.pk).update(status=S.CONTACTED)

    def client_won(self, today: dt.date) -> None:
        """A client referral that was won, with its reward counting down."""
        contact = Person.objects.filter(roles__kind=Role.Kind.CLIENT_CONTACT).order_by("id").first()
        if contact is None:
            return
        company = contact.roles.filter(kind=Role.Kind.CLIENT_CONTACT).first()
        won = services.receive_referral(
            referrer=self.someone_else(contact),
            kind=Referral.Kind.CLIENT,
            name=contact.full_name,
            email=contact.email,
            company_name=company.company.name if company and company.company else "Their firm",
        )
        Referral.objects.filter(pk=won.pk).update(
            status=S.WON,
            rule=self.rules["client"],
            reward_amount=self.rules["client"].amount,
            reward_due_on=today + dt.timedelta(days=25),
        )
        self.made += 1

    def doubtful(self, people: list[Person]) -> None:
        """The number is known under another name, so a consultant must say who."""
        known = next((p for p in people if p.phone), None)
        if known is None:
            return
        services.receive_referral(
            referrer=self.someone_else(known),
            kind=Referral.Kind.CANDIDATE,
            name="Jordan Ellis",
            phone=known.phone,
            notes="Gave only a mobile number.",
        )
        self.made += 1


def _leads(rng: random.Random, today: dt.date, placements: list[Placement], by: User) -> int:
    """New leads, one converted into a company and vacancy, one discarded."""
    sources = [p.person for p in placements[-6:]]
    hints = (
        ("Northgate Logistics", "Transport planner", "Their planner retires in June."),
        ("Brightwater Foods", "Two production supervisors", "Night shift expanding."),
        ("Calder Analytics", "Data analyst", "My manager asked if I knew anyone."),
        ("Pennine Housing", "Finance business partner", "Restructure after the merger."),
    )
    made = 0
    for n, (company, hint, notes) in enumerate(hints):
        lead = services.receive_lead(
            source=sources[n % len(sources)],
            company_name=company,
            contact_name="",
            role_hint=hint,
            notes=notes,
        )
        Lead.objects.filter(pk=lead.pk).update(
            received_at=timezone.now() - dt.timedelta(days=3 + n * 9)
        )
        made += 1
        if n == 2:
            services.convert_lead(
                lead=lead, by=by, company_name=company, title=hint, add_contact=False
            )
        elif n == 3:
            services.discard_lead(lead=lead)
    return made
