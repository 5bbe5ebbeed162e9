"""Forms for the Team page and My account. Plain forms: the services do the saving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from keepwarm.accounts import services
from keepwarm.accounts.models import User
from keepwarm.lib.images import image_type
from keepwarm.lib.net import client_address

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


# --- Signing in -------------------------------------------------------------------------

LOCKED_OUT = (
    "Too many failed sign-ins for this account or from this address. Sign-in is paused "
    "for {minutes} minutes; wait, then try again, or ask an admin."
)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, paused after repeated failures per username and address.

    While paused, even the right password is refused, so trying more tells nothing; the
    message is the same whether or not the username exists.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Please try again.",
        "locked_out": LOCKED_OUT,
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request else "0.0.0.0"  # noqa: S104
        if username and services.is_locked_out(username=username, address=address):
            raise ValidationError(
                self.error_messages["locked_out"].format(minutes=settings.KEEPWARM_LOCKOUT_MINUTES),
                code="locked_out",
            )
        try:
            return super().clean()
        except ValidationError:
            if username:
                services.record_sign_in_failure(username=username, address=address)
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class ConfirmPasswordForm(forms.Form):
    """Asks for the signed-in user's password again before a change to how they sign in."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        address = client_address(self.request)
        if services.is_locked_out(username=self.user.username, address=address):
            raise ValidationError(LOCKED_OUT.format(minutes=settings.KEEPWARM_LOCKOUT_MINUTES))
        if not self.user.check_password(password):
            services.record_sign_in_failure(username=self.user.username, address=address)
            raise ValidationError("That is not your password.")
        return password


class MemberForm(UserForm):
    """An admin editing a colleague: a new email address needs the admin's own password."""

    your_password = forms.CharField(
        required=False,
        strip=False,
        label="Your password",
        help_text="Needed only to change the email address: sign-in links and resets go there.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, member: User, by: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        self.by = by

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email = str(cleaned.get("email") or "")
        changing = bool(email) and email.strip().lower() != self.member.email.lower()
        if changing and not self.by.check_password(cleaned.get("your_password") or ""):
            self.add_error("your_password", "Type your own password to change an email.")
        cleaned.pop("your_password", None)
        return cleaned


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


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
