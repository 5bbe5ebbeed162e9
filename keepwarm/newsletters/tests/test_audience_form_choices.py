"""The new audience form's sector and location boxes: each value once, read as values."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keepwarm.newsletters.tests.conftest import Setup, make_person


def test_the_audience_form_offers_each_sector_and_location_once(setup: Setup) -> None:
    make_person("Ann", sector="Logistics", location="York")
    make_person("Bob", sector="Logistics", location="Leeds")
    make_person("Cat", sector="Retail", location="York")
    client = Client()
    client.force_login(setup.cast.manager)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("newsletter_audience_new"))
    form = page.context["form"]
    sectors = [value for value, _ in form.fields["sectors"].choices]
    assert sectors == sorted({"Logistics", "Manufacturing", "Retail"})
    assert [value for value, _ in form.fields["locations"].choices] == ["Leeds", "York"]
    # One row a value, not a person: a name order would make DISTINCT keep every person.
    distinct = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT DISTINCT")]
    assert len(distinct) == 3 and not any("ORDER BY" in sql for sql in distinct)
