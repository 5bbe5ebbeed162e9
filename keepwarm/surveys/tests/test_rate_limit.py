"""Submitting is rate-limited per link and per client address, across processes (in the DB)."""

from __future__ import annotations

from django.test import Client

from keepwarm.conftest import Cast
from keepwarm.surveys.models import Response, SubmitCount
from keepwarm.surveys.services import ADDRESS_LIMIT, LINK_LIMIT, create_invitation
from keepwarm.surveys.tests.conftest import Asked, full_answers, link


def test_one_link_hammered_gets_429_after_the_limit(
    client: Client, invitation: object, asked: Asked
) -> None:
    path = link(invitation)  # type: ignore[arg-type]
    for _ in range(LINK_LIMIT):
        assert client.post(path, {}).status_code == 200  # incomplete: errors shown
    refused = client.post(path, full_answers(asked))
    assert refused.status_code == 429
    assert "Please wait a few minutes" in refused.text
    assert refused["Retry-After"] == "600"
    assert refused["Cache-Control"] == "no-store"
    assert not Response.objects.exists()
    # Reading the page is never limited.
    assert client.get(path).status_code == 200


def test_one_address_across_many_links_gets_429(cast: Cast, asked: Asked) -> None:
    office = Client(REMOTE_ADDR="203.0.113.9")
    links = [
        link(
            create_invitation(
                placement=cast.placement,
                person=cast.candidate,
                questionnaire=asked.questionnaire,
                sender=cast.owner,
            )
        )
        for _ in range(4)
    ]
    statuses = [office.post(links[i % 4], {}).status_code for i in range(ADDRESS_LIMIT + 1)]
    assert statuses[:ADDRESS_LIMIT] == [200] * ADDRESS_LIMIT
    assert statuses[-1] == 429
    # Another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.7").post(links[0], {}).status_code == 200
    assert SubmitCount.objects.filter(key="ip:203.0.113.9").get().count == ADDRESS_LIMIT + 1


def test_tampered_tokens_count_against_the_address(client: Client, db: None) -> None:
    for _ in range(ADDRESS_LIMIT):
        assert client.post("/q/forged:token:abc/", {}).status_code == 400
    assert client.post("/q/forged:token:abc/", {}).status_code == 429
