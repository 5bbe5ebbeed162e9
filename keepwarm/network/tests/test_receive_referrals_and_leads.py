"""Referrals, leads and statements received from anywhere land on the right records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepwarm.conftest import Cast
from keepwarm.lib import events
from keepwarm.network.models import Referral, RewardRule, StatusStatement
from keepwarm.network.services import (
    advance_referral,
    find_existing_person,
    mark_rewards_due,
    names_are_close,
    receive_lead,
    receive_referral,
    record_statement,
)
from keepwarm.people.models import Person, Role
from keepwarm.worker.tick import tick


def test_same_email_in_other_case_is_the_same_person(cast: Cast) -> None:
    match, candidates = find_existing_person(name="P. Patel", email="PRIYA@example.net", phone="")
    assert match == cast.candidate
    assert candidates == []


def test_close_name_with_same_phone_in_other_format_is_the_same_person(cast: Cast) -> None:
    match, _ = find_existing_person(name="Priya Patil", email="", phone="+44 (0)7700-900123")
    assert match == cast.candidate


def test_same_phone_under_another_name_asks_instead_of_linking(cast: Cast) -> None:
    match, candidates = find_existing_person(name="Tom Baker", email="", phone="07700900123")
    assert match is None
    assert candidates == [cast.candidate]


def test_two_close_names_on_one_number_asks(cast: Cast) -> None:
    twin = Person.objects.create(first_name="Priya", last_name="Patel", phone="07700 900 123")
    match, candidates = find_existing_person(name="Priya Patel", email="", phone="07700900123")
    assert match is None
    assert set(candidates) == {cast.candidate, twin}


def test_namesake_without_shared_details_is_offered_not_linked(cast: Cast) -> None:
    match, candidates = find_existing_person(name="priya patel", email="p@else.example", phone="")
    assert match is None
    assert candidates == [cast.candidate]


def test_stranger_matches_nobody(cast: Cast) -> None:
    assert find_existing_person(name="Zed Zulu", email="zed@z.example", phone="0113 496 0000") == (
        None,
        [],
    )


def test_referral_of_known_person_links_them_without_a_duplicate(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []

    def listen(sender: Any, event: str, payload: dict[str, Any], **kw: Any) -> None:
        heard.append((event, payload))

    events.domain_event.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            referral = receive_referral(
                referrer=cast.client_contact,
                kind="candidate",
                name="Priya Patel",
                email="priya@example.net",
            )
    finally:
        events.domain_event.disconnect(listen)
    assert referral.referred == cast.candidate
    assert Person.objects.filter(email__iexact="priya@example.net").count() == 1
    assert heard == [
        (
            "referral.received",
            {
                "referral_id": referral.pk,
                "referrer_id": cast.client_contact.pk,
                "referred_id": cast.candidate.pk,
                "kind": "candidate",
                "summary": "Harry Hughes referred Priya Patel",
            },
        )
    ]


def test_referral_of_new_candidate_creates_their_record_for_the_referrers_consultant(
    cast: Cast,
) -> None:
    RewardRule.objects.create(
        name="Friend bonus", kind="candidate", amount=250, due_when="after_guarantee"
    )
    referral = receive_referral(
        referrer=cast.candidate, kind="candidate", name="Dev Shah", email="dev@example.org"
    )
    dev = referral.referred
    assert dev is not None
    assert (dev.first_name, dev.last_name, dev.owner) == ("Dev", "Shah", cast.owner)
    assert dev.roles.get().kind == Role.Kind.CANDIDATE
    assert referral.rule is not None and referral.reward_amount == 250
    assert referral.status == Referral.Status.RECEIVED


def test_doubtful_referral_links_nobody_and_keeps_the_candidates(cast: Cast) -> None:
    before = Person.objects.count()
    referral = receive_referral(
        referrer=cast.client_contact, kind="candidate", name="Tom Baker", phone="07700 900123"
    )
    assert referral.referred is None
    assert list(referral.candidates.all()) == [cast.candidate]
    assert Person.objects.count() == before


def test_referral_without_a_name_is_refused_with_a_reason(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="name of the person"):
        receive_referral(referrer=cast.candidate, kind="candidate", name="   ")
    with pytest.raises(ValidationError, match="company's name"):
        receive_referral(referrer=cast.candidate, kind="client", name="Jo Bloggs")
    assert not Referral.objects.exists()


def test_lead_remembers_its_source_and_links_a_known_contact(cast: Cast) -> None:
    lead = receive_lead(
        source=cast.candidate,
        company_name="  Globex   Ltd ",
        contact_name="Harry Hughes",
        contact_email="harry@acme.example",
        role_hint="Two sales roles",
    )
    assert (lead.source, lead.company_name, lead.contact) == (
        cast.candidate,
        "Globex Ltd",
        cast.client_contact,
    )
    assert lead.owner == cast.owner
    assert lead.status == "new"


def test_lead_without_company_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="company"):
        receive_lead(source=cast.candidate, company_name="")


def test_statement_is_recorded_and_nonsense_refused(cast: Cast) -> None:
    statement = record_statement(
        person=cast.candidate, status="open", contract_end_on=None, source="personal_page"
    )
    assert cast.candidate.statements.get() == statement
    with pytest.raises(ValidationError):
        record_statement(
            person=cast.candidate, status="bored", contract_end_on=None, source="personal_page"
        )
    assert StatusStatement.objects.count() == 1


def test_daily_pass_marks_rewards_due_once_their_day_comes(cast: Cast) -> None:
    rule = RewardRule.objects.create(
        name="Quick", kind="candidate", amount=Decimal("100"), due_when="after_days", days=30
    )
    referral = receive_referral(
        referrer=cast.client_contact,
        kind="candidate",
        name="Priya Patel",
        email="priya@example.net",
    )
    advance_referral(
        referral=referral,
        to="placed",
        placement_id=cast.placement.pk,
        rule=rule,
        today=dt.date(2026, 3, 5),
    )
    assert referral.reward_due_on == dt.date(2026, 4, 1)
    assert mark_rewards_due(today=dt.date(2026, 3, 31)) == 0
    assert mark_rewards_due(today=dt.date(2026, 4, 1)) == 1
    assert mark_rewards_due(today=dt.date(2026, 4, 2)) == 0
    referral.refresh_from_db()
    assert referral.status == "reward_due"


def test_worker_tick_marks_a_reward_due(cast: Cast) -> None:
    rule = RewardRule.objects.create(
        name="On win", kind="client", amount=Decimal("300"), due_when="on_win"
    )
    referral = receive_referral(
        referrer=cast.candidate, kind="client", name="Gina Gold", company_name="Globex"
    )
    advance_referral(referral=referral, to="won", rule=rule, today=dt.date(2026, 3, 5))
    tick(now=dt.datetime(2026, 3, 6, 7, tzinfo=dt.UTC))
    referral.refresh_from_db()
    assert referral.status == "reward_due"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # Any spacing, except between the last two digits: numbers end in a group of 2 or more.
    separators=st.lists(st.sampled_from(["", " ", "-", ".", " - "]), min_size=8, max_size=8),
    international=st.sampled_from(["0", "+44 ", "+44 (0)", "0044 "]),
)
def test_a_known_number_is_recognised_however_it_is_written(
    cast: Cast, separators: list[str], international: str
) -> None:
    digits = "7700900123"
    spaced = "".join(d + s for d, s in zip(digits, [*separators, "", ""], strict=True))
    written = international + spaced
    match, _ = find_existing_person(name="Priya Patel", email="", phone=written)
    assert match == cast.candidate, written


@pytest.mark.parametrize(
    ("name", "close"),
    [
        ("Jon Smith", "John Smith"),
        ("Sam Jones", "Samantha Jones"),
        ("Patel Priya", "Priya Patel"),
        ("José O'Neil", "Jose O'Neil"),
        ("Sam Jones", "Tom Jones"),
        ("Priya Patel", "Harry Hughes"),
    ],
)
def test_which_names_count_as_close(name: str, close: str) -> None:
    expected = (name, close) not in {("Sam Jones", "Tom Jones"), ("Priya Patel", "Harry Hughes")}
    assert names_are_close(name, close) is expected
