"""Forms for the Team page and My account. Plain forms: the services do the saving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from keepwarm.accounts.models import User
from keepwarm.lib.images import image_type

TEL = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    phone = forms.CharField(max_length=40, required=False, widget=TEL)


class UserForm(ProfileForm):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(
        choices=User.Role.choices,
        initial=User.Role.CONSULTANT,
        help_text="Consultants see their own work and the work they cover; managers see the "
        "whole team; admins also manage the team and the care plans.",
    )


class NewUserForm(UserForm):
    username = forms.CharField(
        max_length=150,
        help_text="What they type to sign in: letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        required=False,
        strip=False,
        label="Initial password",
        # Kept on a failed submit, so the admin fixes it rather than typing it again.
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
    )
    field_order = ["username", "first_name", "last_name", "email", "phone", "role", "password"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = " ".join(
            [
                "Leave empty to have one made up; it is shown once, after saving.",
                *password_validation.password_validators_help_texts(),
            ]
        )


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,  # ApiToken.name
        required=False,
        label="Label",
        help_text="What will use it, e.g. “Zapier” or “finance export”.",
    )


PHOTO_MAX_BYTES = 2 * 1024 * 1024


class ContactCardForm(forms.Form):
    """What placed people and clients see of their consultant: hours and a photo."""

    available_hours = forms.CharField(
        max_length=200,  # User.available_hours
        required=False,
        label="Available hours",
        help_text="Shown in your check-in emails and on people's personal pages, "
        "e.g. “Mon–Fri 8:30–18:00, Sat mornings”.",
    )
    photo = forms.FileField(
        required=False,
        label="Photo",
        help_text="A PNG or JPEG of up to 2 MB; a square head-and-shoulders works best.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_photo = forms.BooleanField(required=False, label="Remove my photo")

    def clean_photo(self) -> Any:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        if upload.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(
                f"That file is {upload.size / 1024 / 1024:.1f} MB; choose one of up to 2 MB."
            )
        upload.seek(0)
        kind = image_type(upload.read(16))
        upload.seek(0)
        if kind is None:
            raise forms.ValidationError(
                "That file is not a PNG or JPEG picture (whatever its name says). "
                "Choose a photo saved as PNG or JPEG."
            )
        return upload
