"""Whatever is typed into the sign-in forms: a page with a reason, never a 500 or a way in."""

from __future__ import annotations

from typing import Any

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepwarm.accounts import services
from keepwarm.conftest import Cast

TYPED = st.text(max_size=300) | st.from_regex(r"\A[0-9 -]{0,12}\Z")
ADDRESSES = st.ip_addresses().map(str)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(username=TYPED, password=TYPED, address=ADDRESSES)
def test_any_username_and_password(cast: Cast, username: str, password: str, address: str):
    response = Client().post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    assert response.status_code == 200  # a sign-in would redirect


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(code=TYPED)
def test_any_second_factor_code(cast: Cast, settings: Any, code: str):
    settings.KEEPWARM_REQUIRE_SECOND_FACTOR = True
    client = Client()
    client.force_login(cast.owner)
    response = client.post("/login/second-factor/set-up/", {"code": code})
    assert response.status_code == 200  # a wrong code re-shows the form
    assert not services.has_second_factor(cast.owner)
    assert client.get("/people/").status_code == 302
