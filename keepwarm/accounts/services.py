"""The team (adding colleagues, changing details and role, reactivating) and signing in.

Deactivating a colleague waits for their work to be handed over, so it is care's
(care.services.deactivate_user); the email about a sign-in change is mail's
(mail.services.account_notices)."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
from functools import partial

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from keepwarm.accounts.models import (
    RecoveryCode,
    SecondFactor,
    SignInFailure,
    User,
    hash_token,
)
from keepwarm.lib.images import extension, image_type

# No 0/o, 1/l: the password is read out or typed from a screen. 16 characters of 32 are 80 bits.
_UNAMBIGUOUS = "abcdefghijkmnpqrstuvwxyz23456789"

logger = logging.getLogger(__name__)


def generate_password() -> str:
    """A random password in four dash-separated groups, e.g. "k3xq-9mfa-tr2p-wv7d"."""
    return "-".join("".join(secrets.choice(_UNAMBIGUOUS) for _ in range(4)) for _ in range(4))


def _check_username(username: str) -> None:
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"The username “{username}” is already taken."})


def _check_email(email: str, *, user: User | None = None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError({"email": f"{email} already belongs to another user."})


def _check_role(role: str) -> None:
    if role not in User.Role.values:
        raise ValidationError(
            {"role": f"“{role}” is not a role; choose {', '.join(User.Role.values)}."}
        )


def create_user(
    *,
    username: str,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    password: str = "",
) -> tuple[User, str]:
    """Add a colleague who can sign in straight away.

    An empty `password` makes one up; it is returned (else "") so the caller can show it
    once. A given password must pass AUTH_PASSWORD_VALIDATORS; every problem with the
    input is raised as one ValidationError keyed by field.
    """
    username = username.strip()
    email = User.objects.normalize_email(email.strip())
    errors: dict[str, list[str]] = {}
    for check in (
        partial(_check_username, username),
        partial(_check_email, email),
        partial(_check_role, role),
    ):
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    user = User(
        username=username,
        email=email,
        role=role,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=phone.strip(),
    )
    generated = ""
    if password:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    else:
        password = generated = generate_password()
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    return user, generated


def update_user(
    *,
    user: User,
    by: User,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    role: str | None = None,
) -> User:
    """Change the given details; None leaves a detail as it is.

    An admin cannot take away their own admin role: the agency could lose its last admin.
    """
    changed: list[str] = []
    if role is not None and role != user.role:
        _check_role(role)
        if user.pk == by.pk and user.role == User.Role.ADMIN:
            raise ValidationError(
                {"role": "You cannot remove your own admin role; ask another admin to do it."}
            )
        user.role = role
        changed.append("role")
    if email is not None:
        email = User.objects.normalize_email(email.strip())
        if email != user.email:
            _check_email(email, user=user)
            user.email = email
            changed.append("email")
    for field, value in (("first_name", first_name), ("last_name", last_name), ("phone", phone)):
        if value is not None and value.strip() != getattr(user, field):
            setattr(user, field, value.strip())
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """Sign `user` out everywhere by deleting their sessions, except the session `keep`.

    Returns how many ended.
    """
    # Sessions store the user id only inside their encoded data; an agency has a few
    # hundred live sessions at most, so decoding each is cheap enough.
    ids = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk) and session.pk != keep
    ]
    Session.objects.filter(pk__in=ids).delete()
    return len(ids)


def reactivate_user(*, user: User, by: User | None) -> User:
    """Let a deactivated user sign in again with their old password."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


# --- Signing in: lockout ------------------------------------------------------------------


def _fold(username: str) -> str:
    return username.strip().casefold()[:150]


def _lockout_window(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=settings.KEEPWARM_LOCKOUT_MINUTES)


def is_locked_out(*, username: str, address: str, now: dt.datetime | None = None) -> bool:
    """True while too many recent failures name this username, or come from this address.

    Counted the same for names that exist and names that do not: the reply never tells
    which accounts are real.
    """
    since = _lockout_window(now or timezone.now())
    recent = SignInFailure.objects.filter(at__gt=since)
    return (
        recent.filter(username=_fold(username)).count()
        >= settings.KEEPWARM_LOCKOUT_ACCOUNT_FAILURES
        or recent.filter(address=address).count() >= settings.KEEPWARM_LOCKOUT_ADDRESS_FAILURES
    )


def record_sign_in_failure(*, username: str, address: str, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    SignInFailure.objects.create(username=_fold(username), address=address, at=now)
    logger.warning("sign-in failed for %r from %s", _fold(username), address)
    # Keep a day for whoever looks into an attack; older rows only cost space.
    SignInFailure.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()


def clear_sign_in_failures(*, username: str) -> None:
    """After a complete sign-in: this account's earlier failures no longer count."""
    SignInFailure.objects.filter(username=_fold(username)).delete()


# --- Signing in: the second factor --------------------------------------------------------

ISSUER = "Keepwarm"
RECOVERY_CODES = 10


def _recovery_digest(code: str) -> str:
    return hash_token(re.sub(r"[\s-]", "", code).lower())


def make_recovery_code() -> str:
    """10 characters of 32 (50 bits) in two groups, e.g. "k3xq9-mfat2": typed rarely."""
    raw = "".join(secrets.choice(_UNAMBIGUOUS) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def new_totp_secret() -> str:
    """A fresh 160-bit TOTP secret (base32), held in the session until it is confirmed."""
    return pyotp.random_base32()


def provisioning_uri(*, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, now: dt.datetime, *, after: int) -> int | None:
    """The step, later than `after`, whose code is `code`: this one or one either side
    (a phone's clock drifts). Steps up to `after` were used already: a code seen over a
    shoulder is worth nothing."""
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(factor: SecondFactor, code: str, now: dt.datetime) -> bool:
    step = _matching_step(factor.secret, code, now, after=factor.last_step)
    if step is None:
        return False
    # Conditional: two requests racing with one code, only one wins.
    won = SecondFactor.objects.filter(pk=factor.pk, last_step__lt=step).update(last_step=step)
    return won == 1


def _accept_recovery_code(user: User, code: str, now: dt.datetime) -> bool:
    used = RecoveryCode.objects.filter(
        user=user, digest=_recovery_digest(code), used_at__isnull=True
    ).update(used_at=now)
    return used == 1


@transaction.atomic
def confirm_enrolment(
    *, user: User, secret: str, code: str, now: dt.datetime | None = None
) -> list[str]:
    """Save the authenticator once a code from it proves it has `secret`.

    Returns new recovery codes, to be shown once. A user who has one already replaces
    it through `reset_second_factor`, which asks for the password first.
    """
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time
    if has_second_factor(user):
        raise ValidationError("Your authenticator is set up already.")
    step = _matching_step(secret, code, now, after=0)
    if step is None:
        raise ValidationError(
            {"code": "That code is not right. Type the 6 digits your app shows now."}
        )
    SecondFactor.objects.filter(user=user).delete()
    SecondFactor.objects.create(user=user, secret=secret, confirmed_at=now, last_step=step)
    return regenerate_recovery_codes(user=user)


def verify_second_factor(*, user: User, code: str, now: dt.datetime | None = None) -> bool:
    """True when `code` is the authenticator's current code or an unused recovery code."""
    now = now or timezone.now()
    factor = SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    if factor is None or not code.strip():
        return False
    if _accept_totp(factor, code, now):
        return True
    return _accept_recovery_code(user, code, now)


def has_second_factor(user: User) -> bool:
    return SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def regenerate_recovery_codes(*, user: User) -> list[str]:
    """Replace every recovery code (used or not) with RECOVERY_CODES new ones."""
    codes = [make_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_recovery_digest(code)) for code in codes
    )
    return codes


@transaction.atomic
def reset_second_factor(*, user: User) -> None:
    """Forget the authenticator and recovery codes: the next sign-in sets up a new one."""
    SecondFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()


def update_contact_card(
    *,
    user: User,
    available_hours: str,
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> User:
    """Set the hours and photo outsiders see. A new photo gets a random name (the old file
    is deleted), so a photo's URL never shows someone else's face from a cache."""
    user.available_hours = " ".join(available_hours.split())[:200]
    old = user.photo.name if user.photo else ""
    if photo is not None:
        kind = image_type(photo.read(16))
        photo.seek(0)
        if kind is None:
            raise ValidationError({"photo": "That file is not a PNG or JPEG picture."})
        name = f"{user.pk}-{secrets.token_hex(8)}.{extension(kind)}"
        user.photo.save(name, photo, save=False)
    elif remove_photo:
        user.photo = ""
    user.save(update_fields=["available_hours", "photo"])
    if old and old != user.photo.name:
        default_storage.delete(old)
    return user
