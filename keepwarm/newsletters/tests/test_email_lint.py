"""A generated issue passes the caniemail.com checks for Gmail and Outlook.

The checker (@jsx-email/doiuse-email) is installed from tools/email-lint's package-lock by
`make test` (npm ci); without node or that folder this test skips and says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from keepwarm.newsletters.models import Kind
from keepwarm.newsletters.render import FIELDS, Personaliser, compose
from keepwarm.newsletters.services import add_block, add_generated_block
from keepwarm.newsletters.tests.conftest import TODAY, Setup

TOOL = Path(__file__).resolve().parents[3] / "tools" / "email-lint"
# Every HTML document has a <body>; Outlook for Mac, iOS and Android drop it and keep its
# content. Nothing is styled on <body> for that reason (the background is on a table).
# Windows Mail drops `role` and `aria-hidden`: there a screen reader meets the chart's
# layout tables and empty bar cells too, and still reads every figure, which is text.
ACCEPTED = (
    "`<body> element` is not supported",
    "`role attribute` is not supported by `outlook.windows-mail`",
    "`aria-hidden attribute` is not supported by `outlook.windows-mail`",
)


@pytest.mark.parametrize("track", [False, True], ids=["untracked", "tracked"])
def test_generated_issue_uses_only_what_gmail_and_outlook_support(
    setup: Setup, track: bool
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the email-HTML checker cannot run")
    if not (TOOL / "node_modules" / "@jsx-email" / "doiuse-email").is_dir():
        pytest.skip(
            "run `npm ci --prefix tools/email-lint` (make test does) to install the checker"
        )
    for kind in (Kind.EMPLOYMENT_TRENDS, Kind.JOB_FORECASTS, Kind.SUCCESS_STORIES):
        add_generated_block(issue=setup.issue, kind=kind, today=TODAY)
    add_block(
        issue=setup.issue,
        kind=Kind.JOB_HUNTING_TIPS,
        title="Tips",
        body="1. One\n2. [Two](https://a.example)\n\n> A quote\n\n---\n\n`code`",
    )
    add_block(
        issue=setup.issue,
        kind=Kind.EMPLOYMENT_TRENDS,
        title="Chart",
        data={"chart": {"labels": ["Café & Hospitality", "Retail"], "values": [3, 0],
                        "previous": [1, 2], "title": "By sector", "caption": "Dark: now."}},
    )  # fmt: skip
    frozen = compose(setup.issue, track=track)
    assert 'bgcolor="#6f98ab"' in frozen.html  # the chart's bars are linted too
    # With tracking, the open pixel and the rewritten links are linted too.
    assert ("/newsletters/open/" in frozen.html) is track
    html, _ = Personaliser.of(frozen).fill(dict.fromkeys(FIELDS, "https://agency.example/x"))
    result = subprocess.run(
        [node, str(TOOL / "lint.js"), "gmail.*,outlook.*"],
        input=html, capture_output=True, text=True, timeout=60, cwd=TOOL,
    )  # fmt: skip
    report = json.loads(result.stdout)
    errors = [e for e in report["errors"] if not e.startswith(ACCEPTED)]
    assert errors == []
