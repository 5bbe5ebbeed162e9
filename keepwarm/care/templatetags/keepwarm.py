"""Small template helpers shared by Keepwarm's pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.forms import BoundField
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from keepwarm.lib import humane, urls
from keepwarm.lib.inputs import field_html, field_input

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_current(context: dict[str, Any], names: str) -> SafeString:
    """aria-current="page" when the current URL name is one of `names` (comma-separated)."""
    request: HttpRequest | None = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match and match.url_name in names.split(","):
        return mark_safe('aria-current="page"')
    return SafeString("")


# (script prefix, URL name, manager, admin) -> the main navigation's HTML. Bounded by the
# number of URL names times three kinds of user.
_navigations: dict[tuple[str, str, bool, bool], SafeString] = {}


@register.simple_tag(takes_context=True)
def main_nav(context: dict[str, Any]) -> SafeString:
    """The main navigation (`_nav.html`), rendered once per process for each page and kind
    of user: its thirty links and their aria-current were a third of a list page's
    rendering, and only the page's URL name and the user's role change them."""
    request: HttpRequest | None = context.get("request")
    user = context.get("user")
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name or "") if match else ""
    manager = bool(getattr(user, "sees_whole_team", False))
    admin = bool(getattr(user, "is_admin", False))
    key = (get_script_prefix(), url_name, manager, admin)
    found = _navigations.get(key)
    if found is None:
        html = render_to_string("_nav.html", {"request": request, "user": user})
        found = _navigations[key] = mark_safe(html)  # noqa: S308 (rendered by the template)
    return found


@register.filter
def as_input(field: BoundField) -> SafeString:
    """`{{ field|as_input }}` writes what `{{ field }}` does, without a widget template."""
    return field_input(field)


@register.filter
def as_field(field: BoundField) -> SafeString:
    """`{{ field|as_field }}` writes what `{% include "_field.html" %}` did, in Python."""
    return field_html(field)


@register.filter
def money(value: Decimal | None, currency: str = "GBP") -> str:
    """ "£49,000", "£1,234.50": pence only when there are some."""
    return humane.money(value, currency or "GBP")


@register.filter
def hours_a_week(value: Decimal | None) -> str:
    """ "35 hours a week", "37.5 hours a week"."""
    return humane.hours_a_week(value)


@register.filter
def days_ago(value: dt.date | dt.datetime | None) -> str:
    """ "today", "yesterday", "12 days ago", by the agency's calendar."""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    return humane.days_ago(value, timezone.localdate())


@register.filter
def short_date(value: dt.date | None) -> str:
    """ "29 Nov" this year, "29 Nov 2031" in any other: a list reaching years ahead must
    not show the same day six times without saying which year."""
    if value is None:
        return ""
    return short_date_in(value, this_year=timezone.localdate().year)


def short_date_in(value: dt.date, *, this_year: int) -> str:
    """short_date for a list that knows the year already (looking it up costs more than
    writing the date)."""
    if value.year == this_year:
        return f"{value.day} {value:%b}"
    return f"{value.day} {value:%b %Y}"


@register.filter
def salary_range(low: int | None, high: int | None) -> str:
    """A vacancy's salary as people say it: "£30,000 – £34,000", "from £30,000",
    "up to £34,000", or one amount when both ends are the same. Vacancies carry no
    currency of their own; they are the agency's, in pounds."""
    if low is None and high is None:
        return "—"
    if high is None:
        return f"from {humane.money(low)}"
    if low is None:
        return f"up to {humane.money(high)}"
    if low == high:
        return humane.money(low)
    return f"{humane.money(low)} – {humane.money(high)}"


@register.simple_tag
def guarantee_countdown(placement: Any, today: dt.date | None = None) -> SafeString:
    """'Day 75 of 90' with a bar, in the guarantee's own unit.

    Written here, not by a template: Today shows one for each guarantee ending soon, and a
    dozen template renders were a sixth of the page's CPU at agency size
    (bench/bench_pages.py --profile)."""
    today = today or timezone.localdate()
    length = placement.guarantee_length
    ends_on = placement.guarantee_ends_on
    if today < placement.start_date:
        unit = placement.get_guarantee_unit_display().lower()
        said = (
            f"<span>Starts {dateformat.format(placement.start_date, 'j M Y')}; "
            f"guarantee {length} {escape(unit)}</span>\n  "
        )
    elif today > ends_on:
        said = f"<span>Guarantee over (ended {dateformat.format(ends_on, 'j M Y')})</span>\n  "
    else:
        day = placement.guarantee_day(today)
        percent = 0 if not length else max(0, min(100, round(day * 100 / length)))
        late = " late" if length and day > length * 0.8 else ""
        said = (
            f"\n  <span>Day {day} of {length}</span>\n"
            f'  <span class="meter{late}" role="img" aria-label="Day {day} of {length} of the'
            f' guarantee"><span style="width: {percent}%"></span></span>\n  '
        )
    return mark_safe(f'<div class="countdown small">\n  {said}\n</div>\n')  # noqa: S308 (escaped)


@register.inclusion_tag("placements/_money_at_stake.html", takes_context=True)
def money_at_stake(
    context: dict[str, Any], placement: Any, today: dt.date | None = None
) -> dict[str, Any]:
    """Guarantee day X of Y, the rebate tier today and what it would cost if they left now
    (or the free replacement owed): money only for those who see the placement's money."""
    today = today or timezone.localdate()
    user = context.get("user")
    in_guarantee = placement.in_guarantee_on(today)
    return {
        "placement": placement,
        "in_guarantee": in_guarantee,
        "day": placement.guarantee_day(today) if in_guarantee else 0,
        "tier": placement.rebate_tier(today) if in_guarantee else None,
        "replacement": in_guarantee and placement.guarantee_remedy == "replacement",
        "shows_money": user is not None and placement.shows_money_to(user),
    }


@register.filter
def guarantee_day(placement: Any, today: dt.date) -> int:
    return int(placement.guarantee_day(today))


@register.filter
def moment(value: dt.datetime | None) -> str:
    """`{{ m.sent_at|moment }}` is `{{ m.sent_at|date:"j M Y, H:i" }}` in the agency's time,
    without the date filter's translation lookups (a list writes one or two a row)."""
    if value is None:
        return ""
    return humane.short_moment(timezone.localtime(value))


@register.filter
def pk_url(pk: int, name: str) -> str:
    """`{{ t.person_id|pk_url:"person" }}` is `{% url "person" t.person_id %}` for a URL whose
    only argument is an int pk, without resolving the pattern again for every row of a list."""
    return urls.pk_url(pk, name)
