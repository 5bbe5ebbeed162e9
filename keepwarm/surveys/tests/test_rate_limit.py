"""Submitting is rate-limited per link and per client address, across processes (in the DB)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from keepwarm.conftest import Cast
from keepwarm.lib.models import SubmitCount
from keepwarm.surveys.models import Response
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


PROXY = "10.0.0.1"  # the reverse proxy every request arrives from


def through_proxy(client_ip: str, forged: str = "") -> Client:
    # The proxy appends the address it saw; anything before it is what the client sent.
    forwarded = f"{forged}, {client_ip}" if forged else client_ip
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_behind_a_proxy_each_client_is_limited_on_its_own(
    cast: Cast, asked: Asked, settings: Any
) -> None:
    settings.KEEPWARM_PROXY_COUNT = 1
    clients = [through_proxy(f"198.51.100.{n}") for n in range(1, 31)]
    # 30 people behind one proxy, twice the limit of one address between them.
    for visitor in clients * 2:
        assert visitor.post("/q/forged:token:abc/", {}).status_code == 400
    # One of them hammers until stopped; the others are not.
    noisy = clients[0]
    statuses = [noisy.post("/q/forged:token:abc/", {}).status_code for _ in range(ADDRESS_LIMIT)]
    assert statuses[-1] == 429
    assert clients[1].post("/q/forged:token:abc/", {}).status_code == 400

    # A genuine respondent behind the same proxy gets through.
    invitation = create_invitation(
        placement=cast.placement,
        person=cast.candidate,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
    )
    answered = through_proxy("192.0.2.44").post(link(invitation), full_answers(asked))
    assert answered.status_code == 302  # to the thank-you page
    assert Response.objects.count() == 1


def test_without_a_proxy_a_forged_forwarded_header_is_ignored(
    client: Client, db: None, settings: Any
) -> None:
    settings.KEEPWARM_PROXY_COUNT = 0
    statuses = [
        Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post("/q/forged:token:abc/", {}).status_code
        for n in range(ADDRESS_LIMIT + 1)
    ]
    assert statuses[:-1] == [400] * ADDRESS_LIMIT
    assert statuses[-1] == 429


def test_behind_a_proxy_what_the_client_wrote_in_the_header_is_ignored(
    db: None, settings: Any
) -> None:
    settings.KEEPWARM_PROXY_COUNT = 1
    statuses = [
        through_proxy("203.0.113.9", forged=f"198.51.100.{n}")
        .post("/q/forged:token:abc/", {})
        .status_code
        for n in range(ADDRESS_LIMIT + 1)
    ]
    assert statuses[-1] == 429
