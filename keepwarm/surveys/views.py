"""The public answer page behind emailed links, the admin questionnaire builder and the
staff view of a response."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, ProtectedError, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import admin_required, user_of
from keepwarm.care.queries import visible_placements
from keepwarm.lib.net import client_address
from keepwarm.lib.ratelimit import RATE_WINDOW, over_limit
from keepwarm.surveys import page, services
from keepwarm.surveys.forms import AnswerForm, QuestionForm, QuestionnaireForm
from keepwarm.surveys.models import TARGET_CHOICES, Question, Questionnaire, Response

# The answer page loads only our own files: no third-party assets, no inline script.
PUBLIC_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _public(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: never leak it in a Referer, never keep the page in a cache.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = PUBLIC_CSP
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _problem(request: HttpRequest, problem: services.LinkProblem) -> HttpResponse:
    return _public(
        render(request, "surveys/link_problem.html", {"problem": problem}, status=problem.status)
    )


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "surveys/too_many.html", status=429)
    response["Retry-After"] = str(int(RATE_WINDOW.total_seconds()))
    return _public(response)


def _done(request: HttpRequest, invitation: Any, *, again: bool = False) -> HttpResponse:
    context = {"invitation": invitation, "again": again}
    return _public(render(request, "surveys/done.html", context))


# No CSRF check: the secret in the URL is what authorises the POST, so another site
# cannot forge one without it; and with Referrer-Policy: no-referrer, browsers send
# "Origin: null" on the form's POST, which Django's CSRF check would refuse.
@csrf_exempt
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the questions (any number of times: mail scanners open links);
    POST records the answers once."""
    if request.method not in ("GET", "HEAD", "POST"):
        return _public(HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"}))
    posting = request.method == "POST"
    now = timezone.now()
    if posting and over_limit(
        key=f"ip:{client_address(request)}", limit=services.ADDRESS_LIMIT, now=now
    ):
        return _too_many(request)
    try:
        link = page.read_link(token, now=now)
        if posting and over_limit(
            key=f"link:{link.invitation_id}", limit=services.LINK_LIMIT, now=now
        ):
            return _too_many(request)
        if link.answered:
            return _done(request, services.open_link(token, now=now), again=posting)
    except services.LinkProblem as problem:
        return _problem(request, problem)

    shown = page.questionnaire_page(link.questionnaire_id, link.version)
    questions = page.questions_for(link, shown)
    form = None
    if not posting and questions is shown.questions:
        return _public(HttpResponse(page.blank_answer_page(shown, link)))
    if posting:
        form = AnswerForm(request.POST, questions=questions)
        if form.is_valid():
            try:
                invitation = services.open_link(token, now=now)
                services.record_response(invitation=invitation, given=form.given, now=now)
            except services.AlreadyAnswered:
                return _done(request, services.open_link(token, now=now), again=True)
            except services.LinkProblem as problem:
                return _problem(request, problem)
            return _public(redirect(request.path))
    # Questions of this invitation's own (a client's targets), or answers to send back.
    items = page.items_for(questions, form)
    problems = [item for item in items if item.errors or (item.number and item.number.errors)]
    html = page.render_answer_page(
        request,
        shown.questionnaire,
        page.render_questions(items),
        heading=page.link_heading(link),
        problems=problems,
    )
    return _public(HttpResponse(html))


# --- Staff: one response ----------------------------------------------------------------------


@login_required
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = get_object_or_404(
        Response.objects.filter(placement__in=visible_placements(user)).select_related(
            "person", "placement__company", "placement__person", "questionnaire", "invitation"
        ),
        pk=pk,
    )
    answers = list(found.answers.select_related("question"))
    return render(request, "surveys/response.html", {"response": found, "answers": answers})


# --- Admins: the questionnaire builder -----------------------------------------------------------


admins_only = admin_required("Only admins edit questionnaires.")


@admins_only
def questionnaires(request: HttpRequest) -> HttpResponse:
    found = Questionnaire.objects.annotate(
        question_count=Count("questions", filter=Q(questions__invitation__isnull=True)),
    ).order_by("audience", "name")
    answered = dict(
        Response.objects.values_list("questionnaire").annotate(n=Count("id")).order_by()
    )
    rows = [(q, answered.get(q.pk, 0)) for q in found]
    return render(request, "surveys/questionnaires.html", {"rows": rows})


@admins_only
def questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Questionnaire, pk=pk)
    questions = found.questions.filter(invitation__isnull=True).select_related("show_if")
    steps = found.plan_steps.select_related("plan").order_by("plan__name", "order")
    context = {"questionnaire": found, "questions": questions, "steps": steps}
    return render(request, "surveys/questionnaire.html", context)


@admins_only
def questionnaire_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    found = get_object_or_404(Questionnaire, pk=pk) if pk else None
    form = QuestionnaireForm(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Saved {saved.name}.")
        return redirect("questionnaire", saved.pk)
    return render(
        request, "surveys/questionnaire_form.html", {"form": form, "questionnaire": found}
    )


@admins_only
def question_edit(
    request: HttpRequest, questionnaire_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    if pk is not None:
        found = get_object_or_404(Question, pk=pk, invitation__isnull=True)
        owner = found.questionnaire
    else:
        owner = get_object_or_404(Questionnaire, pk=questionnaire_pk)
        last = owner.questions.filter(invitation__isnull=True).order_by("-order").first()
        found = Question(questionnaire=owner, order=(last.order + 10) if last else 10)
    form = QuestionForm(request.POST or None, instance=found, questionnaire=owner)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Question saved.")
        return redirect("questionnaire", owner.pk)
    context = {"form": form, "questionnaire": owner, "question": found}
    return render(request, "surveys/question_form.html", context)


@admins_only
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Question, pk=pk, invitation__isnull=True)
    owner_pk = found.questionnaire_id
    try:
        found.delete()
    except ProtectedError:
        messages.error(
            request,
            "People have answered this question, so it stays for the record. "
            "Make a copy of the questionnaire without it instead.",
        )
    else:
        messages.success(request, "Question removed.")
    return redirect("questionnaire", owner_pk)


@admins_only
def questionnaire_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The page as a person sees it, with a sample target when it asks about targets."""
    found = get_object_or_404(Questionnaire, pk=pk)
    questions = list(found.questions.filter(invitation__isnull=True).select_related("show_if"))
    if found.asks_about_targets:
        sample = Question(
            pk=0,
            questionnaire=found,
            order=1,
            code="target:sample",
            kind=Question.Kind.CHOICE,
            label="New business: how is Priya doing against the agreed target?",
            help="Agreed: New business: 40000 GBP a quarter (an example)",
            choices=TARGET_CHOICES,
            number_label="Where are they now? (GBP, optional)",
        )
        questions.insert(0, sample)
    html = page.render_questions(page.items_for(questions))
    return HttpResponse(page.render_answer_page(request, found, html, preview=True))
