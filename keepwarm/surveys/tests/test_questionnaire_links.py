"""Signed questionnaire links: only the real, unexpired link for this purpose opens the page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepwarm.conftest import Cast
from keepwarm.surveys.models import Invitation, Response
from keepwarm.surveys.services import (
    SALT,
    LinkExpired,
    LinkNotFound,
    LinkProblem,
    open_link,
)
from keepwarm.surveys.tests.conftest import Asked, full_answers, link


def _path(token: str) -> str:
    return reverse("answer", args=[token])


def _signed(payload: object, salt: str = SALT) -> str:
    return signing.TimestampSigner(salt=salt).sign_object(payload)


def test_the_real_link_opens_the_questions(client: Client, invitation: Invitation) -> None:
    page = client.get(link(invitation))
    assert page.status_code == 200
    assert "How happy are you with the job?" in page.text


def test_a_tampered_link_gets_a_friendly_400_and_records_nothing(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    token = link(invitation).split("/")[2]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for method in (client.get, client.post):
        page = method(_path(tampered), full_answers(asked))
        assert page.status_code == 400
        assert "This link does not work" in page.text
        assert page["Cache-Control"] == "no-store"
    assert not Response.objects.exists()


def test_an_expired_link_says_so_with_410(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    path = link(invitation)
    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        assert client.get(path).status_code == 410
        page = client.post(path, full_answers(asked))
    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert not Response.objects.exists()


def test_a_fresh_signature_does_not_outlive_the_invitation(
    client: Client, invitation: Invitation
) -> None:
    # A reminder carries a newly signed link; the invitation's own expiry still holds.
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert client.get(link(invitation)).status_code == 410


def test_a_token_signed_for_another_purpose_is_refused(
    client: Client, invitation: Invitation
) -> None:
    payload = {"i": invitation.pk, "p": invitation.person_id}
    for salt in ("keepwarm.unsubscribe", "keepwarm.portal", "django.core.signing"):
        page = client.get(_path(_signed(payload, salt)))
        assert page.status_code == 400


def test_another_invitations_id_or_another_person_is_not_found(
    client: Client, cast: Cast, invitation: Invitation, harrys_invitation: Invitation
) -> None:
    # Priya's person id with Harry's invitation, and an invitation that does not exist.
    harrys = harrys_invitation.pk
    assert client.get(_path(_signed({"i": harrys, "p": cast.candidate.pk}))).status_code == 404
    assert client.get(_path(_signed({"i": 10**9, "p": cast.candidate.pk}))).status_code == 404
    page = client.get(_path(_signed(["not", "a", "dict"])))
    assert page.status_code == 400


def test_a_replayed_post_does_not_record_a_second_response(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    path = link(invitation)
    assert client.post(path, full_answers(asked)).status_code == 302
    again = client.post(path, full_answers(asked, **{f"q_{asked.nps.pk}": "0"}))
    assert again.status_code == 200
    assert "You have already answered" in again.text
    assert "nothing was changed" in again.text
    assert Response.objects.count() == 1
    assert Response.objects.get().answers.get(question=asked.nps).value_number == 9


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    invitation_id=st.integers(min_value=1, max_value=2**62),
    person_id=st.integers(min_value=1, max_value=2**62),
    position=st.integers(min_value=0),
    replacement=st.characters(codec="ascii", categories=["L", "N"]),
)
@pytest.mark.django_db
def test_signed_links_round_trip_and_any_changed_character_is_refused(
    invitation_id: int, person_id: int, position: int, replacement: str
) -> None:
    token = _signed({"i": invitation_id, "p": person_id})
    # The signature is accepted: the lookup finds no such invitation (none exist here).
    with pytest.raises(LinkNotFound):
        open_link(token)
    index = position % len(token)
    if token[index] == replacement:
        return
    changed = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(LinkProblem) as refused:
        open_link(changed)
    assert not isinstance(refused.value, LinkNotFound | LinkExpired)


@settings(max_examples=200, deadline=None)
@given(token=st.text(max_size=400))
@pytest.mark.django_db
def test_any_text_as_a_token_is_a_link_problem_never_a_crash(token: str) -> None:
    with pytest.raises(LinkProblem):
        open_link(token)
