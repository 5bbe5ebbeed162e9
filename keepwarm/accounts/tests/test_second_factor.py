"""Staff sign in with a password and then a code from their authenticator app."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keepwarm.accounts import services
from keepwarm.accounts.models import RecoveryCode, SecondFactor, User
from keepwarm.conftest import Cast, pass_second_factor

PASSWORD = "correct-horse-battery"  # the cast's


@pytest.fixture(autouse=True)
def _second_factor_on(settings: Any) -> None:
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True


def enrolled(user: User) -> tuple[SecondFactor, list[str]]:
    secret = services.new_totp_secret()
    codes = services.confirm_enrolment(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    return SecondFactor.objects.get(user=user), codes


def next_code(factor: SecondFactor) -> str:
    """A code for a step after the last one used (a code counts once)."""
    factor.refresh_from_db()
    totp = pyotp.TOTP(factor.secret)
    return totp.generate_otp(max(totp.timecode(timezone.now()), factor.last_step + 1))


def sign_in_with_password(user: User, **extra: Any) -> tuple[Client, Any]:
    client = Client()
    response = client.post(
        "/login/", {"username": user.username, "password": PASSWORD, "next": "/people/"}, **extra
    )
    return client, response


def test_first_sign_in_sets_up_the_authenticator_before_any_page_opens(cast: Cast):
    client, response = sign_in_with_password(cast.owner)
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert page.request["PATH_INFO"] == "/login/second-factor/set-up/"
    html = page.content.decode()
    assert "<svg" in html  # the QR code, drawn on the server
    shown_key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert shown_key
    secret = shown_key.group(1).replace(" ", "")
    # Looking changes nothing stored; the same key shows until it is confirmed.
    assert not SecondFactor.objects.filter(user=cast.owner).exists()
    assert secret in client.get("/login/second-factor/set-up/").content.decode().replace(" ", "")

    # Nothing else opens until the authenticator is confirmed.
    assert client.get("/people/")["Location"].startswith("/login/second-factor/set-up/")
    assert client.get("/api/v1/people").status_code == 403

    wrong = client.post("/login/second-factor/set-up/", {"code": "000000", "next": "/people/"})
    assert "That code is not right" in wrong.content.decode()

    done = client.post(
        "/login/second-factor/set-up/",
        {"code": pyotp.TOTP(secret).now(), "next": "/people/"},
        follow=True,
    )
    html = done.content.decode()
    codes = re.findall(r'<code class="secret">([a-z0-9]{5}-[a-z0-9]{5})</code>', html)
    assert len(set(codes)) == 10
    assert RecoveryCode.objects.filter(user=cast.owner).count() == 10
    assert all(not RecoveryCode.objects.filter(digest=code).exists() for code in codes)  # hashed
    assert client.get("/people/").status_code == 200
    assert SecondFactor.objects.get(user=cast.owner).secret == secret
    # Shown once: the page does not show them again.
    assert client.get("/account/recovery-codes/").status_code == 302


def test_later_sign_ins_ask_for_the_current_code(cast: Cast):
    factor, _ = enrolled(cast.owner)
    client, response = sign_in_with_password(cast.owner)
    to_code = client.get(response["Location"])
    assert to_code["Location"] == "/login/second-factor/?next=%2Fpeople%2F"

    wrong = client.post("/login/second-factor/", {"code": "123456", "next": "/people/"})
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/people/").status_code == 302

    right = client.post("/login/second-factor/", {"code": next_code(factor), "next": "/people/"})
    assert right["Location"] == "/people/"
    assert client.get("/people/").status_code == 200


def test_a_code_works_once(cast: Cast):
    factor, _ = enrolled(cast.owner)
    code = next_code(factor)
    first, _ = sign_in_with_password(cast.owner)
    assert first.post("/login/second-factor/", {"code": code})["Location"] == "/"

    second, _ = sign_in_with_password(cast.owner)
    again = second.post("/login/second-factor/", {"code": code})
    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()


def test_a_recovery_code_signs_in_once_and_the_count_goes_down(cast: Cast):
    _, codes = enrolled(cast.owner)
    first, _ = sign_in_with_password(cast.owner)
    assert first.post("/login/second-factor/", {"code": codes[0].upper()}).status_code == 302
    assert "9 unused recovery codes" in first.get("/account/").content.decode()

    second, _ = sign_in_with_password(cast.owner)
    assert second.post("/login/second-factor/", {"code": codes[0]}).status_code == 200
    assert second.get("/people/").status_code == 302


def test_an_offsite_next_is_ignored(cast: Cast):
    factor, _ = enrolled(cast.owner)
    client, _ = sign_in_with_password(cast.owner)
    response = client.post(
        "/login/second-factor/", {"code": next_code(factor), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_htmx_requests_are_sent_to_sign_in_properly(cast: Cast):
    enrolled(cast.owner)
    client, _ = sign_in_with_password(cast.owner)
    response = client.get("/search/?q=pri", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/second-factor/")


def test_the_test_helper_passes_both_factors(cast: Cast):
    client = Client()
    pass_second_factor(client, cast.owner)
    assert client.get("/people/").status_code == 200


# --- Changing the second factor asks for the password ----------------------------------


def test_new_recovery_codes_need_the_password(cast: Cast):
    _, old_codes = enrolled(cast.owner)
    client = Client()
    pass_second_factor(client, cast.owner)

    refused = client.post(
        "/account/second-factor/", {"action": "new-codes", "password": "guess"}, follow=True
    )
    assert "That is not your password." in refused.content.decode()
    assert services.verify_second_factor(user=cast.owner, code=old_codes[1])

    laptop = Client()
    pass_second_factor(laptop, cast.owner)
    made = client.post(
        "/account/second-factor/", {"action": "new-codes", "password": PASSWORD}, follow=True
    )
    assert laptop.get("/people/").status_code == 302  # other sessions end
    assert client.get("/people/").status_code == 200  # this one carries on
    new_codes = re.findall(r'<code class="secret">([a-z0-9-]+)</code>', made.content.decode())
    assert len(new_codes) == 10
    assert not services.verify_second_factor(user=cast.owner, code=old_codes[2])
    assert services.verify_second_factor(user=cast.owner, code=new_codes[0])


def test_moving_to_a_new_phone_needs_the_password_and_sets_up_afresh(cast: Cast):
    factor, _ = enrolled(cast.owner)
    client = Client()
    pass_second_factor(client, cast.owner)

    client.post("/account/second-factor/", {"action": "new-authenticator", "password": "x"})
    assert SecondFactor.objects.get(user=cast.owner).secret == factor.secret

    response = client.post(
        "/account/second-factor/", {"action": "new-authenticator", "password": PASSWORD}
    )
    assert response["Location"] == "/login/second-factor/set-up/"
    assert not services.has_second_factor(cast.owner)
    assert SecondFactor.objects.filter(user=cast.owner).count() == 0


def test_an_admin_resets_a_colleagues_lost_phone_with_their_own_password(cast: Cast):
    enrolled(cast.owner)
    olivia = Client()
    pass_second_factor(olivia, cast.owner)
    admin = Client()
    pass_second_factor(admin, cast.admin)

    admin.post(f"/team/{cast.owner.pk}/second-factor/reset/", {"password": "nope"})
    assert services.has_second_factor(cast.owner)

    response = admin.post(
        f"/team/{cast.owner.pk}/second-factor/reset/", {"password": PASSWORD}, follow=True
    )
    assert "sets up a new authenticator at their next sign-in" in response.content.decode()
    assert not services.has_second_factor(cast.owner)
    assert olivia.get("/people/")["Location"].startswith("/login/")  # signed out


def test_a_consultant_cannot_reset_anyone(cast: Cast):
    enrolled(cast.colleague)
    client = Client()
    pass_second_factor(client, cast.owner)
    response = client.post(
        f"/team/{cast.colleague.pk}/second-factor/reset/", {"password": PASSWORD}
    )
    assert response.status_code == 403
    assert services.has_second_factor(cast.colleague)


def test_changing_a_colleagues_email_needs_the_admins_password(cast: Cast):
    admin = Client()
    pass_second_factor(admin, cast.admin)
    details = {
        "first_name": "Olivia",
        "last_name": "Owner",
        "phone": "",
        "role": "consultant",
        "email": "olivia.new@agency.example",
    }
    refused = admin.post(f"/team/{cast.owner.pk}/", details)
    assert "Type your own password to change an email." in refused.content.decode()
    cast.owner.refresh_from_db()
    assert cast.owner.email == "olivia_owner@agency.example"

    # Other details change without it.
    same_email = {**details, "email": cast.owner.email, "phone": "0113 496 0000"}
    assert admin.post(f"/team/{cast.owner.pk}/", same_email).status_code == 302

    accepted = admin.post(f"/team/{cast.owner.pk}/", {**details, "your_password": PASSWORD})
    assert accepted.status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.email == "olivia.new@agency.example"


# --- Demo mode -------------------------------------------------------------------------


def test_with_the_requirement_off_a_banner_says_so(cast: Cast, settings: Any):
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = False
    client, response = sign_in_with_password(cast.owner)
    assert response["Location"] == "/people/"
    page = client.get("/people/").content.decode()
    assert "Demo mode: signing in does not ask for a second factor" in page


def test_with_the_requirement_on_there_is_no_banner(cast: Cast):
    client = Client()
    pass_second_factor(client, cast.owner)
    assert "Demo mode" not in client.get("/people/").content.decode()


def test_totp_accepts_the_neighbouring_steps_for_clock_drift(cast: Cast):
    factor, _ = enrolled(cast.owner)
    totp = pyotp.TOTP(factor.secret)
    later = timezone.now() + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        previous = totp.generate_otp(totp.timecode(later) - 1)
        assert services.verify_second_factor(user=cast.owner, code=previous)
        too_old = totp.generate_otp(totp.timecode(later) - 3)
        assert not services.verify_second_factor(user=cast.owner, code=too_old)


def test_the_team_page_shows_who_has_set_up_their_second_factor(cast: Cast):
    enrolled(cast.owner)
    client = Client()
    pass_second_factor(client, cast.manager)
    page = client.get("/team/").content.decode()
    rows = {name: page.split(name)[1].split("</tr>")[0] for name in ("Olivia Owner", "Colin Cover")}
    assert "set up" in rows["Olivia Owner"]
    assert "not yet" in rows["Colin Cover"]


def test_every_change_to_the_second_factor_is_emailed_to_its_owner(cast: Cast):
    from keepwarm.mail.models import OutboxMessage

    def notices() -> list[str]:
        return list(
            OutboxMessage.objects.filter(to_email=cast.owner.email)
            .order_by("pk")
            .values_list("subject", flat=True)
        )

    client, response = sign_in_with_password(cast.owner)
    page = client.get(response["Location"], follow=True).content.decode()
    shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert shown
    client.post(
        "/login/second-factor/set-up/",
        {"code": pyotp.TOTP(shown.group(1).replace(" ", "")).now()},
    )
    client.post("/account/second-factor/", {"action": "new-codes", "password": PASSWORD})
    admin = Client()
    pass_second_factor(admin, cast.admin)
    admin.post(f"/team/{cast.owner.pk}/second-factor/reset/", {"password": PASSWORD})

    assert notices() == [
        "Keepwarm: an authenticator app was set up",
        "Keepwarm: new recovery codes replaced the old ones",
        "Keepwarm: your second factor was reset; you set it up again at sign-in",
    ]
    last = OutboxMessage.objects.filter(to_email=cast.owner.email).order_by("pk").last()
    assert last is not None
    assert "by Ada Admin" in last.body_text
    assert "tell an admin at once" in last.body_text


def test_a_late_answer_to_a_request_sent_before_the_code_does_not_sign_you_out(cast: Cast):
    """The browser asks for the favicon with the old session id just before the code goes
    in. Confirming the code replaces the id; if the favicon's answer comes back after the
    confirmation's, the browser must still hold the new id."""
    client, _ = sign_in_with_password(cast.owner)
    page = client.get("/login/second-factor/set-up/").content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    before_the_code = client.cookies["sessionid"].value

    client.post(
        "/login/second-factor/set-up/",
        {"code": pyotp.TOTP(secret.group(1).replace(" ", "")).now(), "next": "/people/"},
    )
    assert client.cookies["sessionid"].value != before_the_code
    in_flight = Client()
    in_flight.cookies["sessionid"] = before_the_code
    late = in_flight.get("/favicon.ico")
    client.cookies.update(late.cookies)  # the browser applies whatever comes back

    codes = client.get("/account/recovery-codes/")
    assert codes.status_code == 200
    assert "Your recovery codes" in codes.content.decode()
    assert client.get("/people/").status_code == 200


def test_the_favicon_is_an_icon_for_someone_half_way_through_signing_in(cast: Cast):
    client, _ = sign_in_with_password(cast.owner)
    for address, kind in (("/favicon.svg", "image/svg+xml"), ("/favicon.ico", "image/x-icon")):
        response = client.get(address)
        assert response.status_code == 200
        assert response["Content-Type"] == kind
