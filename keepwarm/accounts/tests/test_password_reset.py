"""“Forgot password?”: a signed, expiring, single-use link by email (to a real SMTP server
on loopback), the same answer for every address, and a pause after too many requests."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from keepwarm.audit.models import AuditEntry
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.sending import send_pending
from keepwarm.web_tests.browser import CHROMIUM, serious_violations

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "violet-kettle-harbour-lamp"


def _ask(client: Client, email: str) -> Any:
    return client.post("/login/forgot/", {"email": email}, follow=True)


def _said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _link_in(sink: SmtpSink) -> str:
    (message,) = sink.messages
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"https?://\S+/login/reset/\S+/", body.get_content())
    assert found, body.get_content()
    return urlsplit(found.group(0)).path


def test_sign_in_page_offers_forgot_password(client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert 'href="/login/forgot/"' in page
    assert "Forgot password?" in page


def test_a_colleague_chooses_a_new_password_through_the_emailed_link(
    cast: Cast, client: Client, smtp_server: SmtpSink
) -> None:
    response = _ask(client, "Olivia_Owner@agency.example")
    assert response.redirect_chain[-1][0] == "/login/"
    assert "an email with a link to choose a new password is on its way" in _said(response)[0]

    send_pending()  # the worker's send step
    (message,) = smtp_server.messages
    assert message["To"] == "olivia_owner@agency.example"
    assert message["Subject"] == "Reset your Keepwarm password"
    link = _link_in(smtp_server)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    # The token left the address bar before the form is shown (no Referer leaks it).
    set_password_url = form.redirect_chain[-1][0]
    assert "set-password" in set_password_url
    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your new password is saved" in _said(done)[0]
    cast.owner.refresh_from_db()
    assert cast.owner.check_password(NEW_PASSWORD)

    # Once used, the link is spent.
    again = Client().get(link, follow=True).content.decode()
    assert "This link no longer works" in again
    assert AuditEntry.objects.filter(
        object_type="accounts.user", object_id=str(cast.owner.pk), action="changed"
    ).exists()
    assert AuditEntry.objects.filter(object_type="accounts.passwordreset").count() == 1


def test_the_new_password_must_follow_the_password_rules(
    cast: Cast, client: Client, smtp_server: SmtpSink
) -> None:
    _ask(client, "olivia_owner@agency.example")
    send_pending()
    form = client.get(_link_in(smtp_server), follow=True)
    refused = client.post(
        form.redirect_chain[-1][0], {"new_password1": "keepwarm", "new_password2": "keepwarm"}
    )
    assert refused.status_code == 200
    assert "This password is too short" in refused.content.decode()
    cast.owner.refresh_from_db()
    assert cast.owner.check_password("correct-horse-battery")


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    cast: Cast, client: Client, smtp_server: SmtpSink
) -> None:
    known = _said(_ask(client, "olivia_owner@agency.example"))
    unknown = _said(_ask(client, "nobody@agency.example"))
    assert [m.replace("nobody", "olivia_owner") for m in unknown] == known
    assert OutboxMessage.objects.count() == 1
    send_pending()
    assert [m["To"] for m in smtp_server.messages] == ["olivia_owner@agency.example"]


def test_a_deactivated_colleague_gets_no_link(cast: Cast, client: Client) -> None:
    cast.outsider.is_active = False
    cast.outsider.save()
    _ask(client, cast.outsider.email)
    assert not OutboxMessage.objects.exists()


def test_the_link_stops_working_after_its_minutes(
    cast: Cast, client: Client, smtp_server: SmtpSink, settings: Any
) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        _ask(client, "olivia_owner@agency.example")
        send_pending()
    link = _link_in(smtp_server)
    later = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + dt.timedelta(
        minutes=settings.KEEPWARM_PASSWORD_RESET_MINUTES, seconds=1
    )
    with time_machine.travel(later, tick=False):
        page = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in page


def test_the_reset_signs_out_every_other_session(
    cast: Cast, client: Client, smtp_server: SmtpSink
) -> None:
    elsewhere = Client()
    elsewhere.force_login(cast.owner)
    assert elsewhere.get("/").status_code == 200

    _ask(client, "olivia_owner@agency.example")
    send_pending()
    form = client.get(_link_in(smtp_server), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert elsewhere.get("/").status_code == 302


def test_requests_pause_after_as_many_as_sign_in_allows_for_any_address(
    cast: Cast, client: Client, settings: Any
) -> None:
    settings.KEEPWARM_LOCKOUT_ACCOUNT_FAILURES = 3
    for email in ("olivia_owner@agency.example", "nobody@agency.example"):
        for _ in range(3):
            _ask(client, email)
        paused = _ask(client, email)
        assert paused.redirect_chain == []
        assert "Too many password reset requests" in paused.content.decode()
    assert OutboxMessage.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
@pytest.mark.filterwarnings("ignore:No directory at")
def test_forgot_password_in_the_browser(cast: Cast, live_server: Any, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_role("heading", name="Forgot your password?").wait_for()
    assert serious_violations(page) == []
    page.get_by_label("Email address").fill("olivia_owner@agency.example")
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_text("an email with a link to choose a new password is on its way").wait_for()
    assert page.get_by_role("heading", name="Log in to Keepwarm").is_visible()
    assert OutboxMessage.objects.filter(to_email="olivia_owner@agency.example").count() == 1


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(uid=st.text(min_size=1, max_size=30), token=st.text(min_size=1, max_size=60))
def test_a_made_up_link_never_breaks_the_page(cast: Cast, uid: str, token: str) -> None:
    url = f"/login/reset/{quote(uid, safe='')}/{quote(token, safe='')}/"
    response = Client().get(url, follow=True)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "This link no longer works" in response.content.decode()


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(email=st.text(max_size=300))
def test_whatever_is_typed_as_the_address_gets_an_answer(cast: Cast, email: str) -> None:
    response = Client(REMOTE_ADDR="192.0.2.1").post("/login/forgot/", {"email": email})
    assert response.status_code in (200, 302)
