"""Every list that shows several people's data puts who read whom on the trail: referrals,
leads, intelligence, risk, alerts, ready to move, a vacancy's matches, sent mail, a
company's contacts, suppressed addresses and the reports that name people, on the page
and through the API alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.api.tests.conftest import Api
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.tests.test_list_reads import trail_statements
from keepwarm.conftest import START, Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.suppressions import suppress
from keepwarm.network.models import IntelNote, Lead, Readiness, Referral, Vacancy
from keepwarm.people.models import Person, Role
from keepwarm.placements.models import Placement
from keepwarm.privacy.models import AccessRequest
from keepwarm.signals.models import Alert, Risk
from keepwarm.signals.services.alerts import open_alert
from keepwarm.surveys.models import Answer, Invitation, Question, Questionnaire, Response

pytestmark = pytest.mark.django_db


def people_read_by(user: User) -> set[int]:
    """The people on `user`'s "viewed" trail."""
    entries = AuditEntry.objects.filter(action="viewed", actor=user, person_id__isnull=False)
    return {pk for pk in entries.values_list("person_id", flat=True) if pk is not None}


def read_as(user: User, url: str) -> None:
    client = Client()
    client.force_login(user)
    assert client.get(url).status_code == 200


def api_read_as(user: User, path: str, **params: Any) -> None:
    assert Api(user).get(path, **params).status_code == 200


def someone_elses(cast: Cast) -> Person:
    return Person.objects.create(first_name="Nadia", last_name="Nobody", owner=cast.outsider)


# --- Referrals, leads, intelligence ---------------------------------------------------------


@pytest.fixture
def referral(cast: Cast) -> Referral:
    """Priya (Olivia's) referred someone Oscar already looks after."""
    return Referral.objects.create(
        referrer=cast.candidate,
        referred=someone_elses(cast),
        kind=Referral.Kind.CANDIDATE,
        name="Nadia Nobody",
        email="nadia@example.net",
    )


def test_the_referrals_page_records_the_people_shown_and_not_the_hidden_one(
    cast: Cast, referral: Referral
) -> None:
    with CaptureQueriesContext(connection) as context:
        read_as(cast.owner, reverse("referrals"))

    assert people_read_by(cast.owner) == {cast.candidate.pk}
    entry = AuditEntry.objects.get(actor=cast.owner, action="viewed")
    assert (entry.object_type, entry.object_id) == ("network.referral", str(referral.pk))
    assert trail_statements(context) <= 1


def test_the_referrals_api_records_both_people_for_a_manager(
    cast: Cast, referral: Referral
) -> None:
    api_read_as(cast.manager, "/referrals")

    assert people_read_by(cast.manager) == {cast.candidate.pk, referral.referred_id}


def test_rewards_due_records_the_referrers_shown(cast: Cast, referral: Referral) -> None:
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.REWARD_DUE)

    read_as(cast.owner, reverse("rewards_due"))

    assert people_read_by(cast.owner) == {cast.candidate.pk}


@pytest.fixture
def lead(cast: Cast) -> Lead:
    return Lead.objects.create(
        source=cast.candidate,
        company_name="Globex",
        contact=cast.client_contact,
        contact_name="Harry Hughes",
    )


def test_the_leads_page_records_who_passed_it_on_and_its_contact(cast: Cast, lead: Lead) -> None:
    read_as(cast.owner, reverse("leads"))

    assert people_read_by(cast.owner) == {cast.candidate.pk, cast.client_contact.pk}


def test_the_leads_api_records_the_people_shown(cast: Cast, lead: Lead) -> None:
    api_read_as(cast.owner, "/leads")

    assert people_read_by(cast.owner) == {cast.candidate.pk, cast.client_contact.pk}


@pytest.fixture
def note(cast: Cast) -> IntelNote:
    return IntelNote.objects.create(
        kind=IntelNote.Kind.CLIENT_PLANS,
        company=cast.company,
        body="Opening a second plant in Hull next spring.",
        source_person=cast.client_contact,
        noted_on=timezone.localdate(),
        author=cast.owner,
    )


def test_the_intelligence_page_records_whom_a_note_came_from(cast: Cast, note: IntelNote) -> None:
    read_as(cast.owner, reverse("intel"))

    assert people_read_by(cast.owner) == {cast.client_contact.pk}


def test_the_intelligence_api_names_no_source_the_reader_may_not_open(
    cast: Cast, note: IntelNote
) -> None:
    api_read_as(cast.outsider, "/intel")
    api_read_as(cast.owner, "/intel")

    entry = AuditEntry.objects.get(actor=cast.outsider, action="viewed")
    assert (entry.object_type, entry.person_id) == ("network.intelnote", None)
    assert people_read_by(cast.owner) == {cast.client_contact.pk}


# --- Risk and alerts ------------------------------------------------------------------------


@pytest.fixture
def at_risk(cast: Cast) -> Risk:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.IN_GUARANTEE)
    return Risk.objects.create(
        placement=cast.placement, score=40, reasons=["Made up"], computed_at=timezone.now()
    )


def test_the_at_risk_page_records_each_placement_under_its_person(
    cast: Cast, at_risk: Risk
) -> None:
    read_as(cast.owner, reverse("at_risk"))

    entry = AuditEntry.objects.get(actor=cast.owner, action="viewed")
    assert (entry.object_type, entry.object_id) == ("placements.placement", str(cast.placement.pk))
    assert entry.person_id == cast.candidate.pk


def test_the_risk_api_records_the_placements_listed(cast: Cast, at_risk: Risk) -> None:
    api_read_as(cast.manager, "/risk")

    assert people_read_by(cast.manager) == {cast.candidate.pk}


@pytest.fixture
def alert(cast: Cast) -> Alert:
    found = open_alert(placement=cast.placement, reason="Said she might leave")
    assert found is not None
    return found


def test_the_alerts_page_records_the_person_each_alert_is_about(cast: Cast, alert: Alert) -> None:
    read_as(cast.owner, reverse("alerts"))

    entry = AuditEntry.objects.get(actor=cast.owner, action="viewed")
    assert (entry.object_type, entry.object_id) == ("signals.alert", str(alert.pk))
    assert entry.person_id == cast.candidate.pk


def test_the_alerts_api_records_the_person_each_alert_is_about(cast: Cast, alert: Alert) -> None:
    api_read_as(cast.manager, "/alerts")

    assert people_read_by(cast.manager) == {cast.candidate.pk}


# --- Readiness and matching -----------------------------------------------------------------


@pytest.fixture
def ready(cast: Cast) -> Readiness:
    return Readiness.objects.create(
        person=cast.candidate, score=0.9, reasons=[], computed_at=timezone.now()
    )


def test_ready_to_move_records_the_people_listed_on_the_page_and_the_api(
    cast: Cast, ready: Readiness
) -> None:
    read_as(cast.owner, reverse("ready_to_move"))
    api_read_as(cast.manager, "/matches/ready-to-move")

    assert people_read_by(cast.owner) == {cast.candidate.pk}
    assert people_read_by(cast.manager) == {cast.candidate.pk}


@pytest.fixture
def vacancy(cast: Cast) -> Vacancy:
    return Vacancy.objects.create(
        company=cast.company, title="Account Manager", sector="Manufacturing", location="Leeds"
    )


def test_a_vacancys_matches_record_the_people_ranked(cast: Cast, vacancy: Vacancy) -> None:
    read_as(cast.owner, reverse("vacancy_matches", args=[vacancy.pk]))
    api_read_as(cast.manager, f"/matches/vacancies/{vacancy.pk}")

    assert cast.candidate.pk in people_read_by(cast.owner)
    assert people_read_by(cast.owner) <= {p.pk for p in Person.objects.filter(owner=cast.owner)}
    assert cast.candidate.pk in people_read_by(cast.manager)
    entry = AuditEntry.objects.filter(actor=cast.owner, person_id=cast.candidate.pk).get()
    assert (entry.object_type, entry.object_repr) == ("people.person", "Priya Patel")


def test_a_persons_matching_vacancies_are_a_read_of_that_person(
    cast: Cast, vacancy: Vacancy
) -> None:
    read_as(cast.owner, reverse("person_matches", args=[cast.candidate.pk]))
    api_read_as(cast.manager, f"/matches/people/{cast.candidate.pk}")

    assert people_read_by(cast.owner) == {cast.candidate.pk}
    assert people_read_by(cast.manager) == {cast.candidate.pk}


def test_placed_people_who_now_hire_are_recorded(cast: Cast) -> None:
    read_as(cast.owner, reverse("placed_who_hire"))
    # Priya was placed; making her a hiring manager puts her on the list.
    read_before = people_read_by(cast.owner)
    cast.candidate.roles.create(
        kind=Role.Kind.CLIENT_CONTACT, company=cast.company, started_on=START
    )

    read_as(cast.owner, reverse("placed_who_hire"))

    assert read_before == set()
    assert people_read_by(cast.owner) == {cast.candidate.pk}


# --- Mail, companies, suppressions ----------------------------------------------------------


def test_sent_mail_records_whom_each_message_went_to(cast: Cast) -> None:
    message = OutboxMessage.objects.create(
        key="test:week-one",
        person=cast.candidate,
        to_email="priya@example.net",
        subject="How is week one?",
        body_text="Hello",
        send_after=timezone.now(),
    )

    read_as(cast.owner, reverse("sent_mail"))

    entry = AuditEntry.objects.get(actor=cast.owner, action="viewed")
    assert (entry.object_type, entry.object_id) == ("mail.outboxmessage", str(message.pk))
    assert entry.person_id == cast.candidate.pk


def test_a_company_page_records_its_contacts_and_placed_people_and_itself(cast: Cast) -> None:
    read_as(cast.owner, reverse("company", args=[cast.company.pk]))

    assert people_read_by(cast.owner) == {cast.candidate.pk, cast.client_contact.pk}
    read = AuditEntry.objects.filter(actor=cast.owner, action="viewed")
    assert read.filter(object_type="people.company", object_id=str(cast.company.pk)).exists()


def test_the_companies_api_records_the_companies_listed(cast: Cast) -> None:
    api_read_as(cast.manager, "/companies")

    entry = AuditEntry.objects.get(actor=cast.manager, action="viewed")
    assert (entry.object_type, entry.object_id) == ("people.company", str(cast.company.pk))


def test_the_suppressions_api_records_whose_address_it_listed(cast: Cast) -> None:
    # Stored lowercase; Priya's address as typed on her record.
    Person.objects.filter(pk=cast.candidate.pk).update(email="Priya@Example.net")
    suppress("priya@example.net", reason="complaint")
    suppress("stranger@example.org", reason="hard_bounce")

    api_read_as(cast.admin, "/newsletters/suppressions")

    read = AuditEntry.objects.filter(actor=cast.admin, action="viewed")
    assert read.count() == 2
    assert set(read.values_list("person_id", flat=True)) == {cast.candidate.pk, None}
    assert {e.object_type for e in read} == {"mail.suppression"}


# --- Reports that name people ---------------------------------------------------------------

PERIOD = {"start": "2026-01-01", "end": "2026-12-31"}


@pytest.fixture
def fell_off(cast: Cast) -> Placement:
    placement = cast.placement
    placement.status = Placement.Status.FELL_OFF
    placement.left_on = placement.start_date + dt.timedelta(days=20)
    placement.leave_reason = Placement.LeaveReason.COUNTER_OFFER
    placement.rebate_owed = placement.rebate_for(placement.left_on)
    placement.save()
    return placement


def test_the_fall_offs_report_records_whose_rebates_it_lists(
    cast: Cast, fell_off: Placement
) -> None:
    client = Client()
    client.force_login(cast.manager)

    assert client.get(reverse("report", args=["fall-offs"]), PERIOD).status_code == 200
    api_read_as(cast.admin, "/reports/fall-offs", **PERIOD)

    entry = AuditEntry.objects.get(actor=cast.manager, action="viewed")
    assert (entry.object_type, entry.object_id) == ("placements.placement", str(fell_off.pk))
    assert entry.person_id == cast.candidate.pk
    assert people_read_by(cast.admin) == {cast.candidate.pk}


def test_a_report_download_stays_an_export_entry(cast: Cast, fell_off: Placement) -> None:
    client = Client()
    client.force_login(cast.manager)

    client.get(reverse("report", args=["fall-offs"]), {**PERIOD, "format": "csv"})

    assert list(AuditEntry.objects.filter(actor=cast.manager).values_list("action", flat=True)) == [
        "exported"
    ]


def test_the_nps_report_records_who_wrote_the_comments_it_quotes(cast: Cast) -> None:
    questionnaire = Questionnaire.objects.get(code="client-check-in")
    invitation = Invitation.objects.create(
        placement=cast.placement,
        person=cast.client_contact,
        questionnaire=questionnaire,
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    response = Response.objects.create(
        invitation=invitation,
        placement=cast.placement,
        person=cast.client_contact,
        questionnaire=questionnaire,
        submitted_at=timezone.now(),
    )
    Answer.objects.create(
        response=response,
        question=Question.objects.filter(questionnaire=questionnaire, kind="text")[0],
        value_text="Priya is doing well but needs training on the new system.",
    )
    client = Client()
    client.force_login(cast.manager)

    assert client.get(reverse("report", args=["nps"])).status_code == 200

    assert people_read_by(cast.manager) == {cast.client_contact.pk}


def test_the_data_protection_page_records_the_people_it_lists(cast: Cast) -> None:
    AccessRequest.objects.create(
        person=cast.candidate,
        received_on=timezone.localdate(),
        due_on=timezone.localdate() + dt.timedelta(days=30),
        channel="email",
    )

    read_as(cast.manager, reverse("access_requests"))

    assert people_read_by(cast.manager) == {cast.candidate.pk}
