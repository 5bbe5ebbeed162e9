from __future__ import annotations

import datetime as dt
from decimal import Decimal

from keepwarm.mail.models import Suppression, email_hash
from keepwarm.mail.services.consent import withdraw_consent
from keepwarm.newsletters.models import Audience
from keepwarm.newsletters.tests.conftest import TODAY, Setup, make_person, subscribe
from keepwarm.people.models import Role
from keepwarm.placements.models import Placement


def test_only_people_with_a_lawful_basis_are_members(setup: Setup) -> None:
    nobody_asked = make_person("Nina")  # placed, but no consent recorded: no basis, no send
    members = set(setup.audience.members(TODAY))
    assert members == {setup.cast.candidate, setup.cast.client_contact}
    assert nobody_asked in set(setup.audience.segment(TODAY))


def test_withdrawn_paused_and_suppressed_people_drop_out(setup: Setup) -> None:
    quitter = make_person("Quinn")
    subscribe(quitter)
    paused = make_person("Paula")
    consent = subscribe(paused)
    consent.paused_until = TODAY + dt.timedelta(days=10)
    consent.save()
    bounced = make_person("Bea")
    subscribe(bounced)
    Suppression.objects.create(
        email=bounced.email, email_hash=email_hash(bounced.email), reason="hard_bounce"
    )
    assert {quitter, paused, bounced} & set(setup.audience.members(TODAY)) == {quitter}
    withdraw_consent(person=quitter, how="Unsubscribe link")
    assert quitter not in set(setup.audience.members(TODAY))


def test_roles_sectors_and_consultant_narrow_the_segment(setup: Setup) -> None:
    cast = setup.cast
    audience = Audience.objects.create(name="Placed", roles=[Role.Kind.PLACED])
    assert list(audience.members(TODAY)) == [cast.candidate]
    audience = Audience.objects.create(name="Clients", roles=[Role.Kind.CLIENT_CONTACT])
    assert list(audience.members(TODAY)) == [cast.client_contact]
    # The client contact's sector is their company's (Manufacturing).
    audience = Audience.objects.create(name="Makers", sectors=["Manufacturing"])
    assert set(audience.members(TODAY)) == {cast.candidate, cast.client_contact}
    audience = Audience.objects.create(name="Other", sectors=["Retail"])
    assert audience.members(TODAY).count() == 0
    audience = Audience.objects.create(name="Colin's", consultant=cast.colleague)
    assert audience.members(TODAY).count() == 0


def test_time_since_placement_counts_months(setup: Setup) -> None:
    cast = setup.cast  # Priya started 2 March 2026: three months before TODAY
    assert Audience(name="a", placed_min_months=3).members(TODAY).count() == 1
    assert Audience(name="b", placed_min_months=4).members(TODAY).count() == 0
    assert Audience(name="c", placed_max_months=2).members(TODAY).count() == 0
    Placement.objects.create(
        person=cast.client_contact, company=cast.company, owner=cast.owner,
        role_title="Director", start_date=dt.date(2026, 5, 1), salary=Decimal("90000"),
    )  # fmt: skip
    assert set(Audience(name="d", placed_max_months=2).members(TODAY)) == {cast.client_contact}


def test_topics_and_weekly_frequency(setup: Setup) -> None:
    tips = make_person("Tim")
    subscribe(tips, topics=("cv_tips",), frequency="weekly")
    trends = make_person("Tara")
    subscribe(trends, topics=("trends",))
    audience = Audience.objects.create(name="CV", topics=["cv_tips"])
    members = set(audience.members(TODAY))
    # Tim chose CV tips; Priya and Harry chose no topics (= all); Tara chose others.
    assert tips in members and trends not in members and setup.cast.candidate in members
    assert set(audience.members(TODAY, frequency="weekly")) == {tips}
