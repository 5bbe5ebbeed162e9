"""What placed candidates and client contacts do from their personal page, and where a
consultant then finds it."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.care.models import Cover, Kind, Touchpoint
from keepwarm.conftest import Cast, oscar_places_sam
from keepwarm.network.models import Lead, Referral, StatusStatement
from keepwarm.people.models import Note
from keepwarm.placements.models import Placement
from keepwarm.portal.tests.conftest import sign_in
from keepwarm.portal.views_personal import ACTIONS_PER_PERSON
from keepwarm.signals.models import Alert, Risk, Signal
from keepwarm.signals.services.concerns import close_alert


def test_a_candidate_reports_a_problem_and_their_consultant_gets_an_alert(
    client: Client, cast: Cast
) -> None:
    sign_in(client, cast.candidate)
    done = client.post("/me/problem/", {"text": "My manager has changed my hours"})
    assert done.status_code == 302 and done["Location"] == "/me/thanks/problem/"
    alert = Alert.objects.get()
    assert alert.placement == cast.placement
    assert alert.owner == cast.owner
    assert alert.is_open
    assert "Priya Patel reported a problem" in alert.reason
    assert "changed my hours" in alert.reason
    noted = Touchpoint.objects.get(person=cast.candidate, kind=Kind.NOTE)
    assert noted.placement == cast.placement and noted.audience == "candidate"
    assert noted.notes.startswith("Reported a problem")
    assert "Olivia has been told" in client.get(done["Location"]).text
    # Olivia sees it on Today.
    staff = Client()
    staff.force_login(cast.owner)
    assert "changed my hours" in staff.get("/").text


def test_a_problem_report_is_read_only_by_those_who_may_open_the_placement(
    client: Client, cast: Cast
) -> None:
    # Priya now hires too: Oscar placed someone in her team, so he may open her record.
    oscar_places_sam(cast, hiring_manager=cast.candidate)
    sign_in(client, cast.candidate)
    client.post("/me/problem/", {"text": "My manager has changed my hours"})
    page = reverse("person", args=[cast.candidate.pk])

    oscars = staff_client(cast.outsider).get(page)
    olivias = staff_client(cast.owner).get(page)

    assert oscars.status_code == 200 and "changed my hours" not in oscars.text
    assert not Note.objects.filter(person=cast.candidate).exists()
    assert "Reported a problem on their personal page: My manager has changed my hours" in (
        olivias.text
    )


def staff_client(user: User) -> Client:
    staff = Client()
    staff.force_login(user)
    return staff


def test_while_the_consultant_is_away_the_alert_and_the_page_go_to_the_cover(
    client: Client, cast: Cast
) -> None:
    today = timezone.localdate()
    Cover.objects.create(
        absent=cast.owner,
        colleague=cast.colleague,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=3),
        created_by=cast.manager,
    )
    sign_in(client, cast.candidate)
    page = client.get("/me/")
    assert "Olivia Owner is away; Colin Cover is looking after you" in page.text
    client.post("/me/problem/", {"text": "Nobody has shown me the systems"})
    assert Alert.objects.get().owner == cast.colleague


def test_an_empty_problem_is_explained_and_nothing_is_opened(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    page = client.post("/me/problem/", {"text": "   "})
    assert page.status_code == 400
    assert "This field is required" in page.text
    assert not Alert.objects.exists()


def test_a_candidate_says_how_things_are(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    done = client.post("/me/status/", {"status": "open", "contract_end_on": "2027-03-31"})
    assert done.status_code == 302
    statement = StatusStatement.objects.get()
    assert statement.person == cast.candidate
    assert statement.status == "open"
    assert statement.contract_end_on == dt.date(2027, 3, 31)
    assert statement.source == "personal_page"
    assert "you said: Open to hearing about roles" in client.get("/me/").text


def test_a_candidate_refers_a_friend(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    done = client.post(
        "/me/refer/",
        {
            "kind": "candidate",
            "name": "Sam Jones",
            "email": "sam@example.org",
            "notes": "Great",
            "agreed_to_contact": "on",
        },
    )
    assert done.status_code == 302
    referral = Referral.objects.get()
    assert referral.referrer == cast.candidate
    assert referral.name == "Sam Jones"
    assert referral.referred is not None and referral.referred.email == "sam@example.org"


def test_a_referral_without_a_way_to_reach_them_keeps_what_was_typed(
    client: Client, cast: Cast
) -> None:
    sign_in(client, cast.candidate)
    page = client.post(
        "/me/refer/", {"kind": "candidate", "name": "Sam Jones", "agreed_to_contact": "on"}
    )
    assert page.status_code == 400
    assert "Give us their email or phone" in page.text
    assert 'value="Sam Jones"' in page.text
    assert not Referral.objects.exists()


def test_a_candidate_passes_on_a_lead(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    client.post(
        "/me/lead/",
        {"company_name": "Bolt Ltd", "role_hint": "Two sales reps", "contact_name": "Bea Bolt"},
    )
    lead = Lead.objects.get()
    assert (lead.source, lead.company_name, lead.role_hint) == (
        cast.candidate,
        "Bolt Ltd",
        "Two sales reps",
    )


def test_a_client_contact_raises_a_concern_about_their_placement(
    client: Client, cast: Cast
) -> None:
    sign_in(client, cast.client_contact)
    page = client.get("/me/")
    assert "Raise a concern about a placement" in page.text
    assert "Something not right at work?" not in page.text  # that is for candidates
    client.post("/me/concern/", {"placement": cast.placement.pk, "text": "Often late on Mondays"})
    alert = Alert.objects.get()
    assert alert.placement == cast.placement and alert.owner == cast.owner
    assert "Harry Hughes (client) raised a concern about Priya Patel" in alert.reason


def test_a_client_contact_cannot_raise_a_concern_about_someone_elses_placement(
    client: Client, cast: Cast
) -> None:
    other = Placement.objects.create(
        person=cast.client_contact,  # any placement Harry does not manage
        company=cast.company,
        owner=cast.owner,
        role_title="Temp",
        start_date=cast.placement.start_date,
    )
    sign_in(client, cast.client_contact)
    page = client.post("/me/concern/", {"placement": other.pk, "text": "Not mine"})
    assert page.status_code == 400
    assert not Alert.objects.exists()


def test_a_client_contact_tells_us_about_a_new_role(client: Client, cast: Cast) -> None:
    sign_in(client, cast.client_contact)
    client.post("/me/role/", {"title": "Warehouse lead", "notes": "Nights, £32k"})
    lead = Lead.objects.get()
    assert lead.source == cast.client_contact
    assert lead.company_name == "Acme Widgets"
    assert lead.role_hint == "Warehouse lead"
    assert lead.contact_email == "harry@acme.example"


def test_the_page_posts_need_the_csrf_token(cast: Cast) -> None:
    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, cast.candidate)
    assert strict.post("/me/problem/", {"text": "Forged"}).status_code == 403
    assert not Alert.objects.exists()


def test_without_a_session_the_actions_do_nothing(client: Client, cast: Cast) -> None:
    response = client.post("/me/problem/", {"text": "Who am I"})
    assert response.status_code == 302 and response["Location"] == "/me/sign-in/"
    assert client.get("/me/problem/").status_code == 405
    assert not Alert.objects.exists()


def test_one_page_hammering_the_forms_gets_429(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    for _ in range(ACTIONS_PER_PERSON):
        assert client.post("/me/status/", {}).status_code == 400
    assert client.post("/me/status/", {"status": "happy"}).status_code == 429
    assert not StatusStatement.objects.exists()


def test_a_referrer_sees_how_their_referrals_and_leads_are_going(
    client: Client, cast: Cast
) -> None:
    sign_in(client, cast.candidate)
    client.post(
        "/me/refer/",
        {
            "kind": "candidate",
            "name": "Sam Jones",
            "phone": "07700 900999",
            "agreed_to_contact": "on",
        },
    )
    client.post("/me/lead/", {"company_name": "Bolt Ltd", "role_hint": "Two sales reps"})
    Referral.objects.update(status=Referral.Status.REWARD_DUE, reward_amount=250)
    page = client.get("/me/").text
    assert "What you have passed on" in page
    assert "Sam Jones" in page and "Reward due" in page
    assert "a reward of £250 is due to you" in page
    assert "Bolt Ltd</strong>, Two sales reps" in page
    # Someone else's page shows none of it.
    other = sign_in(Client(), cast.client_contact).get("/me/").text
    assert "Sam Jones" not in other and "What you have passed on" not in other


def _in_first_year(placement: Placement) -> None:
    # Risk is scored in a placement's first year, counted from the real today here.
    placement.start_date = timezone.localdate() - dt.timedelta(days=60)
    placement.save(update_fields=["start_date"])


def test_a_reported_problem_counts_in_the_fall_off_risk_until_the_alert_is_closed(
    client: Client, cast: Cast
) -> None:
    _in_first_year(cast.placement)
    sign_in(client, cast.candidate)
    client.post("/me/problem/", {"text": "My manager has changed my hours"})

    risk = Risk.objects.get(placement=cast.placement)
    reported = "Reported a problem on their personal page: My manager has changed my hours"
    assert reported in risk.reasons
    with_problem = risk.score
    assert with_problem >= 35

    close_alert(alert=Alert.objects.get(), by=cast.owner, note="Called Priya; hours put back.")

    risk.refresh_from_db()
    assert reported not in risk.reasons
    assert risk.score < with_problem
    assert not Signal.objects.filter(placement=cast.placement, active=True, kind="reported_problem")


def test_a_client_concern_from_the_personal_page_raises_the_risk(
    client: Client, cast: Cast
) -> None:
    _in_first_year(cast.placement)
    sign_in(client, cast.client_contact)
    client.post("/me/concern/", {"placement": cast.placement.pk, "text": "Keeps arriving late"})
    risk = Risk.objects.get(placement=cast.placement)
    assert "Client raised a concern on their personal page: Keeps arriving late" in risk.reasons
