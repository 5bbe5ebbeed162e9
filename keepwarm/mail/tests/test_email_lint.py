"""Check-ins, invitations and reminders use only what Gmail and Outlook support
(caniemail.com data), checked by the same tool as the newsletter.

The checker is installed from tools/email-lint's package-lock by `make test` (npm ci);
without node or that folder this test skips and says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from keepwarm.mail.compose import compose
from keepwarm.mail.tests.email_samples import SAMPLES

# The emails wear the agency's settings, read from the database.
pytestmark = pytest.mark.django_db

TOOL = Path(__file__).resolve().parents[3] / "tools" / "email-lint"
# The newsletter is linted as a whole issue, in newsletters/tests/test_email_lint.py.
HTML_EMAILS = sorted(
    path.name.removesuffix("-body.html")
    for path in (TOOL.parents[1] / "keepwarm" / "templates" / "emails").glob("*-body.html")
    if not path.name.startswith("newsletter-")
)
# Each degrades to a plain message where it is unsupported:
ACCEPTED = (
    # the apps keep <body>'s content; only its white background and zero margin go
    "`<body> element` is not supported",
    # extras for screen readers; a client without them reads the message as before
    "`aria-label attribute` is not supported",
    "`role attribute` is not supported",
    # the "Answer the questions" button has square corners in Outlook for Windows
    "`border-radius` is not supported",
)


@pytest.mark.parametrize("name", HTML_EMAILS)
def test_each_html_email_uses_only_what_gmail_and_outlook_support(name: str) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the email-HTML checker cannot run")
    if not (TOOL / "node_modules" / "@jsx-email" / "doiuse-email").is_dir():
        pytest.skip(
            "run `npm ci --prefix tools/email-lint` (make test does) to install the checker"
        )
    _, _, html = compose(name, SAMPLES[name])
    result = subprocess.run(
        [node, str(TOOL / "lint.js"), "gmail.*,outlook.*"],
        input=html, capture_output=True, text=True, timeout=60, cwd=TOOL,
    )  # fmt: skip
    report = json.loads(result.stdout)
    errors = [e for e in report["errors"] if not e.startswith(ACCEPTED)]
    assert errors == []
