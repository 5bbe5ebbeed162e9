"""Sessions end after an idle hour, after a working day, and on the server at sign-out."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from keepwarm.conftest import Cast

PASSWORD = "correct-horse-battery"  # the cast's


def signed_in(username: str) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_an_idle_hour_signs_you_out_with_a_reason(cast: Cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in("olivia_owner")
        assert client.get("/people/").status_code == 200
        clock.shift(dt.timedelta(minutes=59))
        assert client.get("/people/").status_code == 200  # activity restarts the hour
        clock.shift(dt.timedelta(minutes=59))
        assert client.get("/people/").status_code == 200
        clock.shift(dt.timedelta(minutes=61))
        response = client.get("/people/", follow=True)
        assert response.request["PATH_INFO"] == "/login/"
        assert "signed out after 60 minutes without activity" in response.content.decode()
        assert client.get("/people/").status_code == 302  # the session is gone


def test_a_working_day_signs_you_out_however_busy(cast: Cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in("olivia_owner")
        for _ in range(23):
            clock.shift(dt.timedelta(minutes=30))
            assert client.get("/people/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))  # 12 h 1 min after signing in
        response = client.get("/people/", follow=True)
        assert "signed out after 12 hours" in response.content.decode()


def test_logging_out_ends_the_session_on_the_server(cast: Cast):
    client = signed_in("olivia_owner")
    stolen = client.cookies["sessionid"].value
    client.post("/logout/")
    assert not Session.objects.filter(session_key=stolen).exists()
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert thief.get("/people/").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_that_user_only(cast: Cast):
    desk = signed_in("olivia_owner")
    laptop = signed_in("olivia_owner")
    colleague = signed_in("colin_cover")
    response = laptop.post("/account/sign-out-everywhere/", follow=True)
    assert "You are signed out on every device." in response.content.decode()
    assert desk.get("/people/").status_code == 302
    assert laptop.get("/people/").status_code == 302
    assert colleague.get("/people/").status_code == 200


def test_deactivating_a_user_ends_their_sessions(cast: Cast):
    oscar = signed_in("oscar_other")
    admin = signed_in("ada_admin")
    admin.post(f"/team/{cast.outsider.pk}/deactivate/")
    assert oscar.get("/people/").status_code == 302
