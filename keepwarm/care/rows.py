"""Today's rows (the calls and meetings due), written out here, not by the template engine.

Measured at agency size (bench/bench_pages.py --profile): Today's 40-odd rows through
care/_touchpoint.html (an include, a dozen lookups and filters, two URLs and a `with` per
row) were nearly half of the page's CPU, several times what the list50 anchor spends on its
whole table. A row Today shows is always a planned call, meeting or note due by today with
no form open (queries.DueCall, read as values); that kind is written here as one escaped
string per row. A person's Coming up writes its planned touchpoints the same way, a check-in
email or questionnaire saying who sends it where a call has its log button; every other row
(work already done, a row with its log or skip form) goes through the template, which the
placement's and Due pages use too.
The care/tests hold each row written here to what the template writes for the same
touchpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from html import escape  # what django.utils.html.escape calls, without its lazy-text wrapper
from typing import NamedTuple

from django.utils import dateformat
from django.utils.safestring import SafeString, mark_safe

from keepwarm.care.models import SENT_BY_WORKER, Kind, Touchpoint
from keepwarm.care.queries import ColdContact, DueCall, GuaranteeEnding, due_call_of
from keepwarm.care.templatetags.keepwarm import guarantee_countdown, short_date_in
from keepwarm.lib.phones import dial_phone, display_phone
from keepwarm.lib.urls import pk_urls


class _Links(NamedTuple):
    """Where a row links to, by pk: made once a list (lib.urls.pk_urls), not once a link."""

    person: Callable[[int], str]
    placement: Callable[[int], str]
    skip: Callable[[int], str]
    log: Callable[[int], str]


def _links() -> _Links:
    return _Links(
        pk_urls("person"),
        pk_urls("placement"),
        pk_urls("skip_touchpoint"),
        pk_urls("log_touchpoint"),
    )


def today_rows_html(
    calls: Iterable[DueCall],
    *,
    user_pk: int,
    today: dt.date,
    covering_ids: set[int],
    next_param: str,
) -> SafeString:
    """The rows of Today's lists, as care/_touchpoint.html writes them; `next_param` is where
    each row's buttons come back to, already quoted for a URL."""
    here, links = escape(next_param), _links()
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            _row(t, user_pk=user_pk, today=today, covering_ids=covering_ids, here=here, links=links)
            for t in calls
        )
    )


def upcoming_rows_html(
    touchpoints: Iterable[Touchpoint],
    *,
    user_pk: int,
    today: dt.date,
    covering_ids: set[int],
    next_param: str,
) -> SafeString:
    """A person's Coming up (planned touchpoints read by queries.person_page_reads), as Today
    writes its calls: a check-in email or questionnaire says who sends it instead."""
    here, links = escape(next_param), _links()
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            _row(
                due_call_of(t),
                user_pk=user_pk,
                today=today,
                covering_ids=covering_ids,
                here=here,
                links=links,
                instead_of_log=_sent_by_worker(t) if t.kind in SENT_BY_WORKER else None,
            )
            for t in touchpoints
        )
    )


def _sent_by_worker(t: Touchpoint) -> str:
    """What a check-in's row says where a call's has its log button."""
    if t.person.email_failed_at:
        return '<span class="small">Becomes a call when due: their address is not working</span>'
    return '<span class="muted small">Keepwarm sends this</span>'


def _row(
    t: DueCall,
    *,
    user_pk: int,
    today: dt.date,
    covering_ids: set[int],
    here: str,
    links: _Links,
    instead_of_log: str | None = None,
) -> str:
    pk = t.pk
    skip_url = links.skip(pk)
    return (
        f'<li id="tp-{pk}" class="">\n  <div class="item">\n    <div class="what">\n      '
        f"{_due_badge(t.due_on, today)}\n"
        f'      <strong><a href="{links.person(t.person.pk)}">'
        f"{escape(t.person.full_name)}</a></strong>\n      — {escape(t.title)}\n      "
        f"{_whose(t, user_pk=user_pk, covering_ids=covering_ids)}\n"
        f'      <div class="muted small">\n        {_where(t, links)}'
        f"{escape(t.kind_label)}"
        f"{' with the client' if t.audience == 'client' else ''}\n      </div>\n      "
        f"{_tried(t, today)}\n    </div>\n"
        f'    <div class="buttons">\n'
        f"      {_log_button(t, here, links) if instead_of_log is None else instead_of_log}\n"
        f'      <a class="button button-quiet button-small" href="{skip_url}?next={here}"\n'
        f'         hx-get="{skip_url}" hx-target="#tp-{pk}" hx-swap="outerHTML">Skip</a>\n'
        f"    </div>\n  </div>\n</li>\n"
    )


def _log_button(t: DueCall, here: str, links: _Links) -> str:
    log_url = links.log(t.pk)
    log_label = "Log call" if t.kind == Kind.CALL else f"Log {escape(t.kind_label.lower())}"
    return (
        f'<a class="button button-small" href="{log_url}?next={here}"\n'
        f'         hx-get="{log_url}" hx-target="#tp-{t.pk}" hx-swap="outerHTML">{log_label}</a>'
    )


def _due_badge(due_on: dt.date, today: dt.date) -> str:
    if due_on < today:
        return f'<span class="badge badge-overdue">Due {_short_date(due_on, today)}</span>'
    if due_on > today:
        return f'<span class="badge">{_short_date(due_on, today)}</span>'
    return ""


def _short_date(day: dt.date, today: dt.date) -> str:
    return escape(short_date_in(day, this_year=today.year))


def _whose(t: DueCall, *, user_pk: int, covering_ids: set[int]) -> str:
    """Whose work it is, when it is not the signed-in consultant's own."""
    if t.owner_id == user_pk:
        return ""
    name = escape(t.owner_name)
    said = f"covering for {name}" if t.owner_id in covering_ids else f"{name}’s"
    return f'<span class="badge badge-cover">{said}</span>'


def _where(t: DueCall, links: _Links) -> str:
    """The placement it is about and the number to ring, each followed by a separator."""
    where = ""
    if t.placement_id:
        about = f"{t.role_title} at {t.company_name}"
        where = f'<a href="{links.placement(t.placement_id)}" class="muted">{escape(about)}</a> · '
    where += "\n        "
    phone = t.person.phone
    if phone:
        where += (
            f'<a href="tel:{escape(dial_phone(phone))}" class="muted">'
            f"{escape(display_phone(phone))}</a> · "
        )
    return where + "\n        "


def _tried(t: DueCall, today: dt.date) -> str:
    """How often it was tried and what happened last, for a call still open after a try."""
    if not t.attempts:
        return ""
    then = ""
    if t.outcome == Touchpoint.Outcome.WRONG_NUMBER:
        then = ". Check the number on file"
    elif t.due_on > today:
        then = f" · next try {t.due_on:%a} {t.due_on.day} {t.due_on:%b}"
    last = escape(t.outcome_label)
    return f'<div class="small">Tried {t.attempts}×, last: {last}{then}</div>'


# Today's other two lists, written out for the same reason: their loops through the template
# engine (a guarantee's countdown, a dozen lookups and filters an entry) were a third of the
# page's rendering. Each entry is what care/today.html's loop wrote, whitespace and all.


def guarantee_rows_html(ending: Iterable[GuaranteeEnding], *, today: dt.date) -> SafeString:
    """The entries of Guarantees ending soon, each with its countdown."""
    placement_url = pk_urls("placement")
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            "\n        <li>\n"
            f'          <a href="{placement_url(p.pk)}">'
            f"<strong>{escape(p.person.full_name)}</strong></a>\n"
            f'          <div class="muted small">{escape(str(p.role_title))} at '
            f"{escape(str(p.company_name))} · ends "
            f"{dateformat.format(p.guarantee_ends_on, 'j M')}</div>\n"
            f"          {guarantee_countdown(p, today)}\n        </li>\n        "
            for p in ending
        )
    )


def going_cold_rows_html(cold: Iterable[ColdContact]) -> SafeString:
    """The entries of Going cold: whom, how long since anyone spoke to them, and about what."""
    person_url = pk_urls("person")
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            "\n        <li>\n"
            '          <div class="item item-tight">\n'
            f'            <span class="what"><a href="{person_url(c.person.pk)}">'
            f"{escape(c.person.full_name)}</a></span>\n"
            f'            <span class="badge badge-{escape(c.rag)}">{_since(c)}</span>\n'
            "          </div>\n"
            f'          <div class="muted small">{_about(c)} at {escape(str(c.company_name))}'
            "</div>\n        </li>\n        "
            for c in cold
        )
    )


def _since(c: ColdContact) -> str:
    days = c.days_since_contact
    if days is None:
        return "never contacted"
    return f"{days} day{'' if days == 1 else 's'}"


def _about(c: ColdContact) -> str:
    if c.is_client:
        return f"Hiring manager for {escape(str(c.placed_name))}"
    return escape(str(c.role_title))
