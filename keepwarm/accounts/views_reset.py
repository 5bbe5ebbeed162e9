"""“Forgot password?”: ask for a link by email, then choose a new password through it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache

from keepwarm.accounts.forms import PasswordResetRequestForm
from keepwarm.accounts.models import User
from keepwarm.lib.net import client_address
from keepwarm.mail.services.password_reset import request_password_reset, reset_password

# The same words whether or not the address is a colleague's.
LINK_ON_ITS_WAY = (
    "If {email} is the address of a Keepwarm account, an email with a link to choose a new "
    "password is on its way. The link works once, within {minutes} minutes."
)


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            request_password_reset(email=email, address=client_address(request))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                LINK_ON_ITS_WAY.format(
                    email=email, minutes=settings.KEEPWARM_PASSWORD_RESET_MINUTES
                ),
            )
            return redirect("login")
    context = {"form": form, "minutes": settings.KEEPWARM_PASSWORD_RESET_MINUTES}
    return render(request, "accounts/password_reset.html", context)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's: checks the emailed token, then moves it out of the URL into the session
    (so it leaks through no Referer) before showing the form; a GET changes no password."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("login")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        return {**context, "minutes": settings.KEEPWARM_PASSWORD_RESET_MINUTES}

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        reset_password(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(
            self.request,
            "Your new password is saved, and you are signed out everywhere. Sign in with it.",
        )
        return HttpResponseRedirect(self.get_success_url())
