"""Every email is composed one way: subject and text as typed, HTML in the shared layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils.html import escape

from keepwarm.agency.models import AgencySettings
from keepwarm.conftest import Cast, SmtpSink
from keepwarm.mail.compose import compose
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.tests.email_samples import SAMPLES
from keepwarm.signals.services.alerts import open_alert
from keepwarm.worker.tick import tick

EMAILS = Path(settings.PACKAGE_DIR) / "templates" / "emails"
# The newsletter is made once per issue and filled per reader (newsletters/render.py).
NAMES = sorted(
    path.name.removesuffix("-body.txt")
    for path in EMAILS.glob("*-body.txt")
    if not path.name.startswith("newsletter-")
)
# The layout's footer: the consultant's signature, then how to reach them.
FOOTER = (
    '<p class="name"',
    "Reply to this email and it goes straight to Olivia.",
    ">Your personal page</a>",
)
NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
# Every email shows the agency's settings, read from the database.
pytestmark = pytest.mark.django_db
# Names that HTML escaping would turn into &amp;, &#x27; and &lt;.
AWKWARD = "O'Brien & Daughters <UK>"


def test_every_email_has_a_sample_to_render() -> None:
    assert set(NAMES) == set(SAMPLES)


@pytest.mark.parametrize("name", NAMES)
def test_every_email_renders_with_its_subject_on_one_line_and_its_text_as_typed(
    name: str,
) -> None:
    subject, text, html = compose(name, SAMPLES[name])

    assert subject and subject == " ".join(subject.split())
    assert text.strip() and text.endswith("\n") and not text.endswith("\n\n")
    assert "&amp;" not in subject + text and "&lt;" not in subject + text
    if (EMAILS / f"{name}-body.html").exists():
        assert f"<title>{escape(subject)}</title>" in html
    else:
        assert html == ""


@pytest.mark.parametrize("name", [n for n in NAMES if (EMAILS / f"{n}-body.html").exists()])
def test_every_html_email_has_the_layouts_footer_once_and_its_css_inlined(name: str) -> None:
    _, _, html = compose(name, SAMPLES[name])

    for part in FOOTER:
        assert html.count(part) == 1, part
    assert "<style" not in html  # mail clients that drop <style> still get the look
    assert 'class="signature" style="margin-top: 24px;' in html


def test_a_subject_with_an_ampersand_and_angle_brackets_arrives_as_typed(
    cast: Cast, smtp_server: SmtpSink
) -> None:
    cast.company.name = "Brown & Whitehouse <UK>"
    cast.company.save(update_fields=["name"])

    open_alert(placement=cast.placement, reason="Said the job is not as described", now=NOW)
    tick(now=NOW, worker_id="test")

    expected = "Priya Patel at Brown & Whitehouse <UK> needs attention"
    assert OutboxMessage.objects.get().subject == expected
    [received] = smtp_server.messages
    assert received["Subject"] == expected
    assert "Priya Patel, Account Manager at Brown & Whitehouse <UK>" in received.get_content()


def test_a_subject_typed_for_an_invitation_replaces_the_default_in_subject_and_title() -> None:
    context = {**SAMPLES["invitation"], "subject": "Tom & Jerry\n  <3 questions>"}

    subject, _, html = compose("invitation", context)

    assert subject == "Tom & Jerry <3 questions>"
    assert "<title>Tom &amp; Jerry &lt;3 questions&gt;</title>" in html


def test_person_written_text_in_the_html_is_escaped() -> None:
    _, _, html = compose("checkin", {**SAMPLES["checkin"], "body": "Hi <b>Priya</b> & all"})

    assert "Hi &lt;b&gt;Priya&lt;/b&gt; &amp; all" in html
    assert "<b>" not in html


@pytest.mark.parametrize("name", NAMES)
def test_every_subject_keeps_ampersands_apostrophes_and_angle_brackets_as_typed(
    name: str,
) -> None:
    brand = AgencySettings.initial()
    brand.name = AWKWARD
    context = _with_awkward_names(SAMPLES[name])

    subject, text, _ = compose(name, context, brand=brand)

    for escaped in ("&amp;", "&#x27;", "&#39;", "&lt;", "&gt;", "&quot;"):
        assert escaped not in subject + text, (name, subject)
    names_in_it = [n for n in (AWKWARD, "Siobhán O'Brien", "R&D <lead>") if n in subject]
    fixed = {
        "password-reset",
        "portal-signin",
        "retention-ask",
        "sign-in-changed",
        "signup-confirm",
    }
    assert names_in_it or name in fixed, (name, subject)


def _with_awkward_names(value: Any) -> Any:
    """`value` with every company, agency, person and role name made awkward."""
    if isinstance(value, dict):
        renamed = {k: _with_awkward_names(v) for k, v in value.items()}
        for key, awkward in (
            ("company", AWKWARD),
            ("full_name", "Siobhán O'Brien"),
            ("candidate_name", "Siobhán O'Brien"),
            ("role", "R&D <lead>"),
            ("role_title", "R&D <lead>"),
            ("questionnaire", f"Checking in from {AWKWARD}"),
        ):
            if key in renamed and isinstance(renamed[key], str):
                renamed[key] = awkward
        if isinstance(renamed.get("company"), dict):
            renamed["company"] = {"name": AWKWARD}
        if renamed.get("subject"):
            renamed["subject"] = f"Your first week at {AWKWARD}"
        return renamed
    return value
