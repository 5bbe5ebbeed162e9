"""The personal page as one calm page: their job and who looks after them, one "How are
things?", their own past answers, referring someone with their agreement and the reward in
words, what we send them, and a thank-you page with a next step."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from keepwarm.care.models import Audience
from keepwarm.conftest import Cast
from keepwarm.network.models import Referral, RewardRule
from keepwarm.people.models import Consent, Person
from keepwarm.portal.personal import AGREED_NOTE
from keepwarm.portal.tests.conftest import sign_in
from keepwarm.surveys.models import Answer, Invitation, Question, Questionnaire, Response

REFERRAL = {"kind": "candidate", "name": "Sam Jones", "email": "sam@example.org"}


def _answered(cast: Cast, person: Person, name: str, said: str) -> None:
    questionnaire = Questionnaire.objects.create(
        code=name.lower().replace(" ", "-"),
        name=f"Internal: {name.lower()}",
        public_title=name,
        audience=Audience.CANDIDATE,
    )
    question = Question.objects.create(
        questionnaire=questionnaire, code="why", kind=Question.Kind.TEXT, label="How is it going?"
    )
    now = timezone.now()
    invitation = Invitation.objects.create(
        placement=cast.placement,
        person=person,
        questionnaire=questionnaire,
        expires_at=now + dt.timedelta(days=30),
        answered_at=now,
    )
    response = Response.objects.create(
        invitation=invitation,
        placement=cast.placement,
        person=person,
        questionnaire=questionnaire,
        submitted_at=now,
    )
    Answer.objects.create(response=response, question=question, value_text=said)


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return found.group(0)


def test_the_page_opens_on_their_job_and_who_looks_after_them(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    page = _main(client.get("/me/").text)
    assert "Your job" in page
    assert "Account Manager at Acme Widgets" in page
    assert f"Since {cast.placement.start_date:%-d %B %Y}" in page
    assert "Olivia Owner" in page and "Looks after you" in page
    assert page.index("Your job") < page.index("How are things?")
    assert page.count("How are things?") == 1


def test_their_own_past_answers_are_on_the_page_and_nobody_elses(
    client: Client, cast: Cast
) -> None:
    _answered(cast, cast.candidate, "First week", "Settling in well")
    _answered(cast, cast.client_contact, "Client first month", "Needs more training")
    sign_in(client, cast.candidate)
    page = client.get("/me/").text
    assert "Your answers" in page
    assert "First week" in page and "Settling in well" in page
    assert "Internal: first week" not in page
    assert "Needs more training" not in page and "Client first month" not in page


def test_a_referral_needs_their_agreement_and_keeps_what_was_typed(
    client: Client, cast: Cast
) -> None:
    sign_in(client, cast.candidate)
    page = client.post("/me/refer/", {**REFERRAL, "notes": "Ex-colleague"})
    assert page.status_code == 400
    assert "Tick this once they have agreed that we may contact them." in page.text
    assert 'value="Sam Jones"' in page.text and 'value="sam@example.org"' in page.text
    assert "Ex-colleague" in page.text
    # The form comes back unfolded, where the message is.
    assert re.search(r'<details class="portal-more" open>\s*<summary>Refer someone', page.text)
    assert not Referral.objects.exists()
    assert not Person.objects.filter(email="sam@example.org").exists()


def test_an_agreed_referral_tells_the_consultant_they_said_yes(client: Client, cast: Cast) -> None:
    sign_in(client, cast.candidate)
    done = client.post("/me/refer/", {**REFERRAL, "agreed_to_contact": "on"})
    assert done.status_code == 302 and done["Location"] == "/me/thanks/refer/"
    referral = Referral.objects.get()
    assert AGREED_NOTE in referral.notes


def test_the_reward_rule_is_said_in_words(client: Client, cast: Cast) -> None:
    RewardRule.objects.create(
        name="Friends",
        kind=RewardRule.Kind.CANDIDATE,
        amount=Decimal("250"),
        due_when=RewardRule.DueWhen.AFTER_GUARANTEE,
    )
    RewardRule.objects.create(
        name="Clients",
        kind=RewardRule.Kind.CLIENT,
        amount=Decimal("500"),
        due_when=RewardRule.DueWhen.AFTER_DAYS,
        days=90,
    )
    sign_in(client, cast.candidate)
    page = " ".join(client.get("/me/").text.split())
    assert (
        "When someone you refer starts a job through us, we thank you with £250 once they "
        "are past the guarantee period agreed with the employer" in page
    )
    assert (
        "When a company you refer becomes our client, we thank you with £500 once 90 days "
        "have passed since they started" in page
    )


def test_the_thank_you_page_says_it_once_and_leads_back(client: Client, cast: Cast) -> None:
    cast.owner.phone = "0113 496 0000"
    cast.owner.save()
    sign_in(client, cast.candidate)
    done = client.post("/me/problem/", {"text": "My hours changed"})
    page = client.get(done["Location"])
    assert page.status_code == 200
    main = _main(page.text)
    words = re.sub(r"<[^>]+>", " ", main).lower()
    assert words.count("thank") == 1
    assert "What happens next" in main
    assert "Olivia has been told" in main
    assert 'href="tel:01134960000"' in main
    assert re.search(r'<a class="button portal-wide" href="/me/">Back to your page</a>', main)


def test_the_thank_you_page_only_shows(client: Client, cast: Cast) -> None:
    assert client.get("/me/thanks/status/")["Location"] == "/me/sign-in/"
    sign_in(client, cast.candidate)
    assert client.get("/me/thanks/nothing/").status_code == 404
    assert client.post("/me/thanks/status/").status_code == 405


def test_the_page_says_what_we_send_them(client: Client, cast: Cast) -> None:
    Consent.objects.create(
        person=cast.candidate,
        basis=Consent.Basis.CONSENT,
        frequency=Consent.Frequency.MONTHLY,
        topics=["cv_tips"],
        given_at=timezone.now(),
        method="form",
    )
    sign_in(client, cast.candidate)
    page = client.get("/me/").text
    assert "What we send you" in page
    assert "Our newsletter, monthly, on cv tips." in page
    assert "a few short questionnaires in your first year" in page
