"""Newsletter HTML and text: rendered and inlined once per issue, filled per recipient.

The issue is rendered with placeholders (%%KW_FIRST_NAME%% …) where each recipient's
details go, and its CSS is inlined once. A copy is then the template split at the
placeholders and joined with the recipient's values: string work, no template engine.

When the newsletter tracks opens and clicks (off by default), compose() also rewrites the
issue's web links to go through the click endpoint and adds an open pixel, once per issue;
both carry the recipient's view-in-browser token, which each copy has anyway.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import css_inline
import nh3
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from markdown_it import MarkdownIt

from keepwarm.agency.models import agency_settings
from keepwarm.mail.fill import Filler, placeholder

if TYPE_CHECKING:
    from keepwarm.newsletters.models import Block, Issue

FIELDS = (
    "first_name",
    "consultant",
    "view_url",
    "unsubscribe_url",
    "preferences_url",
    "reason",
    # The view-in-browser token again, alone: tracked links and the open pixel carry it.
    "track",
)
# Only the placeholders Keepwarm fills split a template (keepwarm.mail.fill): anything
# else that looks like one (an old row, a direct edit) stays in the copy as written instead
# of failing the send.
TOKENS = {name: placeholder(name) for name in FIELDS}
# What a recruiter may write in a block to personalise it.
_BLOCK_FIELDS = {"first_name": "first_name", "consultant": "consultant"}
_BLOCK_TAG = re.compile(r"\{\{\s*(first_name|consultant)\s*\}\}")
BLOCK_PLACEHOLDERS = tuple(f"{{{{ {name} }}}}" for name in _BLOCK_FIELDS)
# Anything written like a placeholder, in either form, known or not.
_LOOKS_LIKE_PLACEHOLDER = re.compile(r"%%KW_\w*%%|\{\{.*?\}\}", re.IGNORECASE)

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


def unknown_placeholders(text: str, *, fills: bool = True) -> list[str]:
    """The placeholders in `text` that no copy fills, as written, each once, in order.
    `fills`: a block's text, where copies fill the known ones; elsewhere (titles, the
    subject) every placeholder would show as written."""
    known = set(TOKENS.values())
    found = []
    for match in _LOOKS_LIKE_PLACEHOLDER.finditer(text):
        written = match.group(0)
        if fills and (written in known or _BLOCK_TAG.fullmatch(written)):
            continue
        if written not in found:
            found.append(written)
    return found


def placeholder_error(text: str, *, fills: bool = True) -> str:
    """What is wrong with the placeholders in `text`, in words; "" when nothing is."""
    unknown = unknown_placeholders(text, fills=fills)
    if not unknown:
        return ""
    names = ", ".join(unknown)
    valid = " and ".join(BLOCK_PLACEHOLDERS)
    if not fills:
        return (
            f"{names} would show as written here: placeholders ({valid}) work only in a "
            "block's text."
        )
    noun = "placeholder" if len(unknown) == 1 else "placeholders"
    return f"Unknown {noun} {names}. The placeholders you can use are {valid}."


def _block_tokens(text: str) -> str:
    return _BLOCK_TAG.sub(lambda m: TOKENS[_BLOCK_FIELDS[m.group(1)]], text)


def view_token(*, issue_id: int, person_id: int) -> str:
    return signing.Signer(salt=VIEW_SALT).sign(f"{issue_id}.{person_id}")


def view_url(*, issue_id: int, person_id: int) -> str:
    token = view_token(issue_id=issue_id, person_id=person_id)
    return settings.BASE_URL + reverse("newsletter_view", args=[token])


def open_view_token(token: str) -> tuple[int, int] | None:
    try:
        issue_id, person_id = signing.Signer(salt=VIEW_SALT).unsign(token).split(".")
        return int(issue_id), int(person_id)
    except (signing.BadSignature, ValueError):
        return None


# --- The plain-text part: Markdown as a person would type it in an email ---------------------

_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_STRONG = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _aligned(rows: list[list[str]]) -> list[str]:
    """A table as columns of text padded to line up (in a fixed-width font, as most mail
    clients show plain text); numbers right-aligned."""
    widths = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.rjust(width)
            if number and re.fullmatch(r"[£$€+\-\d.,%]+", cell)
            else cell.ljust(width)
            for cell, width in zip(row, widths, strict=False)
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def plain_text(markdown: str) -> str:
    """A block's Markdown for the text part: tables as aligned columns, no ** or * around
    words, links as "text (address)"."""
    out: list[str] = []
    table: list[list[str]] = []
    for line in [*markdown.splitlines(), ""]:
        if _TABLE_ROW.match(line):
            if not _TABLE_RULE.match(line):
                table.append(_cells(line))
            continue
        if table:
            out += _aligned(table)
            table = []
        out.append(line)
    text = "\n".join(out).rstrip()
    text = _STRONG.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMPHASIS.sub(r"\1", text)
    return _LINK.sub(
        lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text
    )


def _block_context(block: Block) -> dict[str, Any]:
    return {
        "title": block.title,
        "kind": block.get_kind_display(),
        "html": markdown_html(_block_tokens(block.body)),
        "text": plain_text(_block_tokens(block.body)).strip(),
        "chart": block.chart,
    }


@dataclass
class Frozen:
    """An issue rendered once: HTML (CSS inlined) and text, with placeholders."""

    html: str
    text: str
    # Tracked issues: the original URL of each link the HTML sends through the click endpoint.
    links: list[str] = field(default_factory=list)


# A web link of the issue's own content; the personal links (unsubscribe, preferences, view
# in browser) are still placeholders at this point, so they never match and stay direct.
_HREF = re.compile(r'(<a\b[^>]*?\shref=")(https?://[^"]+)(")', re.IGNORECASE)
_MARKER = "TOKEN-7d1e"


def _tracked(source: str) -> tuple[str, list[str]]:
    """`source` with its web links sent through the click endpoint and an open pixel
    added, and the original URLs in the order of their index. Done once per issue."""
    links: list[str] = []
    index: dict[str, int] = {}

    def click(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        if url not in index:
            index[url] = len(links)
            links.append(url)
        path = reverse("newsletter_click", args=[_MARKER, index[url]])
        tracked = settings.BASE_URL + path.replace(_MARKER, TOKENS["track"])
        return f"{match.group(1)}{tracked}{match.group(3)}"

    source = _HREF.sub(click, source)
    pixel_url = settings.BASE_URL + reverse("newsletter_open", args=[_MARKER]).replace(
        _MARKER, TOKENS["track"]
    )
    pixel = f'<img src="{pixel_url}" alt="" width="1" height="1">'
    body_end = source.rfind("</body>")
    if body_end == -1:
        return source + pixel, links
    return source[:body_end] + pixel + source[body_end:], links


def compose(issue: Issue, blocks: list[Block] | None = None, *, track: bool = False) -> Frozen:
    """The issue with placeholders. `track` only for the copies the worker queues: previews
    and test sends must never count as a real recipient's open or click."""
    newsletter = issue.newsletter
    if blocks is None:
        blocks = list(issue.blocks.all())
    context = {
        "issue": issue,
        "newsletter": newsletter,
        "address": newsletter.address,
        "brand": agency_settings(),  # the agency's colour and logo, as on its other emails
        "blocks": [_block_context(block) for block in blocks],
        **{name: token for name, token in TOKENS.items()},
    }
    source = render_to_string("emails/newsletter-body.html", context)
    text = render_to_string("emails/newsletter-body.txt", context).strip() + "\n"
    inlined = css_inline.inline(source)
    if not track:
        return Frozen(html=inlined, text=text)
    tracked, links = _tracked(inlined)
    # The text part stays untracked: it carries every original link as it is.
    return Frozen(html=tracked, text=text, links=links)


@dataclass
class Personaliser:
    html: Filler
    text: Filler

    @classmethod
    def of(cls, frozen: Frozen) -> Personaliser:
        return cls(
            Filler(frozen.html, names=FIELDS, escape=True),
            Filler(frozen.text, names=FIELDS, escape=False),
        )

    def fill(self, values: dict[str, str]) -> tuple[str, str]:
        return self.html.fill(values), self.text.fill(values)
