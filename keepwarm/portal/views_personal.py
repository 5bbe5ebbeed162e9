"""The personal page for outsiders: asking for a sign-in link, using it, the page itself
and what can be done from it, and signing out.

The sign-in link page is authorised by the signed token in its URL (csrf_exempt, like the
other emailed-link pages, and with no Referer so the token never leaks). Once signed in,
the page is authorised by the outsider's own session cookie, so its forms carry Django's
CSRF token like any staff form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from keepwarm.accounts.access import user_of
from keepwarm.accounts.models import User
from keepwarm.care.queries import get_person_for
from keepwarm.lib.images import image_type
from keepwarm.lib.net import client_address
from keepwarm.lib.ratelimit import RATE_WINDOW, over_limit
from keepwarm.mail.models import email_hash
from keepwarm.mail.unsubscribe import preferences_url
from keepwarm.people.models import Company, Person
from keepwarm.portal import personal, signin
from keepwarm.portal.forms import (
    ConcernForm,
    LeadForm,
    NewRoleForm,
    ProblemForm,
    ReferralForm,
    SignInForm,
    StatusForm,
)
from keepwarm.portal.models import PortalSession
from keepwarm.portal.views import _not_allowed, _public

# Our own stylesheet and images only; no script at all.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Per ten minutes (lib.ratelimit's RATE_WINDOW): sign-in requests per address and per connection,
# and submissions from one personal page and one connection.
LINKS_PER_ADDRESS = 3
LINKS_PER_CONNECTION = 20
ACTIONS_PER_PERSON = 20
ACTIONS_PER_CONNECTION = 60


def _page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    response = render(request, f"portal/{template}", context or {}, status=status)
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = PAGE_CSP
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    response = _page(request, "me_too_many.html", status=429)
    response["Retry-After"] = str(int(RATE_WINDOW.total_seconds()))
    return _public(response)


# --- Asking for a link --------------------------------------------------------------------


@csrf_exempt  # anonymous form; rate limits and the email to the known address are the guard
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return _not_allowed()
    if request.method != "POST":
        if request.GET.get("sent") == "1":
            return _public(_page(request, "me_link_sent.html", {"minutes": signin.link_minutes()}))
        return _public(_page(request, "me_sign_in.html", {"form": SignInForm()}))
    now = timezone.now()
    if over_limit(key=f"me-ip:{client_address(request)}", limit=LINKS_PER_CONNECTION, now=now):
        return _too_many(request)
    form = SignInForm(request.POST)
    if not form.is_valid():
        return _public(_page(request, "me_sign_in.html", {"form": form}, status=400))
    email = form.cleaned_data["email"]
    if over_limit(key=f"me:{email_hash(email)[:32]}", limit=LINKS_PER_ADDRESS, now=now):
        return _too_many(request)
    person = signin.find_outsider(email)
    if person is not None:
        signin.send_sign_in_link(person=person, now=now)
    # The same answer whether or not we know the address: the form reveals nothing.
    return _public(redirect(reverse("portal_sign_in") + "?sent=1"))


# --- Using a link ---------------------------------------------------------------------------


def _link_problem(request: HttpRequest, token: str, problem: signin.LinkProblem) -> HttpResponse:
    # A genuine link that expired or was used may ask for a new one, sent to the address
    # on the record; a changed or cut-short link may not.
    can_resend = type(problem) is not signin.LinkProblem and (
        signin.person_of_old_link(token) is not None
    )
    context = {"problem": problem, "can_resend": can_resend}
    return _public(_page(request, "me_link_problem.html", context, status=problem.status))


@csrf_exempt  # the signed token in the URL authorises the POST
def use_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links); only its POST signs the person in."""
    if request.method not in ("GET", "HEAD", "POST"):
        return _not_allowed()
    now = timezone.now()
    if request.method == "POST":
        if over_limit(key=f"me-ip:{client_address(request)}", limit=LINKS_PER_CONNECTION, now=now):
            return _too_many(request)
        if request.POST.get("action") == "resend":
            return _resend(request, token, now=now)
    try:
        link = signin.open_link(token)
    except signin.LinkProblem as problem:
        return _link_problem(request, token, problem)
    if request.user.is_authenticated:
        # A consultant opening the link from Sent mail or a timeline must not use it up,
        # nor become the outsider in this browser.
        context = {"person": link.person, "staff": True}
        return _public(_page(request, "me_link.html", context))
    if request.method != "POST":
        context = {"person": link.person}
        return _public(_page(request, "me_link.html", context))
    try:
        raw = signin.use_link(link, now=now)
    except signin.LinkProblem as problem:
        return _link_problem(request, token, problem)
    response = _public(redirect("portal_home"))
    signin.set_cookie(response, raw)
    return response


def _resend(request: HttpRequest, token: str, *, now: Any) -> HttpResponse:
    person = signin.person_of_old_link(token)
    if person is None:
        return _link_problem(request, token, signin.LinkProblem())
    if over_limit(key=f"me-person:{person.pk}", limit=LINKS_PER_ADDRESS, now=now):
        return _too_many(request)
    signin.send_sign_in_link(person=person, now=now)
    return _public(redirect(reverse("portal_sign_in") + "?sent=1"))


# --- The page ---------------------------------------------------------------------------------


def _session(request: HttpRequest) -> PortalSession | None:
    return signin.session_for(request)


def _forms(person: Person, bound: dict[str, Any]) -> dict[str, Any]:
    hired = list(personal.hired_placements(person))
    companies = Company.objects.filter(pk__in=personal.client_companies(person))
    return {
        "problem_form": bound.get("problem") or ProblemForm(),
        "status_form": bound.get("status") or StatusForm(),
        "referral_form": bound.get("refer") or ReferralForm(),
        "lead_form": bound.get("lead") or LeadForm(),
        "concern_form": bound.get("concern") or ConcernForm(placements=hired),
        "role_form": bound.get("role") or NewRoleForm(),
        "hired": hired,
        "companies": list(companies),
    }


def _home(request: HttpRequest, session: PortalSession, **bound: Any) -> HttpResponse:
    """One calm page: their job and who looks after them, how things are, what they
    answered, referring someone, and what we send them. A form sent back with a problem
    comes back open, as it was typed."""
    person = session.person
    latest = person.statements.order_by("-created_at", "-id").first()
    context: dict[str, Any] = {
        "person": person,
        "consultant": personal.consultant_for(person),
        "is_placed": personal.is_placed(person),
        "placement": personal.own_placements(person).first(),
        "today": timezone.localdate(),
        "latest_statement": latest,
        "answers": personal.past_answers(person),
        "reward_rules": personal.reward_rules(),
        "newsletter": personal.newsletter_consent(person),
        "preferences_url": preferences_url(person=person),
        "referrals": list(person.referrals_made.order_by("-received_at", "-id")[:10]),
        "leads": list(person.leads_given.order_by("-received_at", "-id")[:10]),
        "open_form": next(iter(bound), ""),
        **_forms(person, bound),
    }
    context["is_client"] = bool(context["hired"] or context["companies"])
    return _page(request, "me.html", context, status=400 if bound else 200)


def home(request: HttpRequest) -> HttpResponse:
    session = _session(request)
    if session is None:
        return redirect("portal_sign_in")
    return _home(request, session)


# What each action's thank-you page says happens next (templates/portal/me_thanks.html).
THANKS = ("problem", "concern", "status", "refer", "lead", "role")


@require_safe
def thanks(request: HttpRequest, action: str) -> HttpResponse:
    """Thank you, once, and what happens next: a page of its own after a form was sent
    (a GET that only shows, so reloading it sends nothing again)."""
    session = _session(request)
    if session is None:
        return redirect("portal_sign_in")
    if action not in THANKS:
        raise Http404("No such action.")
    person = session.person
    context = {
        "person": person,
        "action": action,
        "consultant": personal.consultant_for(person),
        "latest_statement": person.statements.order_by("-created_at", "-id").first(),
        "referral": person.referrals_made.order_by("-received_at", "-id").first(),
        "reward_rules": personal.reward_rules(),
    }
    return _page(request, "me_thanks.html", context)


def _thanked(action: str) -> HttpResponse:
    return redirect("portal_thanks", action=action)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    signin.end_session(request)
    response = redirect(reverse("portal_sign_in") + "?signed_out=1")
    signin.clear_cookie(response)
    return response


Action = Callable[[Person, dict[str, Any]], object]


def _act_problem(person: Person, data: dict[str, Any]) -> object:
    return personal.report_problem(person=person, text=data["text"])


def _act_status(person: Person, data: dict[str, Any]) -> object:
    return personal.say_how_things_are(
        person=person, status=data["status"], contract_end_on=data["contract_end_on"]
    )


def _act_refer(person: Person, data: dict[str, Any]) -> object:
    return personal.refer(person=person, **data)


def _act_lead(person: Person, data: dict[str, Any]) -> object:
    return personal.pass_on_lead(person=person, **data)


ACTIONS: dict[str, tuple[type[Any], Action]] = {
    "problem": (ProblemForm, _act_problem),
    "status": (StatusForm, _act_status),
    "refer": (ReferralForm, _act_refer),
    "lead": (LeadForm, _act_lead),
}


@require_POST
def act(request: HttpRequest, action: str) -> HttpResponse:
    """One thing done from the personal page; the page comes back with a thank-you, or
    with the form as it was typed and what needs fixing."""
    session = _session(request)
    if session is None:
        return redirect("portal_sign_in")
    person = session.person
    now = timezone.now()
    if over_limit(
        key=f"me-act-ip:{client_address(request)}", limit=ACTIONS_PER_CONNECTION, now=now
    ) or over_limit(key=f"me-page:{person.pk}", limit=ACTIONS_PER_PERSON, now=now):
        return _too_many(request)
    if action == "concern":
        return _concern(request, session)
    if action == "role":
        return _new_role(request, session)
    if action not in ACTIONS:
        raise Http404("No such action.")
    form_class, run = ACTIONS[action]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(person, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _thanked(action)
    return _home(request, session, **{action: form})


def _concern(request: HttpRequest, session: PortalSession) -> HttpResponse:
    person = session.person
    hired = list(personal.hired_placements(person))
    form = ConcernForm(request.POST, placements=hired)
    if form.is_valid():
        placement = next(p for p in hired if p.pk == form.cleaned_data["placement"])
        try:
            personal.raise_concern(
                person=person, placement=placement, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _thanked("concern")
    return _home(request, session, concern=form)


def _new_role(request: HttpRequest, session: PortalSession) -> HttpResponse:
    person = session.person
    form = NewRoleForm(request.POST)
    companies = Company.objects.filter(pk__in=personal.client_companies(person))
    company = companies.filter(pk=request.POST.get("company") or 0).first() or companies.first()
    if company is None:
        form.add_error(None, "We have no company of yours on record; please call us instead.")
    elif form.is_valid():
        personal.tell_about_role(
            person=person,
            company_name=company.name,
            title=form.cleaned_data["title"],
            notes=form.cleaned_data["notes"],
        )
        return _thanked("role")
    return _home(request, session, role=form)


# --- Staff photos ---------------------------------------------------------------------------


def staff_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A consultant's photo, for colleagues and for the outsiders they look after.

    Media files are not served by whitenoise; this view also checks what the file is, so
    nothing but a PNG or JPEG ever goes out with an image type.
    """
    signed_in_staff = request.user.is_authenticated
    session = None if signed_in_staff else _session(request)
    if not signed_in_staff and session is None:
        raise Http404("No photo.")
    user = User.objects.filter(pk=pk, is_active=True).exclude(photo="").first()
    if user is None:
        raise Http404("No photo.")
    if session is not None and not _looks_after(user, session.person):
        raise Http404("No photo.")
    try:
        with user.photo.open("rb") as handle:
            # At most PHOTO_MAX_BYTES (2 MB): read whole, no file left open.
            data = handle.read()
    except OSError:
        raise Http404("No photo.") from None
    kind = image_type(data[:16])
    if kind is None:
        raise Http404("No photo.")
    response = HttpResponse(data, content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _looks_after(user: User, person: Person) -> bool:
    consultant = personal.consultant_for(person)
    if consultant is None:
        return False
    return user.pk in (consultant.user.pk, consultant.cover.pk if consultant.cover else None) or (
        person.owner_id == user.pk or personal.own_placements(person).filter(Q(owner=user)).exists()
    )


# --- Staff: sending someone their link ------------------------------------------------------


@login_required
@require_POST
def send_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A consultant emails a person a link to their page (say, while on the phone)."""
    user = user_of(request)
    person = get_person_for(user, pk)
    if not signin.outsiders().filter(pk=person.pk).exists():
        messages.error(request, "Only people we placed and client contacts have a personal page.")
    elif not person.email:
        messages.error(request, f"We have no email address for {person.full_name}.")
    else:
        signin.send_sign_in_link(person=person, by=user)
        messages.success(request, f"Emailed {person.full_name} a link to their personal page.")
    return redirect(person)
