"""Every email Keepwarm writes, but the newsletter, is composed here from one template set.

`templates/emails/<name>-subject.txt`, `<name>-body.txt` and, when there is one,
`<name>-body.html`, which extends `emails/layout.html` (the shell, styles, signature and
footer every email shares). Subject and text are plain text: rendered without HTML
escaping, so "Brown & Whitehouse" arrives as typed, not as `Brown &amp; Whitehouse`.
The HTML is escaped as usual, and its CSS is inlined after rendering, because mail
clients drop <style>; inlining the rendered page (not the template source) is what lets
a body extend the layout. Newsletters inline once per issue instead (newsletters/render.py):
one rendering serves thousands of copies there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import css_inline
from django.template import Context, Engine, Template, TemplateDoesNotExist

from keepwarm.agency.models import AgencySettings, agency_settings

# Built once: a message pays only for the inlining itself (~0.03 ms for a check-in).
# Nothing remote is fetched while composing: the page has no stylesheet links of its own.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


class Email(NamedTuple):
    subject: str
    text: str
    html: str  # "" when the email has no HTML part


def compose(name: str, context: Mapping[str, Any], *, brand: AgencySettings | None = None) -> Email:
    """The subject (one line), text and HTML of email `name` filled with `context`.

    The bodies see the finished subject as `{{ subject }}`. A subject template may use
    a `subject` given in `context` (a consultant's own, or a plan step's) before its
    default wording. Every part sees the agency's settings as `brand` (its name, colour,
    logo, signature and postal address); the settings page passes unsaved ones to preview.
    """
    engine = Engine.get_default()  # the project's, with its cached loader
    context = {"brand": brand or agency_settings(), **context}
    subject = _render(engine.get_template(f"emails/{name}-subject.txt"), context, escape=False)
    subject = " ".join(subject.split())
    filled = {**context, "subject": subject}
    text = _render(engine.get_template(f"emails/{name}-body.txt"), filled, escape=False)
    text = text.strip() + "\n"
    try:
        page = engine.get_template(f"emails/{name}-body.html")
    except TemplateDoesNotExist:  # only this file: a missing layout fails when rendering
        return Email(subject, text, "")
    return Email(subject, text, _INLINER.inline(_render(page, filled, escape=True)))


def _render(template: Template, context: Mapping[str, Any], *, escape: bool) -> str:
    return template.render(Context(dict(context), autoescape=escape))
