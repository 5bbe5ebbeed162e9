"""The Team page (admins manage, managers look) and every user's own account page."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from keepwarm.accounts import services, sso
from keepwarm.accounts.access import admin_required, manager_required, user_of
from keepwarm.accounts.forms import (
    LOCKED_OUT,
    CodeForm,
    ConfirmPasswordForm,
    ContactCardForm,
    MemberForm,
    NewTokenForm,
    NewUserForm,
    ProfileForm,
    SignInForm,
)
from keepwarm.accounts.middleware import (
    mark_second_factor_passed,
    mark_signed_in,
    second_factor_passed,
)
from keepwarm.accounts.models import ApiToken, SecondFactor, User
from keepwarm.care.services import deactivate_user, work_to_hand_over
from keepwarm.lib.headers import allow_form_targets
from keepwarm.lib.net import client_address
from keepwarm.mail.services.account_notices import notify_sign_in_change

logger = logging.getLogger(__name__)

# The authenticator secret being set up, until a code from the app confirms it.
PENDING_SECRET = "keepwarm_pending_totp_secret"  # noqa: S105 -- a session key's name

# A new password or token is shown once: kept in the session for the next page only.
SHOW_ONCE = "keepwarm_show_once"


admins_only = admin_required("Only admins manage the team.")


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


@manager_required("Only managers and admins see the team.")
@never_cache
def team(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    members = User.objects.annotate(
        has_second_factor=Exists(
            SecondFactor.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)
        )
    ).order_by("-is_active", "first_name", "last_name", "username")
    context = {
        "members": members,
        "can_manage": user.is_admin,
        "shown_once": _pop_shown_once(request),
    }
    return render(request, "accounts/team.html", context)


@admins_only
def team_new(request: HttpRequest) -> HttpResponse:
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


@admins_only
def team_member(request: HttpRequest, pk: int) -> HttpResponse:
    by = user_of(request)
    member = get_object_or_404(User, pk=pk)
    form = MemberForm(request.POST or None, initial=_details(member), member=member, by=by)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(user=member, by=by, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {member.display_name}’s details.")
            return redirect("team")
    placements, planned = work_to_hand_over(member)
    context: dict[str, Any] = {
        "member": member,
        "form": form,
        "is_self": member.pk == by.pk,
        "owned_placements": placements,
        "owned_planned": planned,
        "has_second_factor": services.has_second_factor(member),
        "password_form": ConfirmPasswordForm(user=by, request=request),
    }
    return render(request, "accounts/team_member.html", context)


@admins_only
@require_POST
def team_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    by = user_of(request)
    member = get_object_or_404(User, pk=pk)
    try:
        deactivate_user(user=member, by=by)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("team_member", pk=member.pk)
    messages.success(request, f"{member.display_name} is deactivated and signed out everywhere.")
    return redirect("team")


@admins_only
@require_POST
def team_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    by = user_of(request)
    member = get_object_or_404(User, pk=pk)
    services.reactivate_user(user=member, by=by)
    messages.success(request, f"{member.display_name} can sign in again.")
    return redirect("team")


# --- My account -------------------------------------------------------------------------


@login_required
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = ProfileForm(request.POST or None, initial=_details(user))
    if request.method == "POST" and form.is_valid():
        services.update_user(user=user, by=user, **form.cleaned_data)
        messages.success(request, "Your details are saved.")
        return redirect("account")
    context = {
        "form": form,
        "has_second_factor": services.has_second_factor(user),
        "recovery_codes_left": services.recovery_codes_left(user),
        "password_form": ConfirmPasswordForm(user=user, request=request),
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
    user = user_of(request)
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


class PasswordChangeView(SuccessMessageMixin[PasswordChangeForm], auth_views.PasswordChangeView):
    """Django's own: asks for the current password, keeps this session signed in."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")
    success_message = "Your password is changed. Other devices are signed out."


@login_required
@require_POST
def api_token_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
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
    token = get_object_or_404(ApiToken, pk=pk, user=user_of(request))
    token.delete()
    messages.success(request, f"Token {token.prefix}… revoked; it no longer opens the API.")
    return redirect("account")


@admins_only
@require_POST
def team_second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A colleague lost their phone and their recovery codes: they set up a new one."""
    by = user_of(request)
    member = get_object_or_404(User, pk=pk)
    form = ConfirmPasswordForm(request.POST, user=by, request=request)
    if not form.is_valid():
        for message in form.errors.get("password", []):
            messages.error(request, str(message))
        return redirect("team_member", pk=member.pk)
    services.reset_second_factor(user=member)
    notify_sign_in_change(
        user=member, change="your second factor was reset; you set it up again at sign-in", by=by
    )
    ended = services.end_sessions(member) if member.pk != by.pk else 0
    messages.success(
        request,
        f"{member.display_name} sets up a new authenticator at their next sign-in"
        + (f"; {ended} session{'s' if ended != 1 else ''} ended." if ended else "."),
    )
    return redirect("team_member", pk=member.pk)


# --- Signing in -------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Password first (with lockout); the middleware then asks for the second factor."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # A "Sign in with …" button for each single sign-on provider configured, none else.
        return {**super().get_context_data(**kwargs), "sso_providers": sso.providers()}

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        # Each button's POST is answered with a redirect to its provider.
        allow_form_targets(self.request, response, (p.origin for p in context["sso_providers"]))
        return response

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        mark_signed_in(self.request)
        logger.info(
            "password accepted for %s from %s",
            form.get_user().username,
            client_address(self.request),
        )
        if not settings.KEEPWARM_REQUIRE_SECOND_FACTOR:
            services.clear_sign_in_failures(username=form.get_user().username)
        return response


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
@never_cache
def second_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator or a recovery code."""
    user = user_of(request)
    if not services.has_second_factor(user):
        return redirect(f"{reverse('second_factor_enrol')}?{urlencode({'next': _next(request)})}")
    if second_factor_passed(request):
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if services.is_locked_out(username=user.username, address=address):
            form.add_error(None, LOCKED_OUT.format(minutes=settings.KEEPWARM_LOCKOUT_MINUTES))
        elif services.verify_second_factor(user=user, code=form.cleaned_data["code"]):
            mark_second_factor_passed(request)
            services.clear_sign_in_failures(username=user.username)
            logger.info("second factor passed for %s", user.username)
            left = services.recovery_codes_left(user)
            if left < 3:
                messages.warning(
                    request,
                    f"You have {left} recovery code{'s' if left != 1 else ''} left; "
                    "make new ones on My account.",
                )
            return redirect(_next(request))
        else:
            services.record_sign_in_failure(username=user.username, address=address)
            form.add_error(
                "code",
                "That code is not right. Type the 6 digits your app shows now (check the "
                "phone's clock is set automatically), or a recovery code.",
            )
    return render(request, "accounts/second_factor.html", {"form": form, "next": _next(request)})


@login_required
@never_cache
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in, or after a reset: scan the QR code, type a code to confirm."""
    user = user_of(request)
    if services.has_second_factor(user):
        return redirect(f"{reverse('second_factor')}?{urlencode({'next': _next(request)})}")
    # The secret waits in the session until a code proves the app has it: looking at
    # this page changes nothing stored.
    secret = request.session.get(PENDING_SECRET) or services.new_totp_secret()
    request.session[PENDING_SECRET] = secret
    form = CodeForm(request.POST or None)
    form.fields["code"].help_text = "The 6 digits the app shows for Keepwarm."
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_enrolment(
                user=user, secret=secret, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            del request.session[PENDING_SECRET]
            mark_second_factor_passed(request)
            services.clear_sign_in_failures(username=user.username)
            logger.info("second factor set up by %s", user.username)
            notify_sign_in_change(user=user, change="an authenticator app was set up")
            _show_once(request, recovery_codes=" ".join(codes), next=_next(request))
            return redirect("recovery_codes")
    uri = services.provisioning_uri(user=user, secret=secret)
    context = {
        "form": form,
        "next": _next(request),
        # segno draws paths from our own otpauth URI: no user text reaches the markup.
        "qr_svg": mark_safe(  # noqa: S308
            segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator")
        ),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
    }
    return render(request, "accounts/second_factor_enrol.html", context)


@login_required
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once: after this page only their hashes remain."""
    shown = _pop_shown_once(request)
    if "recovery_codes" not in shown:
        return redirect("account")
    context = {"codes": shown["recovery_codes"].split(), "next": shown.get("next") or ""}
    return render(request, "accounts/recovery_codes.html", context)


@login_required
@require_POST
def second_factor_change(request: HttpRequest) -> HttpResponse:
    """New recovery codes, or a new authenticator: both ask for the password again."""
    user = user_of(request)
    form = ConfirmPasswordForm(request.POST, user=user, request=request)
    if not form.is_valid():
        for message in form.errors.get("password", []):
            messages.error(request, str(message))
        return redirect("account")
    # Whoever might have the old phone or codes is signed out; this session carries on.
    services.end_sessions(user, keep=request.session.session_key)
    if request.POST.get("action") == "new-authenticator":
        services.reset_second_factor(user=user)
        request.session.pop(PENDING_SECRET, None)
        notify_sign_in_change(user=user, change="your authenticator app was removed")
        return redirect("second_factor_enrol")
    codes = services.regenerate_recovery_codes(user=user)
    notify_sign_in_change(user=user, change="new recovery codes replaced the old ones")
    _show_once(request, recovery_codes=" ".join(codes), next=reverse("account"))
    return redirect("recovery_codes")


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this user, this one included, on the server."""
    services.end_sessions(user_of(request))
    logout(request)
    messages.success(request, "You are signed out on every device.")
    return redirect("login")
