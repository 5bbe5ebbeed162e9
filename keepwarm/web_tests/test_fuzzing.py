"""Property tests: generated input never causes a server error or changes what it must not.

Together with the API fuzzers these run well over 10,000 generated inputs: forms of the
staff pages, emailed-link tokens, and the schedule arithmetic every reminder depends on.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast
from keepwarm.lib.dates import add_months, add_working_days, send_time, working_days_between
from keepwarm.mail.models import OutboxMessage, Suppression
from keepwarm.people.models import Consent, Person

pytestmark = pytest.mark.django_db

WEB = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PURE = settings(max_examples=3000, deadline=None)

# Text that has broken form handling elsewhere: NULs, surrogates' neighbours, huge, RTL.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "=cmd|' /C calc'!A0",
            "<script>alert(1)</script>",
            "'; DROP TABLE people_person; --",
            "\u202etxt.exe",
            "9" * 400,
            "-1",
            "0",
            "2026-02-30",
            "31/12/2026",
            "1e309",
            "NaN",
            "x" * 5000,
        ]
    ),
)


def _form(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={name: nasty_text for name in fields})


STAFF_FORMS: dict[str, tuple[str, list[str]]] = {
    "person_new": (
        "person_new",
        [
            *("first_name", "last_name", "email", "phone", "owner", "role", "company"),
            *("title", "source", "lawful_basis", "obtained_on", "skills", "notes"),
        ],
    ),
    "company_new": (
        "company_new",
        ["name", "sector", "location", "guarantee_length", "guarantee_unit", "rebate_scale"],
    ),
    "placement_new": (
        "placement_new",
        [
            *("person", "company", "role_title", "start_date", "salary", "fee", "currency"),
            *("guarantee_length", "hiring_manager", "owner", "kind", "targets-TOTAL_FORMS"),
        ],
    ),
    "audit_trail": ("audit_trail", ["person", "actor", "action", "what", "since", "until"]),
}


@pytest.mark.parametrize("name", sorted(STAFF_FORMS))
def test_staff_forms_never_fail_on_generated_input(name: str, cast: Cast) -> None:
    url_name, fields = STAFF_FORMS[name]
    client = Client(raise_request_exception=False)
    client.force_login(cast.manager)
    url = reverse(url_name)

    @WEB
    @given(data=_form(fields))
    def post_anything(data: dict[str, str]) -> None:
        response = client.post(url, data) if name != "audit_trail" else client.get(url, data)
        assert response.status_code < 500, (data, response.status_code)

    post_anything()


def test_editing_a_person_with_generated_input_never_fails(cast: Cast) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(cast.owner)
    url = reverse("person_edit", args=[cast.candidate.pk])
    fields = ["first_name", "last_name", "email", "phone", "version", "owner", "obtained_on"]

    @WEB
    @given(data=_form(fields))
    def post_anything(data: dict[str, str]) -> None:
        assert client.post(url, data).status_code < 500, data

    post_anything()


def test_logging_a_call_with_generated_input_never_fails(cast: Cast) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(cast.owner)
    url = reverse("log_call", args=[cast.candidate.pk])

    @WEB
    @given(data=_form(["kind", "outcome", "notes", "placement", "next_action_on"]))
    def post_anything(data: dict[str, str]) -> None:
        assert client.post(url, data).status_code < 500, data

    post_anything()


# --- Emailed links: a made-up or mangled token never errors and never changes anything ----

TOKEN_URLS = ["answer", "unsubscribe", "email_preferences", "newsletter_confirm", "keep_details"]
token_text = st.one_of(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:.",
        min_size=1,
        max_size=300,
    ),
    st.text(min_size=1, max_size=60).filter(lambda t: "/" not in t),
)


def _state() -> tuple[int, ...]:
    return (
        Consent.objects.count(),
        Suppression.objects.count(),
        OutboxMessage.objects.count(),
        Person.objects.exclude(retention_renewed_at=None).count(),
        Touchpoint.objects.filter(state="done").count(),
    )


@pytest.mark.parametrize("url_name", TOKEN_URLS)
def test_made_up_link_tokens_never_error_and_change_nothing(url_name: str, cast: Cast) -> None:
    client = Client(raise_request_exception=False)
    before = _state()

    @WEB
    @given(token=token_text, method=st.sampled_from(["get", "post"]))
    def open_link(token: str, method: str) -> None:
        try:
            url = reverse(url_name, args=[token])
        except Exception:  # a token the URL pattern itself refuses never reaches a view
            assume(False)
            return
        response = getattr(client, method)(url)
        assert response.status_code < 500, (token, response.status_code)

    open_link()
    assert _state() == before


# --- Schedule arithmetic ------------------------------------------------------------------

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


@PURE
@given(start=dates, months=st.integers(min_value=0, max_value=240))
def test_adding_months_lands_in_the_right_month_never_past_the_day(
    start: dt.date, months: int
) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.day == start.day or result.month != (result + dt.timedelta(days=1)).month


@PURE
@given(start=dates, days=st.integers(min_value=0, max_value=400))
def test_adding_working_days_lands_on_a_weekday_the_right_distance_away(
    start: dt.date, days: int
) -> None:
    result = add_working_days(start, days)
    assert result >= start
    if days:
        assert result.weekday() < 5
        assert working_days_between(start, result) == days


zones = st.sampled_from(
    ["Europe/London", "Pacific/Auckland", "Australia/Lord_Howe", "America/New_York"]
)


@PURE
@given(due=dates, now_offset=st.integers(min_value=-5 * 86400, max_value=5 * 86400), zone=zones)
def test_a_check_in_is_never_sent_before_now_nor_at_night(
    due: dt.date, now_offset: int, zone: str
) -> None:
    from django.test import override_settings

    with override_settings(TIME_ZONE=zone):
        base = dt.datetime.combine(due, dt.time(12), tzinfo=zoneinfo.ZoneInfo(zone))
        now = (base + dt.timedelta(seconds=now_offset)).astimezone(dt.UTC)
        when = send_time(due, now=now)
        assert when >= now
        local = when.astimezone(zoneinfo.ZoneInfo(zone))
        assert 7 <= local.hour < 21, local


def test_the_fuzzers_ran_against_this_database() -> None:
    # A reminder in the output of which engine the generated inputs exercised.
    assert connection.vendor in {"sqlite", "postgresql"}
