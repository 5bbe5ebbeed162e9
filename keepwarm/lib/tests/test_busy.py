"""A request that meets SQLite's write lock (a big import running) is told to try again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

LOCKED_DB: list[Path] = []


def save_while_an_import_holds_the_lock(request: HttpRequest) -> HttpResponse:
    # Two real connections to one SQLite file: the first holds the write lock as a running
    # import does, the second gives up at once instead of after the 20 s timeout.
    holder = sqlite3.connect(LOCKED_DB[0], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    writer = sqlite3.connect(LOCKED_DB[0], timeout=0)
    try:
        writer.execute("INSERT INTO calls VALUES ('spoke to Priya')")
    except sqlite3.OperationalError as exc:
        raise OperationalError(*exc.args) from exc  # as Django's database wrapper does
    finally:
        holder.close()
        writer.close()
    return HttpResponse("saved")


def crash(request: HttpRequest) -> HttpResponse:
    raise OperationalError("no such table: calls")


urlpatterns = [
    path("people/1/call", save_while_an_import_holds_the_lock),
    path("api/v1/touchpoints/1/log", save_while_an_import_holds_the_lock),
    path("broken", crash),
]
handler500 = "keepwarm.lib.busy.server_error"


@pytest.fixture
def locked_db(tmp_path: Path) -> None:
    db = tmp_path / "locked.sqlite3"
    with sqlite3.connect(db) as setup:
        setup.execute("CREATE TABLE calls (notes TEXT)")
    LOCKED_DB[:] = [db]


@override_settings(ROOT_URLCONF=__name__)
def test_saving_during_an_import_on_sqlite_says_busy_and_keeps_the_form(locked_db: None) -> None:
    response = Client(raise_request_exception=False).post("/people/1/call", {"notes": "hi"})
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Busy for a moment" in page and "try again in a minute" in page
    assert "what you typed is still in the form" in page


@override_settings(ROOT_URLCONF=__name__)
def test_the_api_answers_busy_in_its_own_error_shape(locked_db: None) -> None:
    response = Client(raise_request_exception=False).post("/api/v1/touchpoints/1/log")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json()["detail"].startswith("Keepwarm is busy")
    assert response.json()["errors"] == []


@override_settings(ROOT_URLCONF=__name__)
def test_other_database_errors_still_get_the_error_page(db: None) -> None:
    response = Client(raise_request_exception=False).get("/broken")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_a_page_that_meets_the_lock_offers_to_load_it_again(locked_db: None) -> None:
    response = Client(raise_request_exception=False).get("/people/1/call?tab=calls")
    page = response.content.decode()
    assert response.status_code == 503
    assert '<a href="/people/1/call?tab=calls">Try again</a>' in page
