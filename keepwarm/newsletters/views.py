"""Newsletter pages: staff compose and send; two public views serve what mail clients load."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from keepwarm.accounts.access import manager_required, user_of
from keepwarm.accounts.models import User
from keepwarm.audit.concurrency import EditConflict, conflict_message, with_current_version
from keepwarm.care.queries import visible_people
from keepwarm.lib.dates import agency_zone
from keepwarm.lib.ids import parse_id
from keepwarm.lib.working_days import why_not_working
from keepwarm.newsletters import services
from keepwarm.newsletters.forms import (
    AudienceForm,
    IssueEditor,
    IssueForm,
    LibraryBlockForm,
    NewBlockForm,
    NewsletterForm,
    ScheduleForm,
    StatisticsForm,
    TestSendForm,
)
from keepwarm.newsletters.models import (
    GENERATED,
    Audience,
    Block,
    Engagement,
    Frequency,
    Issue,
    Kind,
    LibraryBlock,
    Newsletter,
    PublicStatistic,
)
from keepwarm.newsletters.queries import issue_engagement, issue_progress
from keepwarm.newsletters.render import (
    Personaliser,
    compose,
    markdown_html,
    open_view_token,
)
from keepwarm.people.models import Person

PREVIEW_PEOPLE = 20


# Scheduling mail to a whole audience is for managers and admins.
SENDERS_ONLY = "Only managers and admins schedule and send newsletters."
senders_only = manager_required(SENDERS_ONLY)
# What a consultant may not do to an issue: anything that sends, or stops sending.
SENDER_ACTIONS = ("schedule", "unschedule", "pause", "resume", "cancel")


def _today() -> dt.date:
    return timezone.now().astimezone(agency_zone()).date()


# --- Newsletters ------------------------------------------------------------------------


@login_required
def newsletters(request: HttpRequest) -> HttpResponse:
    context = {
        "newsletters": Newsletter.objects.select_related("audience").prefetch_related("issues"),
        "failed": Issue.objects.filter(state=Issue.State.FAILED).select_related("newsletter"),
        "audiences": Audience.objects.all(),
        "library_count": LibraryBlock.objects.count(),
        "statistics_count": PublicStatistic.objects.count(),
    }
    return render(request, "newsletters/newsletters.html", context)


@login_required
def newsletter(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Newsletter.objects.select_related("audience"), pk=pk)
    return render(
        request,
        "newsletters/newsletter.html",
        {"newsletter": found, "issues": found.issues.all(), "issue_form": IssueForm()},
    )


def _newsletter_form(request: HttpRequest, instance: Newsletter | None) -> HttpResponse:
    form = NewsletterForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, "Newsletter saved.")
        if saved.frequency == Frequency.WEEKLY and saved.send_weekday % 7 >= 5:
            messages.warning(
                request,
                "It goes out on a weekend, when the agency does not work: replies and "
                "unsubscribes wait until Monday. Choose a weekday unless that is what you want.",
            )
        return redirect("newsletter", pk=saved.pk)
    return render(
        request, "newsletters/newsletter_form.html", {"form": form, "newsletter": instance}
    )


@senders_only
def newsletter_new(request: HttpRequest) -> HttpResponse:
    return _newsletter_form(request, None)


@senders_only
def newsletter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _newsletter_form(request, get_object_or_404(Newsletter, pk=pk))


# --- Audiences ---------------------------------------------------------------------------


def _audience_form(request: HttpRequest, instance: Audience | None) -> HttpResponse:
    form = AudienceForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, "Audience saved.")
        return redirect("newsletter_audience_edit", pk=saved.pk)
    context: dict[str, object] = {"form": form, "audience": instance}
    if instance is not None:
        context.update(_preview_context(instance))
    return render(request, "newsletters/audience_form.html", context)


def _preview_context(audience: Audience) -> dict[str, object]:
    today = _today()
    members = audience.members(today)
    segment = audience.segment(today)
    return {
        "count": members.count(),
        "segment_count": segment.count(),
        "preview": list(
            members.select_related("owner").order_by("last_name", "first_name")[:PREVIEW_PEOPLE]
        ),
    }


@senders_only
def audience_new(request: HttpRequest) -> HttpResponse:
    return _audience_form(request, None)


@senders_only
def audience_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _audience_form(request, get_object_or_404(Audience, pk=pk))


@senders_only
@require_POST
def audience_preview(request: HttpRequest) -> HttpResponse:
    """The live count while the audience form changes (htmx); nothing is saved. For
    managers and admins only, like the form it serves: it names people from the whole
    agency's records."""
    form = AudienceForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    audience = Audience(
        roles=data.get("roles") or [],
        sectors=data.get("sectors") or [],
        locations=data.get("locations") or [],
        placed_min_months=data.get("placed_min_months"),
        placed_max_months=data.get("placed_max_months"),
        consultant=data.get("consultant"),
        topics=data.get("topics") or [],
    )
    return render(request, "newsletters/_audience_preview.html", _preview_context(audience))


# --- Issues ------------------------------------------------------------------------------


@login_required
@require_POST
def issue_new(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Newsletter, pk=pk)
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("newsletter", pk=pk)
    issue = services.create_issue(
        newsletter=found,
        subject=form.cleaned_data["subject"],
        preheader=form.cleaned_data["preheader"],
        by=user_of(request),
    )
    return redirect("newsletter_issue", pk=issue.pk)


def _issue(pk: int) -> Issue:
    return get_object_or_404(Issue.objects.select_related("newsletter__audience"), pk=pk)


def _issue_to_change(request: HttpRequest, issue: Issue) -> None:
    """Refuse a change to `issue` the user may not make (Issue.locked_for says why)."""
    locked = issue.locked_for(user_of(request))
    if locked:
        raise ValidationError(locked)


def _preview_html(issue: Issue, user: User, blocks: list[Block] | None = None) -> str:
    """The issue (with `blocks` as typed, when given) as its first recipient the user may
    see would get it (someone they could open anyway), or as a made-up "Sam" when there
    is none."""
    frozen = compose(issue, blocks)
    members = issue.newsletter.audience.members(_today())
    visible = members.filter(pk__in=visible_people(user).values("pk"))
    sample = visible.select_related("owner").order_by("pk").first()
    if sample is not None:
        return services.personalise(issue, sample, personaliser=Personaliser.of(frozen))[0]
    values = {
        "first_name": "Sam",
        "consultant": "your consultant",
        "view_url": "#",
        "unsubscribe_url": "#",
        "preferences_url": "#",
        "reason": "Recipients see why they receive it here.",
        "track": "",
    }
    return Personaliser.of(frozen).fill(values)[0]


@login_required
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor: subject and every block in one form, saved together, then the block
    action its button asked for (add, move, remove). Nothing typed is lost: a refused
    save shows the page again with the text as typed, a save over someone else's shows
    both."""
    found = _issue(pk)
    if request.method != "POST":
        return _issue_page(request, found)
    try:
        _issue_to_change(request, found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("newsletter_issue", pk=pk)
    editor = IssueEditor.bind(found, request.POST)
    if not editor.is_valid():
        messages.error(request, "Nothing was saved: correct what is marked below.")
        return _issue_page(request, found, editor=editor)
    data = editor.form.cleaned_data
    try:
        services.save_issue(
            issue=found,
            expected_version=data["version"],
            subject=data["subject"],
            preheader=data["preheader"],
            blocks=editor.texts(),
        )
    except EditConflict as stale:
        fresh = _issue(pk)
        editor = IssueEditor.bind(fresh, with_current_version(request.POST, stale))
        editor.is_valid()
        editor.form.add_error(None, conflict_message(stale))
        return _issue_page(request, fresh, editor=editor, conflict=stale)
    except ValidationError as exc:
        editor.form.add_error(None, exc)
        return _issue_page(request, found, editor=editor)
    done = _block_action(request, found)
    messages.success(request, done or "Saved.")
    anchor = request.POST.get("action", "").partition(":")[2]
    return redirect(f"{found.get_absolute_url()}#block-{anchor}" if anchor.isdigit() else found)


def _block_action(request: HttpRequest, found: Issue) -> str:
    """The block button pressed with the save ("up:<id>", "generate:<kind>"...), done after
    the edits are saved; what happened, in words."""
    verb, _, arg = request.POST.get("action", "save").partition(":")
    try:
        if verb in ("up", "down", "remove"):
            block = get_object_or_404(Block, pk=parse_id(arg) or 0, issue=found)
            if verb == "remove":
                services.remove_block(block=block)
                return f"Saved, and removed “{block.title}”."
            services.move_block(block=block, up=verb == "up")
        elif verb == "generate":
            if arg not in GENERATED:
                raise Http404
            services.add_generated_block(issue=found, kind=arg, today=_today())
            return "Saved, and added a block written from your placements: read it through."
        elif verb == "library":
            item = get_object_or_404(LibraryBlock, pk=parse_id(request.POST.get("item")) or 0)
            services.add_library_block(issue=found, item=item)
        elif verb == "blank":
            form = NewBlockForm(request.POST, prefix="new")
            if not form.is_valid():
                raise ValidationError("Pick a kind of block.")
            kind = form.cleaned_data["kind"]
            title = form.cleaned_data["title"] or str(dict(Kind.choices)[kind])
            services.add_block(issue=found, kind=kind, title=title)
    except ValidationError as exc:
        messages.error(request, "Saved, but " + " ".join(exc.messages))
    return ""


def _issue_page(
    request: HttpRequest,
    found: Issue,
    *,
    editor: IssueEditor | None = None,
    conflict: EditConflict | None = None,
) -> HttpResponse:
    """The issue page; `editor` bound, with its errors, after a refused save."""
    user = user_of(request)
    editor = editor or IssueEditor.bind(found)
    blocks = [(block, form, markdown_html(block.body)) for block, form in editor.blocks]
    context = {
        "issue": found,
        "editor": editor,
        "form": editor.form,
        "blocks": blocks,
        "conflict": conflict,
        "locked": found.locked_for(user),
        "new_block_form": NewBlockForm(prefix="new"),
        "generated": [(kind, label) for kind, label in Kind.choices if kind in GENERATED],
        "library": LibraryBlock.objects.all(),
        "schedule_form": ScheduleForm(),
        "test_form": TestSendForm(),
        **_progress(found),
        "preview_html": _preview_html(found, user) if blocks else "",
        "can_send": user.sees_whole_team,
        "next_slot": services.next_slot(found.newsletter, after=timezone.now()),
    }
    status = 409 if conflict else 400 if editor.form.is_bound else 200
    return render(request, "newsletters/issue.html", context, status=status)


def _progress(issue: Issue) -> dict[str, object]:
    progress = issue_progress(issue)
    sent = progress["sent"] + progress["captured"]
    return {
        "progress": progress,
        "engagement": issue_engagement(issue, sent=sent, per_link=True),
    }


@login_required
def issue_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    found = _issue(pk)
    return render(request, "newsletters/_progress.html", {"issue": found, **_progress(found)})


@login_required
@require_POST
def issue_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The live preview (htmx) of the editor's unsaved values: nothing is saved."""
    found = _issue(pk)
    editor = IssueEditor.bind(found, request.POST)
    unsaved, blocks = editor.unsaved(request.POST)
    html = _preview_html(unsaved, user_of(request), blocks) if blocks else ""
    return render(request, "newsletters/_preview.html", {"preview_html": html})


@login_required
@require_POST
def issue_action(request: HttpRequest, pk: int) -> HttpResponse:
    found = _issue(pk)
    action = request.POST.get("action", "")
    user = user_of(request)
    if action in SENDER_ACTIONS and not user.sees_whole_team:
        raise PermissionDenied(SENDERS_ONLY)
    try:
        if action == "test":
            form = TestSendForm(request.POST)
            if not form.is_valid():
                raise ValidationError("That is not an email address.")
            message = services.send_test(
                issue=found, by=user, to_email=form.cleaned_data["to_email"]
            )
            messages.success(
                request, f"Test sent to {message.to_email} ({message.get_state_display().lower()})."
            )
        elif action == "schedule":
            schedule_form = ScheduleForm(request.POST)
            if not schedule_form.is_valid():
                raise ValidationError("That is not a date and time.")
            found = services.schedule_issue(issue=found, when=schedule_form.cleaned_data["when"])
            local = found.scheduled_for.astimezone(agency_zone()) if found.scheduled_for else None
            messages.success(request, f"Scheduled for {local:%-d %b %Y at %H:%M}.")
            closed = why_not_working(local.date()) if local else ""
            if closed and local:
                messages.warning(
                    request,
                    f"{local:%A %-d %b} is not a working day ({closed}): it will still go "
                    "then, but nobody is in to answer replies. Schedule it again for a "
                    "working day unless that is what you want.",
                )
        elif action == "unschedule":
            services.unschedule_issue(issue=found)
        elif action == "pause":
            services.pause_issue(issue=found)
            messages.success(request, "Paused: nothing more goes out until you resume.")
        elif action == "resume":
            services.resume_issue(issue=found)
            messages.success(request, "Resumed.")
        elif action == "cancel":
            services.cancel_issue(issue=found, by=user)
            messages.success(request, "Cancelled: copies not yet sent will not go.")
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("newsletter_issue", pk=pk)


# --- Library and public statistics ------------------------------------------------------


@login_required
def library(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = LibraryBlockForm(request.POST or None)
    if request.method == "POST":
        if "delete" in request.POST:
            return _remove_from_library(request, user)
        if form.is_valid():
            item = form.save(commit=False)
            item.created_by = user
            item.save()
            messages.success(request, "Added to the library.")
            return redirect("newsletter_library")
    rows = [
        {"item": item, "removable": not item.locked_for(user)}
        for item in LibraryBlock.objects.select_related("created_by")
    ]
    return render(request, "newsletters/library.html", {"form": form, "rows": rows})


def _remove_from_library(request: HttpRequest, user: User) -> HttpResponse:
    item = get_object_or_404(LibraryBlock, pk=parse_id(request.POST["delete"]) or 0)
    refused = item.locked_for(user)
    if refused:
        messages.error(request, refused)
    else:
        item.delete()
        messages.success(request, f"Removed “{item.title}” from the library.")
    return redirect("newsletter_library")


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    form = StatisticsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not user_of(request).sees_whole_team:
            raise PermissionDenied(SENDERS_ONLY)
        count = services.import_statistics(
            rows=form.cleaned_data["csv"], source=form.cleaned_data["source"]
        )
        messages.success(request, f"Imported {count} figures.")
        return redirect("newsletter_statistics")
    return render(
        request,
        "newsletters/statistics.html",
        {"form": form, "rows": PublicStatistic.objects.all()[:200]},
    )


# --- Public: what a mail client or a reader's browser loads -----------------------------


@require_GET
def view_in_browser(request: HttpRequest, token: str) -> HttpResponse:
    opened = open_view_token(token)
    if opened is None:
        raise Http404
    issue_id, person_id = opened
    found = get_object_or_404(
        Issue.objects.select_related("newsletter").exclude(state=Issue.State.DRAFT), pk=issue_id
    )
    person = get_object_or_404(Person.objects.select_related("owner"), pk=person_id)
    html, _ = services.personalise(found, person)
    response = HttpResponse(html)
    response["X-Robots-Tag"] = "noindex"
    response["Content-Security-Policy"] = "script-src 'none'"
    return response


# Opens and clicks, for newsletters that track them (off by default). These GETs record an
# event, against the rule that a GET only shows a page: a mail client loading an image or
# a reader following a link is the event. Apple Mail's privacy protection and link-checking
# scanners do both without a reader, which is why the figures are called indicative, and
# the tracking needs the recipients' consent, which is why it is off until turned on.

# A transparent 1x1 GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _untraceable(response: HttpResponse) -> HttpResponse:
    # Every load must reach us (no-store), and the token must not travel on in a Referer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _tracked_issue(token: str) -> tuple[Issue, int]:
    opened = open_view_token(token)
    if opened is None:
        raise Http404
    issue_id, person_id = opened
    return get_object_or_404(Issue.objects.select_related("newsletter"), pk=issue_id), person_id


@require_GET
def opened(request: HttpRequest, token: str) -> HttpResponse:
    issue, person_id = _tracked_issue(token)
    services.record_engagement(issue=issue, person_id=person_id, kind=Engagement.Kind.OPEN)
    return _untraceable(HttpResponse(PIXEL, content_type="image/gif"))


@require_GET
def clicked(request: HttpRequest, token: str, n: int) -> HttpResponse:
    issue, person_id = _tracked_issue(token)
    # Only ever to a link the issue itself holds: never an open redirect.
    url = issue.link(n)
    if url is None:
        raise Http404
    services.record_engagement(issue=issue, person_id=person_id, kind=Engagement.Kind.CLICK, link=n)
    return _untraceable(HttpResponseRedirect(url))
