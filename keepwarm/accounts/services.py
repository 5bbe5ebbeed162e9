"""The team: adding colleagues, changing their details and role, deactivating them."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from keepwarm.accounts.models import ApiToken, User
from keepwarm.care.models import Cover, Touchpoint
from keepwarm.lib.images import extension, image_type
from keepwarm.placements.models import Placement

# No 0/o, 1/l: the password is read out or typed from a screen. 16 characters of 32 are 80 bits.
_UNAMBIGUOUS = "abcdefghijkmnpqrstuvwxyz23456789"


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
        lambda: _check_username(username),
        lambda: _check_email(email),
        lambda: _check_role(role),
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


def work_to_hand_over(user: User) -> tuple[int, int]:
    """(active placements, planned calls and check-ins) still owned by `user`."""
    placements = Placement.objects.filter(owner=user, status__in=Placement.ACTIVE).count()
    planned = Touchpoint.objects.filter(owner=user, state=Touchpoint.State.PLANNED).count()
    return placements, planned


def end_sessions(user: User) -> int:
    """Sign `user` out everywhere by deleting their sessions. Returns how many ended."""
    # Sessions store the user id only inside their encoded data; an agency has a few
    # hundred live sessions at most, so decoding each is cheap enough.
    ids = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ids).delete()
    return len(ids)


@transaction.atomic
def deactivate_user(*, user: User, by: User | None) -> User:
    """Stop `user` signing in: end their sessions and revoke their API tokens.

    Refused while they still own active placements or planned calls (hand them over
    first, so nothing is dropped) or cover a colleague today or later.
    """
    if by is not None and user.pk == by.pk:
        raise ValidationError("You cannot deactivate yourself; ask another admin to do it.")
    placements, planned = work_to_hand_over(user)
    if placements or planned:
        raise ValidationError(
            f"{user.display_name} still owns {placements} active "
            f"placement{'s' if placements != 1 else ''} and {planned} planned "
            f"call{'s' if planned != 1 else ''} or check-in{'s' if planned != 1 else ''}. "
            "Hand them over to a colleague first."
        )
    if Cover.objects.filter(colleague=user, ends_on__gte=timezone.localdate()).exists():
        raise ValidationError(
            f"{user.display_name} is covering for a colleague; end or change that cover first."
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    end_sessions(user)
    ApiToken.objects.filter(user=user).delete()
    return user


def reactivate_user(*, user: User, by: User | None) -> User:
    """Let a deactivated user sign in again with their old password."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


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
