"""The Agency settings form: every value checked, the logo by its bytes, the colour by its
contrast with white text."""

from __future__ import annotations

from typing import Any

import holidays
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms import BoundField

from keepwarm.agency.models import SOFT_SHARE, AgencySettings
from keepwarm.lib.colours import AA_CONTRAST, HEX_COLOUR, WHITE, contrast, tint
from keepwarm.lib.images import image_type

LOGO_MAX_BYTES = 200 * 1024
# The page's three sections, in order.
BRAND_FIELDS = (
    "name",
    "colour",
    "logo",
    "drop_logo",
    "postal_address",
    "sender_name",
    "reply_to",
    "reply_to_address",
    "signature",
)
DAY_FIELDS = ("send_hour", "holidays_country", "holidays_subdivision", "amber_days", "red_days")
LINK_FIELDS = ("invitation_days", "reminder_days", "personal_link_days")


class AgencySettingsForm(forms.ModelForm[AgencySettings]):
    logo = forms.FileField(
        required=False,
        help_text="A PNG or JPEG up to 200 KB, shown at most 48 px high.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    drop_logo = forms.BooleanField(required=False, label="Remove the logo")

    class Meta:
        model = AgencySettings
        fields = [
            "name",
            "colour",
            "postal_address",
            "sender_name",
            "reply_to",
            "reply_to_address",
            "signature",
            "send_hour",
            "holidays_country",
            "holidays_subdivision",
            "amber_days",
            "red_days",
            "invitation_days",
            "reminder_days",
            "personal_link_days",
        ]
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "signature": forms.Textarea(attrs={"rows": 3}),
            "reply_to": forms.RadioSelect,
        }

    def _section(self, names: tuple[str, ...]) -> list[BoundField]:
        return [self[name] for name in names if name != "drop_logo" or self.instance.logo_digest]

    @property
    def brand_fields(self) -> list[BoundField]:
        return self._section(BRAND_FIELDS)

    @property
    def day_fields(self) -> list[BoundField]:
        return self._section(DAY_FIELDS)

    @property
    def link_fields(self) -> list[BoundField]:
        return self._section(LINK_FIELDS)

    def clean_colour(self) -> str:
        colour = str(self.cleaned_data["colour"]).strip().lower()
        if not HEX_COLOUR.match(colour):
            raise forms.ValidationError("Give the colour as # and six hex digits, e.g. #1a56db.")
        # Links in a note sit on the colour's soft tint: the weaker of the two must pass.
        ratio = min(contrast(colour, WHITE), contrast(colour, tint(colour, SOFT_SHARE)))
        if ratio < AA_CONTRAST:
            raise forms.ValidationError(
                f"White text on {colour} has a contrast of {ratio:.1f}:1; readable text needs "
                f"{AA_CONTRAST}:1. Choose a darker shade."
            )
        return colour

    def clean_logo(self) -> tuple[bytes, str] | None:
        upload: UploadedFile | None = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size is not None and upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(
                f"The logo is {upload.size // 1024} KB; the largest is 200 KB."
            )
        data = upload.read(LOGO_MAX_BYTES + 1)
        if len(data) > LOGO_MAX_BYTES:
            raise forms.ValidationError("The logo is larger than 200 KB.")
        kind = image_type(data[:16])
        if kind is None:
            raise forms.ValidationError("The logo must be a PNG or JPEG image.")
        return data, kind

    def clean_send_hour(self) -> int:
        hour = int(self.cleaned_data["send_hour"])
        if not 0 <= hour <= 23:
            raise forms.ValidationError("Choose an hour from 0 to 23.")
        return hour

    def clean_holidays_country(self) -> str:
        country = str(self.cleaned_data["holidays_country"]).strip().upper()
        if country and country not in holidays.list_supported_countries():
            raise forms.ValidationError(
                f"{country} is not a country code we know bank holidays for; try GB, IE or US."
            )
        return country

    def clean_holidays_subdivision(self) -> str:
        return str(self.cleaned_data["holidays_subdivision"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_region(data)
        self._check_pair(data, "amber_days", "red_days", "Amber must come before red.")
        self._check_pair(
            data,
            "reminder_days",
            "invitation_days",
            "The reminder must go before the questionnaire link stops working.",
        )
        for name in ("amber_days", "invitation_days", "personal_link_days"):
            if data.get(name) == 0:
                self.add_error(name, "Choose 1 day or more.")
        if data.get("reply_to") == AgencySettings.ReplyTo.SHARED and not data.get(
            "reply_to_address"
        ):
            self.add_error("reply_to_address", "Give the shared address replies should go to.")
        return data

    def _check_region(self, data: dict[str, Any]) -> None:
        country, region = data.get("holidays_country", ""), data.get("holidays_subdivision", "")
        if not region or "holidays_country" in self.errors:
            return
        known = holidays.list_supported_countries().get(country, [])
        if region not in known:
            choices = ", ".join(known) if known else "none"
            self.add_error(
                "holidays_subdivision",
                f"{country or 'No country'} has no region {region}; choose one of {choices}, "
                "or leave it empty.",
            )

    def _check_pair(self, data: dict[str, Any], first: str, second: str, message: str) -> None:
        low, high = data.get(first), data.get(second)
        if low is not None and high is not None and low >= high:
            self.add_error(first, message)
