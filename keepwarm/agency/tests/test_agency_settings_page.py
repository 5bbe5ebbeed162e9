"""An admin tunes the agency's settings and brand in the app; they apply at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from keepwarm.agency.forms import AgencySettingsForm
from keepwarm.agency.models import AgencySettings, Logo, agency_settings
from keepwarm.audit.models import AuditEntry
from keepwarm.conftest import Cast, set_agency
from keepwarm.lib.images import PNG_SIGNATURE
from keepwarm.mail.services.checkins import personal_reply_to

URL = reverse("agency_settings")
TODAY = dt.date(2026, 3, 9)
# A real 1 × 1 PNG: signature, IHDR, IDAT, IEND.
PNG = PNG_SIGNATURE + bytes.fromhex(
    "0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f"
    "0000000049454e44ae426082"
)


def _form(**changes: Any) -> dict[str, Any]:
    """The settings page's fields as saved now, with `changes`: what an admin posts."""
    row = agency_settings()
    return {**{name: getattr(row, name) for name in AgencySettingsForm.Meta.fields}, **changes}


def test_the_environment_gives_only_the_first_values(db: None, settings: Any) -> None:
    settings.KEEPWARM_AMBER_DAYS = 9
    assert agency_settings().amber_days == 9

    set_agency(amber_days=11)
    settings.KEEPWARM_AMBER_DAYS = 3

    assert agency_settings().amber_days == 11


def test_admin_saves_the_brand_and_amber_days_with_an_audit_entry(
    cast: Cast, client: Client
) -> None:
    client.force_login(cast.admin)
    cast.candidate.last_contacted_at = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    assert cast.candidate.contact_rag(TODAY) == "green"

    response = client.post(
        URL, _form(name="Fernbrook & Sons", colour="#7A1F5C", amber_days=5, red_days=20)
    )

    assert response.status_code == 302
    saved = agency_settings()
    assert (saved.name, saved.colour, saved.amber_days) == ("Fernbrook & Sons", "#7a1f5c", 5)
    # Seven days without contact: amber now, in this process, without a restart.
    assert cast.candidate.contact_rag(TODAY) == "amber"
    [entry] = AuditEntry.objects.filter(object_type="agency.agencysettings")
    assert entry.actor == cast.admin
    assert entry.changes["amber_days"][1] == 5
    assert entry.changes["name"][1] == "Fernbrook & Sons"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"colour": "#7fb3ff"}, "colour", "Choose a darker shade"),
        ({"colour": "blue"}, "colour", "six hex digits"),
        ({"amber_days": 40, "red_days": 30}, "amber_days", "Amber must come before red"),
        ({"reminder_days": 30, "invitation_days": 30}, "reminder_days", "before the"),
        ({"send_hour": 24}, "send_hour", "from 0 to 23"),
        ({"holidays_subdivision": "XYZ"}, "holidays_subdivision", "GB has no region XYZ"),
        ({"reply_to": "shared", "reply_to_address": ""}, "reply_to_address", "shared address"),
    ],
)
def test_a_wrong_value_is_explained_and_nothing_is_saved(
    cast: Cast, client: Client, changes: dict[str, Any], field: str, message: str
) -> None:
    client.force_login(cast.admin)
    before = agency_settings().name

    response = client.post(URL, _form(name="Typed but not saved", **changes))

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["form"]["name"].value() == "Typed but not saved"
    assert AgencySettings.objects.get().name == before
    assert agency_settings().name == before  # the shared copy was not touched either
    assert not AuditEntry.objects.filter(object_type="agency.agencysettings").exists()


def test_a_logo_is_checked_by_its_bytes_and_served_from_its_own_address(
    cast: Cast, client: Client
) -> None:
    client.force_login(cast.admin)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = client.post(URL, {**_form(), "logo": fake})
    assert "must be a PNG or JPEG" in " ".join(refused.context["form"].errors["logo"])
    big = SimpleUploadedFile("logo.png", PNG + b"\0" * 300_000, content_type="image/png")
    assert "largest is 200 KB" in str(client.post(URL, {**_form(), "logo": big}).content)

    client.post(URL, {**_form(), "logo": SimpleUploadedFile("logo.png", PNG)})

    saved = agency_settings()
    assert saved.logo_digest == Logo.digest_of(PNG)
    client.logout()
    served = client.get(saved.logo_url)
    assert served["Content-Type"] == "image/png"
    assert served.content == PNG
    public_page = client.get(reverse("newsletter_signup"))
    assert f'src="{saved.logo_url}"' in public_page.content.decode()


def test_only_admins_change_the_agency_settings(cast: Cast, client: Client) -> None:
    client.force_login(cast.manager)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form(name="Hijacked")).status_code == 403
    assert agency_settings().name != "Hijacked"


def test_the_preview_shows_unsaved_values_and_saves_nothing(cast: Cast, client: Client) -> None:
    client.force_login(cast.admin)

    response = client.post(
        reverse("agency_preview"),
        _form(name="Fernbrook Recruitment", colour="#7a1f5c", signature="Talk soon"),
    )

    page = response.content.decode()
    assert "Fernbrook Recruitment" in page and "#7a1f5c" in page and "Talk soon" in page
    assert agency_settings().name != "Fernbrook Recruitment"
    assert not AuditEntry.objects.filter(object_type="agency.agencysettings").exists()
    # The frames are sandboxed without scripts: a script in them would only be refused.
    assert "&lt;script" not in page


def test_replies_go_to_the_shared_address_when_the_agency_chooses_it(cast: Cast) -> None:
    assert personal_reply_to(cast.owner) == "Olivia Owner <olivia_owner@agency.example>"

    set_agency(name="Fernbrook", reply_to="shared", reply_to_address="hello@fernbrook.example")

    assert personal_reply_to(cast.owner) == "Fernbrook <hello@fernbrook.example>"


def test_the_favicon_is_there_in_the_agency_colour(cast: Cast, client: Client) -> None:
    set_agency(colour="#7a1f5c")

    svg = client.get("/favicon.svg")
    ico = client.get("/favicon.ico")

    assert svg.status_code == 200 and 'fill="#7a1f5c"' in svg.content.decode()
    assert ico.status_code == 200 and ico["Content-Type"] == "image/x-icon"
    assert ico.content[:4] == b"\0\0\1\0" and PNG_SIGNATURE in ico.content
