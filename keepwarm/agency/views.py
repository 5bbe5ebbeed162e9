"""The Agency settings page (admins), its live preview, and the brand's public files: the
logo and the favicon."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from keepwarm.accounts.access import admin_required, user_of
from keepwarm.agency.forms import AgencySettingsForm
from keepwarm.agency.models import SOFT_SHARE, AgencySettings, Logo, agency_settings
from keepwarm.agency.services import save_agency_settings
from keepwarm.lib import favicon
from keepwarm.lib.colours import HEX_COLOUR, tint
from keepwarm.mail.compose import compose

admins_only = admin_required("Only admins change the agency's settings.")


def _editable() -> AgencySettings:
    # A copy of its own: a form that fails validation must not leave its values on the row
    # this process shares between requests.
    agency_settings()
    return AgencySettings.objects.get(pk=1)


@admins_only
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AgencySettingsForm(request.POST, request.FILES, instance=_editable())
        if form.is_valid():
            save_agency_settings(
                changed=form.instance,
                logo=form.cleaned_data["logo"],
                drop_logo=form.cleaned_data["drop_logo"],
            )
            messages.success(
                request,
                "Agency settings saved. Pages and emails use them from now on; the worker "
                "picks them up within a minute.",
            )
            return redirect("agency_settings")
        status = 422
    else:
        form = AgencySettingsForm(instance=_editable())
        status = 200
    context = {"form": form, **_preview(request, form.instance)}
    return render(request, "agency/settings.html", context, status=status)


@admins_only
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The sample email and public page with the values typed so far, saved or not (htmx)."""
    form = AgencySettingsForm(request.POST, instance=_editable())
    form.is_valid()  # fills the instance with what is valid; the rest keeps its saved value
    unsaved = form.instance
    for name in form.errors:
        if hasattr(unsaved, name):
            setattr(unsaved, name, getattr(agency_settings(), name))
    return render(request, "agency/_preview.html", _preview(request, unsaved))


def _preview(request: HttpRequest, brand: AgencySettings) -> dict[str, str]:
    user = user_of(request)
    first_name = user.first_name or user.display_name
    expires_on = timezone.localdate() + dt.timedelta(days=brand.invitation_days)
    sample = {
        "first_name": "Priya",
        "owner_name": user.display_name,
        "owner_first_name": first_name,
        "owner_phone": user.phone,
        "owner_email": user.email,
        "owner_hours": user.available_hours,
        "personal_page_url": "",
        "is_client": False,
        "question_count": 4,
        "link": "#",
        "expires_on": expires_on,
        "note": "",
        "subject": "How is your first month going?",
    }
    email = compose("invitation", sample, brand=brand)
    page = render_to_string(
        "agency/preview_public.html",
        {"brand": brand, "title": sample["subject"], "first_name": "Priya"},
        request=request,
    )
    return {"email_html": email.html, "email_subject": email.subject, "public_html": page}


@login_not_required
@require_GET
@cache_control(public=True, max_age=365 * 24 * 3600, immutable=True)
def logo(request: HttpRequest, digest: str) -> HttpResponse:
    """The agency's logo; its address names its contents, so it may be cached for good."""
    found = get_object_or_404(Logo, digest=digest)
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_not_required
@require_GET
@cache_control(public=True, max_age=365 * 24 * 3600, immutable=True)
def brand_css(request: HttpRequest) -> HttpResponse:
    """The agency's colours for outsiders' pages, as a stylesheet of our own: their content
    security policy allows no inline style. Pages name the colour in the address (`?v=`,
    six hex digits), so a new colour is a new address that may be cached for good, and the
    settings page's preview can show a colour not saved yet."""
    named = f"#{request.GET.get('v', '')}"
    colour = named.lower() if HEX_COLOUR.match(named) else agency_settings().colour
    css = f":root {{ --accent: {colour}; --accent-soft: {tint(colour, SOFT_SHARE)}; }}\n"
    return HttpResponse(css, content_type="text/css")


@login_not_required
@require_GET
@cache_control(public=True, max_age=3600)
def favicon_file(request: HttpRequest, kind: str) -> HttpResponse:
    """The favicon in the agency's colour: /favicon.svg, with /favicon.ico for the rest."""
    colour = agency_settings().colour
    if kind == "svg":
        return HttpResponse(favicon.svg(colour), content_type="image/svg+xml")
    if kind == "ico":
        return HttpResponse(favicon.ico(colour), content_type="image/x-icon")
    raise Http404
