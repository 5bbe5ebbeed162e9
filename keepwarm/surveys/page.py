"""The answer page behind an emailed link, built for the morning after a mailing.

Thousands open their links within the hour, and mail scanners open them too, so a GET
costs one prepared query and a page kept per questionnaire:

- `read_link`: the invitation, the person's first name, the page's heading and the
  questionnaire's version in one row (raw SQL, written once per process);
- `questionnaire_page`: the questionnaire, its questions and their HTML with nothing
  typed, kept per process under the questionnaire's id and version. The version is the
  questionnaire's `updated_at` with its questions' count and latest `updated_at`, read in
  that same row, so an admin's edit shows on the next request in every process;
- `blank_answer_page`: the whole page with nothing typed, kept per questionnaire version
  and agency branding as the text before and after the one line that differs per
  link (who it is from and what about), so a GET renders no template at all.

The inputs are written by one template (`surveys/_questions.html`) from `Item`s, not by a
Django widget template per option: an NPS question alone is eleven radio buttons.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from keepwarm.accounts.models import User
from keepwarm.agency.models import AgencySettings, agency_settings
from keepwarm.lib.bulk import fetch_all
from keepwarm.people.models import Company, Person
from keepwarm.placements.models import Placement
from keepwarm.surveys.forms import AnswerForm, condition_for, field_name
from keepwarm.surveys.models import Invitation, Question, Questionnaire
from keepwarm.surveys.services import LinkExpired, LinkNotFound, link_ids


@dataclass(frozen=True)
class Link:
    """What the answer page needs of an invitation, read in one row."""

    invitation_id: int
    person_id: int
    questionnaire_id: int
    first_name: str
    answered: bool
    asks_about_targets: bool
    version: tuple[Any, ...]
    from_name: str  # the sender, or the placement's owner
    about: str  # "your role as Analyst" to the candidate, "Priya Patel, Analyst" to a client
    company: str


@cache
def _link_sql() -> str:
    q = connection.ops.quote_name

    def table(model: Any) -> str:
        return q(model._meta.db_table)

    question = table(Question)
    return f"""
        SELECT i.id, i.person_id, i.questionnaire_id, p.first_name,
               i.answered_at IS NOT NULL, i.expires_at <= %s, qn.asks_about_targets,
               qn.updated_at,
               (SELECT COUNT(*) FROM {question} AS qc
                 WHERE qc.questionnaire_id = qn.id AND qc.invitation_id IS NULL),
               (SELECT MAX(qm.updated_at) FROM {question} AS qm
                 WHERE qm.questionnaire_id = qn.id AND qm.invitation_id IS NULL),
               pl.person_id, pl.role_title, c.name, cand.first_name, cand.last_name,
               s.first_name, s.last_name, s.username, o.first_name, o.last_name, o.username
        FROM {table(Invitation)} AS i
        JOIN {table(Person)} AS p ON p.id = i.person_id
        JOIN {table(Questionnaire)} AS qn ON qn.id = i.questionnaire_id
        JOIN {table(Placement)} AS pl ON pl.id = i.placement_id
        JOIN {table(Company)} AS c ON c.id = pl.company_id
        JOIN {table(Person)} AS cand ON cand.id = pl.person_id
        JOIN {table(User)} AS o ON o.id = pl.owner_id
        LEFT JOIN {table(User)} AS s ON s.id = i.sender_id
        WHERE i.id = %s AND i.person_id = %s
    """  # noqa: S608 - table names from the models


def _fetch_link(params: list[Any]) -> Any:
    """The link's row. PostgreSQL spends more planning this 8-table join (~2 ms on a warm
    connection, 13–24 ms on a fresh one at full size) than running it (0.2 ms), so there it
    is prepared once per connection by `fetch_all` (not behind PgBouncer in transaction
    mode). sqlite3 keeps its statements prepared by itself."""
    rows = fetch_all(_link_sql(), params)
    return rows[0] if rows else None


def _display_name(first: str | None, last: str | None, username: str | None) -> str:
    # User.display_name, from the row's columns.
    return f"{first or ''} {last or ''}".strip() or (username or "")


def read_link(token: str, *, now: dt.datetime) -> Link:
    """The invitation a link stands for, as `services.open_link` judges it (the same
    LinkProblems), in one query. An answered invitation is returned, not refused."""
    invitation_id, person_id = link_ids(token)
    row = _fetch_link([connection.ops.adapt_datetimefield_value(now), invitation_id, person_id])
    if row is None:
        raise LinkNotFound()
    (pk, person, questionnaire, first_name, answered, expired, targets, updated, count, latest) = (
        row[:10]
    )
    (placed, role, company, cand_first, cand_last, *users) = row[10:]
    if expired and not answered:
        raise LinkExpired()
    sender = _display_name(*users[:3])
    return Link(
        invitation_id=pk,
        person_id=person,
        questionnaire_id=questionnaire,
        first_name=first_name,
        answered=bool(answered),
        asks_about_targets=bool(targets),
        version=(updated, count, latest),
        from_name=sender or _display_name(*users[3:]),
        about=f"your role as {role}"
        if placed == person
        else f"{cand_first} {cand_last}".strip() + f", {role}",
        company=company,
    )


# --- What the page writes ----------------------------------------------------------------------


@dataclass
class Option:
    id: str
    value: str
    label: str
    checked: bool


@dataclass
class NumberItem:
    label: str
    name: str
    id: str
    value: str
    errors: list[str]


@dataclass
class Item:
    """A question as the page writes it, with what was typed and its errors on a POST."""

    question: Question
    name: str
    id: str
    condition: str  # "If you answered No to “…”:" for follow-ups, else ""
    trigger_name: str
    trigger_values: str
    input_type: str  # radio, checkbox, or "" for a text box
    options: list[Option]
    text: str
    errors: list[str]
    number: NumberItem | None


def _typed(form: AnswerForm | None, name: str) -> list[str]:
    """What was posted for a field, as the page writes it back."""
    if form is None or not form.is_bound or name not in form.fields:
        return []
    value = form[name].value()
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _errors(form: AnswerForm | None, name: str) -> list[str]:
    if form is None or not form.is_bound:
        return []
    return [str(error) for error in form.errors.get(name) or []]


def items_for(questions: list[Question], form: AnswerForm | None = None) -> list[Item]:
    """The page's questions; with a bound form, what was typed and its errors."""
    result = []
    for question in questions:
        name = field_name(question)
        many = question.kind == Question.Kind.MULTI_CHOICE
        typed = _typed(form, name)
        number = None
        if question.number_label:
            number_name = f"{name}_number"
            number = NumberItem(
                label=question.number_label,
                name=number_name,
                id=f"id_{number_name}",
                value=(_typed(form, number_name) or [""])[0],
                errors=_errors(form, number_name),
            )
        trigger = question.show_if
        result.append(
            Item(
                question=question,
                name=name,
                id=f"id_{name}",
                condition=condition_for(question),
                trigger_name=field_name(trigger) if trigger else "",
                trigger_values=",".join(question.trigger_values),
                input_type=""
                if question.kind == Question.Kind.TEXT
                else "checkbox"
                if many
                else "radio",
                options=[
                    Option(id=f"id_{name}_{i}", value=value, label=label, checked=value in typed)
                    for i, (value, label) in enumerate(question.options())
                ],
                text=typed[0] if typed and question.kind == Question.Kind.TEXT else "",
                errors=_errors(form, name),
                number=number,
            )
        )
    return result


def render_questions(items: list[Item]) -> SafeString:
    return SafeString(render_to_string("surveys/_questions.html", {"items": items}))


# --- The cached structure ------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A questionnaire as its answer page shows it, the same for every invitation."""

    questionnaire: Questionnaire
    questions: list[Question]
    blank: SafeString  # the questions' HTML with nothing typed


_pages: dict[int, tuple[tuple[Any, ...], Page]] = {}
_lock = threading.Lock()


def questionnaire_page(questionnaire_id: int, version: tuple[Any, ...]) -> Page:
    """The questionnaire's page at `version`, built once per process and version."""
    kept = _pages.get(questionnaire_id)
    if kept is not None and kept[0] == version:
        return kept[1]
    questionnaire = Questionnaire.objects.get(pk=questionnaire_id)
    questions = list(
        Question.objects.filter(questionnaire_id=questionnaire_id, invitation__isnull=True)
        .select_related("show_if")
        .order_by("order", "id")
    )
    built = Page(
        questionnaire=questionnaire,
        questions=questions,
        blank=render_questions(items_for(questions)),
    )
    with _lock:
        _pages[questionnaire_id] = (version, built)
    return built


def forget_pages() -> None:
    """Drop every kept page (between tests, whose databases reuse ids)."""
    with _lock:
        _pages.clear()
        _blanks.clear()


def questions_for(link: Link, page: Page) -> list[Question]:
    """The invitation's questions: the questionnaire's, and those built for it (one per
    agreed target of a client's placement), in order."""
    if not link.asks_about_targets:
        return page.questions
    own = Question.objects.filter(invitation_id=link.invitation_id).select_related("show_if")
    return sorted([*page.questions, *own], key=lambda q: (q.order, q.pk))


# --- The whole page, kept ------------------------------------------------------------------------


def link_heading(link: Link) -> SafeString:
    """The one line of the answer page that differs from link to link."""
    return format_html(
        '<p class="muted small">From {} · about {} at {}</p>',
        link.from_name,
        link.about,
        link.company,
    )


def render_answer_page(
    request: HttpRequest | None,
    questionnaire: Questionnaire,
    questions: SafeString,
    *,
    heading: SafeString | str = "",
    problems: list[Item] | None = None,
    preview: bool = False,
) -> str:
    """The answer page (or an admin's preview of it). Without a request, the agency's
    settings are the only context besides the arguments: a page kept for every link must
    carry nothing of one request (a nonce, a user)."""
    context = {
        "questionnaire": questionnaire,
        "questions": questions,
        "heading": heading,
        "problems": problems or [],
        "preview": preview,
    }
    if request is None:
        context["brand"] = agency_settings()
    return render_to_string("surveys/answer.html", context, request)


# Where the heading goes in a kept page. It starts with "<", which no escaped value
# (a title, an agency's name or address) can contain, so it is found exactly once.
_HEADING_MARK = SafeString("<!--keepwarm:link-heading-->")


@dataclass(frozen=True)
class _Blank:
    page: Page
    brand: AgencySettings  # the agency's settings this process had read when it was made
    before: str
    after: str


_blanks: dict[int, _Blank] = {}


def blank_answer_page(page: Page, link: Link) -> str:
    """The answer page with nothing typed, for this link. Made once per questionnaire
    version and per read of the agency's settings (a re-read, at most a minute old or
    after a save, makes it again): nothing else on it depends on the request."""
    brand = agency_settings()
    kept = _blanks.get(link.questionnaire_id)
    if kept is None or kept.page is not page or kept.brand is not brand:
        html = render_answer_page(None, page.questionnaire, page.blank, heading=_HEADING_MARK)
        before, after = html.split(_HEADING_MARK)
        kept = _Blank(page=page, brand=brand, before=before, after=after)
        with _lock:
            _blanks[link.questionnaire_id] = kept
    return kept.before + link_heading(link) + kept.after
