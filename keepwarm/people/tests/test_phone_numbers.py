"""Phone numbers are checked wherever they come in and stored one way (E.164)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.imports.models import RowResult
from keepwarm.lib.phones import InvalidPhone, display_phone, normalise_phone
from keepwarm.people.models import Company, Person
from keepwarm.people.tests.test_edit_conflicts import _form_data

pytestmark = pytest.mark.django_db
NOT_A_NUMBER = "“not-a-phone” is not a phone number. Write it like 07400 123456"


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("07911 123456", "+447911123456", "07911 123456"),
        ("+44 (0)20 7946 0958", "+442079460958", "020 7946 0958"),
        ("0044 113 496 0000", "+441134960000", "0113 496 0000"),
        ("+33 1 23 45 67 89", "+33123456789", "+33 1 23 45 67 89"),
    ],
)
def test_a_number_is_stored_in_e164_and_shown_as_people_write_it(
    typed: str, stored: str, shown: str
) -> None:
    assert normalise_phone(typed) == stored
    assert display_phone(stored) == shown


@pytest.mark.parametrize("typed", ["not-a-phone", "0777", "+44 1234", "07911 1234567890"])
def test_what_is_not_a_number_is_refused(typed: str) -> None:
    with pytest.raises(InvalidPhone, match="is not a phone number"):
        normalise_phone(typed)


def test_the_person_form_refuses_a_bad_number_and_keeps_what_was_typed(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.owner)
    url = reverse("person_edit", args=[cast.candidate.pk])
    data: dict[str, Any] = {**_form_data(client, url), "phone": "not-a-phone"}

    page = client.post(url, {**data, "headline": "Team lead"}).content.decode()

    assert NOT_A_NUMBER in page
    assert 'value="Team lead"' in page
    assert Person.objects.get(pk=cast.candidate.pk).headline == ""

    assert client.post(url, {**data, "phone": "07911 123456"}).status_code == 302
    assert Person.objects.get(pk=cast.candidate.pk).phone == "+447911123456"
    assert (
        "07911 123456" in client.get(reverse("person", args=[cast.candidate.pk])).content.decode()
    )


def test_the_company_form_stores_the_number_in_e164(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.manager)
    response = client.post(
        reverse("company_new"),
        {
            "name": "Brown & Whitehouse",
            "phone": "0113 496 0000",
            "guarantee_length": "90",
            "guarantee_unit": Company._meta.get_field("guarantee_unit").get_default(),
            "guarantee_remedy": Company._meta.get_field("guarantee_remedy").get_default(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert Company.objects.get(name="Brown & Whitehouse").phone == "+441134960000"


def test_the_import_leaves_a_bad_number_out_and_says_so(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "First name,Last name,Email,Phone\n"
        "Ann,Lee,ann@example.org,not-a-phone\n"
        "Bob,Ray,bob@example.org,07911 123456\n",
        encoding="utf-8",
    )

    call_command("import", "csv", str(path), "--entity", "candidate")

    assert Person.objects.get(email="ann@example.org").phone == ""
    assert Person.objects.get(email="bob@example.org").phone == "+447911123456"
    row = RowResult.objects.get(label="Ann Lee")
    assert "phone 'not-a-phone' left out: not a phone number" in row.reason
