"""The Team page (admins manage, managers look) and every user's own account page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from keepwarm.accounts import services
from keepwarm.accounts.forms import (
    ContactCardForm,
    NewTokenForm,
    NewUserForm,
    ProfileForm,
    UserForm,
)
from keepwarm.accounts.models import ApiToken, User

# A new password or token is shown once: kept in the session for the next page only.
SHOW_ONCE = "keepwarm_show_once"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _require_admin(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_admin:
        raise PermissionDenied("Only admins manage the team.")
    return user


def _show_once(request: HttpRequest, **secret: str) -> None:
    request.session[SHOW_ONCE] = secret


def _pop_shown_once(request: HttpRequest) -> dict[str, str]:
    secret: dict[str, str] = request.session.pop(SHOW_ONCE, {})
    return secret


def _details(user: User) -> dict[str, str]:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "role": user.role,
    }


# --- Team -------------------------------------------------------------------------------


@login_required
@never_cache
def team(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.sees_whole_team:
        raise PermissionDenied("Only managers and admins see the team.")
    members = User.objects.order_by("-is_active", "first_name", "last_name", "username")
    context = {
        "members": members,
        "can_manage": user.is_admin,
        "shown_once": _pop_shown_once(request),
    }
    return render(request, "accounts/team.html", context)


@login_required
def team_new(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member, generated = services.create_user(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if generated:
                _show_once(request, username=member.username, password=generated)
            messages.success(request, f"Added {member.display_name}; they can sign in now.")
            return redirect("team")
    return render(request, "accounts/team_new.html", {"form": form})


@login_required
def team_member(request: HttpRequest, pk: int) -> HttpResponse:
    by = _require_admin(request)
    member = get_object_or_404(User, pk=pk)
    form = UserForm(request.POST or None, initial=_details(member))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(user=member, by=by, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {member.display_name}’s details.")
            return redirect("team")
    placements, planned = services.work_to_hand_over(member)
    context: dict[str, Any] = {
        "member": member,
        "form": form,
        "is_self": member.pk == by.pk,
        "owned_placements": placements,
        "owned_planned": planned,
    }
    return render(request, "accounts/team_member.html", context)


@login_required
@require_POST
def team_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    by = _require_admin(request)
    member = get_object_or_404(User, pk=pk)
    try:
        services.deactivate_user(user=member, by=by)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("team_member", pk=member.pk)
    messages.success(request, f"{member.display_name} is deactivated and signed out everywhere.")
    return redirect("team")


@login_required
@require_POST
def team_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    by = _require_admin(request)
    member = get_object_or_404(User, pk=pk)
    services.reactivate_user(user=member, by=by)
    messages.success(request, f"{member.display_name} can sign in again.")
    return redirect("team")


# --- My account -------------------------------------------------------------------------


@login_required
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST or None, initial=_details(user))
    if request.method == "POST" and form.is_valid():
        services.update_user(user=user, by=user, **form.cleaned_data)
        messages.success(request, "Your details are saved.")
        return redirect("account")
    context = {
        "form": form,
        "token_form": NewTokenForm(),
        "tokens": user.api_tokens.order_by("-created_at"),
        "shown_once": _pop_shown_once(request),
        "card_form": _card_form(user),
    }
    return render(request, "accounts/account.html", context)


def _card_form(user: User, data: Any = None, files: Any = None) -> ContactCardForm:
    return ContactCardForm(data, files, initial={"available_hours": user.available_hours})


@login_required
@require_POST
def account_card(request: HttpRequest) -> HttpResponse:
    """Available hours and photo: what placed people and clients see of their consultant."""
    user = _user(request)
    form = _card_form(user, request.POST, request.FILES)
    if form.is_valid():
        try:
            services.update_contact_card(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your hours and photo are saved.")
            return redirect("account")
    context = {
        "form": ProfileForm(initial=_details(user)),
        "token_form": NewTokenForm(),
        "tokens": user.api_tokens.order_by("-created_at"),
        "shown_once": {},
        "card_form": form,
    }
    return render(request, "accounts/account.html", context, status=400)


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Django's own: asks for the current password, keeps this session signed in."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")
    success_message = "Your password is changed. Other devices are signed out."


@login_required
@require_POST
def api_token_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = NewTokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("name", [])))
        return redirect("account")
    token, raw = ApiToken.issue(user=user, name=form.cleaned_data["name"])
    _show_once(request, token=raw)
    messages.success(request, f"Token {token.prefix}… created.")
    return redirect("account")


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Only your own: someone else's token id is a 404, never a revoke.
    token = get_object_or_404(ApiToken, pk=pk, user=_user(request))
    token.delete()
    messages.success(request, f"Token {token.prefix}… revoked; it no longer opens the API.")
    return redirect("account")
