"""Subject access requests, for managers and admins: log, download everything, answer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import admin_required, manager_required, user_of
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import record, record_read
from keepwarm.people.models import Person
from keepwarm.privacy import retention, services
from keepwarm.privacy.erasure import ErasureRefused, erase_person
from keepwarm.privacy.export import gather
from keepwarm.privacy.forms import AccessRequestForm, ErasureForm, RetentionRuleFormSet
from keepwarm.privacy.models import AccessRequest, RetentionEvent, RetentionRule
from keepwarm.privacy.notices import mark_notice_given, notice_deadline, notices_owed

# Only managers and admins answer for the agency as data controller.
data_protection_only = manager_required("Only managers and admins handle subject access requests.")


@data_protection_only
def access_requests(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    found = AccessRequest.objects.select_related("person")
    open_requests = list(found.filter(answered_on__isnull=True).order_by("due_on"))
    answered = list(found.filter(answered_on__isnull=False).order_by("-answered_on")[:50])
    reviews = list(retention.open_reviews().order_by("at")[:100])
    retention_log = list(RetentionEvent.objects.select_related("person", "by")[:30])
    by_hand = list(notices_owed().filter(email="").order_by("obtained_on", "id")[:100])
    shown = [r.person for r in [*open_requests, *answered]]
    shown += [e.person for e in [*reviews, *retention_log]] + by_hand
    record_read({person.pk: person for person in shown}.values())
    return render(
        request,
        "privacy/access_requests.html",
        {
            "open_requests": [(r, r.days_left(today)) for r in open_requests],
            "answered": answered,
            "today": today,
            "reviews": reviews,
            "retention_log": retention_log,
            "notices_by_hand": [(p, notice_deadline(p)) for p in by_hand],
        },
    )


@data_protection_only
def access_request_new(request: HttpRequest, person_pk: int) -> HttpResponse:
    user = user_of(request)
    person = get_object_or_404(Person, pk=person_pk)
    today = timezone.localdate()
    form = AccessRequestForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        logged = services.log_access_request(
            person=person,
            received_on=form.cleaned_data["received_on"],
            channel=form.cleaned_data["channel"],
            notes=form.cleaned_data["notes"],
            by=user,
        )
        messages.success(
            request, f"Logged. Answer by {logged.due_on:%-d %B %Y}, one month from receipt."
        )
        return redirect(logged)
    return render(request, "privacy/access_request_new.html", {"person": person, "form": form})


def _record_export(found: AccessRequest, what: str) -> None:
    record(
        AuditEntry.Action.EXPORTED,
        object_type="people.person",
        object_id=found.person.pk,
        object_repr=f"{found.person.full_name}: subject access {what}",
        person_id=found.person.pk,
    )


def _request_for(pk: int) -> AccessRequest:
    return get_object_or_404(AccessRequest.objects.select_related("person", "answered_by"), pk=pk)


@data_protection_only
def access_request(request: HttpRequest, pk: int) -> HttpResponse:
    found = _request_for(pk)
    export = gather(found.person)
    return render(
        request,
        "privacy/access_request.html",
        {"req": found, "export": export, "left": found.days_left(timezone.localdate())},
    )


@data_protection_only
def access_request_json(request: HttpRequest, pk: int) -> HttpResponse:
    found = _request_for(pk)
    _record_export(found, "JSON")
    response = HttpResponse(
        gather(found.person).as_json(), content_type="application/json; charset=utf-8"
    )
    filename = f"keepwarm-subject-access-{found.person.pk}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@data_protection_only
def access_request_document(request: HttpRequest, pk: int) -> HttpResponse:
    found = _request_for(pk)
    _record_export(found, "document")
    response = render(
        request,
        "privacy/access_request_document.html",
        {"req": found, "export": gather(found.person)},
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # the signed link is the guard; a mail client's page has no session
def keep_details(request: HttpRequest, token: str) -> HttpResponse:
    """The answer to "may we keep your details?": GET shows a button, only POST records."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    person = retention.person_from_keep_token(token)
    if person is None:
        return render(request, "privacy/keep_problem.html", status=400)
    if request.method == "POST":
        retention.keep_for_another_period(person, now=timezone.now())
        return render(request, "privacy/kept.html", {"person": person})
    return render(request, "privacy/keep.html", {"person": person})


@admin_required("Only admins change retention rules.")
def retention_rules(request: HttpRequest) -> HttpResponse:
    formset = RetentionRuleFormSet(request.POST or None, queryset=RetentionRule.objects.all())
    if request.method == "POST" and formset.is_valid():
        formset.save()
        messages.success(request, "Saved the retention rules.")
        return redirect("retention_rules")
    return render(request, "privacy/retention_rules.html", {"formset": formset})


@data_protection_only
@require_POST
def keep_on_review(request: HttpRequest, person_pk: int) -> HttpResponse:
    user = user_of(request)
    person = get_object_or_404(Person, pk=person_pk)
    retention.keep_for_another_period(person, now=timezone.now(), by=user)
    messages.success(request, f"Kept {person.full_name} for another retention period.")
    return redirect("access_requests")


@data_protection_only
@require_POST
def notice_given(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_pk)
    mark_notice_given(person, now=timezone.now())
    messages.success(request, f"Recorded that {person.full_name} has been given the notice.")
    return redirect("access_requests")


@data_protection_only
def erase(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Erasure on request: a page that says what will happen, then a POST that does it."""
    user = user_of(request)
    person = get_object_or_404(Person, pk=person_pk)
    form = ErasureForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            result = erase_person(person, by=user, reason=form.cleaned_data["reason"])
        except ErasureRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Erased. {result.records_scrubbed} records were anonymised, "
                f"{result.calls_cancelled} planned calls and check-ins and "
                f"{result.emails_cancelled} waiting emails cancelled. The person is now "
                f"{person.full_name}.",
            )
            return redirect(person)
    return render(request, "privacy/erase.html", {"person": person, "form": form})


@data_protection_only
@require_POST
def access_request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    found = _request_for(pk)
    services.mark_answered(found, by=user, on=timezone.localdate())
    messages.success(request, f"Marked the request from {found.person.full_name} as answered.")
    return redirect(found)
