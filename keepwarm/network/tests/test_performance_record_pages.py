"""The performance record on the person page, and who does well at a client on the
company page."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.conftest import Cast
from keepwarm.network.tests.test_match_reasons import client_answers
from keepwarm.placements.models import Placement


def page(user: User, name: str, pk: int) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse(name, args=[pk])).content.decode()


def rated(cast: Cast) -> None:
    Placement.objects.filter(pk=cast.placement.pk).update(status=Placement.Status.SETTLED)
    target = cast.placement.targets.get()
    client_answers(cast.placement, rating=5, targets={target: "met"})


def test_person_page_shows_the_performance_record(cast: Cast) -> None:
    rated(cast)
    html = page(cast.owner, "person", cast.candidate.pk)
    card = html.partition('id="record-heading"')[2]
    assert "Performance record" in html
    assert "Account Manager</strong> at Acme Widgets" in card
    assert "client rated 5/5 at month 3" in card
    assert "1 of 1 agreed targets met or on track at month 3" in card
    assert "Stayed past the guarantee" in card


def test_someone_never_placed_has_no_record_card(cast: Cast) -> None:
    assert "Performance record" not in page(cast.owner, "person", cast.client_contact.pk)


def test_company_page_says_who_does_well_there_and_pay_only_to_managers(cast: Cast) -> None:
    rated(cast)
    for_owner = page(cast.owner, "company", cast.company.pk)
    assert "Who does well here" in for_owner
    assert "1 of 1 placements stayed past the guarantee" in for_owner
    assert "<dd>Account Manager</dd>" in for_owner
    assert "performance overall (5.0/5)" in for_owner
    assert "Pay of the successful hires" not in for_owner
    assert "38000–38000" in page(cast.manager, "company", cast.company.pk)
