"""Sent mail: the outbox as a page, so nothing the worker does is invisible."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Concat, Trim
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from keepwarm.accounts.access import manager_required, user_of
from keepwarm.accounts.models import User
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care import queries
from keepwarm.lib.ids import parse_id
from keepwarm.lib.paginator import keyset_page
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.reconcile import resolve_unknown

PAGE_SIZE = 50
# Two pages' worth; a longer list of ids in one POST is not someone ticking boxes.
MAX_RESOLVE = 2 * PAGE_SIZE


def visible_messages(user: User) -> QuerySet[OutboxMessage]:
    """Managers see the whole outbox; consultants mail to people they can see."""
    if user.sees_whole_team:
        return OutboxMessage.objects.all()
    # A check-in sent about a colleague's placement stays theirs, even to a shared contact:
    # a message about a placement is seen by whoever may see the placement, as its
    # touchpoint is (`visible_touchpoints`); any other by whoever may see its person.
    # Both are columns of the message, so a page and its count read one index of it.
    people, placements = queries.visible_ids(user)
    about_visible_work = Q(placement__isnull=True) | Q(placement_id__any_of=placements)
    return OutboxMessage.objects.filter(about_visible_work, person_id__any_of=people)


def get_message_for(user: User, pk: int) -> OutboxMessage:
    return get_object_or_404(
        visible_messages(user).select_related("person", "touchpoint", "template"), pk=pk
    )


def in_state(qs: QuerySet[OutboxMessage], state: str, *, user: User) -> QuerySet[OutboxMessage]:
    """`qs`'s messages in `state`. A consultant's are found by the person index and the
    state is asked of each: SQLite, without statistics, otherwise reads every message of
    the agency in that state by the state index (all 950,000 sent ones at agency size,
    0.3 s) to keep a consultant's few. Unary plus on SQLite keeps an index from serving a
    column; PostgreSQL weighs the indexes itself. A manager's list keeps the state index:
    a rare state (unknown, failed) is found there, not by walking the whole outbox."""
    if connection.vendor != "sqlite" or user.sees_whole_team:
        return qs.filter(state=state)
    state_as_asked = Func(F("state"), template="+%(expressions)s", output_field=CharField())
    return qs.alias(state_as_asked=state_as_asked).filter(state_as_asked=state)


# What a row of Sent mail shows (mail/sent_mail.html): not the bodies; of the person and
# the check-in, their name and outcome as columns of the message (a person and a
# touchpoint made for each of 50 rows were a third of a manager's page).
ROW_FIELDS = (
    *("state", "outcome", "outcome_detail", "subject", "to_email", "last_error"),
    *("sent_at", "send_after", "claimed_at", "claimed_by", "message_id", "attempts"),
    "person",
)


def message_rows(ids: list[int]) -> QuerySet[OutboxMessage]:
    """A page's messages, read once the page's ids are known: the page is found from
    (created_at, id) alone, so a consultant's thousands of messages are sorted without
    their rows."""
    return (
        OutboxMessage.objects.filter(pk__any_of=ids)
        .only(*ROW_FIELDS)
        .annotate(
            person_name=Trim(Concat("person__first_name", Value(" "), "person__last_name")),
            checkin_outcome=F("touchpoint__outcome"),
        )
    )


@login_required
def sent_mail(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    qs = visible_messages(user)
    state = request.GET.get("state", "")
    if state in OutboxMessage.State.values:
        qs = in_state(qs, state, user=user)
    else:
        state = ""
    page = keyset_page(request, qs, PAGE_SIZE, order=("-created_at", "-id"), load=message_rows)
    record_read(page, label=brief_label)
    unknown_here = any(m.state == OutboxMessage.State.UNKNOWN for m in page.object_list)
    context = {
        "page_obj": page,
        "state": state,
        "states": OutboxMessage.State.choices,
        # Settling many at once is for those who see the whole outbox.
        "bulk": user.sees_whole_team and unknown_here,
        # "Select all" is a link that ticks every box: no script needed.
        "all_selected": request.GET.get("select") == "all",
    }
    return render(request, "mail/sent_mail.html", context)


@manager_required("Only managers and admins settle messages in bulk.")
@require_POST
def resolve_messages(request: HttpRequest) -> HttpResponse:
    """Settle many unknown messages at once after a crash: managers and admins."""
    user = user_of(request)
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("ids")[:MAX_RESOLVE]) if i]
    choice = request.POST.get("sent")
    if not ids or choice not in ("yes", "no"):
        messages.error(request, "Tick the messages to settle, then choose what happened.")
        return redirect(reverse("sent_mail") + "?state=unknown")
    try:
        count = resolve_unknown(message_ids=ids, sent=choice == "yes", by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = f"{count} message{'s' if count != 1 else ''}"
        said = "marked as sent" if choice == "yes" else "queued to send again with the next batch"
        skipped = len(set(ids)) - count
        note = f" {skipped} had already been settled and were left as they were." if skipped else ""
        messages.success(request, f"{done} {said}.{note}")
    return redirect(reverse("sent_mail") + "?state=unknown")


@login_required
def sent_message(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_message_for(user_of(request), pk)
    return render(request, "mail/sent_message.html", {"message": found})


@login_required
@require_POST
def resolve_message(request: HttpRequest, pk: int) -> HttpResponse:
    """A message caught mid-send: someone checks and says whether it went out."""
    user = user_of(request)
    found = get_message_for(user, pk)
    sent = request.POST.get("sent") == "yes"
    try:
        resolve_unknown(message_ids=[found.pk], sent=sent, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, "Marked as sent." if sent else "Queued to send again with the next batch."
        )
    return redirect("sent_message", pk=found.pk)
