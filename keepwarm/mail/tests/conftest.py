"""Every mail test that talks to a real SMTP server runs against two kinds of server."""

from __future__ import annotations

import pytest

from keepwarm.conftest import SmtpSink


@pytest.fixture(params=["pipelining", "one command at a time"])
def smtp_server(request: pytest.FixtureRequest, smtp_server: SmtpSink) -> SmtpSink:
    """A server that offers PIPELINING (MAIL, RCPT and DATA go in one write), as Postfix
    and the providers' relays do, and one that answers each command before the next."""
    smtp_server.pipelining = request.param == "pipelining"
    return smtp_server
