"""Staff pages for referrals: recording, resolving doubts, the status steps and rewards due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import START, Cast
from keepwarm.network.models import Referral, RewardRule
from keepwarm.network.services import receive_referral
from keepwarm.people.models import Person


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_consultant_records_a_referral_from_the_referrers_page(cast: Cast) -> None:
    client = _client(cast.owner)
    form = client.get(reverse("referral_new") + f"?referrer={cast.candidate.pk}")
    assert 'value="priya@example.net"' in form.content.decode()

    response = client.post(
        reverse("referral_new"),
        {"referrer": "priya@example.net", "kind": "candidate", "name": "Dev Shah"},
    )

    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == referral.get_absolute_url()
    assert referral.referrer == cast.candidate
    assert referral.referred is not None and referral.referred.full_name == "Dev Shah"
    page = client.get(cast.candidate.get_absolute_url()).content.decode()
    assert "Referred <strong>Dev Shah</strong>" in page
    dev_page = client.get(referral.referred.get_absolute_url()).content.decode()
    assert "Referred by <strong>Priya Patel</strong>" in dev_page


def test_referral_form_explains_mistakes_and_keeps_what_was_typed(cast: Cast) -> None:
    response = _client(cast.owner).post(
        reverse("referral_new"),
        {"referrer": "nobody@nowhere.example", "kind": "client", "name": "Jo Bloggs"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nobody you can see is recorded as “nobody@nowhere.example”." in page
    assert "For a client referral, give the company&#x27;s name." in page
    assert 'value="Jo Bloggs"' in page
    assert not Referral.objects.exists()


def test_consultant_cannot_name_someone_elses_person_as_referrer(cast: Cast) -> None:
    response = _client(cast.outsider).post(
        reverse("referral_new"),
        {"referrer": "priya@example.net", "kind": "candidate", "name": "Dev Shah"},
    )
    assert "Nobody you can see" in response.content.decode()
    assert not Referral.objects.exists()


def test_doubtful_referral_asks_who_it_is_and_links_the_chosen_person(cast: Cast) -> None:
    referral = receive_referral(
        referrer=cast.client_contact, kind="candidate", name="Pat Smith", phone="07700900123"
    )
    client = _client(cast.owner)
    page = client.get(referral.get_absolute_url()).content.decode()
    assert "Who is it?" in page and "priya@example.net" in page

    client.post(reverse("referral_resolve", args=[referral.pk]), {"choice": str(cast.candidate.pk)})

    referral.refresh_from_db()
    assert referral.referred == cast.candidate
    assert not referral.candidates.exists()


def test_choosing_someone_new_creates_one_record(cast: Cast) -> None:
    referral = receive_referral(
        referrer=cast.client_contact, kind="candidate", name="Tom Baker", phone="07700900123"
    )
    before = Person.objects.count()
    _client(cast.owner).post(reverse("referral_resolve", args=[referral.pk]), {"choice": "new"})
    referral.refresh_from_db()
    assert Person.objects.count() == before + 1
    assert referral.referred is not None and referral.referred.full_name == "Tom Baker"


def test_other_consultants_referrals_are_not_found(cast: Cast) -> None:
    referral = receive_referral(referrer=cast.candidate, kind="candidate", name="Dev Shah")
    client = _client(cast.outsider)
    assert client.get(referral.get_absolute_url()).status_code == 404
    assert (
        client.post(
            reverse("referral_advance", args=[referral.pk]), {"to": "contacted"}
        ).status_code
        == 404
    )
    assert "Dev Shah" not in client.get(reverse("referrals")).content.decode()
    assert "Dev Shah" in _client(cast.manager).get(reverse("referrals")).content.decode()


def test_get_never_moves_a_referral(cast: Cast) -> None:
    referral = receive_referral(referrer=cast.candidate, kind="candidate", name="Dev Shah")
    response = _client(cast.owner).get(
        reverse("referral_advance", args=[referral.pk]) + "?to=contacted"
    )
    assert response.status_code == 405
    referral.refresh_from_db()
    assert referral.status == "received"


def _placed_referral(cast: Cast) -> Referral:
    """Harry referred Priya, who was placed at Acme on START (90-day guarantee)."""
    RewardRule.objects.create(
        name="Friend bonus", kind="candidate", amount=Decimal("500"), due_when="after_guarantee"
    )
    referral = receive_referral(
        referrer=cast.client_contact,
        kind="candidate",
        name="Priya Patel",
        email="priya@example.net",
    )
    client = _client(cast.owner)
    client.post(reverse("referral_advance", args=[referral.pk]), {"to": "contacted"})
    response = client.post(
        reverse("referral_advance", args=[referral.pk]),
        {"to": "placed", "placement": cast.placement.pk},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    return referral


def test_placed_referral_earns_its_reward_the_day_after_the_guarantee(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC), tick=False):
        referral = _placed_referral(cast)
        assert referral.status == "placed"
        assert referral.reward_due_on == START + dt.timedelta(days=91)
        assert referral.reward_amount == Decimal("500")
        assert (
            "Harry Hughes" not in _client(cast.owner).get(reverse("rewards_due")).content.decode()
        )
        early = _client(cast.owner).post(
            reverse("referral_advance", args=[referral.pk]), {"to": "reward_due"}
        )
        assert "not due until 1 June 2026" in early.content.decode()

    with time_machine.travel(dt.datetime(2026, 6, 2, 12, tzinfo=dt.UTC), tick=False):
        client = _client(cast.owner)
        due = client.get(reverse("rewards_due")).content.decode()
        assert "Harry Hughes" in due and "£500" in due and "£500.00" not in due
        client.post(reverse("referral_advance", args=[referral.pk]), {"to": "paid"})
        referral.refresh_from_db()
        assert (referral.status, referral.paid_on) == ("paid", dt.date(2026, 6, 2))
        assert "Harry Hughes" not in client.get(reverse("rewards_due")).content.decode()


def test_no_reward_when_the_placement_fell_off_before_it_was_due(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC), tick=False):
        referral = _placed_referral(cast)
    cast.placement.status = "fell_off"
    cast.placement.left_on = dt.date(2026, 4, 20)
    cast.placement.save()
    with time_machine.travel(dt.datetime(2026, 6, 2, 12, tzinfo=dt.UTC), tick=False):
        client = _client(cast.owner)
        assert "Harry Hughes" not in client.get(reverse("rewards_due")).content.decode()
        response = client.post(reverse("referral_advance", args=[referral.pk]), {"to": "paid"})
        assert "Only a reward that is due can be paid." in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "placed"


def test_a_step_that_does_not_follow_is_refused(cast: Cast) -> None:
    referral = receive_referral(referrer=cast.candidate, kind="candidate", name="Dev Shah")
    response = _client(cast.owner).post(
        reverse("referral_advance", args=[referral.pk]), {"to": "paid"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "received"


def test_only_admins_edit_reward_rules_and_days_are_asked_for(cast: Cast) -> None:
    url = reverse("reward_rule_new")
    assert _client(cast.owner).get(url).status_code == 403
    client = _client(cast.admin)
    data = {
        "name": "Client intro",
        "kind": "client",
        "amount": "1000",
        "currency": "gbp",
        "due_when": "after_days",
        "days": "",
        "active": "on",
    }
    response = client.post(url, data)
    assert "Say after how many days the reward becomes due." in response.content.decode()
    assert 'value="Client intro"' in response.content.decode()
    too_long = client.post(url, {**data, "days": "99999999"}).content.decode()
    assert "At most ten years" in too_long
    assert client.post(url, {**data, "days": "60"}).status_code == 302
    rule = RewardRule.objects.get()
    assert (rule.currency, rule.days) == ("GBP", 60)
    listing = _client(cast.owner).get(reverse("reward_rules")).content.decode()
    assert "Client intro" in listing and "60 days" in listing


def test_referrals_asking_who_it_is_can_be_listed_alone(cast: Cast) -> None:
    receive_referral(referrer=cast.candidate, kind="candidate", name="Dev Shah")
    receive_referral(
        referrer=cast.client_contact, kind="candidate", name="Pat Smith", phone="07700900123"
    )
    page = _client(cast.owner).get(reverse("referrals") + "?unsure=1").content.decode()
    assert "Pat Smith" in page and "Dev Shah" not in page


def test_new_client_contact_from_a_referral_works_at_the_named_company(cast: Cast) -> None:
    referral = receive_referral(
        referrer=cast.candidate, kind="client", name="Gina Gold", company_name="acme widgets"
    )
    client = _client(cast.owner)
    assert "is not in Keepwarm yet" in client.get(referral.get_absolute_url()).content.decode()
    client.post(reverse("referral_resolve", args=[referral.pk]), {"choice": "new"})
    referral.refresh_from_db()
    assert referral.referred is not None
    role = referral.referred.roles.get()
    assert (role.kind, role.company) == ("client_contact", cast.company)
