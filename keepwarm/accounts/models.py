from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    class Role(models.TextChoices):
        CONSULTANT = "consultant", "Consultant"
        MANAGER = "manager", "Manager"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CONSULTANT)
    phone = models.CharField(max_length=40, blank=True)
    # Shown to placed people and clients in emails and on their personal page.
    available_hours = models.CharField(
        max_length=200, blank=True, help_text="For example: Mon–Fri 8:30–18:00, Sat mornings"
    )
    photo = models.FileField(upload_to="staff/", blank=True)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def sees_whole_team(self) -> bool:
        """Managers and admins see every consultant's work; consultants their own and cover."""
        return self.role in (self.Role.MANAGER, self.Role.ADMIN) or self.is_superuser

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, *, user: User, name: str = "") -> tuple[ApiToken, str]:
        raw = "kw_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, digest=hash_token(raw), prefix=raw[:8])
        return token, raw


class SecondFactor(models.Model):
    """A staff member's authenticator app (TOTP, RFC 6238): 6 digits every 30 seconds.

    Saved only once a code from the app has confirmed it. The secret must be readable to
    check codes, so it is stored as is; the database is as sensitive as the data it holds.
    `last_step` is the last 30-second step a code was accepted for: a code is used once,
    never replayed in its window.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="second_factor")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Second factor of {self.user}"


class RecoveryCode(models.Model):
    """A single-use code for when the phone is lost. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"Recovery code of {self.user}"


class SignInFailure(models.Model):
    """One failed sign-in (password or second factor): counted for lockout, then pruned.

    `username` is what was typed, folded, whether or not such a user exists, so a
    locked-out name looks the same for real and made-up accounts.
    """

    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField()
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="signin_failure_user"),
            models.Index(fields=["address", "at"], name="signin_failure_address"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.at:%Y-%m-%d %H:%M}"
