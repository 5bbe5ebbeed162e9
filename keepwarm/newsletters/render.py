"""Newsletter HTML and text: rendered and inlined once per issue, filled per recipient.

The issue is rendered with placeholders (%%KW_FIRST_NAME%% …) where each recipient's
details go, and its CSS is inlined once. A copy is then the template split at the
placeholders and joined with the recipient's values: string work, no template engine.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import css_inline
import nh3
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from markdown_it import MarkdownIt

if TYPE_CHECKING:
    from keepwarm.newsletters.models import Block, Issue

FIELDS = (
    "first_name",
    "consultant",
    "view_url",
    "unsubscribe_url",
    "preferences_url",
    "reason",
)
TOKENS = {name: f"%%KW_{name.upper()}%%" for name in FIELDS}
_SPLIT = re.compile(r"%%KW_([A-Z_]+)%%")
# What a recruiter may write in a block to personalise it.
_BLOCK_FIELDS = {"first_name": "first_name", "consultant": "consultant"}
_BLOCK_TAG = re.compile(r"\{\{\s*(first_name|consultant)\s*\}\}")

CHART_SALT = "keepwarm.newsletter-chart"
VIEW_SALT = "keepwarm.newsletter-view"

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "a", "ul", "ol", "li", "blockquote",
    "code", "pre", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def markdown_html(text: str) -> str:
    """Markdown to HTML a mail client shows: no raw HTML, no scripts, http(s)/mailto links."""
    return nh3.clean(
        _markdown.render(text),
        tags=_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
    )


def _block_tokens(text: str) -> str:
    return _BLOCK_TAG.sub(lambda m: TOKENS[_BLOCK_FIELDS[m.group(1)]], text)


def chart_url(block: Block) -> str:
    token = signing.Signer(salt=CHART_SALT).sign(str(block.pk))
    return settings.BASE_URL + reverse("newsletter_chart", args=[token])


def open_chart_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=CHART_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def view_url(*, issue_id: int, person_id: int) -> str:
    token = signing.Signer(salt=VIEW_SALT).sign(f"{issue_id}.{person_id}")
    return settings.BASE_URL + reverse("newsletter_view", args=[token])


def open_view_token(token: str) -> tuple[int, int] | None:
    try:
        issue_id, person_id = signing.Signer(salt=VIEW_SALT).unsign(token).split(".")
        return int(issue_id), int(person_id)
    except (signing.BadSignature, ValueError):
        return None


def _block_context(block: Block) -> dict[str, Any]:
    chart = block.chart
    return {
        "title": block.title,
        "kind": block.get_kind_display(),
        "html": markdown_html(_block_tokens(block.body)),
        "text": _block_tokens(block.body).strip(),
        "chart_url": chart_url(block) if chart else "",
        "chart_alt": chart.get("alt", block.title) if chart else "",
        "chart_caption": chart.get("caption", "") if chart else "",
    }


@dataclass
class Frozen:
    """An issue rendered once: HTML (CSS inlined) and text, with placeholders."""

    html: str
    text: str


def compose(issue: Issue, blocks: list[Block] | None = None) -> Frozen:
    newsletter = issue.newsletter
    if blocks is None:
        blocks = list(issue.blocks.all())
    context = {
        "issue": issue,
        "newsletter": newsletter,
        "address": newsletter.address,
        "blocks": [_block_context(block) for block in blocks],
        **{name: token for name, token in TOKENS.items()},
    }
    source = render_to_string("emails/newsletter-body.html", context)
    text = render_to_string("emails/newsletter-body.txt", context).strip() + "\n"
    return Frozen(html=css_inline.inline(source), text=text)


class Filler:
    """A frozen template split at its placeholders, ready to fill cheaply many times."""

    def __init__(self, source: str, *, escape: bool) -> None:
        self.parts = _SPLIT.split(source)
        self.names = [name.lower() for name in self.parts[1::2]]
        self.escape = escape

    def fill(self, values: dict[str, str]) -> str:
        parts = self.parts[:]
        if self.escape:
            parts[1::2] = [html.escape(values[name], quote=True) for name in self.names]
        else:
            parts[1::2] = [values[name] for name in self.names]
        return "".join(parts)


@dataclass
class Personaliser:
    html: Filler
    text: Filler

    @classmethod
    def of(cls, frozen: Frozen) -> Personaliser:
        return cls(Filler(frozen.html, escape=True), Filler(frozen.text, escape=False))

    def fill(self, values: dict[str, str]) -> tuple[str, str]:
        return self.html.fill(values), self.text.fill(values)
