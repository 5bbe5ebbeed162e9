"""Who may be sent marketing: no basis, no send; each basis only where the law allows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from keepwarm.conftest import START, Cast
from keepwarm.mail.models import Suppression
from keepwarm.mail.services.consent import (
    marketable_people,
    may_market_to,
    record_consent,
    update_preferences,
    withdraw_consent,
)
from keepwarm.mail.suppressions import suppress
from keepwarm.people.models import Consent, Person, Role

TODAY = dt.date(2026, 5, 1)
Basis = Consent.Basis
Type = Consent.SubscriberType


def _consent(person: Person, **extra: object) -> Consent:
    fields: dict[str, object] = {
        "basis": Basis.CONSENT,
        "subscriber_type": Type.INDIVIDUAL,
        "method": "Told us on the phone",
        "wording": "May we send you our monthly newsletter?",
        "wording_version": "phone-1",
    }
    fields.update(extra)
    return record_consent(person=person, **fields)  # type: ignore[arg-type]


def test_nobody_is_marketable_without_a_basis(cast: Cast) -> None:
    assert not may_market_to(cast.candidate, today=TODAY)
    assert list(marketable_people(today=TODAY)) == []


def test_consent_makes_a_person_marketable_with_its_evidence(cast: Cast) -> None:
    consent = _consent(cast.candidate, by=cast.owner)
    assert may_market_to(cast.candidate, today=TODAY)
    assert list(marketable_people(today=TODAY)) == [cast.candidate]
    assert consent.given_at is not None
    assert consent.wording_version == "phone-1"
    assert consent.recorded_by == cast.owner


def test_consent_without_its_wording_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        _consent(cast.candidate, wording="")


def test_soft_opt_in_holds_for_a_placed_person(cast: Cast) -> None:
    _consent(cast.candidate, basis=Basis.SOFT_OPT_IN, method="Placed at Acme", wording="")
    assert may_market_to(cast.candidate, today=TODAY)


def test_soft_opt_in_is_refused_for_someone_never_placed_or_negotiated_with(cast: Cast) -> None:
    stranger = Person.objects.create(first_name="Sam", last_name="Stranger", email="sam@x.example")
    Role.objects.create(person=stranger, kind=Role.Kind.CANDIDATE, started_on=START)
    with pytest.raises(ValidationError, match="placement or a negotiation"):
        _consent(stranger, basis=Basis.SOFT_OPT_IN, method="Imported", wording="")


def test_soft_opt_in_stops_counting_if_the_placed_role_goes(cast: Cast) -> None:
    _consent(cast.candidate, basis=Basis.SOFT_OPT_IN, method="Placed at Acme", wording="")
    cast.candidate.roles.all().delete()
    assert not may_market_to(cast.candidate, today=TODAY)


def test_soft_opt_in_is_refused_for_a_corporate_address(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="individual"):
        _consent(
            cast.client_contact, basis=Basis.SOFT_OPT_IN, subscriber_type=Type.CORPORATE, wording=""
        )


def test_legitimate_interest_only_for_a_corporate_address(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="corporate"):
        _consent(
            cast.client_contact,
            basis=Basis.LEGITIMATE_INTEREST,
            subscriber_type=Type.INDIVIDUAL,
            wording="",
        )
    _consent(
        cast.client_contact,
        basis=Basis.LEGITIMATE_INTEREST,
        subscriber_type=Type.CORPORATE,
        method="Client contact at Acme",
        wording="",
    )
    assert may_market_to(cast.client_contact, today=TODAY)


def test_a_row_that_slipped_past_validation_still_does_not_send(cast: Cast) -> None:
    # Data from an import or the admin does not go through record_consent.
    Consent.objects.create(
        person=cast.client_contact,
        basis=Basis.LEGITIMATE_INTEREST,
        subscriber_type=Type.INDIVIDUAL,
        given_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        method="Imported",
    )
    assert not may_market_to(cast.client_contact, today=TODAY)


def test_withdrawing_stops_marketing_and_keeps_the_evidence(cast: Cast) -> None:
    consent = _consent(cast.candidate)
    assert withdraw_consent(person=cast.candidate, how="Unsubscribe link") == 1
    assert not may_market_to(cast.candidate, today=TODAY)
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawn_how == "Unsubscribe link"
    assert consent.wording == "May we send you our monthly newsletter?"


def test_withdrawing_reaches_a_duplicate_record_with_the_same_address(cast: Cast) -> None:
    twin = Person.objects.create(first_name="P", last_name="Patel", email="PRIYA@example.net")
    _consent(twin)
    withdraw_consent(person=cast.candidate, how="Unsubscribe link")
    assert not may_market_to(twin, today=TODAY)


def test_giving_again_keeps_the_old_record_and_opens_a_new_one(cast: Cast) -> None:
    _consent(cast.candidate, wording_version="phone-1")
    _consent(cast.candidate, wording_version="phone-2")
    rows = list(Consent.objects.filter(person=cast.candidate).order_by("id"))
    assert [r.wording_version for r in rows] == ["phone-1", "phone-2"]
    assert rows[0].withdrawn_at is not None and rows[1].withdrawn_at is None


def test_paused_until_a_date_resumes_on_that_date(cast: Cast) -> None:
    consent = _consent(cast.candidate)
    update_preferences(
        consent=consent, frequency="weekly", topics=["cv_tips", "nonsense"], paused_until=TODAY
    )
    assert not may_market_to(cast.candidate, today=TODAY - dt.timedelta(days=1))
    assert may_market_to(cast.candidate, today=TODAY)
    consent.refresh_from_db()
    assert consent.topics == ["cv_tips"]


def test_suppressed_address_is_not_marketable(cast: Cast) -> None:
    _consent(cast.candidate)
    suppress("Priya@Example.net", reason=Suppression.Reason.HARD_BOUNCE)
    assert not may_market_to(cast.candidate, today=TODAY)


def test_person_without_an_address_is_not_marketable(cast: Cast) -> None:
    _consent(cast.candidate)
    Person.objects.filter(pk=cast.candidate.pk).update(email="")
    assert not may_market_to(cast.candidate, today=TODAY)
